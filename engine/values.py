"""Learn dimension values from the data, so questions can name them ("electronics", "paypal")."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from engine.domain import Principal
from engine.ports import Executor
from engine.semantic_model import DIALECT, SemanticModel

MAX_VALUES_PER_DIMENSION = 1000


def declared_values(model: SemanticModel) -> dict[str, list[str]]:
    """Values listed in the model itself."""
    return {d.name: [str(v) for v in d.values] for d in model.dimensions.values() if isinstance(d.values, list)}


def values_query(model: SemanticModel) -> str | None:
    """One Athena query (UNION ALL) giving (dimension, value) for every ``values: data`` dimension."""
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
        learned.setdefault(str(dimension), []).append(str(value))
    for name, values in learned.items():
        if len(values) <= max_values:
            found[name] = sorted(values)
    return found


def dimension_values(model: SemanticModel, executor: Executor, principal: Principal,
                     max_values: int = MAX_VALUES_PER_DIMENSION) -> dict[str, list[str]]:
    """Values of every dimension: listed in the model, or read from the lake in one query."""
    sql = values_query(model)
    if sql is None:
        return declared_values(model)
    data_dims = sum(1 for d in model.dimensions.values() if d.values == "data")
    result = executor.execute(sql, principal, max_rows=data_dims * (max_values + 1))
    return collect_values(model, result.rows, max_values)
