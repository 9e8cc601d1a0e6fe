"""Platform-free domain types shared by the engine, the adapters and the bot."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["answered", "clarify", "refused", "error"]


@dataclass(frozen=True)
class Principal:
    """Who asks: resolved identity, groups and the IAM role their queries run as.

    ``allowed_tables`` of ``None`` means every table in the catalog (the embedded default).
    """

    user_id: str
    email: str
    groups: tuple[str, ...] = ()
    role_arn: str | None = None
    allowed_tables: frozenset[str] | None = None

    def may_read(self, table: str) -> bool:
        return self.allowed_tables is None or table.lower() in self.allowed_tables


LOCAL_ANALYST = Principal(user_id="local", email="analyst@localhost", groups=("analysts",))


@dataclass(frozen=True)
class ReplyTarget:
    """Where an answer goes: a platform, a channel or conversation, and a thread within it."""

    platform: str
    channel: str
    thread: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DateRange:
    """An inclusive range of calendar days, with the words it came from."""

    start: dt.date
    end: dt.date
    label: str

    def describe(self) -> str:
        if self.start == self.end:
            return _fmt(self.start)
        return f"{_fmt(self.start)} - {_fmt(self.end)}"


def _fmt(day: dt.date) -> str:
    return f"{day.day} {day.strftime('%b')} {day.year}"


@dataclass
class ResultTable:
    """Rows of a query result, with column names and Athena-style type names."""

    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool = False

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> list[Any]:
        i = self.columns.index(name)
        return [r[i] for r in self.rows]


@dataclass(frozen=True)
class ChartHints:
    """What a result's columns mean, from the question, so a chart draws what was asked.

    Built by the engine (``engine/chart_hints.py``); the charts package reads only this and the table.
    """

    listing: bool = False  # rows of an entity (orders, tickets): a table, never a chart
    time: str | None = None  # the column holding period starts
    grain: str | None = None  # day | week | month | quarter | year
    periods: tuple[str, ...] = ()  # compared periods in the order asked (the ``period`` column)
    measures: tuple[str, ...] = ()  # metric columns in the order asked
    dimensions: tuple[str, ...] = ()  # breakdown columns
    share: str | None = None  # the share-of-total column
    growth: str | None = None  # the change-vs-previous column
    highlight: tuple[str, ...] = ()  # the values a share question named
    averages: tuple[str, ...] = ()  # averages and rates: never stacked, and an axis may start above zero
    ranked: bool = False  # the question asked for an order (top N, lowest first): keep the rows' order


@dataclass
class Answer:
    """What the bot says back: platform-free; each chat adapter only renders it."""

    status: Status
    question: str
    message: str
    sql: str | None = None
    table: ResultTable | None = None
    chart_png: bytes | None = None
    chart_kind: str | None = None
    column_labels: dict[str, str] = field(default_factory=dict)
    column_formats: dict[str, str] = field(default_factory=dict)
    options: list[str] = field(default_factory=list)
    elapsed_ms: float | None = None
    footer: str | None = None  # e.g. data scanned and its cost
    download_url: str | None = None  # the full result as CSV, when the table was truncated
    answer_id: str | None = None  # the job's id: a repeated answer carries the same one, so posters update
    verified_by: str | None = None  # the steward of the verified question it was answered from ("✓ Verified by ...")
    query: dict[str, Any] | None = None  # the semantic query it ran (as a dict), when there is one
    dashboard_url: str | None = None  # this answer's own QuickSight dashboard (a reply to "Open in QuickSight")
    private_to: str | None = None  # a platform user id: only they should see it (posted ephemerally where possible)
    # what scheduling this answer saves: {"query": the semantic query, "as_of": the date it was read for}
    saved: dict[str, Any] | None = None
