"""The one-sentence summary that says exactly what was computed, and column labels."""

from __future__ import annotations

import datetime as dt

from engine import derived_sql, derived_summary
from engine.compiler import DEFAULT_LIMIT, GROWTH_COLUMN, SHARE_COLUMN, count_column
from engine.domain import ResultTable
from engine.formatting import format_value, period_start
from engine.grouping import row_names
from engine.semantic_model import SemanticModel
from engine.semantic_query import Condition, SemanticQuery
from engine.language.timeparse import range_label

_OP_WORDS = {">": "over", ">=": "at least", "<": "under", "<=": "at most", "=": "equal to"}


def period_label(value: object, grain: str) -> str:
    """A period start as people say it: "Mar 2025", "Q1 2025", "2025", "week of 3 Mar 2025"."""
    if not isinstance(value, (dt.date, dt.datetime)):
        return str(value)
    # in a sentence a week is "week of 3 Mar 2025" (a table's column says "W10 2025")
    return f"week of {period_start(value, 'day')}" if grain == "week" else period_start(value, grain)


def column_labels(query: SemanticQuery, model: SemanticModel) -> dict[str, str]:
    if query.entity:
        entity = model.entities[query.entity]
        labels = {ref.column: ref.column.replace("_", " ").capitalize() for ref in entity.show}
        labels.update({m.name: m.label for m in entity.measures.values()})
        labels[count_column(entity)] = f"{entity.label}s"
        return labels
    labels = {m: model.metrics[m].label for m in query.metrics}
    labels.update({d: model.dimensions[d].label for d in query.dimensions})
    labels.update(_key_labels(query, model))
    if query.grain:
        labels[query.grain] = query.grain.capitalize()
    if query.compare:
        labels["period"] = "Period"
    if query.share:
        labels[SHARE_COLUMN] = "Share of total"
    if query.growth:
        labels[GROWTH_COLUMN] = f"Change vs previous {query.grain or 'period'}" if not query.growth_over else \
            f"Change vs the same {query.grain} a {query.growth_over} before"
    labels.update(derived_sql.labels(query, model))
    return labels


def _key_labels(query: SemanticQuery, model: SemanticModel) -> dict[str, str]:
    """Labels of the key columns shown next to names that repeat ("Customer ID")."""
    labels = {}
    for name in query.dimensions:
        dim = model.dimensions[name]
        if dim.key is not None and dim.key_alias:
            suffix = "ID" if dim.key.column == "id" or dim.key.column.endswith("_id") else "key"
            labels[dim.key_alias] = f"{dim.label} {suffix}"
    return labels


def column_formats(query: SemanticQuery, model: SemanticModel) -> dict[str, str]:
    if query.entity:
        entity = model.entities[query.entity]
        formats = {m.name: m.format for m in entity.measures.values()}
        formats.update({ref.column: "id" for ref in entity.show
                        if ref.column == entity.key.column or ref.column.endswith("_id")})
        formats[count_column(entity)] = "integer"
        return formats
    formats = {m: model.metrics[m].format for m in query.metrics}
    if query.grain:  # period starts shown as "Jan 2025", "Q1 2025"
        formats[query.grain] = query.grain
    formats.update({alias: "id" for alias in _key_labels(query, model)})
    if query.share:
        formats[SHARE_COLUMN] = "percent"
    if query.growth:
        formats[GROWTH_COLUMN] = "percent"
    formats.update(derived_sql.formats(query, model))
    return formats


def describe_condition(condition: Condition, label: str, fmt: str) -> str:
    """E.g. "revenue over $1M", "order value between $100 and $500"."""
    def show(value: float) -> str:
        if fmt == "currency" and value < 1_000_000 and value == int(value):
            return f"${value:,.0f}"  # "$1,000", not "$1.0K": the threshold as the user said it
        return format_value(value, fmt, compact=value >= 1_000_000)

    if condition.op == "between" and condition.high is not None:
        return f"{label} between {show(condition.value)} and {show(condition.high)}"
    return f"{label} {_OP_WORDS[condition.op]} {show(condition.value)}"


def _describe_listing(query: SemanticQuery, model: SemanticModel) -> str:
    entity = model.entities[query.entity or ""]
    text = f"{entity.label}s"
    parts = [describe_condition(c, entity.measures[c.target].label.lower(), entity.measures[c.target].format)
             for c in query.conditions]
    parts += [_describe_filter(f.dimension, f.values, f.negate, model) for f in query.filters]
    if query.absent:  # "with no revenue in 1 Nov 2025 - 30 Nov 2025": the event's window, not theirs
        absent = f"with no {model.metrics[query.absent].label.lower()}"
        absent += "".join(", " + _describe_filter(f.dimension, f.values, f.negate, model) for f in query.absent_filters)
        parts.append(absent + (f" in {query.absent_range.describe()}" if query.absent_range else " ever"))
    if entity.time is not None and (query.time_range or not query.absent):
        parts.append(query.time_range.describe() if query.time_range else "all time")
    if query.sort and not query.count:
        if query.sort == "time":
            parts.append("most recent first" if query.order != "asc" else "oldest first")
        else:
            label = entity.measures[query.sort].label.lower()
            parts.append(f"by {label}, {'highest' if query.order != 'asc' else 'lowest'} first")
    if query.limit and not query.count:
        parts.append(f"first {query.limit}")
    return text + (", " + ", ".join(parts) if parts else "")


