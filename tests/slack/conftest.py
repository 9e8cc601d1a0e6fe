"""The Slack app served on 127.0.0.1, its WebClient pointed at a fake Slack Web API, and the local
worker answering in a thread: the same wiring `athena-bot serve slack` runs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.adapter.aws_lambda import SlackRequestHandler as LambdaHandler

from adapters.slack.app import SlackApp
from adapters.slack.server import HttpServer
from bot.settings import Settings
from bot.slack_lambda import handle as lambda_handle
from bot.slack import LocalSlackStack, SlackSettings, build_local_slack
from tests.slack.fake_slack import FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def sign(body: bytes, timestamp: int, secret: str = SECRET) -> str:
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class FunctionUrl:
    """A Lambda function URL on 127.0.0.1: each request becomes the event Lambda would pass to
    bot.slack_lambda (base64 body, lower-case headers), and its answer the HTTP response."""

    def __init__(self, app: SlackApp) -> None:
        bolt = LambdaHandler(app)

        class Context:
            function_name = "athena-bot-slack"
            aws_request_id = "req-1"
            invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:athena-bot-slack"

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                event = {"version": "2.0", "rawPath": self.path, "isBase64Encoded": True,
                         "body": base64.b64encode(body).decode(),
                         "headers": {k.lower(): v for k, v in self.headers.items()},
                         "requestContext": {"http": {"method": "POST"}}}
                answer = lambda_handle(app, bolt, event, Context())
                data = (answer.get("body") or "").encode()
                self.send_response(answer["statusCode"])
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/slack/events"

    def start(self) -> "FunctionUrl":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class SlackRig:
    fake: FakeSlack
    stack: LocalSlackStack
    server: HttpServer | FunctionUrl

    def post(self, body: bytes, content_type: str, headers: dict[str, str] | None = None,
             timestamp: int | None = None, secret: str = SECRET) -> tuple[int, bytes]:
        ts = timestamp or int(time.time())
        request = urllib.request.Request(self.server.url, data=body, method="POST", headers={
            "Content-Type": content_type, "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": sign(body, ts, secret), **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def event(self, event: dict, event_id: str, headers: dict[str, str] | None = None, **kw) -> int:  # noqa: ANN003
        body = json.dumps({"type": "event_callback", "team_id": "T1", "api_app_id": "A1",
                           "event_id": event_id, "event_time": int(time.time()), "event": event}).encode()
        return self.post(body, "application/json", headers, **kw)[0]

    def mention(self, text: str, ts: str, event_id: str, user: str = "U1", thread_ts: str | None = None) -> int:
        event = {"type": "app_mention", "user": user, "text": f"<@UBOT> {text}", "channel": "C1", "ts": ts}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event(event, event_id)

    def form(self, fields: dict[str, str]) -> tuple[int, bytes]:
        return self.post(urlencode(fields).encode(), "application/x-www-form-urlencoded")

    def click(self, action_id: str, value: str, message_ts: str, thread_ts: str, user: str = "U1") -> int:
        payload = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": user},
                   "api_app_id": "A1", "trigger_id": f"trig-{action_id}-{time.time()}",
                   "channel": {"id": "C1"}, "container": {"type": "message", "message_ts": message_ts},
                   "message": {"ts": message_ts, "thread_ts": thread_ts, "type": "message"},
                   "actions": [{"action_id": action_id, "block_id": "b", "value": value, "type": "button"}]}
        return self.form({"payload": json.dumps(payload)})[0]

    def answers(self, count: int = 1, timeout: float = 30.0) -> list:
        """The first chat.update of each of ``count`` messages: the answers' text replacing the
        placeholders, in order (the chart comes in a further update of the same message)."""
        deadline = time.monotonic() + timeout
        while True:
            first: dict[str, Any] = {}
            for call in self.fake.of("chat.update"):
                first.setdefault(str(call.params.get("ts")), call)
            if len(first) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert len(first) >= count, f"{len(first)} answers, wanted {count}"
        return sorted(first.values(), key=lambda c: c.at)

    def charted(self, count: int = 1, timeout: float = 30.0) -> list:
        """The updates that put a chart (an image block) into an answer, one per message."""
        deadline = time.monotonic() + timeout
        while True:
            found: dict[str, Any] = {}
            for call in self.fake.of("chat.update"):
                if call.result.get("ok") and '"image"' in json.dumps(call.params.get("blocks")):
                    found.setdefault(str(call.params.get("ts")), call)
            if len(found) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert len(found) >= count, f"{len(found)} charts, wanted {count}"
        return sorted(found.values(), key=lambda c: c.at)


@pytest.fixture(params=["http"])
def slack_rig(request: pytest.FixtureRequest, lake: Path, tmp_path: Path) -> Iterator[SlackRig]:
    """The app as served over HTTP; parametrized with "lambda", through the Lambda handler."""
    identity = tmp_path / "identity.yaml"
    identity.write_text("groups:\n  analysts: {tables: ['*']}\n"
                        "users:\n  ana@example.com: {groups: [analysts]}\n")
    fake = FakeSlack({"U1": "ana@example.com", "U2": "bob@example.com"}).start()
    settings = Settings.from_env({"ATHENA_BOT_HOME": str(tmp_path), "ATHENA_BOT_LAKE": str(lake),
                                  "ATHENA_BOT_AS_OF": "2025-06-15",
                                  "ATHENA_BOT_IDENTITY_FILE": str(identity)})
    stack = build_local_slack(settings, SlackSettings("xoxb-test", SECRET, api_url=fake.url))
    server = (FunctionUrl(stack.app) if request.param == "lambda" else HttpServer(stack.app, "127.0.0.1", 0)).start()
    stop = threading.Event()
    worker = stack.run_worker(stop)
    yield SlackRig(fake, stack, server)
    stop.set()
    worker.join(timeout=10)
    server.stop()
    fake.stop()
