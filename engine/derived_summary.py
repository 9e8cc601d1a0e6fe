"""Summary sentences for derived measures: ratios, percentiles, counts over a condition and
growth rankings (the SQL is in ``engine.derived_sql``)."""

from __future__ import annotations

from engine import derived_sql
from engine.domain import ResultTable
from engine.formatting import format_value
from engine.grouping import first_member
from engine.language.timeparse import range_label
from engine.semantic_model import SemanticModel
from engine.semantic_query import SemanticQuery


def measure_text(query: SemanticQuery, model: SemanticModel) -> str | None:
    """What is measured, for a derived measure ("Revenue per buyer (completed orders)")."""
    if query.ratio:
        num, den = (model.metrics[m] for m in query.ratio)
        label = derived_sql.ratio_label(query, model)
        if derived_sql.is_rate(query, model):
            return f"{label} ({num.filter_label} / {den.filter_label or 'all'})"
        return f"{label} ({num.filter_label})" if num.filter_label else label
    if query.percentile is not None or query.of_measure:
        labels = derived_sql.labels(query, model)
        if query.of_measure:
            entity = model.entities[query.of_measure.split(".")[0]].label.lower()
            label = next(iter(labels.values()))
            label = label if entity in label.lower() else f"{label} per {entity}"
            defining = derived_sql.defining_metric(model, query)
            scope = defining.filter_label if defining is not None and defining.filter_expression is not None \
                else f"all {entity}s"
            return f"{label} ({scope})"
        metric = model.metrics[query.metrics[0]]
        text = labels[metric.name]
        return f"{text} ({metric.filter_label})" if metric.filter_label else text
    if query.count_of:
        entity = model.entities[query.count_of]
        scope = model.metrics[query.scope] if query.scope else None
        return f"{entity.label}s counted" + (f" ({scope.filter_label})" if scope and scope.filter_label else "")
    return None


def summarize(query: SemanticQuery, model: SemanticModel, table: ResultTable, head: str) -> str | None:
    """The summary sentence of a derived measure's answer, or None for other answers."""
    if not table.rows:
        return None
    if query.share and query.highlight and (len(query.dimensions) > 1 or query.grain):  # "no-show rate by clinic"
        by = query.dimensions[1] if len(query.dimensions) > 1 else query.grain or ""
        rows = sorted(zip(table.column(by), table.column("share_of_total")), key=lambda r: -(r[1] or 0))
        if by == query.grain:
            from engine.presenter import period_label
            rows = [(period_label(p, by), v) for p, v in rows]
        top, low = rows[0], rows[-1]
        value = ", ".join(query.highlight)
        if len(rows) == 1:
            return f"{head}: {value} is {format_value(top[1], 'percent')} in {top[0]}."
        return (f"{head}: {value} highest in {top[0]} ({format_value(top[1], 'percent')}), lowest in "
                f"{low[0]} ({format_value(low[1], 'percent')}).")
    if query.rank_within:
        ranked = [d for d in query.dimensions if d not in query.rank_within][0]
        group = query.rank_within[0]
        firsts = [(g, r) for g, r, k in zip(table.column(group), table.column(ranked), table.column("rank")) if k == 1]
        shown = "; ".join(f"{g}: {r}" for g, r in firsts[:6]) + ("; ..." if len(firsts) > 6 else "")
        return f"{head}: {shown}."
    if query.count_of:
        column = f"{query.count_of}_count"
        if query.share and not query.dimensions and not query.grain:
            part, whole = table.column(column)[0], table.column(f"all_{column}")[0]
            return (f"{head}: {format_value(part, 'integer')} of {format_value(whole, 'integer')} "
                    f"({format_value(table.column('share_of_total')[0], 'percent')}).")
        if not query.dimensions and not query.grain:
            return f"{head}: {format_value(table.column(column)[0], 'integer')}."
        key = query.dimensions[0] if query.dimensions else query.grain
        counts = list(zip(table.column(key), table.column(column)))
        top = max(counts, key=lambda kv: kv[1])
        total = sum(c for _, c in counts)
        return f"{head}: {format_value(total, 'integer')} in all, most in {top[0]} ({format_value(top[1], 'integer')})."
    if query.growth and query.compare and query.dimensions:
        metric = model.metrics[query.metrics[0]]
        index, name = first_member(query, model, table)
        row = table.rows[index]
        change = row[table.columns.index("change_vs_previous")]
        now = format_value(row[table.columns.index(metric.name)], metric.format, compact=True)
        before = format_value(row[table.columns.index(metric.name + derived_sql.PREVIOUS_SUFFIX)],
                              metric.format, compact=True)
        if change is None:
            return f"{head}: {name} had nothing in the earlier period to compare with."
        verb = "grew most" if query.order != "asc" else "grew least"
        return f"{head}: {name} {verb}, {'+' if change >= 0 else ''}{change:.1%} ({now} vs {before})."
    if query.ratio and not query.dimensions and not query.grain:
        column = derived_sql.ratio_column(query)
        value = table.column(column)[0]
        fmt = derived_sql.ratio_format(query, model)
        parts = [f"{format_value(table.column(m)[0], model.metrics[m].format, compact=True)} "
                 f"{model.metrics[m].label.lower()}" for m in query.ratio]
        return f"{head}: {format_value(value, fmt)} ({' / '.join(parts)})."
    if query.ratio:
        column = derived_sql.ratio_column(query)
        fmt = derived_sql.ratio_format(query, model)
        key = query.dimensions[0] if query.dimensions else query.grain
        index, name = first_member(query, model, table) if query.dimensions else (0, "")
        row = table.rows[index]
        if not query.dimensions:
            name = row[table.columns.index(key)] if key in table.columns else ""
        verb = "was lowest at" if query.order == "asc" else "was highest at"
        return f"{head}: {name} {verb} {format_value(row[table.columns.index(column)], fmt)}."
    if query.of_measure and (query.dimensions or query.grain):
        labels = derived_sql.labels(query, model)
        column = next(iter(labels))
        fmt = derived_sql.formats(query, model)[column]
        key = query.dimensions[0] if query.dimensions else query.grain
        index, name = first_member(query, model, table) if query.dimensions else (0, "")
        row = table.rows[index]
        if not query.dimensions:
            name = str(row[table.columns.index(key)])
        return f"{head}: {name} was highest at {format_value(row[table.columns.index(column)], fmt)}."
    if (query.percentile is not None or query.of_measure) and not query.dimensions and not query.grain:
        labels = derived_sql.labels(query, model)
        column = next(iter(labels)) if query.of_measure else query.metrics[0]
        fmts = derived_sql.formats(query, model)
        fmt = fmts.get(column) or model.metrics[query.metrics[0]].format
        return f"{head}: {format_value(table.column(column)[0], fmt)}."
    return None


def compare_text(query: SemanticQuery) -> str:
    return " vs ".join(range_label(r) for r in reversed(query.compare))
