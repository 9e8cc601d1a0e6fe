"""Local state on SQLite: finished job ids (idempotency) and per-thread conversation state."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from adapters.local.sqlite_queue import connect

_SCHEMA = """
CREATE TABLE IF NOT EXISTS processed_jobs (
    job_id     TEXT PRIMARY KEY,
    status     TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS conversations (
    conversation_id TEXT PRIMARY KEY,
    state           TEXT NOT NULL,
    updated_at      REAL NOT NULL
);
"""


class _SQLiteState:
    def __init__(self, path: str | Path) -> None:
        self._con = connect(path)
        self._lock = threading.Lock()
        with self._lock:
            self._con.executescript(_SCHEMA)


class SQLiteProcessedJobs(_SQLiteState):
    """ProcessedJobs port: a job is claimed while in progress (with a lease) and marked done after."""

    def __init__(self, path: str | Path, lease_seconds: float = 300,
                 keep_seconds: float = 7 * 24 * 3600) -> None:
        super().__init__(path)
        self.lease_seconds = lease_seconds
        self.keep_seconds = keep_seconds

    def claim(self, job_id: str) -> bool:
        now = time.time()
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                row = self._con.execute("SELECT status, expires_at FROM processed_jobs WHERE job_id = ?",
                                        (job_id,)).fetchone()
                if row and row[1] > now:
                    self._con.execute("COMMIT")
                    return False
                self._con.execute("INSERT OR REPLACE INTO processed_jobs VALUES (?, 'in_progress', ?)",
                                  (job_id, now + self.lease_seconds))
                self._con.execute("COMMIT")
                return True
            except BaseException:
                self._con.execute("ROLLBACK")
                raise

    def finish(self, job_id: str) -> None:
        with self._lock:
            self._con.execute("INSERT OR REPLACE INTO processed_jobs VALUES (?, 'done', ?)",
                              (job_id, time.time() + self.keep_seconds))

    def release(self, job_id: str) -> None:
        with self._lock:
            self._con.execute("DELETE FROM processed_jobs WHERE job_id = ? AND status = 'in_progress'",
                              (job_id,))


class SQLiteConversationStore(_SQLiteState):
    """ConversationStore port: the last understood query of each thread, expiring after a TTL."""

    def __init__(self, path: str | Path, ttl_seconds: float = 7 * 24 * 3600) -> None:
        super().__init__(path)
        self.ttl_seconds = ttl_seconds

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
