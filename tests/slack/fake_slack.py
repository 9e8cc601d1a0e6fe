"""An in-test fake of the Slack Web API on 127.0.0.1 that records every call.

It answers the methods the bot uses (auth.test, users.info, chat.postMessage, chat.update,
chat.postEphemeral, the three files_upload_v2 steps, files.info, the AI-app assistant.threads.*
calls, views.publish), can answer one call of a method with HTTP 429 + Retry-After, fail a method
with a Slack error or with HTTP 500, and play an outage (``down``: every connection is dropped
unanswered). Like Slack it keeps the messages (so an update of an unknown ts is
``message_not_found``) and the files with where they were shared, so a test can count what a
thread finally shows; and like Slack it refuses (``invalid_blocks``) an image block naming a file
that was never completed or is still being processed (``processing_seconds`` after completion;
files.info shows its ``mimetype`` only once processed). It checks the block types it is sent
against the ones Slack knows, and the limits of table blocks and selects.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # bursts of concurrent calls are not dropped


@dataclass
class Message:
    channel: str
    ts: str
    thread_ts: str | None
    text: str
    blocks: Any = None
    updates: int = 0


@dataclass
class File:
    file_id: str
    complete: bool = False
    shares: list[tuple[str, str | None]] = field(default_factory=list)  # (channel, thread_ts)
    completed_at: float = 0.0


BLOCK_TYPES = {"section", "actions", "context", "context_actions", "header", "image", "table", "divider",
               "rich_text", "markdown", "input", "file", "video"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.perf_counter)
    result: dict[str, Any] = field(default_factory=dict)  # what the fake answered


class FakeSlack:
    def __init__(self, users: dict[str, str] | None = None, time_zones: dict[str, str] | None = None) -> None:
        self.users = users or {"U1": "ana@example.com"}
        self.time_zones = time_zones or {}  # users.info ``tz`` by user
        self.gone: set[str] = set()  # users whose direct messages fail (they left)
        self.not_member: set[str] = set()  # channels the bot is not in
        self.calls: list[Call] = []
        self.uploads: list[bytes] = []
        self.throttled: dict[str, int] = {}  # method -> how many more calls get 429
        self.errors: dict[str, str] = {}  # method -> Slack error to answer with
        self.messages: dict[str, Message] = {}  # by ts
        self.files: dict[str, File] = {}
        self.failing: dict[str, int] = {}  # method -> how many more calls get HTTP 500
        self.processing_seconds = 0.0  # how long a completed upload cannot be shown in a block
        self.views: dict[str, Any] = {}  # App Home views published, by user
        self.dropped = 0  # calls dropped while down
        self.down = False  # Slack's API unreachable: connections are closed without an answer
        self._ts = 1000
        self._lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    def start(self) -> "FakeSlack":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 30.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of(method)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"{method} called {len(self.of(method))} times, wanted {count}: "
                             f"{[c.method for c in self.calls]}")

    def thread_messages(self, channel: str, thread_ts: str) -> list[Message]:
        """The messages posted in a thread (its root excluded), oldest first."""
        with self._lock:
            return sorted((m for m in self.messages.values()
                           if m.channel == channel and m.thread_ts == thread_ts and m.ts != thread_ts),
                          key=lambda m: float(m.ts))

    def shares(self, channel: str, thread_ts: str) -> list[File]:
        """Files shared into a thread."""
        with self._lock:
            return [f for f in self.files.values() if (channel, thread_ts) in f.shares]

    def _blocks_problem(self, blocks: Any) -> str | None:
        """What Slack would refuse in a message's blocks (None if nothing)."""
        if isinstance(blocks, str):
            blocks = json.loads(blocks or "[]")
        tables = 0
        for block in blocks or []:
            kind = block.get("type")
            if kind not in BLOCK_TYPES:
                return f"unknown block type {kind}"
            if kind == "image" and "slack_file" in block:
                file = self.files.get(str(block["slack_file"].get("id")))
                if file is None or not file.complete or time.monotonic() - file.completed_at < self.processing_seconds:
                    return "invalid slack file [json-pointer:/blocks/image/slack_file]"
            if kind == "table":
                tables += 1
                rows = block.get("rows") or []
                if tables > 1 or not rows or len(rows) > 100 or any(len(r) > 20 for r in rows):
                    return "a message holds one table of at most 100 rows x 20 cells"
            for element in block.get("elements") or []:
                if element.get("type") == "static_select" and not 0 < len(element.get("options") or []) <= 100:
                    return "a select has 1 to 100 options"
        return None

    def _next_ts(self) -> str:
        with self._lock:
            self._ts += 1
            return f"{self._ts}.000100"

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            if self.throttled.get(method):
                self.throttled[method] -= 1
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
            if self.failing.get(method):
                self.failing[method] -= 1
                return 500, {"ok": False, "error": "internal_error"}, {}
        if method in self.errors:
            return 200, {"ok": False, "error": self.errors[method]}, {}
        if method == "auth.test":
            return 200, {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "user": "athena"}, {}
        if method == "users.info":
            user = params.get("user")
            if user not in self.users:
                return 200, {"ok": False, "error": "user_not_found"}, {}
            info: dict[str, Any] = {"id": user, "profile": {"email": self.users[user]}}
            if user in self.time_zones:
                info["tz"] = self.time_zones[user]
            return 200, {"ok": True, "user": info}, {}
        if method == "conversations.open":
            user = str(params.get("users"))
            if user in self.gone or user not in self.users:
                return 200, {"ok": False, "error": "user_not_found"}, {}
            return 200, {"ok": True, "channel": {"id": "D" + user}}, {}
        if method == "conversations.info":
            channel = str(params.get("channel"))
            return 200, {"ok": True, "channel": {"id": channel, "is_member": channel not in self.not_member}}, {}
        if method in ("views.open", "views.update"):
            return 200, {"ok": True, "view": {"id": f"V{self._next_ts()}"}}, {}
        if method in ("chat.postMessage", "chat.update"):
            problem = self._blocks_problem(params.get("blocks"))
            if problem:
                return 200, {"ok": False, "error": "invalid_blocks", "errors": [problem]}, {}
        if method == "chat.postMessage":
            ts = self._next_ts()
            with self._lock:
                self.messages[ts] = Message(str(params.get("channel")), ts, params.get("thread_ts"),
                                            str(params.get("text") or ""), params.get("blocks"))
            return 200, {"ok": True, "channel": params.get("channel"), "ts": ts,
                         "message": {"ts": ts, "text": params.get("text")}}, {}
        if method == "chat.update":
            with self._lock:
                message = self.messages.get(str(params.get("ts")))
                if message is None or message.channel != params.get("channel"):
                    return 200, {"ok": False, "error": "message_not_found"}, {}
                message.text, message.blocks = str(params.get("text") or ""), params.get("blocks")
                message.updates += 1
            return 200, {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}, {}
        if method == "chat.postEphemeral":
            return 200, {"ok": True, "message_ts": self._next_ts()}, {}
        if method == "files.getUploadURLExternal":
            with self._lock:
                file_id = f"F{len(self.files) + 1:08d}"
                self.files[file_id] = File(file_id)
            return 200, {"ok": True, "file_id": file_id,
                         "upload_url": self.url.replace("/api/", f"/upload/{file_id}")}, {}
        if method == "files.completeUploadExternal":
            done = json.loads(params.get("files", "[]"))
            with self._lock:
                for item in done:
                    file = self.files.get(item["id"])
                    if file is None or file.complete:
                        return 200, {"ok": False, "error": "invalid_file_id" if file is None else "file_already_completed"}, {}
                    file.complete = True
                    file.completed_at = time.monotonic()
                    if params.get("channel_id"):
                        file.shares.append((str(params["channel_id"]), params.get("thread_ts")))
            return 200, {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in done]}, {}
        if method == "files.info":
            with self._lock:
                file = self.files.get(str(params.get("file")))
                if file is None or not file.complete:
                    return 200, {"ok": False, "error": "file_not_found"}, {}
                shares: dict[str, list[dict[str, Any]]] = {}
                for channel, thread_ts in file.shares:
                    shares.setdefault(channel, []).append({"ts": self._ts, "thread_ts": thread_ts})
                processed = time.monotonic() - file.completed_at >= self.processing_seconds
            return 200, {"ok": True, "file": {"id": file.file_id, "shares": {"public": shares},
                                              "mimetype": "image/png" if processed else ""}}, {}
        if method in ("assistant.threads.setStatus", "assistant.threads.setSuggestedPrompts",
                      "assistant.threads.setTitle"):
            if not params.get("channel_id") or not params.get("thread_ts"):
                return 200, {"ok": False, "error": "invalid_arguments"}, {}
            return 200, {"ok": True}, {}
        if method == "views.publish":
            view = params.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            if not params.get("user_id") or not isinstance(view, dict) or view.get("type") != "home":
                return 200, {"ok": False, "error": "invalid_arguments"}, {}
            problem = self._blocks_problem(view.get("blocks"))
            if problem or len(view.get("blocks") or []) > 100:
                return 200, {"ok": False, "error": "invalid_blocks", "errors": [problem or "over 100 blocks"]}, {}
            with self._lock:
                self.views[str(params["user_id"])] = view
            return 200, {"ok": True, "view": {"id": "V1", **view}}, {}
        return 200, {"ok": False, "error": "unknown_method"}, {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if fake.down:
                    fake.dropped += 1
                    self.close_connection = True
                    self.connection.shutdown(2)  # the caller sees the connection drop, no answer
                    return
                if self.path.startswith("/upload/"):  # the raw file bytes, not a form
                    fake.uploads.append(body)
                    self._send(200, b"OK", {})
                    return
                method = self.path.rsplit("/", 1)[-1]
                if "json" in (self.headers.get("Content-Type") or ""):
                    params = json.loads(body or b"{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                call = Call(method, params)
                fake.calls.append(call)
                status, payload, headers = fake._answer(method, params)
                call.result = payload
                self._send(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **headers})

            def _send(self, status: int, data: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
