"""Listings: the rows of an entity ("the 5 most recent orders", "customers with no orders"), their
top keys picked first, anti-joins as NOT EXISTS, and the distinct values of a dimension.

``ListingCompiler`` is a part of ``engine.compiler.Compiler``, not used alone.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from engine.errors import NeedsClarification
from engine.grouping import dimension_columns
from engine.semantic_model import Entity, Join, SemanticModel
from engine.semantic_query import SemanticQuery
from engine.sql_parts import DEFAULT_LIMIT, CompiledQuery, _col, _condition, count_column, with_limit


class ListingCompiler:
    """Compiles listings and value lists; the Compiler supplies the model, joins and conditions."""

    # what the Compiler provides (see engine/compiler.py)
    model: SemanticModel
    column_types: dict[str, str]
    pick_listing_keys_first: bool
    _joins: Callable[[str, set[str]], list[Join]]
    _from: Callable[[str, list[Join]], exp.Select]
    _filter: Callable[..., exp.Expression]
    _pruned_tables: Callable[[str, list[Join]], list[str]]
    _time_conditions: Callable[..., list[exp.Expression]]

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
