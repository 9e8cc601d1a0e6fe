"""FeedbackStore on SQLite (the local state file): votes and flags, newest first."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from adapters.local.sqlite_queue import connect
from engine.answers.feedback import Feedback

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id         TEXT PRIMARY KEY,
    review     INTEGER NOT NULL,
    at         REAL NOT NULL,
    item       TEXT NOT NULL
)
"""


class SQLiteFeedbackStore:
    def __init__(self, path: str | Path) -> None:
        self._con = connect(path)
        self._lock = threading.Lock()
        with self._lock:
            self._con.execute(_SCHEMA)

    def add(self, item: Feedback) -> None:
        """Store a vote or flag; the same person's later vote on the same answer replaces it."""
        with self._lock:
            self._con.execute("INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?)",
                              (item.id, int(item.for_review), item.at, json.dumps(item.to_dict())))

    def list(self, review_only: bool = False, limit: int = 100) -> list[Feedback]:
        where = "WHERE review = 1 " if review_only else ""
        with self._lock:
            rows = self._con.execute(f"SELECT item FROM feedback {where}ORDER BY at DESC LIMIT ?",  # noqa: S608
                                     (limit,)).fetchall()
        return [Feedback.from_dict(json.loads(r[0])) for r in rows]
