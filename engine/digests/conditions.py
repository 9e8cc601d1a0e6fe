"""When a digest posts: always, only when not empty, only when changed, or on a threshold.

Threshold alerts watch one measure column, on the single value or on every row (a row is named by
its other columns): above / below N, or increased / decreased by N or N % against the previous
run. An alert notifies once when a row starts meeting the condition and stays quiet while it
keeps meeting it; once the row clears, it is armed again. The state that needs (the previous
values, the rows firing, the last posted result's fingerprint) is the digest's ``memory``.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from engine.domain import ResultTable
from engine.errors import BotError
from engine.formatting import format_value

KINDS = ("always", "not_empty", "changed", "threshold")
OPS = ("above", "below", "increased_by", "decreased_by")
_OP_WORDS = {"above": "is above", "below": "is below", "increased_by": "increased by",
             "decreased_by": "decreased by"}


class ConditionError(BotError):
    """A condition that cannot be checked on this result (no such measure, nothing numeric)."""


@dataclass(frozen=True)
class Condition:
    kind: str = "always"
    op: str | None = None  # threshold: above | below | increased_by | decreased_by
    value: float | None = None  # in the column's own unit (a rate of 10 % is 0.10)
    percent: bool = False  # increased/decreased by N % rather than by N
    measure: str | None = None  # the column watched; None: the query's first measure column

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConditionError(f"Unknown condition \"{self.kind}\".")
        if self.kind == "threshold" and (self.op not in OPS or self.value is None or not math.isfinite(self.value)):
            raise ConditionError("A threshold needs above, below, increased by or decreased by, and a number.")

    def describe(self, formats: dict[str, str] | None = None) -> str:
        if self.kind == "always":
            return "every run"
        if self.kind == "not_empty":
            return "only when there are results"
        if self.kind == "changed":
            return "only when the result changed since the last post"
        return f"when {self.measure or 'the value'} {_OP_WORDS[str(self.op)]} {self.threshold_text(formats)}"

    def threshold_text(self, formats: dict[str, str] | None = None) -> str:
        assert self.value is not None
        if self.percent:
            return f"{self.value:g} %"
        fmt = (formats or {}).get(self.measure or "", "number")
        return format_value(self.value, fmt) if fmt != "number" else f"{self.value:,g}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "Condition":
        data = data or {}
        return cls(kind=str(data.get("kind") or "always"), op=data.get("op"),
                   value=float(data["value"]) if data.get("value") is not None else None,
                   percent=bool(data.get("percent")), measure=data.get("measure"))


@dataclass
class Verdict:
    """Whether to post, what to say about it, and the memory for the next run."""

    post: bool
    memory: dict[str, Any]
    reason: str = ""  # why it posts (an alert's headline) or why it stays quiet
    rows: list[str] = field(default_factory=list)  # the rows that started meeting a threshold


def fingerprint(table: ResultTable) -> str:
    """A digest of the result's columns and rows, to tell whether it changed."""
    body = json.dumps([table.columns, [[_plain(v) for v in row] for row in table.rows]], default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def _plain(value: Any) -> Any:
    return round(value, 9) if isinstance(value, float) else value


def measure_column(table: ResultTable, wanted: str | None, metrics: list[str]) -> str:
    """The column a threshold watches: the one named, else the query's first metric, else the
    last numeric column."""
    if wanted:
        if wanted in table.columns:
            return wanted
        raise ConditionError(f"The result has no column \"{wanted}\" to watch.")
    for name in metrics:
        if name in table.columns:
            return name
    for i in reversed(range(len(table.columns))):
        if table.rows and all(isinstance(r[i], (int, float)) or r[i] is None for r in table.rows):
            return table.columns[i]
    raise ConditionError("This result has no number to watch; a threshold alert needs one.")


def evaluate(condition: Condition, table: ResultTable, memory: dict[str, Any], metrics: list[str],
             formats: dict[str, str] | None = None) -> Verdict:
    """Decide one run. ``memory`` is what the previous runs left; it is not modified."""
    memory = dict(memory or {})
    if condition.kind == "always":
        return Verdict(True, memory)
    if condition.kind == "not_empty":
        if table.row_count == 0:
            return Verdict(False, memory, "the result is empty")
        return Verdict(True, memory)
    if condition.kind == "changed":
        mark = fingerprint(table)
        if memory.get("posted") == mark:
            return Verdict(False, memory, "the result is the same as at the last post")
        return Verdict(True, {**memory, "pending": mark})
    return _threshold(condition, table, memory, metrics, formats or {})


def after_post(verdict: Verdict) -> dict[str, Any]:
    """The memory to keep once a post went out (``changed`` remembers what was posted)."""
    memory = dict(verdict.memory)
    if "pending" in memory:
        memory["posted"] = memory.pop("pending")
    return memory


def _threshold(condition: Condition, table: ResultTable, memory: dict[str, Any], metrics: list[str],
               formats: dict[str, str]) -> Verdict:
    column = measure_column(table, condition.measure, metrics)
    index = table.columns.index(column)
    keys = [i for i in range(len(table.columns)) if i != index]
    previous: dict[str, float] = dict(memory.get("values") or {})
    firing_before = set(memory.get("firing") or [])
    values: dict[str, float] = {}
    meeting: list[str] = []
    fmt = formats.get(column, "number")
    shown: dict[str, str] = {}
    for row in table.rows:
        value = row[index]
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        key = " / ".join(format_value(row[i], formats.get(table.columns[i], "text")) for i in keys) or ""
        values[key] = float(value)
        if _meets(condition, float(value), previous.get(key)):
            meeting.append(key)
            change = ""
            if condition.op in ("increased_by", "decreased_by") and key in previous:
                change = f" (from {format_value(previous[key], fmt)})"
            shown[key] = f"{key + ': ' if key else ''}{format_value(value, fmt)}{change}"
    started = [k for k in meeting if k not in firing_before]
    memory = {**memory, "values": values, "firing": sorted(meeting)}
    if not started:
        reason = "the condition still holds (already notified)" if meeting else "the condition is not met"
        return Verdict(False, memory, reason)
    label = condition.measure or column
    headline = (f"Alert: {label} {_OP_WORDS[str(condition.op)]} "
                f"{condition.threshold_text({label: fmt, **formats})}: " + "; ".join(shown[k] for k in started[:10]))
    if len(started) > 10:
        headline += f"; and {len(started) - 10} more"
    return Verdict(True, memory, headline, started)


def _meets(condition: Condition, value: float, before: float | None) -> bool:
    target = float(condition.value or 0.0)
    if condition.op == "above":
        return value > target
    if condition.op == "below":
        return value < target
    if before is None:
        return False  # nothing to compare with on the first run
    change = value - before
    if condition.percent:
        if before == 0:
            return False
        change = change / abs(before) * 100
    return change >= target if condition.op == "increased_by" else -change >= target
