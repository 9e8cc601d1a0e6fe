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
    """A received message. ``visible_until`` (epoch seconds, 0 if unknown) is when the queue hands
    it out again unless its visibility is extended: no lease taken for it may last longer."""

    message_id: str
    receipt_handle: str
    body: str
    receive_count: int
    attributes: dict[str, str] = field(default_factory=dict)
    visible_until: float = 0.0


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


class ChartPoster(ReplyPoster, Protocol):
    """A poster that can add the chart to an answer it already posted: the worker posts the text as
    soon as the rows are back, draws the chart, then calls ``post_chart`` (the same answer, now with
    ``chart_png``), which updates the same message. Like ``post`` it must be safe to repeat.

    A poster may also say per target whether it takes the chart later (``chart_later(target)``,
    e.g. a router whose platforms differ); without that method, having ``post_chart`` means yes."""

    def post_chart(self, target: ReplyTarget, answer: Answer) -> None: ...


def chart_later(poster: ReplyPoster, target: ReplyTarget) -> bool:
    """Whether ``poster`` takes the chart after the text for ``target``."""
    ask = getattr(poster, "chart_later", None)
    if callable(ask):
        return bool(ask(target))
    return callable(getattr(poster, "post_chart", None))


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


@dataclass(frozen=True)
class Lease:
    """Who holds a step (a worker, for one queue message) and until when (epoch seconds).

    A lease is never longer than the message's visibility, so when a crashed worker's message
    comes back its lease has already expired and the next worker takes the step over.
    """

    worker: str
    message_id: str
    until: float

    @property
    def owner(self) -> str:
        return f"{self.worker}/{self.message_id}"


class AlreadyInProgress(Exception):
    """A live lease of another holder covers this step; ``owner`` is ``<worker>/<message id>``."""

    def __init__(self, key: str, owner: str = "", until: float = 0.0) -> None:
        super().__init__(f"{key} is held by {owner or 'another worker'} until {until:.0f}")
        self.key, self.owner, self.until = key, owner, until

    @property
    def message_id(self) -> str:
        """The message the holder works for ('' if unknown)."""
        return self.owner.rsplit("/", 1)[1] if "/" in self.owner else ""


class IdempotentRunner(Protocol):
    """Runs a step at most once per key, under a lease.

    A finished step's result is kept: a repeat returns it without running. A step in progress
    under a live lease of another owner raises AlreadyInProgress; an expired lease (its holder
    stopped renewing it: crashed, killed, or cut off) is taken over. A step that raises releases
    its lease, so a retry runs it again.
    """

    def run(self, key: str, step: Callable[[], dict[str, Any]], lease: Lease) -> dict[str, Any]: ...

    def extend(self, key: str, lease: Lease) -> bool:
        """Move the lease's expiry to ``lease.until``; False when it is no longer this owner's."""
        ...


class Observer(Protocol):
    """Logs, metrics and traces for the worker (Powertools on AWS, plain logging locally)."""

    def job_started(self, job_id: str) -> None: ...

    def stage(self, name: str) -> AbstractContextManager[None]: ...

    def answered(self, status: str, latency_ms: float, query_ms: float | None,
                 bytes_scanned: int | None) -> None: ...