def _describe_filter(dimension: str, values: list[str], negate: bool, model: SemanticModel) -> str:
    label = model.dimensions[dimension].label.lower()
    verb = ("not in" if negate else "in") if len(values) > 1 else ("is not" if negate else "is")
    return f"{label} {verb} {', '.join(values)}"


def describe_query(query: SemanticQuery, model: SemanticModel) -> str:
    """E.g. "Revenue (completed orders) by customer region, 1 Jan 2024 - 31 Dec 2024"."""
    if query.entity:
        return _describe_listing(query, model)
    if not query.metrics and not query.of_measure:  # the values of a dimension
        text = " and ".join(model.dimensions[d].label for d in query.dimensions) + " values"
        return text + "".join(", " + _describe_filter(f.dimension, f.values, f.negate, model)
                              for f in query.filters)
    parts = []
    for name in query.metrics:
        metric = model.metrics[name]
        parts.append(f"{metric.label} ({metric.filter_label})" if metric.filter_label else metric.label)
    text = derived_summary.measure_text(query, model) or " and ".join(parts)
    by = [model.dimensions[d].label.lower() for d in query.dimensions]
    if query.grain:
        by.insert(0, query.grain)
    if by:
        text += " by " + " and ".join(by)
    if query.share:
        text += ", share of total"
    if query.growth and query.compare:
        text += f", change {derived_summary.compare_text(query)}"
    elif query.growth and query.growth_over:
        text += f", change vs the same {query.grain} a {query.growth_over} before"
    elif query.growth:
        text += f", change vs previous {query.grain}"
    for f in query.filters:
        text += ", " + _describe_filter(f.dimension, f.values, f.negate, model)
    for c in query.conditions:
        metric = model.metrics[c.target]
        text += ", " + describe_condition(c, metric.label.lower(), metric.format)
    if query.compare and not query.growth:
        text += ", " + " vs ".join(range_label(r) for r in query.compare)
    elif not query.compare:
        text += f", {query.time_range.describe()}" if query.time_range else ", all time"
    if query.rank_within:
        within = " and ".join(model.dimensions[d].label.lower() for d in query.rank_within)
        text += f", {'top' if query.order != 'asc' else 'bottom'} {query.limit or 'all'} in each {within}"
    elif query.limit and query.order and (query.dimensions or query.grain):
        if query.limit > 1:  # one row: the sentence itself says "led with" or "was lowest"
            text += f", {'top' if query.order == 'desc' else 'bottom'} {query.limit}"
    return text


def _summarize_listing(query: SemanticQuery, model: SemanticModel, table: ResultTable, head: str) -> str:
    entity = model.entities[query.entity or ""]
    if query.count:
        count = table.rows[0][0] if table.rows else 0
        return f"{head}: {format_value(count, 'integer')}."
    noun = entity.label.lower() + ("" if table.row_count == 1 else "s")
    # rows cut by the answer's cap, or as many as the query's own default LIMIT let through: the
    # count is a floor, never the number that matched
    if table.truncated or (not query.limit and table.row_count >= DEFAULT_LIMIT):
        return f"{head}: at least {table.row_count:,} {noun} (the first {table.row_count:,} shown; more may match)."
    return f"{head}: {table.row_count:,} {noun}."


def _summarize_compare(query: SemanticQuery, model: SemanticModel, table: ResultTable, head: str) -> str:
    metric = model.metrics[query.metrics[0]]
    labels = [range_label(r) for r in query.compare]
    totals: dict[str, float] = {}
    for period, value in zip(table.column("period"), table.column(metric.name)):
        totals[period] = totals.get(period, 0.0) + float(value or 0)
    shown = [f"{p} {format_value(totals[p], metric.format, compact=True)}" for p in labels if p in totals]
    change = ""
    first, last = labels[0], labels[-1]
    if metric.additive and totals.get(first) and last in totals:
        delta = totals[last] / totals[first] - 1
        change = f" ({'+' if delta >= 0 else ''}{delta:.1%} {last} vs {first})"
    if query.dimensions and not metric.additive:
        return f"{head}: {table.row_count} rows across {len(totals)} periods."
    return f"{head}: {', '.join(shown)}{change}."


