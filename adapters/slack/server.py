"""Serve the Slack app over HTTP (waitress) or Socket Mode.

waitress holds every connection on one I/O thread and runs the app on a fixed pool of worker
threads, so idle or slow connections cost no thread; a connection idle for ``idle_timeout``
seconds is closed; a body over ``max_body`` bytes is refused (413) from its Content-Length,
before it is read, and a chunked body as soon as it passes the cap; a POST with neither is 411.
Only then is the signature checked (adapters/slack/gate.py), and only a signed, readable request
reaches bolt. `App.start()` would bind every interface; this binds the host it is given
(127.0.0.1 by default for local runs; 0.0.0.0 behind a load balancer).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

from adapters.slack.app import SlackApp
from adapters.slack.gate import Rejected, check_request

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are a few KB; a 40,000-character message stays far below
THREADS = 8  # requests handled at once; the intake is a few hundred milliseconds of Slack API calls
IDLE_TIMEOUT_SECONDS = 15  # a connection with no request in progress and no traffic is closed
CONNECTION_LIMIT = 256  # open connections; past it waitress stops accepting until some close


def wsgi_app(app: SlackApp, max_body: int = MAX_BODY_BYTES) -> Any:
    """Slack's endpoint at /slack/events (checked before bolt sees it), and /healthz."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/healthz":
            return _reply(start_response, 200, "ok")
        if path != EVENTS_PATH or method != "POST":
            return _reply(start_response, 404, "not found")
        length = environ.get("CONTENT_LENGTH")
        if not length or not length.isdigit():
            return _reply(start_response, 411, "Content-Length required")
        if int(length) > max_body:  # waitress refuses these itself; kept for other WSGI servers
            return _reply(start_response, 413, "body too large")
        body = environ["wsgi.input"].read(int(length))
        headers = {k[5:].lower().replace("_", "-"): v for k, v in environ.items() if k.startswith("HTTP_")}
        headers["content-type"] = environ.get("CONTENT_TYPE", "")
        try:
            check_request(body, headers, app.signing_secret)
        except Rejected as err:
            (log.info if err.status == 401 else log.warning)("rejected a Slack request: %s (%s)", err.reason, err.status)
            return _reply(start_response, err.status, err.reason)
        environ["wsgi.input"] = _Body(body)  # bolt reads the body again
        return slack(environ, start_response)

    return application


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, size: int = -1) -> bytes:
        return self.data if size < 0 else self.data[:size]


def _reply(start_response: Any, status: int, text: str) -> list[bytes]:
    reasons = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 411: "Length Required",
               413: "Payload Too Large"}
    data = text.encode()
    start_response(f"{status} {reasons.get(status, 'Error')}",
                   [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]


class HttpServer:
    """The app on host:port in a background thread; ``port=0`` picks a free port."""

    def __init__(self, app: SlackApp, host: str = "127.0.0.1", port: int = 3000, *, threads: int = THREADS,
                 idle_timeout: float = IDLE_TIMEOUT_SECONDS, max_body: int = MAX_BODY_BYTES,
                 connection_limit: int = CONNECTION_LIMIT) -> None:
        self.server = create_server(
            wsgi_app(app, max_body), host=host, port=port, threads=threads, channel_timeout=idle_timeout,
            cleanup_interval=max(1, int(idle_timeout // 3)), connection_limit=connection_limit,
            max_request_body_size=max_body + 1,  # waitress refuses a body of this size or more
            asyncore_use_poll=True, ident="athena-bot", expose_tracebacks=False)
        self.thread = threading.Thread(target=self.server.run, name="slack-http", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.server.effective_host}:{self.server.effective_port}{EVENTS_PATH}"

    def start(self) -> "HttpServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close every connection on the I/O thread, and wait for the workers."""
        def close_all() -> None:
            for channel in list(self.server._map.values()):  # noqa: SLF001 - waitress keeps its sockets here
                channel.close()

        self.server.trigger.pull_trigger(close_all)
        self.thread.join(timeout=10)
        self.server.task_dispatcher.shutdown(timeout=5)


def socket_mode_handler(app: SlackApp, app_token: str) -> Any:
    """Socket Mode (no public URL; for local development): ``.start()`` blocks, ``.connect()`` not."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token)
