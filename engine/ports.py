"""Ports: the small interfaces the engine needs from the outside world.

Adapters implement them (``adapters/local`` for the embedded default, ``adapters/aws`` for
production); ``bot/bootstrap.py`` is the only place that chooses which.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from engine.domain import Answer, Principal, ReplyTarget, ResultTable

if TYPE_CHECKING:
    from engine.guard import GuardedQuery


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
    """Runs one guarded Athena SELECT and returns its rows.

    The engine hands over the GuardedQuery (its checked, qualified tree: no second parse);
    Athena SQL text is accepted too, from trusted callers (the values query, tests, tools).
    """

    def execute(self, query: GuardedQuery | str, principal: Principal, max_rows: int) -> ResultTable: ...


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


class ConversationStore(Protocol):
    """Per-thread state, so follow-up questions can refine the previous one."""

    def load(self, conversation_id: str) -> dict[str, Any] | None: ...

    def save(self, conversation_id: str, state: dict[str, Any]) -> None: ...


class IdentityResolver(Protocol):
    """Maps a chat user to a Principal, or raises Refused for unknown users."""

    def resolve(self, platform: str, user_id: str, email: str | None = None) -> Principal: ...


@dataclass(frozen=True)
class QueryState:
    """Where an asynchronous query is: QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED."""

    state: str
    reason: str = ""
    bytes_scanned: int = 0
    engine_ms: int = 0
    reused: bool = False
    output_location: str = ""

    @property
    def finished(self) -> bool:
        return self.state in ("SUCCEEDED", "FAILED", "CANCELLED")


class AsyncExecutor(Protocol):
    """An engine that runs queries asynchronously (Athena): start now, finish on an event."""

    asynchronous: bool  # True

    def start(self, athena_sql: str, principal: Principal, token: str) -> str: ...

    def status(self, execution_id: str, principal: Principal) -> QueryState: ...

    def fetch(self, execution_id: str, principal: Principal, max_rows: int,
              output_location: str = "") -> tuple[ResultTable, str | None]:
        """The result (truncated to ``max_rows``) and a download link to the full CSV, if any.

        ``output_location`` from the status saves looking the query up again."""
        ...

    def stop(self, execution_id: str, principal: Principal) -> None: ...


class PendingQueries(Protocol):
    """Jobs waiting for their query to finish, by query execution id."""

    def save(self, execution_id: str, record: dict[str, Any]) -> None: ...

    def get(self, execution_id: str) -> dict[str, Any] | None: ...

    def delete(self, execution_id: str) -> None: ...


class AlreadyInProgress(Exception):
    """Another worker is doing this step right now; try again later."""


class IdempotentRunner(Protocol):
    """Runs a step at most once per key; a repeat returns the first run's result without running."""

    def run(self, key: str, step: Callable[[], dict[str, Any]]) -> dict[str, Any]: ...


class Observer(Protocol):
    """Logs, metrics and traces for the worker (Powertools on AWS, plain logging locally)."""

    def job_started(self, job_id: str) -> None: ...

    def stage(self, name: str) -> AbstractContextManager[None]: ...

    def answered(self, status: str, latency_ms: float, query_ms: float | None,
                 bytes_scanned: int | None) -> None: ...
