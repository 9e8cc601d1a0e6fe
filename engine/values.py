"""Learn from the data what questions need: dimension values, so questions can name them
("electronics", "paypal"), and the date range of each time column, so an empty answer can say
what the data covers ("orders run from 1 Jan 2023 to 31 Dec 2025").

Both come from one query (UNION ALL), run once at start-up on the embedded default and by
``athena-bot refresh-values`` on Athena, whose values file carries the ranges too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlglot import exp

from engine.domain import Principal
from engine.ports import Executor
from engine.semantic_model import DIALECT, ColumnRef, SemanticModel

MAX_VALUES_PER_DIMENSION = 1000
RANGES_KEY = "@time_ranges"  # in the values file: {"orders.order_ts": ["2023-01-01", "2025-12-31"]}
_RANGE_PREFIX = "@range:"

TimeRanges = dict[str, tuple[dt.date, dt.date]]  # "alias.column" -> (first day, last day)


def declared_values(model: SemanticModel) -> dict[str, list[str]]:
    """Values listed in the model itself."""
    return {d.name: [str(v) for v in d.values] for d in model.dimensions.values() if isinstance(d.values, list)}


def time_columns(model: SemanticModel) -> list[ColumnRef]:
    """Every column a metric or a listing is measured over in time, once each."""
    refs = [m.time for m in model.metrics.values()] + [e.time for e in model.entities.values()]
    return list(dict.fromkeys(r for r in refs if r is not None))


def values_query(model: SemanticModel, ranges: bool = True) -> str | None:
    """One Athena query (UNION ALL) giving (dimension, value) for every ``values: data``
    dimension, and with ``ranges`` ("@range:alias.column", "first/last") for every time column."""
    parts: list[exp.Select] = []
    for dim in model.dimensions.values():
        if dim.values != "data":
            continue
        table = model.tables[dim.column.table]
        column = exp.column(dim.column.column)
        parts.append(
            exp.select(exp.alias_(exp.Literal.string(dim.name), "dimension"),
                       exp.alias_(exp.cast(column, "varchar"), "value"))
            .from_(exp.table_(table.name, db=table.database))
            .where(column.is_(exp.null()).not_())
            .group_by(column))
    for ref in time_columns(model) if ranges else []:
        table = model.tables[ref.table]
        first, last = (exp.cast(exp.cast(agg(this=exp.column(ref.column)), "date"), "varchar")
                       for agg in (exp.Min, exp.Max))
        parts.append(
            exp.select(exp.alias_(exp.Literal.string(f"{_RANGE_PREFIX}{ref}"), "dimension"),
                       exp.alias_(exp.DPipe(this=exp.DPipe(this=first, expression=exp.Literal.string("/")),
                                             expression=last), "value"))
            .from_(exp.table_(table.name, db=table.database)))
    if not parts:
        return None
    union: exp.Query = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    return union.sql(dialect=DIALECT)


def collect_values(model: SemanticModel, rows: list[tuple[Any, ...]],
                   max_values: int = MAX_VALUES_PER_DIMENSION) -> dict[str, list[str]]:
    """Model-declared values plus (dimension, value) rows; dimensions with too many values are left out."""
    found = declared_values(model)
    learned: dict[str, list[str]] = {}
    for dimension, value in rows:
        if not str(dimension).startswith(_RANGE_PREFIX):
            learned.setdefault(str(dimension), []).append(str(value))
    for name, values in learned.items():
        if len(values) <= max_values:
            found[name] = sorted(values)
    return found


def collect_ranges(rows: list[tuple[Any, ...]]) -> TimeRanges:
    """The time ranges among the rows of ``values_query`` (a table without rows has none)."""
    ranges: TimeRanges = {}
    for dimension, value in rows:
        if str(dimension).startswith(_RANGE_PREFIX) and value and "/" in str(value):
            first, last = str(value).split("/", 1)
            ranges[str(dimension)[len(_RANGE_PREFIX):]] = (dt.date.fromisoformat(first[:10]),
                                                           dt.date.fromisoformat(last[:10]))
    return ranges


def lake_facts(model: SemanticModel, executor: Executor, principal: Principal,
               max_values: int = MAX_VALUES_PER_DIMENSION) -> tuple[dict[str, list[str]], TimeRanges]:
    """Dimension values (listed in the model, or read from the lake) and time ranges, in one query."""
    sql = values_query(model)
    if sql is None:
        return declared_values(model), {}
    data_dims = sum(1 for d in model.dimensions.values() if d.values == "data")
    result = executor.execute(sql, principal, max_rows=data_dims * (max_values + 1) + len(time_columns(model)))
    return collect_values(model, result.rows, max_values), collect_ranges(result.rows)


def dimension_values(model: SemanticModel, executor: Executor, principal: Principal,
                     max_values: int = MAX_VALUES_PER_DIMENSION) -> dict[str, list[str]]:
    """Values of every dimension: listed in the model, or read from the lake in one query."""
    return lake_facts(model, executor, principal, max_values)[0]


def values_file_body(values: dict[str, list[str]], ranges: TimeRanges) -> dict[str, Any]:
    """The values file's JSON: {dimension: [values], "@time_ranges": {column: [first, last]}}."""
    return {**values, RANGES_KEY: {c: [a.isoformat(), b.isoformat()] for c, (a, b) in sorted(ranges.items())}}


def split_values_file(data: dict[str, Any]) -> tuple[dict[str, list[str]], TimeRanges]:
    """Values and time ranges from a values file (files written before ranges have none)."""
    values = {k: list(v) for k, v in data.items() if k != RANGES_KEY}
    ranges = {c: (dt.date.fromisoformat(a), dt.date.fromisoformat(b))
              for c, (a, b) in (data.get(RANGES_KEY) or {}).items()}
    return values, ranges
