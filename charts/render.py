"""Render a ChartSpec to PNG bytes with matplotlib's object API (Agg, no pyplot global state)."""

from __future__ import annotations

import io
import textwrap
from collections import Counter, defaultdict

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from charts.choose import MAX_BARS, MAX_SERIES, ChartSpec
from engine.domain import ResultTable
from engine.formatting import format_value

_COLORS = ["#2F6FDE", "#F28E2B", "#59A14F", "#E15759", "#76B7B2", "#EDC948", "#B07AA1", "#9C755F"]


def render_png(spec: ChartSpec, table: ResultTable, dpi: int = 100) -> bytes:
    fig = Figure(figsize=(8, 4.5), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    xs, ys = table.column(spec.x), table.column(spec.y)
    if spec.x_key:  # names that repeat are told apart by their key
        seen = Counter(str(x) for x in xs)
        xs = [f"{x} ({k})" if seen[str(x)] > 1 else x for x, k in zip(xs, table.column(spec.x_key))]
    fmt = FuncFormatter(lambda v, _pos: format_value(v, spec.y_format, compact=True))
    if spec.kind == "line":
        if spec.series:
            groups: dict[str, list[tuple]] = defaultdict(list)
            for x, y, s in zip(xs, ys, table.column(spec.series)):
                groups[str(s)].append((x, y))
            top = sorted(groups, key=lambda k: -sum(v or 0 for _, v in groups[k]))[:MAX_SERIES]
            for i, name in enumerate(top):
                points = sorted(groups[name])
                ax.plot([p[0] for p in points], [p[1] for p in points], label=name,
                        color=_COLORS[i % len(_COLORS)], linewidth=1.8)
            ax.legend(fontsize=8, frameon=False)
        else:
            ax.plot(xs, ys, color=_COLORS[0], linewidth=2, marker="o" if len(xs) <= 24 else None,
                    markersize=3)
        ax.yaxis.set_major_formatter(fmt)
        fig.autofmt_xdate()
    elif spec.series:  # grouped bars: one colour per series value ("2024", "2025")
        series = list(dict.fromkeys(str(v) for v in table.column(spec.series)))[:MAX_SERIES]
        names = list(dict.fromkeys(str(x) for x in xs))[:MAX_BARS]
        cells = {(str(x), str(s)): y or 0 for x, y, s in zip(xs, ys, table.column(spec.series))}
        width = 0.8 / max(1, len(series))
        for i, name in enumerate(series):
            ax.bar([n + i * width - 0.4 + width / 2 for n in range(len(names))],
                   [cells.get((x, name), 0) for x in names], width, label=name,
                   color=_COLORS[i % len(_COLORS)])
        ax.set_xticks(range(len(names)), names, fontsize=8, rotation=30 if len(names) > 6 else 0)
        ax.yaxis.set_major_formatter(fmt)
        ax.legend(fontsize=8, frameon=False)
    else:
        pairs = list(zip(xs, ys))[:MAX_BARS]
        names = [str(p[0]) for p in pairs]
        values = [p[1] or 0 for p in pairs]
        if spec.kind == "hbar":
            ax.barh(names[::-1], values[::-1], color=_COLORS[0])
            ax.xaxis.set_major_formatter(fmt)
            ax.tick_params(axis="y", labelsize=8)
        else:
            ax.bar(names, values, color=_COLORS[0])
            ax.yaxis.set_major_formatter(fmt)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title("\n".join(textwrap.wrap(spec.title, 95)), fontsize=10, loc="left")
    if spec.kind != "hbar":
        ax.set_ylabel(spec.y_label)
    ax.grid(axis="x" if spec.kind == "hbar" else "y", alpha=0.3)
    fig.subplots_adjust(left=0.22 if spec.kind == "hbar" else 0.12, right=0.97, top=0.86, bottom=0.18)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
