"""Derived measures: what the model does not define but a question builds from what it does.

- percentiles and the median ("median order value", "p90 resolution time", "90th percentile of
  csat") and the average of an entity's measure per row ("avg items per order");
- a ratio of two metrics: "X per Y" where Y is a metric ("revenue per buyer"), "average X per Y"
  where Y is an entity (divided by the count of Y in X's data), "X %" ("margin %": X as a
  percentage of the model's default metric; "return %": the model's own return rate), "X / Y",
  "ratio of X to Y";
- counts over a condition: "how many customers ordered 3+ times", "repeat customers" (two or
  more), "how many accounts have an overdue invoice" count the entity's keys that meet it.

The grammar part (``find_derived``) claims the words; ``Derivation`` resolves them against the
model once the metrics are known. A derived word that finds nothing to apply to is asked about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlglot import exp

from engine.errors import NeedsClarification
from engine.language.conditions import NumericCondition
from engine.language.mentions import Mention
from engine.language.reading import Reading
from engine.semantic_model import SemanticModel

_PERCENTILE = re.compile(r"\bmedian\b|\bp(\d{2})\b|\b(\d{1,2})(?:st|nd|rd|th)\s+percentile(?:\s+of)?\b|"
                         r"\bpercentile\s+(\d{1,2})(?:\s+of)?\b")
_PERCENT = re.compile(r"(?<![\w%])%|\bpercent(?:age)?\b|\bpct\b")
_RATIO = re.compile(r"\bratio\s+of\b|\bratio\b|(?<=\s)/(?=\s)")
# "ordered 3+ times", "at least 3 times", "more than once", "twice": the count of events
_TIMES = re.compile(r"\btimes?\b")
_REPEAT = re.compile(r"\brepeat(?:ed)?\s+(?=\w)")


@dataclass
class DerivedWords:
    """The derived-measure words a question used, and where."""

    percentile: float | None = None
    percent: list[tuple[int, int]] = field(default_factory=list)  # "%", "percent" spans
    ratio: bool = False  # "ratio", "/"
    times: list[int] = field(default_factory=list)  # conditions that count events ("3+ times")
    repeat: tuple[int, int] | None = None  # span of "repeat" in "repeat customers"
    rates: list[tuple[int, int]] = field(default_factory=list)  # "rate" no metric's name took


def find_derived(reading: Reading, conditions: list[NumericCondition]) -> DerivedWords:
    """Claim the words of derived measures in ``reading`` ("times" after a condition)."""
    found = DerivedWords()
    m = _PERCENTILE.search(reading.text)
    if m:
        digits = m[1] or m[2] or m[3]
        found.percentile = int(digits) / 100 if digits else 0.5
        if found.percentile <= 0 or found.percentile >= 1:
            raise NeedsClarification(f"\"{m[0]}\" is not a percentile I can compute; ask for one "
                                     "between the 1st and the 99th, or the median.")
        reading.claim(m.start(), m.end(), "derived")
    for m in _PERCENT.finditer(reading.text):
        found.percent.append((m.start(), m.end()))
        reading.claim(m.start(), m.end(), "derived")
    for m in _RATIO.finditer(reading.text):
        found.ratio = True
        reading.claim(m.start(), m.end(), "derived")
    for m in _TIMES.finditer(reading.text):
        for i, cond in enumerate(conditions):
            if cond.end <= m.start() and not reading.source[cond.end:m.start()].strip("+ "):
                found.times.append(i)
                reading.claim(m.start(), m.end(), "condition")
    m = _REPEAT.search(reading.text)
    if m:
        found.repeat = (m.start(), m.end())
        reading.claim(m.start(), m.end(), "derived")
    return found


def rate_metric(model: SemanticModel, metric: str) -> str | None:
    """"return %": the model's percentage metric named like ``metric`` (return rate of returns)."""
    words = {w.rstrip("s") for w in model.metrics[metric].label.lower().split() + [metric]}
    for name, candidate in model.metrics.items():
        if name != metric and candidate.format == "percent":
            own = {w.rstrip("s") for w in candidate.label.lower().split() + name.split("_")} - {"rate"}
            if own & words:
                return name
    return None


def count_of_entity(model: SemanticModel, metric: str, entity: str) -> str | None:
    """The model metric counting ``entity``'s key in ``metric``'s data ("buyers": distinct
    customer ids of orders), for "average revenue per customer"."""
    key = model.entities[entity].key
    roots = set(model.metrics[metric].roots)
    for name, candidate in model.metrics.items():
        expression = candidate.expression
        if isinstance(expression, exp.Count) and roots & set(candidate.roots):
            columns = list(expression.find_all(exp.Column))
            if len(columns) == 1 and columns[0].name == key.column and \
                    candidate.filter_sql in (None, model.metrics[metric].filter_sql):
                return name
    return None


def activity_of(model: SemanticModel, entity: str) -> str | None:
    """The metric counting an entity as active (buyers: customers with a completed order), the
    sense of "repeat customers"."""
    key = model.entities[entity].key
    for name, candidate in model.metrics.items():
        columns = list(candidate.expression.find_all(exp.Column))
        if isinstance(candidate.expression, exp.Count) and len(columns) == 1 and \
                columns[0].name == key.column and columns[0].table != key.table and \
                candidate.filter_expression is not None:
            return name
    return None


def events_of(model: SemanticModel, entity: str, counted_metric: str | None) -> str | None:
    """The metric counting an entity's events ("orders" of a customer): a distinct count of
    another table's key on the table that also holds the entity's key (``counted_metric`` is
    the entity's own count there, e.g. buyers, whose filter it keeps)."""
    key = model.entities[entity].key
    scope = model.metrics[counted_metric] if counted_metric else None
    for name, candidate in model.metrics.items():
        expression = candidate.expression
        if not isinstance(expression, exp.Count) or name == counted_metric:
            continue
        columns = list(expression.find_all(exp.Column))
        if len(columns) != 1 or columns[0].name == key.column:
            continue
        table = columns[0].table
        if not any(j.left == table and j.right == key.table and j.left_column == key.column
                   for j in model.joins):
            continue
        if scope is None or candidate.filter_sql in (None, scope.filter_sql):
            return name
    return None


def mention_after(mentions: list[Mention], end: int, kinds: set[str], gap: int = 2,
                  source: str = "") -> Mention | None:
    """The first mention of one of ``kinds`` starting within ``gap`` words after ``end``."""
    for m in mentions:
        if m.chars[0] >= end and any(s.kind in kinds for s in m.senses):
            between = source[end:m.chars[0]].split() if source else []
            return m if len(between) <= gap else None
    return None
