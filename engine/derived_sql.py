"""SQL for derived measures, kept apart from the compiler's joins and listings.

- a ratio of two model metrics ("revenue per buyer", "margin %"), the denominator counted within
  the numerator's filter when it has none of its own ("items per order": completed orders);
- percentiles and the median of what an average metric averages (``approx_percentile``);
- shares of a named value ("what share of revenue comes from online"): shares over every row,
  only the named rows shown;
- growth: the first period's change is against the period before the range (read, then cut);
  "grew fastest" ranks a breakdown by the change between two periods;
- counts over a condition: "how many customers ordered 3+ times", "accounts with an overdue
  invoice" count the entity's keys that meet it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlglot import exp

from engine.errors import NeedsClarification
from engine.grouping import dimension_columns, missing_last
from engine.language.timeparse import shift
from engine.semantic_model import Metric, SemanticModel
from engine.semantic_query import SemanticQuery

if TYPE_CHECKING:  # pragma: no cover
    from engine.compiler import CompiledQuery, Compiler

_DOUBLE = exp.DataType.build("double")
PREVIOUS_SUFFIX = "_previous"


def _limit(select: exp.Select, n: int) -> exp.Select:
    from engine.compiler import with_limit

    return with_limit(select, n)


def ratio_column(query: SemanticQuery) -> str:
    num, den = query.ratio
    return f"{num}_per_{den}"


def percentile_column(query: SemanticQuery, name: str) -> str:
    """The column of a statistic: "median_order_value", "p90_price", "average_items"."""
    if query.percentile is None:
        return "average_" + name
    return "median_" + name if query.percentile == 0.5 else f"p{round(query.percentile * 100)}_{name}"


def _div(num: exp.Expression, den: exp.Expression) -> exp.Expression:
    return exp.Div(this=exp.cast(num, _DOUBLE.copy()), expression=exp.func("NULLIF", den, exp.Literal.number(0)))


# -- hooks the compiler calls -------------------------------------------------------------------
def scoped_metrics(query: SemanticQuery, metrics: list[Metric], model: SemanticModel) -> list[Metric]:
    """The metrics as this query computes them: a ratio's denominator within the numerator's
    filter (when it has none), an average replaced by the percentile asked for."""
    scope = query.scope
    if query.ratio and not scope:
        num, den = (model.metrics[m] for m in query.ratio)
        # "items per order": orders counted within units' completed orders; but "returns to
        # orders" (the same count, filtered) is a rate of all orders
        scope = num.name if num.expression != den.expression else None
    if scope:
        within = model.metrics.get(scope)
        if within is not None and within.filter_expression is not None:
            metrics = [replace(m, filter_sql=within.filter_sql, filter_expression=within.filter_expression,
                               filter_label=within.filter_label) if m.filter_expression is None else m
                       for m in metrics]
    if query.percentile is not None and not query.of_measure:
        metrics = [replace(m, expression=_percentile_of(m, query.percentile)) for m in metrics]
    return metrics


def _percentile_of(metric: Metric, p: float) -> exp.Expression:
    if not isinstance(metric.expression, exp.Avg):
        raise NeedsClarification(f"{metric.label} is not an average of single rows, so it has no "
                                 "median; ask for it by a breakdown instead.")
    return exp.ApproxQuantile(this=metric.expression.this.copy(), quantile=exp.Literal.number(p))


def add_columns(select: exp.Select, query: SemanticQuery, aggregates: dict[str, exp.Expression]) -> exp.Select:
    if query.ratio:
        num, den = query.ratio
        select = select.select(exp.alias_(_div(aggregates[num].copy(), aggregates[den].copy()),
                                          ratio_column(query)), copy=False)
    return select


def ratio_order(query: SemanticQuery) -> list[exp.Ordered] | None:
    """A ratio by a breakdown is ranked by the ratio (highest first unless asked otherwise)."""
    if not query.ratio or not (query.order or query.dimensions):
        return None
    return [exp.Ordered(this=exp.column(ratio_column(query)), desc=query.order != "asc")]


_PERIODS_IN = {("year", "quarter"): 4, ("year", "month"): 12, ("year", "week"): 52, ("year", "day"): 365,
               ("quarter", "month"): 3, ("quarter", "week"): 13, ("month", "day"): 30, ("week", "day"): 7}


def share_partition(query: SemanticQuery, model: SemanticModel,
                    bucket: exp.Expression | None = None) -> list[exp.Expression]:
    """"no-show rate by clinic", "online % by month": a named value's share within each row of
    the other breakdowns (and periods)."""
    if not query.highlight or (len(query.dimensions) < 2 and bucket is None):
        return []
    from engine.compiler import _col

    return ([bucket.copy()] if bucket is not None else []) + \
        [_col(model.dimensions[d].column) for d in query.dimensions[1:]]


def growth_lag(query: SemanticQuery) -> int:
    """How many periods back the change compares with: 1, or 12 for "yoy by month"."""
    if query.growth_over and query.grain:
        return _PERIODS_IN.get((query.growth_over, query.grain), 1)
    return 1


def growth_lead_in(query: SemanticQuery) -> SemanticQuery:
    """Growth over a range reads one period more (a year more for "yoy by month"), so the first
    period has its change too."""
    if not (query.growth and query.grain and query.time_range and not query.compare):
        return query
    start = shift(query.time_range.start, query.growth_over or query.grain, -1)
    return replace(query, time_range=replace(query.time_range, start=start))


RANK_COLUMN = "rank"


def finish(compiler: "Compiler", select: exp.Select, original: SemanticQuery, query: SemanticQuery) -> exp.Select:
    """Wrap the compiled query where a derived measure needs an outer step."""
    if query.rank_within:
        return _ranked_within(compiler, select, query)
    if query.share and query.highlight and query.dimensions:
        return _only_named(select, query)
    if original.time_range is not None and query.time_range != original.time_range:
        return _from_start(select, original)
    return select


def _outer(select: exp.Select, alias: str) -> tuple[exp.Select, list[str]]:
    inner = select.copy()
    limit = inner.args.get("limit")
    order = inner.args.get("order")
    inner.set("limit", None)
    inner.set("order", None)
    names = list(inner.named_selects)
    outer = exp.select(*[exp.column(n, table=alias) for n in names]).from_(
        exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(alias))))
    if order is not None:
        outer.set("order", exp.Order(expressions=[
            exp.Ordered(this=exp.column(o.this.name, table=alias) if isinstance(o.this, exp.Column) else o.this,
                        desc=o.args.get("desc")) for o in order.expressions]))
    if limit is not None:
        outer.set("limit", limit)
    return outer, names


def _ranked_within(compiler: "Compiler", select: exp.Select, query: SemanticQuery) -> exp.Select:
    """"the top customer in each region": rows ranked within each group, the first N kept."""
    from engine.compiler import _col

    model = compiler.model
    inner = select.copy()
    limit = query.limit
    inner.set("limit", None)
    inner.set("order", None)
    metric = query.ratio and ratio_column(query) or query.metrics[0]
    by = [_col(model.dimensions[d].column) for d in query.rank_within]
    order = inner.args["expressions"][[e.alias_or_name for e in inner.expressions].index(metric)].this.copy()
    rank = exp.Window(this=exp.RowNumber(), partition_by=by,
                      order=exp.Order(expressions=[exp.Ordered(this=order, desc=query.order != "asc")]), over="OVER")
    inner = inner.select(exp.alias_(rank, RANK_COLUMN), copy=False)
    names = list(inner.named_selects)
    outer = exp.select(*[exp.column(n, table="ranked") for n in names]).from_(
        exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("ranked"))))
    if limit:
        outer = outer.where(exp.LTE(this=exp.column(RANK_COLUMN, table="ranked"),
                                    expression=exp.Literal.number(limit)), copy=False)
    keys = [exp.Ordered(this=exp.column(d, table="ranked")) for d in query.rank_within]
    outer = outer.order_by(*keys, exp.Ordered(this=exp.column(RANK_COLUMN, table="ranked")), copy=False)
    return _limit(outer, 1000)


def _only_named(select: exp.Select, query: SemanticQuery) -> exp.Select:
    outer, _ = _outer(select, "shares")
    column = exp.column(query.dimensions[0], table="shares")
    literals = [exp.Literal.string(v) for v in query.highlight]
    return outer.where(exp.In(this=column, expressions=literals), copy=False)


def _from_start(select: exp.Select, original: SemanticQuery) -> exp.Select:
    assert original.time_range is not None and original.grain is not None
    outer, _ = _outer(select, "growth")
    start = exp.cast(exp.Literal.string(original.time_range.start.isoformat()), exp.DataType.build("date"))
    return outer.where(exp.GTE(this=exp.column(original.grain, table="growth"), expression=start), copy=False)


# -- whole queries of their own ----------------------------------------------------------------
def special(query: SemanticQuery) -> bool:
    return bool(query.count_of) or bool(query.growth and query.compare) or bool(query.of_measure)


def compile_special(compiler: "Compiler", query: SemanticQuery) -> "CompiledQuery":
    if query.count_of:
        return _count_of(compiler, query)
    if query.of_measure:
        return _percentile_of_measure(compiler, query)
    return _growth_ranking(compiler, query)


def _count_of(compiler: "Compiler", query: SemanticQuery) -> "CompiledQuery":
    """How many of an entity meet the conditions: its keys grouped, kept by HAVING, counted."""
    from engine.compiler import CompiledQuery, count_column

    model = compiler.model
    entity = model.entities[query.count_of or ""]
    # with a share ("% of buyers who bought more than once") every key is kept, and the
    # condition picks those counted in the numerator
    inner_query = replace(query, count_of=None, order=None, limit=None, share=False, growth=False,
                          conditions=[] if query.share else query.conditions)
    inner = compiler.compile_grouped(inner_query, [entity.key])
    inner.expression.set("limit", None)
    inner.expression.set("order", None)
    listed = exp.Subquery(this=inner.expression, alias=exp.TableAlias(this=exp.to_identifier("counted")))
    by = [exp.column(d, table="counted") for d in ([query.grain] if query.grain else []) + query.dimensions]
    counted: exp.Expression = exp.Count(this=exp.Star())
    columns = [exp.alias_(counted, count_column(entity))]
    if query.share:
        from engine.compiler import SHARE_COLUMN, _condition

        meets = exp.and_(*[_condition(exp.column(c.target, table="counted"), c) for c in query.conditions])
        counted = exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=meets))
        columns = [exp.alias_(counted, count_column(entity)),
                   exp.alias_(exp.Count(this=exp.Star()), f"all_{count_column(entity)}"),
                   exp.alias_(_div(counted.copy(), exp.Count(this=exp.Star())), SHARE_COLUMN)]
    outer = exp.select(*by, *columns).from_(listed)
    if by:
        outer = outer.group_by(*[b.copy() for b in by], copy=False)
        outer = outer.order_by(*[exp.Ordered(this=b.copy()) for b in by], copy=False)
    return CompiledQuery(_limit(outer, query.limit or 1000), query, inner.root)


def _percentile_of_measure(compiler: "Compiler", query: SemanticQuery) -> "CompiledQuery":
    """"median order value": the measure per row of its entity, then its percentile."""
    from engine.compiler import CompiledQuery, _col

    model = compiler.model
    entity_name, measure_name = (query.of_measure or "").split(".")
    entity = model.entities[entity_name]
    measure = entity.measures[measure_name]
    root = entity.from_table
    needed = {entity.key.table} | {c.table for c in measure.expression.find_all(exp.Column) if c.table}
    needed |= {model.dimensions[d].column.table for d in query.dimensions}
    needed |= {model.dimensions[f.dimension].column.table for f in query.filters}
    if query.time_range is not None and entity.time is not None:
        needed.add(entity.time.table)
    joins = compiler._joins(root, needed)
    inner = compiler._from(root, joins)
    dim_columns = [dimension_columns(model, d, root, joins, compiler.column_types) for d in query.dimensions]
    group = [_col(entity.key)] + [e for c in dim_columns for e in c.grouped]
    inner = inner.select(exp.alias_(_col(entity.key), "row_key"), copy=False)
    for columns in dim_columns:
        inner = inner.select(*columns.selected, copy=False)
    shown = [a for c in dim_columns for a in (c.dimension.name, c.dimension.key_alias if c.key else None) if a]
    inner = inner.select(exp.alias_(measure.expression.copy(), "value"), copy=False)
    conditions = [compiler._filter(f, root, joins) for f in query.filters]
    defining = defining_metric(model, query)
    if defining is not None and defining.filter_expression is not None:
        conditions.append(defining.filter_expression.copy())  # the rows the data team counts
    if query.time_range is not None:
        if entity.time is None:
            raise NeedsClarification(f"{entity.label}s have no date; ask without a time period.")
        conditions += compiler._time_conditions(entity.time, query.time_range.start, query.time_range.end,
                                                compiler._pruned_tables(root, joins))
    if conditions:
        inner = inner.where(exp.and_(*conditions), copy=False)
    if measure.aggregated:
        inner = inner.group_by(*[g.copy() for g in group], copy=False)
    rows = exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("per_row")))
    per_row = exp.column("value", table="per_row")
    value = exp.Avg(this=per_row) if query.percentile is None else \
        exp.ApproxQuantile(this=per_row, quantile=exp.Literal.number(query.percentile))
    outer = exp.select(*[exp.column(d, table="per_row") for d in shown],
                       exp.alias_(value, percentile_column(query, measure_name))).from_(rows)
    if query.dimensions:
        outer = outer.group_by(*[exp.column(d, table="per_row") for d in shown], copy=False)
        unmatched = [exp.Ordered(this=exp.Case().when(
            exp.EQ(this=exp.column(c.dimension.name, table="per_row"), expression=exp.Literal.string(c.missing_label)),
            exp.Literal.number(1)).else_(exp.Literal.number(0))) for c in dim_columns if c.missing_label]
        outer = outer.order_by(*unmatched, exp.Ordered(this=exp.column(percentile_column(query, measure_name)),
                                                       desc=query.order != "asc"), copy=False)
    return CompiledQuery(_limit(outer, query.limit or 1000), query, root)


def defining_metric(model: SemanticModel, query: SemanticQuery) -> Metric | None:
    """The model metric that sums the same thing as the measure ("items" of an order and "units
    sold" are both the sum of quantities): its filter says which rows count (completed orders)."""
    if not query.of_measure:
        return None
    entity_name, measure_name = query.of_measure.split(".")
    entity = model.entities[entity_name]
    measure = entity.measures[measure_name]
    for metric in model.metrics.values():
        if metric.expression == measure.expression and entity.from_table in metric.roots:
            return metric
    return None


def _growth_ranking(compiler: "Compiler", query: SemanticQuery) -> "CompiledQuery":
    """"which category grew fastest": each row's metric in the later and the earlier period, and
    the change between them, ranked by the change."""
    from engine.compiler import CompiledQuery

    model = compiler.model
    metric = model.metrics[query.metrics[0]]
    if metric.time is None:
        raise NeedsClarification(f"{metric.label} has no date, so it has no growth.")
    earlier, later = sorted(query.compare, key=lambda r: r.start)[:2]
    needed = set(metric.tables) | {model.dimensions[d].column.table for d in query.dimensions}
    needed |= {model.dimensions[f.dimension].column.table for f in query.filters}
    root = compiler._root([metric], needed)
    joins = compiler._joins(root, needed)
    tables = compiler._pruned_tables(root, joins)
    select = compiler._from(root, joins)
    dim_columns = [dimension_columns(model, d, root, joins, compiler.column_types) for d in query.dimensions]
    dims = [e for c in dim_columns for e in c.grouped]
    for columns in dim_columns:
        select = select.select(*columns.selected, copy=False)

    def within(period) -> exp.Expression:  # noqa: ANN001
        condition = exp.and_(*compiler._time_conditions(metric.time, period.start, period.end, []))
        return _attach(metric.expression, condition)

    now, before = within(later), within(earlier)
    change = exp.Sub(this=_div(now.copy(), before.copy()), expression=exp.Literal.number(1))
    select = select.select(exp.alias_(now, metric.name), exp.alias_(before, metric.name + PREVIOUS_SUFFIX),
                           exp.alias_(change, "change_vs_previous"), copy=False)
    conditions = [metric.filter_expression.copy()] if metric.filter_expression is not None else []
    conditions += [compiler._filter(f, root, joins) for f in query.filters]
    conditions.append(exp.or_(*[exp.paren(exp.and_(*compiler._time_conditions(metric.time, r.start, r.end, tables)))
                                for r in (earlier, later)]))
    select = select.where(exp.and_(*conditions), copy=False)
    if dims:
        select = select.group_by(*[d.copy() for d in dims], copy=False)
    select = select.order_by(*missing_last(dim_columns),  # rank members; "(no store)" is not one
                             exp.Ordered(this=exp.column("change_vs_previous"), desc=query.order != "asc",
                                         nulls_first=False), copy=False)
    return CompiledQuery(_limit(select, query.limit or 1000), query, root)


def _attach(expression: exp.Expression, condition: exp.Expression) -> exp.Expression:
    def attach(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.AggFunc):
            return exp.Filter(this=node.copy(), expression=exp.Where(this=condition.copy()))
        return node

    return expression.copy().transform(attach, copy=False)


def dates_label(start: dt.date, end: dt.date) -> str:
    return f"{start.isoformat()} - {end.isoformat()}"


def labels(query: SemanticQuery, model: SemanticModel) -> dict[str, str]:
    """Column labels of the derived columns."""
    out: dict[str, str] = {}
    if query.ratio:
        num, den = query.ratio
        out[ratio_column(query)] = ratio_label(query, model)
    if query.growth and query.compare:
        metric = model.metrics[query.metrics[0]]
        out[metric.name + PREVIOUS_SUFFIX] = f"{metric.label} (previous period)"
        out["change_vs_previous"] = "Change vs previous period"
    if query.percentile is not None or query.of_measure:
        what = _percentile_word(query.percentile)
        if query.of_measure:
            entity, measure = query.of_measure.split(".")
            out[percentile_column(query, measure)] = f"{what} {model.entities[entity].measures[measure].label.lower()}"
        else:
            for name in query.metrics:
                out[name] = f"{what} {model.metrics[name].label.lower()}"
    if query.count_of:
        out[f"{query.count_of}_count"] = f"{model.entities[query.count_of].label}s"
        out[f"all_{query.count_of}_count"] = f"All {model.entities[query.count_of].label.lower()}s"
    if query.rank_within:
        out[RANK_COLUMN] = "Rank"
    return out


def formats(query: SemanticQuery, model: SemanticModel) -> dict[str, str]:
    out: dict[str, str] = {}
    if query.ratio:
        out[ratio_column(query)] = ratio_format(query, model)
    if query.growth and query.compare:
        metric = model.metrics[query.metrics[0]]
        out[metric.name + PREVIOUS_SUFFIX] = metric.format
        out["change_vs_previous"] = "percent"
    if query.of_measure:
        entity, measure = query.of_measure.split(".")
        fmt = model.entities[entity].measures[measure].format
        out[percentile_column(query, measure)] = "decimal" if query.percentile is None and fmt == "integer" else fmt
    if query.count_of:
        out[f"{query.count_of}_count"] = "integer"
        out[f"all_{query.count_of}_count"] = "integer"
    if query.rank_within:
        out[RANK_COLUMN] = "integer"
    return out


def _percentile_word(p: float | None) -> str:
    if p is None:
        return "Average"
    if p == 0.5:
        return "Median"
    n = round(p * 100)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix} percentile of"


def is_rate(query: SemanticQuery, model: SemanticModel) -> bool:
    """"returns to orders": the same count, one of them filtered, is a rate."""
    num, den = (model.metrics[m] for m in query.ratio)
    return num.expression == den.expression


def ratio_format(query: SemanticQuery, model: SemanticModel) -> str:
    num = model.metrics[query.ratio[0]]
    if query.ratio_kind == "percent" or is_rate(query, model):
        return "percent"
    return "currency" if num.format == "currency" else "decimal"


def ratio_label(query: SemanticQuery, model: SemanticModel) -> str:
    num, den = (model.metrics[m] for m in query.ratio)
    if ratio_format(query, model) == "percent":
        return f"{num.label} as % of {den.label.lower()}"
    noun = den.label.lower()
    noun = noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun
    return f"{num.label} per {noun}"
