"""An in-test fake of the Bot Framework connector (the activity's serviceUrl) on 127.0.0.1.

It records every call: sent and replied activities, and answers the roster call
(GET v3/conversations/{id}/members/{member}) from a table of members.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


@dataclass
class Sent:
    conversation: str
    activity: dict[str, Any]
    reply_to: str | None
    authorization: str | None
    at: float = field(default_factory=time.perf_counter)


class FakeConnector:
    def __init__(self, members: dict[str, dict[str, Any]] | None = None) -> None:
        self.members = members or {}
        self.sent: list[Sent] = []
        self.roster_calls: list[tuple[str, str]] = []
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def start(self) -> "FakeConnector":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def messages(self, kind: str = "message") -> list[Sent]:
        return [s for s in self.sent if s.activity.get("type") == kind]

    def cards(self) -> list[Sent]:
        return [s for s in self.messages() if s.activity.get("attachments")]

    def wait_for(self, predicate, count: int = 1, timeout: float = 30.0) -> list[Sent]:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [s for s in self.sent if predicate(s)]
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"wanted {count} matching sends; got {[s.activity.get('type') for s in self.sent]}")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                parts = [unquote(p) for p in self.path.strip("/").split("/")]
                if len(parts) == 5 and parts[:2] == ["v3", "conversations"] and parts[3] == "members":
                    fake.roster_calls.append((parts[2], parts[4]))
                    member = fake.members.get(parts[4])
                    if member is None:
                        self._json(404, {"error": {"code": "MemberNotFoundInConversation"}})
                    else:
                        self._json(200, member)
                    return
                self._json(404, {})

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                parts = [unquote(p) for p in self.path.strip("/").split("/")]
                if len(parts) >= 4 and parts[:2] == ["v3", "conversations"] and parts[3] == "activities":
                    fake.sent.append(Sent(parts[2], body, parts[4] if len(parts) > 4 else None,
                                          self.headers.get("Authorization")))
                    self._json(200, {"id": f"act-{len(fake.sent)}"})
                    return
                self._json(404, {})

        return Handler
