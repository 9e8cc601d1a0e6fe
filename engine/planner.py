"""The LLM planner port: for questions the rules cannot read with confidence.

A planner gets the question, the semantic model, the catalog tables and the thread context, and
answers with a structured semantic query (preferred), SQL for questions outside the model, or a
clarifying question. Whatever it returns is checked here and by the same SQL guard as every
other query: a planner is never trusted, only used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from engine.domain import DateRange
from engine.semantic_model import SemanticModel
from engine.semantic_query import Condition, SemanticQuery, ValueFilter
from engine.language.timeparse import GRAINS

MAX_REPAIRS = 2


class PlannerRejected(Exception):
    """A planner reply that cannot be used; the message goes back to the planner for a repair."""


@dataclass
class PlanRequest:
    question: str
    as_of: dt.date
    model_context: str  # metrics, dimensions, values: what the data team defined
    schema_context: str  # the catalog tables the asker may read
    thread: dict[str, Any] | None = None  # the previous semantic query of the thread
    feedback: list[str] = field(default_factory=list)  # why earlier replies were rejected


@dataclass
class PlannerReply:
    kind: Literal["query", "sql", "clarify"]
    query: dict[str, Any] | None = None
    sql: str | None = None
    message: str = ""
    options: list[str] = field(default_factory=list)


class Planner(Protocol):
    def plan(self, request: PlanRequest) -> PlannerReply: ...


def model_context(model: SemanticModel, values: dict[str, list[str]], max_values: int = 30) -> str:
    """The semantic model as the planner reads it: names, labels, synonyms, definitions, values."""
    lines = [f"Semantic model {model.name}: {model.description}", "Metrics:"]
    for m in model.metrics.values():
        time = f"; dated by {m.time}" if m.time else ""
        lines.append(f"- {m.name}: {m.label} = {m.sql}"
                     f"{' where ' + m.filter_sql if m.filter_sql else ''}{time}; synonyms: "
                     f"{', '.join(m.synonyms)}")
    lines.append("Dimensions:")
    for d in model.dimensions.values():
        known = values.get(d.name) or []
        shown = f"; values: {', '.join(known[:max_values])}" if known else ""
        lines.append(f"- {d.name}: {d.label} ({d.column}); synonyms: {', '.join(d.synonyms)}{shown}")
    return "\n".join(lines)


def query_schema(model: SemanticModel) -> dict[str, Any]:
    """JSON schema of a semantic query for this model (the planner's tool input)."""
    period = {"type": "object", "properties": {"start": {"type": "string", "format": "date"},
                                               "end": {"type": "string", "format": "date"}},
              "required": ["start", "end"]}
    return {
        "type": "object",
        "properties": {
            "metrics": {"type": "array", "items": {"type": "string", "enum": list(model.metrics)},
                        "minItems": 1},
            "dimensions": {"type": "array", "items": {"type": "string", "enum": list(model.dimensions)}},
            "filters": {"type": "array", "items": {"type": "object", "properties": {
                "dimension": {"type": "string", "enum": list(model.dimensions)},
                "values": {"type": "array", "items": {"type": "string"}},
                "negate": {"type": "boolean"}}, "required": ["dimension", "values"]}},
            "time_range": period,
            "compare": {"type": "array", "items": period},
            "grain": {"type": "string", "enum": list(GRAINS)},
            "order": {"type": "string", "enum": ["asc", "desc"]},
            "limit": {"type": "integer", "minimum": 1},
            "conditions": {"type": "array", "items": {"type": "object", "properties": {
                "metric": {"type": "string", "enum": list(model.metrics)},
                "op": {"type": "string", "enum": [">", ">=", "<", "<=", "=", "between"]},
                "value": {"type": "number"}, "high": {"type": "number"}},
                "required": ["metric", "op", "value"]}},
        },
        "required": ["metrics"],
    }


def _period(data: Any, what: str) -> DateRange:
    try:
        start, end = dt.date.fromisoformat(data["start"]), dt.date.fromisoformat(data["end"])
    except (KeyError, TypeError, ValueError) as err:
        raise PlannerRejected(f"{what} needs ISO dates start and end: {err}") from err
    if end < start:
        raise PlannerRejected(f"{what} ends before it starts")
    return DateRange(start, end, f"{start.isoformat()} to {end.isoformat()}")


def semantic_query_from_reply(data: dict[str, Any], model: SemanticModel,
                              values: dict[str, list[str]]) -> SemanticQuery:
    """Validate a planner's semantic query against the model; values must be known values."""
    metrics = [str(m) for m in data.get("metrics") or []]
    unknown = [m for m in metrics if m not in model.metrics]
    if not metrics or unknown:
        raise PlannerRejected(f"metrics must be some of {sorted(model.metrics)}; got {metrics}")
    dimensions = [str(d) for d in data.get("dimensions") or []]
    bad = [d for d in dimensions if d not in model.dimensions]
    if bad:
        raise PlannerRejected(f"unknown dimensions {bad}; use some of {sorted(model.dimensions)}")
    filters = []
    for f in data.get("filters") or []:
        name = str(f.get("dimension"))
        if name not in model.dimensions:
            raise PlannerRejected(f"unknown filter dimension {name!r}")
        known = {v.lower(): v for v in values.get(name) or []}
        chosen = []
        for value in f.get("values") or []:
            canonical = known.get(str(value).lower())
            if canonical is None:
                raise PlannerRejected(f"{value!r} is not a value of {name}; known values: "
                                      f"{', '.join(list(known.values())[:30])}")
            chosen.append(canonical)
        if chosen:
            filters.append(ValueFilter(name, chosen, bool(f.get("negate"))))
    conditions = []
    for c in data.get("conditions") or []:
        if c.get("metric") not in model.metrics or c.get("op") not in (">", ">=", "<", "<=", "=", "between"):
            raise PlannerRejected(f"bad condition {c!r}")
        high = float(c["high"]) if c.get("high") is not None else None
        conditions.append(Condition(str(c["metric"]), str(c["op"]), float(c["value"]), high))
        if conditions[-1].target not in metrics:
            metrics.append(conditions[-1].target)
    grain = data.get("grain")
    if grain is not None and grain not in GRAINS:
        raise PlannerRejected(f"grain must be one of {GRAINS}")
    order = data.get("order")
    if order not in (None, "asc", "desc"):
        raise PlannerRejected("order must be asc or desc")
    limit = data.get("limit")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise PlannerRejected("limit must be a positive integer")
    compare = [_period(p, "a compared period") for p in data.get("compare") or []]
    time_range = _period(data["time_range"], "time_range") if data.get("time_range") else None
    if compare:
        time_range = DateRange(min(p.start for p in compare), max(p.end for p in compare), "compared periods")
    return SemanticQuery(metrics=metrics, dimensions=dimensions, filters=filters, time_range=time_range,
                         grain=grain, order=order, limit=limit, conditions=conditions,
                         compare=sorted(compare, key=lambda p: p.start))
