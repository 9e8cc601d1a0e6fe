"""Local state on SQLite: idempotent job steps and per-thread conversation state."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters.local.sqlite_queue import connect
from engine.ports import AlreadyInProgress

_SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency (
    key        TEXT PRIMARY KEY,
    status     TEXT NOT NULL,
    expires_at REAL NOT NULL,
    result     TEXT
);
CREATE TABLE IF NOT EXISTS conversations (
    conversation_id TEXT PRIMARY KEY,
    state           TEXT NOT NULL,
    updated_at      REAL NOT NULL
);
"""


# The web chat's session inbox (adapters/web/inbox.py): answers waiting for the page that asked.
_INBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    session_id TEXT NOT NULL,
    item_id    TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (session_id, item_id)
)
"""


class _SQLiteState:
    def __init__(self, path: str | Path) -> None:
        self._con = connect(path)
        self._lock = threading.Lock()
        with self._lock:
            self._con.executescript(_SCHEMA)


class SQLiteIdempotency(_SQLiteState):
    """IdempotentRunner port: a step runs once per key; its result is kept for ``keep_seconds``.

    A step in progress holds a lease; a second worker asking for the same key meanwhile gets
    AlreadyInProgress. A step that raises releases its key, so a retry runs it again.
    """

    def __init__(self, path: str | Path, lease_seconds: float = 300,
                 keep_seconds: float = 7 * 24 * 3600) -> None:
        super().__init__(path)
        self.lease_seconds = lease_seconds
        self.keep_seconds = keep_seconds

    def run(self, key: str, step: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        now = time.time()
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                row = self._con.execute("SELECT status, expires_at, result FROM idempotency WHERE key = ?",
                                        (key,)).fetchone()
                if row and row[1] > now:
                    self._con.execute("COMMIT")
                    if row[0] == "done":
                        return json.loads(row[2])
                    raise AlreadyInProgress(key)
                self._con.execute("INSERT OR REPLACE INTO idempotency VALUES (?, 'in_progress', ?, NULL)",
                                  (key, now + self.lease_seconds))
                self._con.execute("COMMIT")
            except sqlite3.Error:
                self._con.execute("ROLLBACK")
                raise
        try:
            result = step()
        except BaseException:
            with self._lock:
                self._con.execute("DELETE FROM idempotency WHERE key = ? AND status = 'in_progress'", (key,))
            raise
        with self._lock:
            self._con.execute("INSERT OR REPLACE INTO idempotency VALUES (?, 'done', ?, ?)",
                              (key, time.time() + self.keep_seconds, json.dumps(result)))
        return result


class SQLiteConversationStore(_SQLiteState):
    """ConversationStore port: the last understood query of each thread, expiring after a TTL."""

    def __init__(self, path: str | Path, ttl_seconds: float = 7 * 24 * 3600) -> None:
        super().__init__(path)
        self.ttl_seconds = ttl_seconds
        with self._lock:
            self._con.execute(_INBOX_SCHEMA)

    def load(self, conversation_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._con.execute("SELECT state, updated_at FROM conversations WHERE conversation_id = ?",
                                    (conversation_id,)).fetchone()
        if not row or row[1] < time.time() - self.ttl_seconds:
            return None
        return json.loads(row[0])

    def save(self, conversation_id: str, state: dict[str, Any]) -> None:
        with self._lock:
            self._con.execute("INSERT OR REPLACE INTO conversations VALUES (?, ?, ?)",
                              (conversation_id, json.dumps(state), time.time()))

    def deliver(self, session_id: str, item_id: str, payload: dict[str, Any]) -> None:
        """Leave ``payload`` for the web session; delivering the same item again replaces it."""
        now = time.time()
        with self._lock:
            self._con.execute("DELETE FROM inbox WHERE created_at < ?", (now - self.ttl_seconds,))
            self._con.execute("INSERT OR REPLACE INTO inbox VALUES (?, ?, ?, ?)",
                              (session_id, item_id, json.dumps(payload), now))

    def collect(self, session_id: str, item_id: str) -> dict[str, Any] | None:
        """The payload left for the session under ``item_id``, if it is there and not expired."""
        with self._lock:
            row = self._con.execute("SELECT payload, created_at FROM inbox WHERE session_id = ? AND item_id = ?",
                                    (session_id, item_id)).fetchone()
        if not row or row[1] < time.time() - self.ttl_seconds:
            return None
        return json.loads(row[0])
