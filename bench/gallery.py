"""A gallery of every chart shape, drawn from real answers on the sample lake: `make gallery`.

Writes one PNG per shape into a folder (default ``charts-out/``, ignored by git) with an
index.html to look at them together, and prints each file with the chart kind chosen.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import re
import sys
import time
from pathlib import Path

from bot.bootstrap import build_local, ensure_sample_lake
from bot.settings import Settings
from charts.choose import choose_chart
from charts.render import render_png
from engine.chart_hints import chart_hints
from engine.domain import LOCAL_ANALYST
from engine.presenter import describe_query

AS_OF = dt.date(2025, 12, 31)
# (shape, question): one question per chart shape the charts package draws
SHAPES = [
    ("bars by category", "revenue by customer region in 2024"),
    ("bars, many categories, cut", "revenue by store in 2025"),
    ("share, the asked value highlighted", "what share of revenue comes from online"),
    ("share by category", "share of revenue by category in 2025"),
    ("rate by category", "return rate by category in 2025"),
    ("average on a floor", "csat by ticket channel"),
    ("average per segment", "average order value by segment in 2025"),
    ("monthly line", "monthly revenue in 2025"),
    ("quarterly line", "quarterly revenue since 2024"),
    ("weekly line", "weekly orders last quarter"),
    ("daily line", "daily orders last 30 days"),
    ("average over time", "csat by month in 2025"),
    ("lines by category", "revenue by month by category in 2025"),
    ("many lines", "orders by month by store city in 2025"),
    ("periods overlaid", "monthly revenue this year vs last year"),
    ("periods by category", "revenue 2024 vs 2025 by category"),
    ("periods alone", "revenue 2024 vs 2025"),
    ("two measures over time", "revenue and orders by month in 2025"),
    ("two measures by category", "revenue and units sold by category in 2025"),
    ("two breakdowns, grouped", "revenue by category and sales channel in 2025"),
    ("two breakdowns, stacked", "revenue by category and brand in 2025"),
    ("growth", "revenue growth by month in 2025"),
    ("listing: no chart", "show the 5 most recent orders over $1000"),
    ("one value: no chart", "revenue this year"),
]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("charts-out"))
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    ensure_sample_lake(settings)
    app = build_local(settings, charts=False)
    args.out.mkdir(parents=True, exist_ok=True)
    cells = []
    for i, (shape, question) in enumerate(SHAPES, 1):
        answer = app.engine.ask(question, LOCAL_ANALYST, AS_OF, charts=False)
        if answer.status != "answered" or answer.table is None:
            print(f"{shape:38} {question!r}: {answer.status}: {answer.message}", file=sys.stderr)
            continue
        prepared = app.engine.prepare(question, LOCAL_ANALYST, AS_OF)
        title = describe_query(prepared.query, app.model) if prepared.query else question
        spec = choose_chart(answer.table, title, answer.column_labels, answer.column_formats,
                            chart_hints(prepared.query, app.model))
        if spec is None:
            print(f"{shape:38} {question!r}: no chart ({answer.table.row_count} rows)")
            cells.append(f"<figure><figcaption>{html.escape(shape)}: <i>{html.escape(question)}</i> "
                         "&mdash; no chart</figcaption></figure>")
            continue
        started = time.perf_counter()
        png = render_png(spec, answer.table)
        elapsed = (time.perf_counter() - started) * 1000
        path = args.out / f"{i:02d}-{slug(shape)}.png"
        path.write_bytes(png)
        print(f"{shape:38} {spec.kind:8} {elapsed:6.0f} ms  {path}")
        cells.append(f"<figure><img src='{path.name}' width='800'><figcaption>{html.escape(shape)}: "
                     f"<i>{html.escape(question)}</i> ({spec.kind})</figcaption></figure>")
    (args.out / "index.html").write_text("<!doctype html><meta charset='utf-8'><title>Chart gallery</title>"
                                         "<body style='font-family:sans-serif'>" + "\n".join(cells))
    print(f"gallery: {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
