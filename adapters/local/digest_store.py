"""DigestStore on SQLite: one row per digest (the record as JSON), with its state, owner and next
run in indexed columns, so finding the due ones among thousands is one index range scan."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from adapters.local.sqlite_queue import connect
from engine.digests.model import Digest
from engine.digests.schedule import iso_utc

_SCHEMA = """
CREATE TABLE IF NOT EXISTS digests (
    digest_id   TEXT PRIMARY KEY,
    owner_email TEXT NOT NULL,
    state       TEXT NOT NULL,
    next_run    TEXT,
    record      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS digests_due ON digests (next_run) WHERE state != 'paused';
CREATE INDEX IF NOT EXISTS digests_owner ON digests (owner_email);
"""


class SQLiteDigestStore:
    def __init__(self, path: str | Path) -> None:
        self._con = connect(path)
        self._lock = threading.Lock()
        with self._lock:
            self._con.executescript(_SCHEMA)

    def put(self, digest: Digest) -> None:
        with self._lock:
            self._con.execute("INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?)", _row(digest))

    def get(self, digest_id: str) -> Digest | None:
        with self._lock:
            row = self._con.execute("SELECT record FROM digests WHERE digest_id = ?", (digest_id,)).fetchone()
        return Digest.from_dict(json.loads(row[0])) if row else None

    def delete(self, digest_id: str) -> None:
        with self._lock:
            self._con.execute("DELETE FROM digests WHERE digest_id = ?", (digest_id,))

    def update(self, digest_id: str, changes: dict[str, Any]) -> Digest | None:
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                row = self._con.execute("SELECT record FROM digests WHERE digest_id = ?", (digest_id,)).fetchone()
                if row is None:
                    self._con.execute("COMMIT")
                    return None
                digest = Digest.from_dict({**json.loads(row[0]), **changes})
                self._con.execute("INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?)", _row(digest))
                self._con.execute("COMMIT")
            except sqlite3.Error:
                self._con.execute("ROLLBACK")
                raise
        return digest

    def list(self, owner_email: str | None = None) -> list[Digest]:
        with self._lock:
            if owner_email is None:
                rows = self._con.execute("SELECT record FROM digests").fetchall()
            else:
                rows = self._con.execute("SELECT record FROM digests WHERE owner_email = ?",
                                         (owner_email.lower(),)).fetchall()
        return [Digest.from_dict(json.loads(r[0])) for r in rows]

    def due(self, now: dt.datetime, limit: int = 500) -> list[Digest]:
        with self._lock:
            rows = self._con.execute(
                "SELECT record FROM digests WHERE state != 'paused' AND next_run IS NOT NULL AND next_run <= ? "
                "ORDER BY next_run LIMIT ?", (iso_utc(now), limit)).fetchall()
        return [Digest.from_dict(json.loads(r[0])) for r in rows]

    def advance(self, digest_id: str, expected_next: str, new_next: str) -> bool:
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                row = self._con.execute("SELECT record FROM digests WHERE digest_id = ? AND next_run = ?",
                                        (digest_id, expected_next)).fetchone()
                if row is None:
                    self._con.execute("COMMIT")
                    return False
                digest = Digest.from_dict({**json.loads(row[0]), "next_run": new_next})
                self._con.execute("INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?)", _row(digest))
                self._con.execute("COMMIT")
            except sqlite3.Error:
                self._con.execute("ROLLBACK")
                raise
        return True


def _row(digest: Digest) -> tuple[str, str, str, str | None, str]:
    return (digest.digest_id, digest.owner.email.lower(), digest.state, digest.next_run,
            json.dumps(digest.to_dict()))