def _summarize_share(query: SemanticQuery, model: SemanticModel, table: ResultTable, head: str) -> str:
    metric = model.metrics[query.metrics[0]]
    rows = list(zip(row_names(query, model, table), table.column(metric.name), table.column(SHARE_COLUMN)))
    # the total of every row, not only those shown (a top 10 still has shares of the whole)
    total = next((float(v) / s for _, v, s in rows if v and s), sum(float(v or 0) for _, v, _ in rows))
    missing = model.missing_labels(model.dimensions[query.dimensions[0]].column.table)
    members = [r for r in rows if r[0] not in missing]
    picked = [r for r in rows if str(r[0]).lower() in {h.lower() for h in query.highlight}] or members[:1]
    picked += [r for r in rows if r[0] in missing and r not in picked]  # what the members leave out
    parts = [f"{name} {format_value(share, 'percent')} ({format_value(value, metric.format, compact=True)})"
             for name, value, share in picked]
    return f"{head}: {', '.join(parts)} of {format_value(total, metric.format, compact=True)} in total."


def summarize(query: SemanticQuery, model: SemanticModel, table: ResultTable) -> str:
    """The one-sentence summary, then how the question was read (corrections, assumptions)."""
    text = _summarize(query, model, table)
    if query.notes:
        notes = "; ".join(query.notes)
        text += f" ({notes[0].upper()}{notes[1:]}.)"
    return text


def _summarize(query: SemanticQuery, model: SemanticModel, table: ResultTable) -> str:
    head = describe_query(query, model)
    if query.entity:
        return _summarize_listing(query, model, table, head)
    if not query.metrics and not query.of_measure:
        shown = ", ".join(str(r[0]) for r in table.rows[:8]) + (", ..." if table.row_count > 8 else "")
        return f"{head}: {table.row_count} ({shown})." if table.rows else f"{head}: none."
    if table.row_count == 0:
        return f"{head}: no data matched."
    derived = derived_summary.summarize(query, model, table, head)
    if derived is not None:
        return derived
    if query.compare:
        return _summarize_compare(query, model, table, head)
    if query.share:
        return _summarize_share(query, model, table, head)
    metric = model.metrics[query.metrics[0]]
    values = table.column(metric.name)

    def fmt(value: object) -> str:
        return format_value(value, metric.format, compact=True)

    if not query.dimensions and not query.grain:
        if all(table.column(m)[0] is None for m in query.metrics):  # an aggregate of no rows
            return f"{head}: no data matched."
        rest = ", ".join(f"{model.metrics[m].label.lower()} {format_value(table.column(m)[0], model.metrics[m].format, compact=True)}"
                         for m in query.metrics[1:])
        return f"{head}: {fmt(values[0])}" + (f"; {rest}." if rest else ".")
    if query.grain and not query.dimensions:
        periods = [period_label(p, query.grain) for p in table.column(query.grain)]
        if query.order:  # ranked periods: "top 3 months"
            return f"{head}: {periods[0]} {'was lowest with' if query.order == 'asc' else 'led with'} {fmt(values[0])}."
        peak = max(zip(periods, values), key=lambda p: p[1] if p[1] is not None else float("-inf"))
        latest = ""
        if query.growth and table.column(GROWTH_COLUMN)[-1] is not None:
            change = table.column(GROWTH_COLUMN)[-1]
            before = f"the same {query.grain} a {query.growth_over} before" if query.growth_over else \
                (periods[-2] if table.row_count > 1 else f"the {query.grain} before")
            latest = f"; {periods[-1]} was {'+' if change >= 0 else ''}{change:.1%} on {before}"
        if table.row_count == 1:
            return f"{head}: {fmt(values[0])} in {periods[0]}{latest}."
        return (f"{head}: from {fmt(values[0])} in {periods[0]} to {fmt(values[-1])} in "
                f"{periods[-1]}, peaking at {fmt(peak[1])} in {peak[0]}{latest}.")
    names = row_names(query, model, table)
    missing = model.missing_labels(model.dimensions[query.dimensions[0]].column.table)
    if query.grain:
        totals: dict[object, float] = {}
        for name, value in zip(names, values):
            totals[name] = totals.get(name, 0.0) + (value or 0)
        members = [k for k in totals if k not in missing] or list(totals)
        leader_name = max(members, key=lambda k: totals[k])
        periods = table.column(query.grain)
        span = f"{period_label(min(periods), query.grain)} to {period_label(max(periods), query.grain)}"
        if metric.additive:
            return f"{head}: {leader_name} led with {fmt(totals[leader_name])} in total, {span}."
        return f"{head}: {len(totals)} series over {len(set(periods))} periods, {span}."
    # the group of rows without a match ("(no store)") is not a member: it never leads
    first = next((i for i, n in enumerate(names) if n not in missing), 0)
    name, value = names[first], values[first]
    lowest = query.order == "asc"
    total = sum(v for v in values if v is not None)
    with_shares = metric.additive and total and not query.limit and not query.conditions

    def share(part: object) -> str:
        return f" ({part / total:.0%})" if with_shares and part is not None else ""  # type: ignore[operator]

    if metric.additive:
        verb = "was lowest with" if lowest else "led with"
    else:
        verb = "was lowest at" if lowest else "was highest at"
    unmatched = "".join(f"; {n} {fmt(v)}{share(v)}" for i, (n, v) in enumerate(zip(names, values))
                        if n in missing and i != first)
    return f"{head}: {name} {verb} {fmt(value)}{share(value)}{unmatched}."
