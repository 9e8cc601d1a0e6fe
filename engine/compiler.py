"""SemanticQuery -> Athena SQL, built as a sqlglot expression tree (never by string concatenation).

Values from questions enter only as sqlglot literals of values already known to the model.
"""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from engine import derived_sql
from engine.compile_listing import ListingCompiler
from engine.domain import DateRange
from engine.grouping import (dimension_columns, members_only, missing_last, outer_joins,
                             reaches_through_outer)
from engine.semantic_model import DIALECT, ColumnRef, Join, Metric, SemanticModel
from engine.semantic_query import SemanticQuery, ValueFilter
from engine.language.timeparse import range_label
# the shared pieces, importable from here as callers always have
from engine.sql_parts import (_DATE, DEFAULT_LIMIT, CompiledQuery, _col, _condition, _literal_date,  # noqa: F401
                              _literal_ts, _with_filter, count_column, to_athena_sql, with_limit)

SHARE_COLUMN = "share_of_total"
GROWTH_COLUMN = "change_vs_previous"


class Compiler(ListingCompiler):
    """Compiles semantic queries against one semantic model."""

    def __init__(self, model: SemanticModel, column_types: dict[str, str] | None = None,
                 pick_listing_keys_first: bool = True) -> None:
        self.model = model
        self.column_types = column_types or {}
        self.pick_listing_keys_first = pick_listing_keys_first  # off only to measure the difference

    def compile(self, query: SemanticQuery) -> CompiledQuery:
        if query.entity:
            return self._compile_listing(query)
        if not query.metrics and not query.of_measure:
            return self._compile_values(query)
        if derived_sql.special(query):
            return derived_sql.compile_special(self, query)
        return self.compile_grouped(query)

    def compile_grouped(self, query: SemanticQuery, keys: list[ColumnRef] | None = None) -> CompiledQuery:
        """Metrics by the query's dimensions (and by ``keys``, columns grouped but not named)."""
        model = self.model
        original, query = query, derived_sql.growth_lead_in(query)
        metrics = derived_sql.scoped_metrics(query, [model.metrics[m] for m in query.metrics], model)
        time_col = metrics[0].time
        if time_col is None and (query.grain or query.time_range or query.compare):
            raise NeedsClarification(f"{metrics[0].label} has no date; ask without a time period.")
        needed = set().union(*(m.tables for m in metrics))
        needed |= {model.dimensions[d].column.table for d in query.dimensions}
        needed |= {model.dimensions[f.dimension].column.table for f in query.filters}
        needed |= {k.table for k in keys or []}
        root = self._root(metrics, needed)
        joins = self._joins(root, needed)

        select = self._from(root, joins)

        group: list[exp.Expression] = []
        bucket: exp.Expression | None = None
        if query.compare:
            period = self._period(time_col, query.compare)
            select = select.select(exp.alias_(period, "period"), copy=False)
            group.append(period.copy())
        if query.grain:
            assert time_col is not None
            bucket = exp.cast(exp.DateTrunc(unit=exp.Literal.string(query.grain), this=_col(time_col)),
                              _DATE.copy())
            select = select.select(exp.alias_(bucket, query.grain), copy=False)
            group.append(bucket.copy())
        dim_columns = [dimension_columns(model, name, root, joins, self.column_types)
                       for name in query.dimensions]
        for columns in dim_columns:
            select = select.select(*columns.selected, copy=False)
            group.extend(columns.grouped)
        for key in keys or []:
            select = select.select(exp.alias_(_col(key), f"{key.table}_{key.column}"), copy=False)
            group.append(_col(key))

        filters = {m.filter_sql for m in metrics}
        shared_filter = metrics[0].filter_expression if len(filters) == 1 else None
        aggregates: dict[str, exp.Expression] = {}
        for metric in metrics:
            expression = metric.expression.copy()
            if shared_filter is None and metric.filter_expression is not None:
                expression = _with_filter(expression, metric.filter_expression)
            aggregates[metric.name] = expression
            select = select.select(exp.alias_(expression.copy(), metric.name), copy=False)
        select = derived_sql.add_columns(select, query, aggregates)

        conditions: list[exp.Expression] = []
        if shared_filter is not None:
            conditions.append(shared_filter.copy())
        conditions.extend(self._filter(f, root, joins) for f in query.filters)
        tables = self._pruned_tables(root, joins)
        if query.compare:
            conditions.append(exp.or_(*[exp.paren(exp.and_(*self._time_conditions(
                time_col, r.start, r.end, tables))) for r in query.compare]))
        elif query.time_range:
            conditions.extend(self._time_conditions(time_col, query.time_range.start,
                                                    query.time_range.end, tables))
        if conditions:
            select = select.where(exp.and_(*conditions), copy=False)
        if group:
            select = select.group_by(*group, copy=False)
        if query.share:  # the first metric's share of the total over all rows of the answer
            total = exp.Window(this=exp.Sum(this=aggregates[metrics[0].name].copy()), over="OVER",
                               partition_by=derived_sql.share_partition(query, model, bucket))
            share = exp.Div(this=exp.cast(aggregates[metrics[0].name].copy(), exp.DataType.build("double")),
                            expression=exp.func("NULLIF", total, exp.Literal.number(0)))
            select = select.select(exp.alias_(share, SHARE_COLUMN), copy=False)
        if query.growth and bucket is not None:  # change against the previous period, per breakdown
            first = aggregates[metrics[0].name]
            lag = [first.copy()] + ([exp.Literal.number(derived_sql.growth_lag(query))]
                                    if derived_sql.growth_lag(query) > 1 else [])
            window = exp.Window(this=exp.Anonymous(this="LAG", expressions=lag),
                                partition_by=[e for c in dim_columns for e in c.grouped],
                                order=exp.Order(expressions=[exp.Ordered(this=bucket.copy())]), over="OVER")
            change = exp.Sub(this=exp.Div(this=exp.cast(first.copy(), exp.DataType.build("double")),
                                          expression=exp.func("NULLIF", window, exp.Literal.number(0))),
                             expression=exp.Literal.number(1))
            select = select.select(exp.alias_(change, GROWTH_COLUMN), copy=False)
        having = [_condition(aggregates[c.target].copy(), c) for c in query.conditions
                  if c.target in aggregates]
        if having:  # a condition picks members: "stores with revenue over 1M" has no "(no store)"
            having += members_only(dim_columns)
        if having:
            select = select.having(exp.and_(*having), copy=False)

        order = derived_sql.ratio_order(query) or self._order(query, metrics)
        if query.order and query.dimensions:  # a ranking ranks members; the unmatched group last
            order = [*missing_last(dim_columns), *order]
        if query.compare and not query.order:
            order = [exp.Ordered(this=e) for c in dim_columns for e in c.grouped]
            order.append(exp.Ordered(this=exp.Min(this=_col(time_col))))
        if order:
            select = select.order_by(*order, copy=False)
        select = with_limit(select, query.limit or DEFAULT_LIMIT)
        return CompiledQuery(derived_sql.finish(self, select, original, query), original, root)

    def _period(self, time_col: ColumnRef, periods: list[DateRange]) -> exp.Expression:
        """CASE naming which compared period a row falls in ("2024", "Q1 2025")."""
        case = exp.Case()
        for period in periods:
            case = case.when(exp.and_(*self._time_conditions(time_col, period.start, period.end, [])),
                             exp.Literal.string(range_label(period)), copy=False)
        return case

    # -- helpers ------------------------------------------------------------------------------
    def _from(self, root: str, joins: list[Join]) -> exp.Select:
        select = exp.select().from_(self._table(root), dialect=DIALECT)
        outer = outer_joins(joins)
        for join in joins:
            on = exp.EQ(this=exp.column(join.left_column, table=join.left),
                        expression=exp.column(join.right_column, table=join.right))
            # the node itself: Select.join() would parse its arguments again
            if join in outer:
                select.append("joins", exp.Join(this=self._table(join.right), on=on, side="LEFT"))
            else:
                select.append("joins", exp.Join(this=self._table(join.right), on=on, kind="INNER"))
        return select

    def _pruned_tables(self, root: str, joins: list[Join]) -> list[str]:
        """Tables whose partitions a time range may prune: not LEFT-joined ones (a WHERE on
        their partition column would drop the unmatched rows the LEFT JOIN keeps)."""
        outer = outer_joins(joins)
        return [root, *[j.right for j in joins if j not in outer]]

    def _filter(self, f: ValueFilter, root: str | None = None, joins: list[Join] | None = None) -> exp.Expression:
        """``column = 'value'`` (or IN, NOT IN, <>): values enter only as string literals.

        An exclusion on a LEFT-joined table keeps the unmatched rows: "excluding EMEA stores"
        still counts the orders that have no store.
        """
        column = _col(self.model.dimensions[f.dimension].column)
        literals = [exp.Literal.string(v) for v in f.values]
        if len(literals) == 1:
            cond: exp.Expression = (exp.NEQ if f.negate else exp.EQ)(this=column, expression=literals[0])
        else:
            cond = exp.In(this=column, expressions=literals)
            cond = exp.Not(this=cond) if f.negate else cond
        if f.negate and root is not None and reaches_through_outer(self.model, root, joins or [],
                                                                  self.model.dimensions[f.dimension].column.table):
            cond = exp.paren(exp.or_(cond, column.copy().is_(exp.null())))
        return cond

    def _table(self, alias: str) -> exp.Table:
        table = self.model.tables[alias]
        return exp.Table(this=exp.to_identifier(table.name), db=exp.to_identifier(table.database),
                         alias=exp.TableAlias(this=exp.to_identifier(alias)))

    def _root(self, metrics: list[Metric], needed: set[str]) -> str:
        roots = [r for r in metrics[0].roots if all(r in m.roots for m in metrics[1:])]
        for root in roots:
            if self.model.reachable(root, needed):
                return root
        raise NeedsClarification("I can't combine those measures and breakdowns in one query; "
                                 "could you ask for fewer at a time?")

    def _joins(self, root: str, needed: set[str]) -> list[Join]:
        joins: list[Join] = []
        for table in sorted(needed, key=lambda t: (len(self.model.join_path(root, t) or []), t)):
            for join in self.model.join_path(root, table) or []:
                if join not in joins:
                    joins.append(join)
        return joins

    def _time_conditions(self, time_col: ColumnRef, start: dt.date, end: dt.date,
                         tables: list[str]) -> list[exp.Expression]:
        column = _col(time_col)
        if self.column_types.get(str(time_col), "timestamp").startswith("date"):
            conditions: list[exp.Expression] = [
                exp.Between(this=column, low=_literal_date(start), high=_literal_date(end))]
        else:
            conditions = [exp.GTE(this=column, expression=_literal_ts(start)),
                          exp.LT(this=column.copy(), expression=_literal_ts(end + dt.timedelta(days=1)))]
        for alias in tables:  # partition pruning: Athena reads only the months in range
            partition = self.model.tables[alias].partition
            if partition and partition.follows == str(time_col):
                conditions.append(exp.Between(
                    this=exp.column(partition.column, table=alias),
                    low=exp.Literal.string(start.strftime(partition.format)),
                    high=exp.Literal.string(end.strftime(partition.format))))
        return conditions

    @staticmethod
    def _order(query: SemanticQuery, metrics: list[Metric]) -> list[exp.Expression]:
        first_metric = exp.column(metrics[0].name)
        if query.order and (query.dimensions or query.grain):
            return [exp.Ordered(this=first_metric, desc=query.order == "desc")]
        if query.grain:
            by_time = [exp.Ordered(this=exp.column(query.grain), desc=False)]
            return by_time + ([exp.Ordered(this=first_metric, desc=True)] if query.dimensions else [])
        if query.dimensions:
            return [exp.Ordered(this=first_metric, desc=True)]
        return []
