"""SemanticQuery -> Athena SQL, built as a sqlglot expression tree (never by string concatenation).

Values from questions enter only as sqlglot literals of values already known to the model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlglot import exp

from engine import derived_sql
from engine.errors import NeedsClarification
from engine.domain import DateRange
from engine.grouping import (dimension_columns, members_only, missing_last, outer_joins,
                             reaches_through_outer)
from engine.semantic_model import DIALECT, ColumnRef, Entity, Join, Metric, SemanticModel
from engine.semantic_query import Condition, SemanticQuery, ValueFilter
from engine.language.timeparse import range_label

DEFAULT_LIMIT = 1000
SHARE_COLUMN = "share_of_total"
GROWTH_COLUMN = "change_vs_previous"
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


class Compiler:
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

    def _compile_listing(self, query: SemanticQuery) -> CompiledQuery:
        """Rows of an entity: its columns, measures, filters, row conditions, sort and limit."""
        model = self.model
        entity = model.entities[query.entity or ""]
        root = entity.from_table
        needed = {c.table for c in entity.show} | {entity.table}
        needed |= {model.dimensions[f.dimension].column.table for f in query.filters}
        for measure in entity.measures.values():
            needed |= {c.table for c in measure.expression.find_all(exp.Column) if c.table}
        if entity.time is not None:
            needed.add(entity.time.table)
        joins = self._joins(root, needed)
        select = self._from(root, joins)

        shown: dict[str, exp.Expression] = {}
        for ref in entity.show:
            alias = ref.column if ref.column not in shown else f"{ref.table}_{ref.column}"
            shown[alias] = _col(ref)
        group = [e.copy() for e in shown.values()]
        measures: dict[str, exp.Expression] = {}
        for measure in entity.measures.values():
            expression = measure.expression.copy()
            measures[measure.name] = expression
            same_as_shown = [a for a, e in shown.items() if e == expression]
            if same_as_shown:
                shown[measure.name] = shown.pop(same_as_shown[0])
            elif not measure.aggregated:
                group.append(expression.copy())
        for alias, expression in shown.items():
            select = select.select(exp.alias_(expression.copy(), alias), copy=False)
        for name, expression in measures.items():
            if name not in shown:
                select = select.select(exp.alias_(expression.copy(), name), copy=False)

        conditions: list[exp.Expression] = [self._filter(f, root, joins) for f in query.filters]
        if query.time_range and entity.time is not None:
            conditions.extend(self._time_conditions(entity.time, query.time_range.start,
                                                    query.time_range.end, self._pruned_tables(root, joins)))
        if query.absent:
            conditions.append(self._absent(entity, query))
        having = []
        for c in query.conditions:
            measure = entity.measures[c.target]
            (having if measure.aggregated else conditions).append(_condition(measures[c.target].copy(), c))
        desc = query.order != "asc"
        if query.sort == "time" and entity.time is not None:
            order = exp.Ordered(this=_col(entity.time), desc=desc)
        elif query.sort in measures:
            order = exp.Ordered(this=measures[query.sort].copy(), desc=desc)
        else:
            order = exp.Ordered(this=next(iter(shown.values())).copy(), desc=False)
        limit = query.limit or DEFAULT_LIMIT
        aggregated = any(m.aggregated for m in entity.measures.values())
        if aggregated and not having and not query.count and self.pick_listing_keys_first:
            top = self._top_keys(entity, query, order, limit)
            if top is not None:
                conditions.append(exp.In(this=_col(entity.key), query=exp.Subquery(this=top)))
        if conditions:
            select = select.where(exp.and_(*conditions), copy=False)
        if aggregated:
            select = select.group_by(*group, copy=False)
        if having:
            select = select.having(exp.and_(*having), copy=False)
        if query.count:
            inner = exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier("listed")))
            outer = exp.select(exp.alias_(exp.Count(this=exp.Star()), count_column(entity))).from_(inner)
            return CompiledQuery(with_limit(outer, 1), query, root)
        select = select.order_by(order, copy=False)
        select = with_limit(select, limit)
        return CompiledQuery(select, query, root)

    def _top_keys(self, entity: Entity, query: SemanticQuery, order: exp.Ordered,
                  limit: int) -> exp.Select | None:
        """The keys of the rows a listing will show, picked on the entity's own table before its
        lines are joined and aggregated: "the 5 most recent orders" then aggregates the lines of 5
        orders, not of every order. None when the pick needs the lines (a sort or condition on an
        aggregated measure, a filter on a table only the lines reach)."""
        model = self.model
        base = entity.table
        row_measures = [entity.measures[c.target].expression for c in query.conditions]
        needed = {c.table for e in (order.this, *row_measures) for c in e.find_all(exp.Column) if c.table}
        needed |= {model.dimensions[f.dimension].column.table for f in query.filters}
        if query.time_range and entity.time is not None:
            needed.add(entity.time.table)
        if order.this.find(exp.AggFunc) or any(model.join_path(base, t) is None for t in needed):
            return None
        joins = self._joins(base, needed)
        conditions = [self._filter(f, base, joins) for f in query.filters]
        if query.time_range and entity.time is not None:
            conditions.extend(self._time_conditions(entity.time, query.time_range.start,
                                                    query.time_range.end, self._pruned_tables(base, joins)))
        conditions.extend(_condition(entity.measures[c.target].expression.copy(), c) for c in query.conditions)
        if query.absent:
            conditions.append(self._absent(entity, query))
        pick = self._from(base, joins).select(_col(entity.key), copy=False)
        if conditions:
            pick = pick.where(exp.and_(*conditions), copy=False)
        return with_limit(pick.order_by(order.copy(), copy=False), limit)

    def _absent(self, entity: Entity, query: SemanticQuery) -> exp.Expression:
        """``NOT EXISTS (SELECT 1 FROM <the metric's rows> WHERE <linked to this row> AND <the
        metric's filter, the event's filters and window>)``: the anti-join of "customers with no
        orders last month", through the model's many-to-one joins; the window stays inside."""
        model = self.model
        metric = model.metrics[query.absent or ""]
        needed = set(metric.tables) | {model.dimensions[f.dimension].column.table for f in query.absent_filters}
        if query.absent_range and metric.time is not None:
            needed.add(metric.time.table)
        needed.discard(entity.table)
        root = next((r for r in metric.roots if r != entity.table and model.join_path(r, entity.table)
                     and model.reachable(r, needed)), None)
        if root is None:
            raise NeedsClarification(f"I can't tell which {entity.label.lower()}s have no "
                                     f"{metric.label.lower()} in this data.")
        link = (model.join_path(root, entity.table) or [])[-1]
        joins = [j for j in self._joins(root, needed | {link.left}) if j.right != entity.table]
        conditions: list[exp.Expression] = [exp.EQ(
            this=exp.column(link.left_column, table=link.left),
            expression=exp.column(link.right_column, table=entity.table))]
        if metric.filter_expression is not None:
            conditions.append(metric.filter_expression.copy())
        conditions.extend(self._filter(f, root, joins) for f in query.absent_filters)
        if query.absent_range and metric.time is not None:
            conditions.extend(self._time_conditions(metric.time, query.absent_range.start, query.absent_range.end,
                                                    self._pruned_tables(root, joins)))
        rows = self._from(root, joins).select(exp.Literal.number(1), copy=False)
        rows = rows.where(exp.and_(*conditions), copy=False)
        return exp.Not(this=exp.Exists(this=rows))

    def _compile_values(self, query: SemanticQuery) -> CompiledQuery:
        """The distinct values of a dimension ("list our brands"), filtered, in order."""
        model = self.model
        dims = [model.dimensions[d] for d in query.dimensions]
        root = dims[0].column.table
        needed = {d.column.table for d in dims} | {model.dimensions[f.dimension].column.table
                                                    for f in query.filters}
        joins = self._joins(root, needed)
        select = self._from(root, joins).distinct()
        dim_columns = [dimension_columns(model, d.name, root, joins, self.column_types) for d in dims]
        for columns in dim_columns:
            select = select.select(*columns.selected, copy=False)
        conditions = [self._filter(f, root, joins) for f in query.filters]
        if conditions:
            select = select.where(exp.and_(*conditions), copy=False)
        select = select.order_by(*[exp.Ordered(this=e) for c in dim_columns for e in c.grouped], copy=False)
        return CompiledQuery(with_limit(select, DEFAULT_LIMIT), query, root)

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
