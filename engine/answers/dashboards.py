"""An answer opened in QuickSight: the port, and which template fits the answer.

The bot's dashboards come from three templates, one per chart the bot draws: ``line`` (a date
column, a measure, optionally one series), ``bar`` (a category, a measure, optionally a series)
and ``table`` (anything else: up to TABLE_COLUMNS columns, as text). A template's visual reads
fixed field names, so the dataset renames the answer's columns to them (``period``, ``category``,
``series``, ``value``; ``column_1``...); the SQL itself stays the answer's guarded SQL.

QuickSight binds a dashboard only to a dataset with the template's whole schema, names and types
(TEMPLATE_SCHEMA, which the stack's templates in deploy/template.yaml declare): a field the answer
has no column for is filled with a constant (``Layout.fillers``), and a column of another type is
cast to the template's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from engine.answers.records import AnswerRecord
from engine.domain import Principal
from engine.errors import BotError

TABLE_COLUMNS = 8
# template -> its dataset's columns, in order, with QuickSight's types
TEMPLATE_SCHEMA: dict[str, tuple[tuple[str, str], ...]] = {
    "line": (("period", "DATETIME"), ("value", "DECIMAL"), ("series", "STRING")),
    "bar": (("category", "STRING"), ("value", "DECIMAL"), ("series", "STRING")),
    "table": tuple((f"column_{i}", "STRING") for i in range(1, TABLE_COLUMNS + 1)),
}
_NUMERIC = ("bigint", "integer", "int", "smallint", "tinyint", "double", "real", "float", "decimal")
_TIME = ("date", "timestamp")


class DashboardUnavailable(BotError):
    """QuickSight could not make or find the dashboard; the message says what to do."""


@dataclass(frozen=True)
class DashboardLink:
    url: str
    dashboard_id: str
    reused: bool = False  # the same person opened the same answer before
    private: bool = False  # the link signs its holder in (an embed route): show it to the asker only


@dataclass(frozen=True)
class Layout:
    """Which template, and which answer column feeds each of its fields."""

    template: str  # "line" | "bar" | "table"
    fields: dict[str, str]  # template field -> answer column

    def fillers(self) -> dict[str, str]:
        """The template's fields no answer column feeds, with the constant that fills each: a
        chart without a series gets one named after its measure (its legend then says what is
        measured), a narrow table empty columns."""
        return {name: self.fields["value"] if name == "series" else ""
                for name, _ in TEMPLATE_SCHEMA[self.template] if name not in self.fields}


class DashboardPublisher(Protocol):
    """Makes (or finds) the QuickSight dashboard of one answer for one person."""

    def publish(self, record: AnswerRecord, principal: Principal) -> DashboardLink: ...


def layout(columns: list[str], types: list[str], chart_kind: str | None) -> Layout:
    """The template matching the chart the bot chose, with the columns feeding its fields."""
    numeric = [c for c, t in zip(columns, types) if t.lower().startswith(_NUMERIC)]
    others = [(c, t) for c, t in zip(columns, types) if not t.lower().startswith(_NUMERIC)]
    if chart_kind and numeric and others:
        x, x_type = others[0]
        series = others[1][0] if len(others) > 1 else None
        # the bot's chart shapes (charts/choose.py) as QuickSight's two templates
        chart_kind = {"overlay": "line", "panels": "line", "change": "line", "grouped": "bar", "stacked": "bar",
                      "dots": "bar"}.get(chart_kind, chart_kind)
        if chart_kind == "line" and not x_type.lower().startswith(_TIME):
            chart_kind = "bar"  # panels or changes over categories
        if chart_kind == "line" and x_type.lower().startswith(_TIME):
            return Layout("line", {"period": x, "value": numeric[0], **({"series": series} if series else {})})
        if chart_kind in ("bar", "hbar"):
            if x == "period" and series:  # compared periods by a category: bars per category, a colour per period
                x, series = series, "period"
            return Layout("bar", {"category": x, "value": numeric[0], **({"series": series} if series else {})})
    return Layout("table", {f"column_{i + 1}": c for i, c in enumerate(columns[:TABLE_COLUMNS])})
