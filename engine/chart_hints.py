"""What a question's result columns mean, for the chart: ChartHints from the semantic query."""

from __future__ import annotations

from engine.compiler import GROWTH_COLUMN, SHARE_COLUMN
from engine.domain import ChartHints
from engine.language.timeparse import range_label
from engine.semantic_model import SemanticModel
from engine.semantic_query import SemanticQuery


def chart_hints(query: SemanticQuery | None, model: SemanticModel) -> ChartHints:
    """Hints for a rules query; a planner's own SQL (``query`` None) gets none: its shape decides."""
    if query is None:
        return ChartHints()
    if query.entity or not query.metrics:  # listings and the values of a dimension are tables
        return ChartHints(listing=True)
    averages = tuple(m for m in query.metrics if not model.metrics[m].additive)
    return ChartHints(
        time=query.grain, grain=query.grain,
        periods=tuple(range_label(r) for r in query.compare),
        measures=tuple(query.metrics), dimensions=tuple(query.dimensions),
        share=SHARE_COLUMN if query.share else None,
        growth=GROWTH_COLUMN if query.growth else None,
        highlight=tuple(query.highlight), averages=averages,
        ranked=bool(query.order and query.limit))
