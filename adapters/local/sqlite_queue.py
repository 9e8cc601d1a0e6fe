"""Queue port on SQLite: durable, at-least-once, with visibility timeouts and a dead-letter queue.

Semantics follow SQS: a received message is hidden for the visibility timeout and comes back if
it is not deleted; each receive counts, and a message received more than ``max_receives`` times
moves to the dead-letter queue instead of being delivered again. Receipt handles change on every
receive, so a stale handle cannot delete a message someone else now holds.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from pathlib import Path

from engine.ports import QueueMessage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queue_messages (
    message_id    TEXT PRIMARY KEY,
    queue         TEXT NOT NULL,
    body          TEXT NOT NULL,
    attributes    TEXT NOT NULL DEFAULT '{}',
    sent_at       REAL NOT NULL,
    visible_at    REAL NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    receipt       TEXT
);
CREATE INDEX IF NOT EXISTS queue_messages_ready ON queue_messages (queue, visible_at, sent_at);
"""


def connect(path: str | Path) -> sqlite3.Connection:
    """A SQLite connection for shared local state (WAL, so readers do not block the writer)."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    return con


class SQLiteQueue:
    """A named queue (and its dead-letter queue ``<name>-dlq``) in one SQLite file."""

    def __init__(self, path: str | Path, name: str = "jobs", *, visibility_timeout: int = 60,
                 max_receives: int = 3, poll_interval: float = 0.05) -> None:
        self.name = name
        self.dead_letter_name = f"{name}-dlq"
        self.visibility_timeout = visibility_timeout
        self.max_receives = max_receives
        self.poll_interval = poll_interval
        self._con = connect(path)
        self._lock = threading.Lock()
        with self._lock:
            self._con.executescript(_SCHEMA)

    def send(self, body: str, delay_seconds: int = 0, attributes: dict[str, str] | None = None) -> str:
        message_id = uuid.uuid4().hex
        now = time.time()
        with self._lock:
            self._con.execute(
                "INSERT INTO queue_messages (message_id, queue, body, attributes, sent_at, visible_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (message_id, self.name, body, json.dumps(attributes or {}), now, now + delay_seconds))
        return message_id

    def receive(self, max_messages: int = 1, wait_seconds: float = 0,
                visibility_timeout: int | None = None) -> list[QueueMessage]:
        deadline = time.monotonic() + wait_seconds
        while True:
            messages = self._receive_now(max_messages, visibility_timeout or self.visibility_timeout)
            if messages or time.monotonic() >= deadline:
                return messages
            time.sleep(min(self.poll_interval, max(0.0, deadline - time.monotonic())))

    def _receive_now(self, max_messages: int, visibility_timeout: int) -> list[QueueMessage]:
        now = time.time()
        out: list[QueueMessage] = []
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                rows = self._con.execute(
                    "SELECT message_id, body, attributes, receive_count FROM queue_messages "
                    "WHERE queue = ? AND visible_at <= ? ORDER BY sent_at LIMIT ?",
                    (self.name, now, max_messages * 2 + 10)).fetchall()
                for message_id, body, attributes, count in rows:
                    if count >= self.max_receives:
                        self._con.execute(
                            "UPDATE queue_messages SET queue = ?, receive_count = 0, receipt = NULL,"
                            " visible_at = ? WHERE message_id = ?",
                            (self.dead_letter_name, now, message_id))
                        continue
                    if len(out) == max_messages:
                        break
                    receipt = uuid.uuid4().hex
                    self._con.execute(
                        "UPDATE queue_messages SET receive_count = receive_count + 1, receipt = ?,"
                        " visible_at = ? WHERE message_id = ?",
                        (receipt, now + visibility_timeout, message_id))
                    out.append(QueueMessage(message_id, receipt, body, count + 1, json.loads(attributes),
                                            visible_until=now + visibility_timeout))
                self._con.execute("COMMIT")
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
        return out

    def delete(self, receipt_handle: str) -> None:
        with self._lock:
            self._con.execute("DELETE FROM queue_messages WHERE receipt = ?", (receipt_handle,))

    def change_visibility(self, receipt_handle: str, timeout_seconds: int) -> None:
        with self._lock:
            self._con.execute("UPDATE queue_messages SET visible_at = ? WHERE receipt = ?",
                              (time.time() + timeout_seconds, receipt_handle))

    def counts(self) -> dict[str, int]:
        """Messages per queue name (the queue and its dead-letter queue)."""
        with self._lock:
            rows = self._con.execute(
                "SELECT queue, COUNT(*) FROM queue_messages WHERE queue IN (?, ?) GROUP BY queue",
                (self.name, self.dead_letter_name)).fetchall()
        found = dict(rows)
        return {self.name: found.get(self.name, 0), self.dead_letter_name: found.get(self.dead_letter_name, 0)}

    def dead_letters(self) -> list[str]:
        with self._lock:
            rows = self._con.execute("SELECT body FROM queue_messages WHERE queue = ? ORDER BY sent_at",
                                     (self.dead_letter_name,)).fetchall()
        return [r[0] for r in rows]

    def close(self) -> None:
        self._con.close()
