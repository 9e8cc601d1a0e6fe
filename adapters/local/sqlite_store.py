"""Local state on SQLite: idempotent job steps and per-thread conversation state."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters.local.sqlite_queue import connect
from engine.ports import AlreadyInProgress, Lease

log = logging.getLogger(__name__)

# expires_at: the lease's expiry while in_progress, the end of retention once done
_SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency (
    key        TEXT PRIMARY KEY,
    status     TEXT NOT NULL,
    expires_at REAL NOT NULL,
    result     TEXT,
    owner      TEXT
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

    A step in progress holds a lease (owner and expiry, both from the caller); another owner
    asking for the key meanwhile gets AlreadyInProgress, and once the lease has expired (its
    holder stopped renewing it) the next asker takes the step over. A step that raises releases
    its key, so a retry runs it again.
    """

    def __init__(self, path: str | Path, keep_seconds: float = 7 * 24 * 3600) -> None:
        super().__init__(path)
        self.keep_seconds = keep_seconds
        with self._lock:  # state files from before leases had owners
            columns = {row[1] for row in self._con.execute("PRAGMA table_info(idempotency)")}
            if "owner" not in columns:
                try:
                    self._con.execute("ALTER TABLE idempotency ADD COLUMN owner TEXT")
                except sqlite3.OperationalError:  # another process added it first
                    pass

    def run(self, key: str, step: Callable[[], dict[str, Any]], lease: Lease) -> dict[str, Any]:
        now = time.time()
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                row = self._con.execute("SELECT status, expires_at, result, owner FROM idempotency WHERE key = ?",
                                        (key,)).fetchone()
                if row and row[0] == "done" and row[1] > now:
                    self._con.execute("COMMIT")
                    return json.loads(row[2])
                if row and row[0] == "in_progress" and row[1] > now and row[3] != lease.owner:
                    self._con.execute("COMMIT")
                    raise AlreadyInProgress(key, row[3] or "", row[1])
                if row and row[0] == "in_progress" and row[3] != lease.owner:
                    log.warning("taking over %s from %s (lease expired %.1f s ago)", key, row[3], now - row[1])
                self._con.execute("INSERT OR REPLACE INTO idempotency VALUES (?, 'in_progress', ?, NULL, ?)",
                                  (key, lease.until, lease.owner))
                self._con.execute("COMMIT")
            except sqlite3.Error:
                self._con.execute("ROLLBACK")
                raise
        try:
            result = step()
        except BaseException:
            with self._lock:
                self._con.execute("DELETE FROM idempotency WHERE key = ? AND status = 'in_progress' AND owner = ?",
                                  (key, lease.owner))
            raise
        with self._lock:  # done, whoever holds the lease now: the step did complete
            self._con.execute("INSERT OR REPLACE INTO idempotency VALUES (?, 'done', ?, ?, ?)",
                              (key, time.time() + self.keep_seconds, json.dumps(result), lease.owner))
        return result

    def extend(self, key: str, lease: Lease) -> bool:
        with self._lock:
            cursor = self._con.execute("UPDATE idempotency SET expires_at = ? WHERE key = ? AND "
                                       "status = 'in_progress' AND owner = ?", (lease.until, key, lease.owner))
        return cursor.rowcount == 1


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
