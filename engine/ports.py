"""Ports: the small interfaces the engine needs from the outside world.

Adapters implement them (``adapters/local`` for the embedded default, ``adapters/aws`` for
production); ``bot/bootstrap.py`` is the only place that chooses which.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.domain import Answer, Principal, ReplyTarget, ResultTable


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str  # Athena type name, lower case: bigint, varchar, decimal(10,2), timestamp, ...
    comment: str = ""


@dataclass(frozen=True)
class TableInfo:
    database: str
    name: str
    columns: tuple[ColumnInfo, ...]
    partition_keys: tuple[str, ...] = ()
    location: str = ""

    @property
    def qualified_name(self) -> str:
        return f"{self.database}.{self.name}"


class Catalog(Protocol):
    """Which tables exist, with their columns, types and partition keys."""

    def tables(self) -> list[TableInfo]: ...


def schema_of(catalog: Catalog) -> dict[str, dict[str, dict[str, str]]]:
    """The catalog as sqlglot wants a schema: ``{database: {table: {column: type}}}``."""
    schema: dict[str, dict[str, dict[str, str]]] = {}
    for table in catalog.tables():
        schema.setdefault(table.database, {})[table.name] = {c.name: c.type for c in table.columns}
    return schema


class Executor(Protocol):
    """Runs one guarded Athena SELECT and returns its rows."""

    def execute(self, athena_sql: str, principal: Principal, max_rows: int) -> ResultTable: ...


@dataclass
class QueueMessage:
    message_id: str
    receipt_handle: str
    body: str
    receive_count: int
    attributes: dict[str, str] = field(default_factory=dict)


class Queue(Protocol):
    """An at-least-once message queue with visibility timeouts and a dead-letter queue."""

    def send(self, body: str, delay_seconds: int = 0,
             attributes: dict[str, str] | None = None) -> str: ...

    def receive(self, max_messages: int = 1, wait_seconds: float = 0,
                visibility_timeout: int | None = None) -> list[QueueMessage]: ...

    def delete(self, receipt_handle: str) -> None: ...

    def change_visibility(self, receipt_handle: str, timeout_seconds: int) -> None: ...


class ReplyPoster(Protocol):
    """Delivers an Answer to a reply target (a Slack thread, a Teams conversation, a terminal)."""

    def post(self, target: ReplyTarget, answer: Answer) -> None: ...


class ProcessedJobs(Protocol):
    """Remembers finished job ids so a redelivered job never answers twice."""

    def claim(self, job_id: str) -> bool:
        """True if this job was not finished before (the caller should do it)."""
        ...

    def finish(self, job_id: str) -> None: ...

    def release(self, job_id: str) -> None: ...


class ConversationStore(Protocol):
    """Per-thread state, so follow-up questions can refine the previous one."""

    def load(self, conversation_id: str) -> dict[str, Any] | None: ...

    def save(self, conversation_id: str, state: dict[str, Any]) -> None: ...


class IdentityResolver(Protocol):
    """Maps a chat user to a Principal, or raises Refused for unknown users."""

    def resolve(self, platform: str, user_id: str, email: str | None = None) -> Principal: ...
