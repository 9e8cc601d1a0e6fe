"""Charts: ResultTable (+ what the question asked) -> chart choice -> PNG bytes."""

from __future__ import annotations

from charts.choose import ChartSpec, choose_chart
from engine.domain import ChartHints, ResultTable


def make_chart(table: ResultTable, title: str, labels: dict[str, str], formats: dict[str, str],
               hints: ChartHints | None = None) -> tuple[str, bytes] | None:
    """The engine's ChartMaker: (kind, PNG) for tables a chart helps with, else None."""
    spec = choose_chart(table, title, labels, formats, hints)
    if spec is None:
        return None
    from charts.render import render_png  # matplotlib is imported only when a chart is drawn

    return spec.kind, render_png(spec, table)


__all__ = ["ChartSpec", "choose_chart", "make_chart"]
