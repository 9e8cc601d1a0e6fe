"""The one-sentence summary that says exactly what was computed, and column labels."""

from __future__ import annotations

from engine.domain import ResultTable
from engine.formatting import format_value
from engine.semantic_model import SemanticModel
from engine.semantic_query import SemanticQuery


def column_labels(query: SemanticQuery, model: SemanticModel) -> dict[str, str]:
    labels = {m: model.metrics[m].label for m in query.metrics}
    labels.update({d: model.dimensions[d].label for d in query.dimensions})
    if query.grain:
        labels[query.grain] = query.grain.capitalize()
    return labels


def column_formats(query: SemanticQuery, model: SemanticModel) -> dict[str, str]:
    return {m: model.metrics[m].format for m in query.metrics}


def describe_query(query: SemanticQuery, model: SemanticModel) -> str:
    """E.g. "Revenue (completed orders) by customer region, 1 Jan 2024 - 31 Dec 2024"."""
    parts = []
    for name in query.metrics:
        metric = model.metrics[name]
        parts.append(f"{metric.label} ({metric.filter_label})" if metric.filter_label else metric.label)
    text = " and ".join(parts)
    by = [model.dimensions[d].label.lower() for d in query.dimensions]
    if query.grain:
        by.insert(0, query.grain)
    if by:
        text += " by " + " and ".join(by)
    for f in query.filters:
        label = model.dimensions[f.dimension].label.lower()
        values = ", ".join(f.values)
        text += f", {label} {'not ' if f.negate else ''}{'in' if len(f.values) > 1 else 'is'} {values}"
    text += f", {query.time_range.describe()}" if query.time_range else ", all time"
    if query.limit and query.order and (query.dimensions or query.grain):
        text += f", {'top' if query.order == 'desc' else 'bottom'} {query.limit}"
    return text


def summarize(query: SemanticQuery, model: SemanticModel, table: ResultTable) -> str:
    head = describe_query(query, model)
    if table.row_count == 0:
        return f"{head}: no data matched."
    metric = model.metrics[query.metrics[0]]
    values = table.column(metric.name)

    def fmt(value: object) -> str:
        return format_value(value, metric.format, compact=True)

    if not query.dimensions and not query.grain:
        rest = ", ".join(f"{model.metrics[m].label.lower()} {format_value(table.column(m)[0], model.metrics[m].format, compact=True)}"
                         for m in query.metrics[1:])
        return f"{head}: {fmt(values[0])}" + (f"; {rest}." if rest else ".")
    if query.grain and not query.dimensions:
        periods = table.column(query.grain)
        first, last = (periods[0], values[0]), (periods[-1], values[-1])
        peak = max(zip(periods, values), key=lambda p: p[1] if p[1] is not None else float("-inf"))
        return (f"{head}: from {fmt(first[1])} ({format_value(first[0])}) to {fmt(last[1])} "
                f"({format_value(last[0])}), peaking at {fmt(peak[1])} ({format_value(peak[0])}).")
    key = query.dimensions[0]
    leader = table.rows[0]
    name = leader[table.columns.index(key)]
    value = leader[table.columns.index(metric.name)]
    if query.grain:
        return f"{head}: {table.row_count} rows."
    lowest = query.order == "asc"
    share = ""
    total = sum(v for v in values if v is not None)
    if metric.additive and total and not query.limit and value is not None:
        share = f" ({value / total:.0%})"
    verb = "was lowest with" if lowest else "led with"
    return f"{head}: {name} {verb} {fmt(value)}{share}."
