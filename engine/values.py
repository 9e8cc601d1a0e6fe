"""Learn dimension values from the data, so questions can name them ("electronics", "paypal")."""

from __future__ import annotations

from sqlglot import exp

from engine.domain import Principal
from engine.ports import Executor
from engine.semantic_model import DIALECT, SemanticModel

MAX_VALUES_PER_DIMENSION = 1000


def dimension_values(model: SemanticModel, executor: Executor, principal: Principal,
                     max_values: int = MAX_VALUES_PER_DIMENSION) -> dict[str, list[str]]:
    """Values of every dimension: listed in the model, or read from the lake in one query."""
    found: dict[str, list[str]] = {}
    parts: list[exp.Select] = []
    for dim in model.dimensions.values():
        if isinstance(dim.values, list):
            found[dim.name] = [str(v) for v in dim.values]
        elif dim.values == "data":
            table = model.tables[dim.column.table]
            column = exp.column(dim.column.column)
            parts.append(
                exp.select(exp.alias_(exp.Literal.string(dim.name), "dimension"),
                           exp.alias_(exp.cast(column, "varchar"), "value"))
                .from_(exp.table_(table.name, db=table.database))
                .where(column.is_(exp.null()).not_())
                .group_by(column))
    if not parts:
        return found
    union: exp.Query = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    sql = union.sql(dialect=DIALECT)
    result = executor.execute(sql, principal, max_rows=len(parts) * (max_values + 1))
    learned: dict[str, list[str]] = {}
    for dimension, value in result.rows:
        learned.setdefault(dimension, []).append(value)
    for name, values in learned.items():
        if len(values) <= max_values:
            found[name] = sorted(values)
    return found
