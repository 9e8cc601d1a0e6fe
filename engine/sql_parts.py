"""The pieces every compiled query is built from: the compiled result, Athena SQL text, LIMIT,
column and literal nodes, aggregate filters and numeric conditions (all sqlglot nodes)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlglot import exp

from engine.semantic_model import DIALECT, ColumnRef, Entity
from engine.semantic_query import Condition, SemanticQuery

DEFAULT_LIMIT = 1000
_DATE = exp.DataType.build("date", dialect=DIALECT)  # built once: building parses the type name
_TIMESTAMP = exp.DataType.build("timestamp", dialect=DIALECT)


@dataclass
class CompiledQuery:
    expression: exp.Select
    query: SemanticQuery
    root: str

    @property
    def sql(self) -> str:
        return to_athena_sql(self.expression)


def to_athena_sql(expression: exp.Expression, pretty: bool = True) -> str:
    return expression.sql(dialect=DIALECT, pretty=pretty, comments=False)


def with_limit(select: exp.Select, n: int) -> exp.Select:
    """``select`` with ``LIMIT n``, the node built directly (``Select.limit`` parses its argument)."""
    select.set("limit", exp.Limit(expression=exp.Literal.number(n)))
    return select


def _col(ref: ColumnRef) -> exp.Column:
    return exp.column(ref.column, table=ref.table, quoted=False)


def _literal_date(day: dt.date) -> exp.Expression:
    return exp.cast(exp.Literal.string(day.isoformat()), _DATE.copy())


def _literal_ts(day: dt.date) -> exp.Expression:
    return exp.cast(exp.Literal.string(f"{day.isoformat()} 00:00:00"),
                    _TIMESTAMP.copy())


def _with_filter(expression: exp.Expression, condition: exp.Expression) -> exp.Expression:
    """Attach ``FILTER (WHERE condition)`` to every aggregate in a metric expression."""
    def attach(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.AggFunc):
            return exp.Filter(this=node.copy(), expression=exp.Where(this=condition.copy()))
        return node

    return expression.copy().transform(attach, copy=False)


def _condition(expression: exp.Expression, condition: Condition) -> exp.Expression:
    """``expression <op> value`` for a numeric condition, the value a sqlglot number literal."""
    value = exp.Literal.number(repr(condition.value) if condition.value % 1 else int(condition.value))
    if condition.op == "between":
        assert condition.high is not None
        high = exp.Literal.number(repr(condition.high) if condition.high % 1 else int(condition.high))
        return exp.Between(this=expression, low=value, high=high)
    builders = {">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE, "=": exp.EQ}
    return builders[condition.op](this=expression, expression=value)


def count_column(entity: Entity) -> str:
    """Column name of a counted listing ("how many orders over $1,000")."""
    return f"{entity.name}_count"
