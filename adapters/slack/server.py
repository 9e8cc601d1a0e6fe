"""Serve a bolt App over HTTP (stdlib WSGI, one thread per request) or Socket Mode.

`App.start()` would bind every interface; this binds the host it is given (127.0.0.1 by default
for local runs; 0.0.0.0 behind a load balancer).
"""

from __future__ import annotations

import logging
import threading
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128  # the listen backlog: socketserver's default of 5 drops bursts


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s " + format, self.address_string(), *args)


def wsgi_app(app: App) -> Any:
    """Slack's endpoint at /slack/events, and /healthz for the load balancer."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return slack(environ, start_response)

    return application


class HttpServer:
    """The app on host:port in a background thread; ``port=0`` picks a free port."""

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 3000) -> None:
        self.server = make_server(host, port, wsgi_app(app), server_class=_ThreadingWSGIServer,
                                  handler_class=_QuietHandler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="slack-http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{EVENTS_PATH}"

    def start(self) -> "HttpServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def socket_mode_handler(app: App, app_token: str) -> Any:
    """Socket Mode (no public URL; for local development): ``.start()`` blocks, ``.connect()`` not."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token)
