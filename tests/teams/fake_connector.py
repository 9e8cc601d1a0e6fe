"""An in-test fake of the Bot Framework connector (the activity's serviceUrl) on 127.0.0.1.

It records every call: sent, replied and updated activities (PUT .../activities/{id}; an id it
never handed out is 404, as for a deleted message), and answers the roster call
(GET v3/conversations/{id}/members/{member}) from a table of members. ``shown`` is what each
activity shows now, after its updates.
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
    updates: str | None = None  # the activity id this call replaced
    activity_id: str | None = None  # the id the connector gave (sends) or kept (updates)


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

    def shown(self) -> dict[str, dict[str, Any]]:
        """Each activity the bot sent, as it shows now (its last update), by activity id."""
        now: dict[str, dict[str, Any]] = {}
        for sent in list(self.sent):
            if sent.activity_id and (sent.updates or sent.activity_id not in now):
                now[sent.activity_id] = {**sent.activity, "conversation": sent.conversation}
        return now

    def messages(self, kind: str = "message") -> list[Sent]:
        return [s for s in self.sent if s.activity.get("type") == kind]

    def cards(self) -> list[Sent]:
        return [s for s in self.messages() if s.activity.get("attachments")]

    def first_cards(self, count: int = 1, timeout: float = 30.0, image: bool = False) -> list[Sent]:
        """The first card each of ``count`` activities showed (a send or an update), in order;
        with ``image``, the first one showing a chart (the worker adds it in a later update)."""
        deadline = time.monotonic() + timeout
        while True:
            first: dict[str, Sent] = {}
            for sent in list(self.sent):
                attachments = sent.activity.get("attachments") or []
                if not attachments or not sent.activity_id:
                    continue
                if image and '"Image"' not in json.dumps(attachments):
                    continue
                first.setdefault(sent.activity_id, sent)
            if len(first) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert len(first) >= count, f"{len(first)} cards, wanted {count}"
        return sorted(first.values(), key=lambda s: s.at)

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
                    activity_id = f"act-{len(fake.sent) + 1}"
                    fake.sent.append(Sent(parts[2], body, parts[4] if len(parts) > 4 else None,
                                          self.headers.get("Authorization"), activity_id=activity_id))
                    self._json(200, {"id": activity_id})
                    return
                self._json(404, {})

            def do_PUT(self) -> None:  # noqa: N802 - an update of a sent activity
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                parts = [unquote(p) for p in self.path.strip("/").split("/")]
                if len(parts) == 5 and parts[:2] == ["v3", "conversations"] and parts[3] == "activities":
                    known = {s.activity_id for s in fake.sent if s.conversation == parts[2] and not s.updates}
                    if parts[4] not in known:
                        self._json(404, {"error": {"code": "NotFound", "message": "activity not found"}})
                        return
                    fake.sent.append(Sent(parts[2], body, None, self.headers.get("Authorization"),
                                          updates=parts[4], activity_id=parts[4]))
                    self._json(200, {"id": parts[4]})
                    return
                self._json(404, {})

        return Handler
