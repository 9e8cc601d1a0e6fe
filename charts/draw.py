"""One drawer per chart kind: each lays out a Canvas (see charts/render.py) and draws on its axes."""

from __future__ import annotations

import textwrap
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from matplotlib.axes import Axes
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from charts import periods, style
from charts.choose import MAX_BARS, MAX_GROUPED, MAX_SERIES, ChartSpec
from engine.domain import ResultTable

if TYPE_CHECKING:
    from charts.render import Canvas

MAX_LABELLED = 14  # vertical bars or points that get a value label each
LABEL_CHARS = 28  # a category label longer than this is cut with an ellipsis


# -- shared pieces ----------------------------------------------------------------------------
def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _short(text: Any, limit: int = LABEL_CHARS) -> str:
    text = str(text) if text is not None else "(none)"
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _value_range(canvas: Canvas, values: list[float], floor: bool, room: float = 0.06) -> tuple[float, float]:
    """The value axis: from zero (or a floor above it for clustered averages, said in the notes)."""
    low, high = min(values + [0.0]), max(values + [0.0])
    if floor and values and min(values) > 0:
        low = style.nice_floor(min(values), max(values))
        if low > 0:
            canvas.notes.append(f"axis starts at {style.tick_text(low, canvas.spec.y_format, _step(low, high))}")
    span = (high - low) or 1.0
    return low - (span * room if low < 0 else 0.0), high + span * room


def _step(low: float, high: float) -> float:
    ticks = MaxNLocator(nbins=5).tick_values(low, high)
    return float(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0


def _tick_labels(low: float, high: float, kind: str) -> tuple[list[float], list[str]]:
    ticks = [float(t) for t in MaxNLocator(nbins=5).tick_values(low, high) if low - 1e-9 <= t <= high + 1e-9]
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    return ticks, [style.tick_text(t, kind, step) for t in ticks]


def _value_axis(ax: Axes, low: float, high: float, kind: str, axis: str = "y") -> None:
    ticks, texts = _tick_labels(low, high, kind)
    target = ax.yaxis if axis == "y" else ax.xaxis
    (ax.set_ylim if axis == "y" else ax.set_xlim)(low, high)
    target.set_major_locator(FixedLocator(ticks))
    target.set_major_formatter(FuncFormatter(lambda v, pos: texts[pos] if pos is not None and pos < len(texts) else ""))
    ax.grid(axis=axis, color=style.GRID, linewidth=1)


def _left_for_values(canvas: Canvas, low: float, high: float, kind: str) -> None:
    _, texts = _tick_labels(low, high, kind)
    canvas.left = max(0.45, max(canvas.text_width(t) for t in texts) + 0.3)


def _left_for_names(canvas: Canvas, names: list[str]) -> None:
    canvas.left = min(3.2, max(canvas.text_width(n) for n in names) + 0.32)


def _room_for_time(canvas: Canvas, grain: str | None) -> None:
    """Tick labels carry the year on a second line ("Jan\n2025") except for years."""
    canvas.bottom = 0.5 if grain == "year" else 0.72


def _time_axis(ax: Axes, days: list[Any], grain: str) -> None:
    positions, labels = periods.ticks(days, grain)
    ax.set_xticks(positions, labels)
    if days:
        every = [periods.ordinal(d, grain) for d in days]
        ax.set_xlim(min(every) - 0.5, max(every) + 0.5)


def _series(table: ResultTable, spec: ChartSpec, y: str | None = None) -> dict[str, list[tuple[int, Any, float]]]:
    """(ordinal, date, value) points per series ("" without one), in time order."""
    grain = spec.grain or "day"
    groups: dict[str, list[tuple[int, Any, float]]] = defaultdict(list)
    keys = table.column(spec.series) if spec.series else [""] * table.row_count
    for x, value, key in zip(table.column(spec.x), table.column(y or spec.y), keys):
        day, number = periods.as_date(x), _number(value)
        if day is not None and number is not None:
            groups[str(key)].append((periods.ordinal(day, grain), day, number))
    return {k: sorted(v, key=lambda p: p[0]) for k, v in groups.items()}


def _top(groups: dict[str, list[tuple[int, Any, float]]], canvas: Canvas, noun: str) -> list[str]:
    ranked = sorted(groups, key=lambda k: -sum(abs(p[2]) for p in groups[k]))
    if len(ranked) > MAX_SERIES:
        canvas.notes.append(f"top {MAX_SERIES} of {len(ranked)} {noun or 'series'}")
    return ranked[:MAX_SERIES]


def _label_end(ax: Axes, x: float, y: float, text: str, colour: str = style.INK) -> None:
    ax.annotate(text, (x, y), xytext=(7, 0), textcoords="offset points", va="center", ha="left",
                fontsize=style.VALUE_SIZE, color=colour, fontweight="bold", family=style.FONT)


def _categories(table: ResultTable, spec: ChartSpec, y: str | None = None) -> list[tuple[str, float]]:
    """(name, value) per category: sorted by value (largest first) unless the rows' order was asked."""
    pairs = [(str(x) if x is not None else "(none)", _number(v) or 0.0)
             for x, v in zip(table.column(spec.x), table.column(y or spec.y))]
    return pairs if spec.keep_order else sorted(pairs, key=lambda p: -p[1])


def _cut(pairs: list[Any], canvas: Canvas, limit: int = MAX_BARS) -> list[Any]:
    if len(pairs) > limit:
        canvas.notes.append(f"top {limit} of {len(pairs)} {canvas.spec.noun or 'rows'}")
    return pairs[:limit]


def _colours(names: list[str], spec: ChartSpec) -> list[str]:
    named = {h.lower() for h in spec.highlight}
    if not named or not any(n.lower() in named for n in names):
        return [style.ACCENT] * len(names)
    return [style.ACCENT if n.lower() in named else style.MUTED for n in names]


# -- time -------------------------------------------------------------------------------------
def line(spec: ChartSpec, table: ResultTable, Canvas: type[Canvas]) -> Canvas:  # noqa: N803
    canvas = Canvas(spec)
    groups = _series(table, spec)
    names = _top(groups, canvas, _noun_of_series(spec)) if spec.series else list(groups)
    values = [p[2] for n in names for p in groups[n]]
    low, high = _value_range(canvas, values, spec.floor)
    if spec.series:
        canvas.legend = [(_short(n, 24), style.color(i), style.linestyle(i)) for i, n in enumerate(names)]
    _left_for_values(canvas, low, high, spec.y_format)
    canvas.right = 1.0 if not spec.series else 0.3
    _room_for_time(canvas, spec.grain)
    [ax] = canvas.axes()
    for i, name in enumerate(names):
        points = groups[name]
        xs, ys = [p[0] for p in points], [p[2] for p in points]
        single = not spec.series
        ax.plot(xs, ys, color=style.color(i), linestyle=style.linestyle(i), linewidth=2.8 if single else 2.2,
                marker="o" if single and len(xs) <= 24 else None, markersize=5, label=name, solid_capstyle="round")
        if single and xs:
            _label_end(ax, xs[-1], ys[-1], style.value_text(ys[-1], spec.y_format), style.color(i))
    _value_axis(ax, low, high, spec.y_format)
    _time_axis(ax, [p[1] for n in names for p in groups[n]], spec.grain or "day")
    return canvas


def _noun_of_series(spec: ChartSpec) -> str:
    from charts.choose import plural

    return plural(spec.label_of(spec.series)) if spec.series else ""


def overlay(spec: ChartSpec, table: ResultTable, Canvas: type[Canvas]) -> Canvas:  # noqa: N803
    """Compared periods on one axis: position within the period, one line per period."""
    canvas = Canvas(spec)
    groups = _series(table, spec)
    order = sorted(groups, key=lambda k: groups[k][0][1] if groups[k] else 0)  # earliest period first
    values = [p[2] for k in order for p in groups[k]]
    low, high = _value_range(canvas, values, spec.floor)
    latest = order[-1] if order else ""
    greys = ["#9AA5B1", "#CBD2D9", "#7B8794"]
    colours = {k: style.ACCENT if k == latest else (greys[i % 3] if len(order) <= 4 else style.color(i + 1))
               for i, k in enumerate(reversed(order[:-1]))}
    colours[latest] = style.ACCENT
    canvas.legend = [(k, colours[k], "-") for k in order]
    _left_for_values(canvas, low, high, spec.y_format)
    canvas.right = 1.0
    [ax] = canvas.axes()
    length = 0
    for key in order:
        points = groups[key]
        start = points[0][0]
        xs, ys = [p[0] - start for p in points], [p[2] for p in points]
        length = max(length, max(xs) + 1)
        ax.plot(xs, ys, color=colours[key], linewidth=3 if key == latest else 2.4, label=key,
                marker="o" if len(xs) <= 24 else None, markersize=4.5, zorder=3 if key == latest else 2)
        _label_end(ax, xs[-1], ys[-1], style.value_text(ys[-1], spec.y_format), colours[key])
    first = groups[order[0]] if order else []
    labels = periods.within_labels([p[1] for p in first], spec.grain or "day", length)
    step = 1 if length <= periods.MAX_TICKS else -(-length // periods.MAX_TICKS)
    ax.set_xticks(list(range(0, length, step)), labels[::step])
    ax.set_xlim(-0.5, length - 0.5)
    _value_axis(ax, low, high, spec.y_format)
    return canvas


def panels(spec: ChartSpec, table: ResultTable, Canvas: type[Canvas]) -> Canvas:  # noqa: N803
    """Two or three measures: one small panel each, sharing the time or category axis."""
    measures = [spec.y, *spec.extra]
    if spec.grain is None:
        return _category_panels(spec, table, Canvas, measures)
    canvas = Canvas(spec, height=style.HEIGHT + 1.3 * (len(measures) - 1))
    ranges = {}
    for m in measures:
        values = [p[2] for p in _series(table, spec, m).get("", [])]
        ranges[m] = _value_range(canvas, values, False)
    canvas.left = max(max(canvas.text_width(t) for t in _tick_labels(*ranges[m], spec.format_of(m))[1])
                      for m in measures) + 0.3
    canvas.right = 1.0
    canvas.top_pad = 0.3
    _room_for_time(canvas, spec.grain)
    axes = canvas.axes(rows=len(measures), share="x")
    for i, (ax, m) in enumerate(zip(axes, measures)):
        points = _series(table, spec, m).get("", [])
        xs, ys = [p[0] for p in points], [p[2] for p in points]
        ax.plot(xs, ys, color=style.color(i), linewidth=2.6, marker="o" if len(xs) <= 24 else None, markersize=4.5)
        if xs:
            _label_end(ax, xs[-1], ys[-1], style.value_text(ys[-1], spec.format_of(m)), style.color(i))
        ax.set_title(spec.label_of(m), loc="left", fontsize=style.LABEL_SIZE + 0.5, color=style.INK,
                     fontweight="bold", pad=6)
        _value_axis(ax, *ranges[m], spec.format_of(m))
        if i < len(axes) - 1:
            ax.tick_params(labelbottom=False)
    _time_axis(axes[-1], [p[1] for p in _series(table, spec).get("", [])], spec.grain)
    return canvas


def _category_panels(spec: ChartSpec, table: ResultTable, Canvas: type[Canvas],  # noqa: N803
                     measures: list[str]) -> Canvas:
    pairs = _categories(table, spec)
    canvas = Canvas(spec, height=_bar_height(min(len(pairs), MAX_BARS)))
    pairs = _cut(pairs, canvas)
    names = [p[0] for p in pairs]
    by_name = {m: dict(zip((str(x) for x in table.column(spec.x)), (_number(v) or 0.0 for v in table.column(m))))
               for m in measures}
    _left_for_names(canvas, [_short(n) for n in names])
    canvas.top_pad = 0.3
    canvas.bottom = 0.25
    axes = canvas.axes(cols=len(measures), share="y")
    positions = list(range(len(names)))[::-1]
    for i, (ax, m) in enumerate(zip(axes, measures)):
        values = [by_name[m].get(n, 0.0) for n in names]
        ax.barh(positions, values, color=style.color(i), height=0.68)
        high = max(values + [0.0])
        ax.set_xlim(min(values + [0.0]), high * 1.32 or 1)
        for pos, value in zip(positions, values):
            ax.text(value, pos, "  " + style.value_text(value, spec.format_of(m)), va="center", ha="left",
                    fontsize=style.VALUE_SIZE, color=style.INK, family=style.FONT)
        ax.set_title(spec.label_of(m), loc="left", fontsize=style.LABEL_SIZE + 0.5, color=style.INK,
                     fontweight="bold", pad=6)
        ax.xaxis.set_major_locator(NullLocator())
        ax.spines["bottom"].set_visible(False)
        if i == 0:
            ax.set_yticks(positions, [_short(n) for n in names])
        else:
            ax.tick_params(labelleft=False)
    return canvas


def change(spec: ChartSpec, table: ResultTable, Canvas: type[Canvas]) -> Canvas:  # noqa: N803
    """Growth: the change against the previous period, above or below zero."""
    canvas = Canvas(spec)
    points = _series(table, spec).get("", [])
    values = [p[2] for p in points]
    low, high = _value_range(canvas, values, False, room=0.14)
    _left_for_values(canvas, low, high, "percent")
    _room_for_time(canvas, spec.grain)
    [ax] = canvas.axes()
    xs = [p[0] for p in points]
    colours = [style.UP if v >= 0 else style.DOWN for v in values]
    ax.bar(xs, values, color=colours, width=0.7)
    ax.axhline(0, color=style.SOFT, linewidth=1)
    ax.spines["bottom"].set_visible(False)  # the zero line is the baseline
    if len(points) <= MAX_LABELLED:
        for x, v in zip(xs, values):
            ax.annotate(style.signed_percent(v), (x, v), xytext=(0, 5 if v >= 0 else -5), textcoords="offset points",
                        ha="center", va="bottom" if v >= 0 else "top", fontsize=style.VALUE_SIZE - 1,
                        color=style.INK, family=style.FONT)
    _value_axis(ax, low, high, "percent")
    _time_axis(ax, [p[1] for p in points], spec.grain or "day")
    return canvas


# -- categories -------------------------------------------------------------------------------
def _bar_height(count: int) -> float:
    return min(8.0, max(style.HEIGHT, 1.7 + 0.27 * count))


def bars(spec: ChartSpec, table: ResultTable, Canvas: type[Canvas]) -> Canvas:  # noqa: N803
    """A few short categories: vertical bars, largest first, each with its value."""
    canvas = Canvas(spec)
    pairs = _cut(_categories(table, spec), canvas)
    names, values = [p[0] for p in pairs], [p[1] for p in pairs]
    low, high = _value_range(canvas, values, False, room=0.12)
    canvas.left = 0.3
    canvas.bottom = 0.5 + 0.22 * max(len(textwrap.wrap(n, 12) or [""]) - 1 for n in names)
    [ax] = canvas.axes()
    positions = list(range(len(names)))
    colours = _colours(names, spec)
    if spec.x == "period":  # compared periods: the latest in the accent colour, earlier ones grey
        colours = ["#9AA5B1"] * (len(names) - 1) + [style.ACCENT]
    ax.bar(positions, values, color=colours, width=0.5 if len(names) <= 3 else 0.66)
    for x, v in zip(positions, values):
        ax.annotate(style.value_text(v, spec.y_format), (x, v), xytext=(0, 5 if v >= 0 else -5),
                    textcoords="offset points", ha="center", va="bottom" if v >= 0 else "top",
                    fontsize=style.VALUE_SIZE + 0.5, color=style.INK, fontweight="bold", family=style.FONT)
    ax.set_xticks(positions, ["\n".join(textwrap.wrap(n, 12)) or n for n in names])
    ax.set_ylim(low, high)
    ax.yaxis.set_major_locator(NullLocator())
    if low < 0:
        ax.axhline(0, color=style.SOFT, linewidth=1)
    return canvas


def hbars(spec: ChartSpec, table: ResultTable, Canvas: type[Canvas]) -> Canvas:  # noqa: N803
    """Many or long categories: horizontal bars, largest at the top, each with its value."""
    pairs = _categories(table, spec)
    canvas = Canvas(spec, height=_bar_height(min(len(pairs), MAX_BARS)))
    pairs = _cut(pairs, canvas)
    names, values = [p[0] for p in pairs], [p[1] for p in pairs]
    _left_for_names(canvas, [_short(n) for n in names])
    canvas.bottom = 0.25
    [ax] = canvas.axes()
    positions = list(range(len(names)))[::-1]
    ax.barh(positions, values, color=_colours(names, spec), height=0.7)
    longest = max(canvas.text_width(style.value_text(v, spec.y_format), style.VALUE_SIZE) for v in values)
    plot_width = style.WIDTH - canvas.left - canvas.right
    high = max(values + [0.0])
    low = min(values + [0.0])
    ax.set_xlim(low, high + (high - low or 1) * (longest + 0.15) / max(plot_width - longest, 1))
    for pos, v in zip(positions, values):
        ax.annotate(style.value_text(v, spec.y_format), (max(v, 0), pos), xytext=(5, 0), textcoords="offset points",
                    va="center", ha="left", fontsize=style.VALUE_SIZE, color=style.INK, family=style.FONT)
    ax.set_yticks(positions, [_short(n) for n in names])
    ax.set_ylim(-0.6, len(names) - 0.4)
    ax.xaxis.set_major_locator(NullLocator())
    ax.spines["bottom"].set_visible(False)
    if low < 0:
        ax.axvline(0, color=style.SOFT, linewidth=1)
    return canvas


def dots(spec: ChartSpec, table: ResultTable, Canvas: type[Canvas]) -> Canvas:  # noqa: N803
    """Clustered averages (CSAT 3.2-3.5): dots on an axis starting above zero, which the subtitle says."""
    pairs = _categories(table, spec)
    canvas = Canvas(spec, height=_bar_height(min(len(pairs), MAX_BARS)))
    pairs = _cut(pairs, canvas)
    names, values = [p[0] for p in pairs], [p[1] for p in pairs]
    low, high = _value_range(canvas, values, True, room=0.12)
    _left_for_names(canvas, [_short(n) for n in names])
    [ax] = canvas.axes()
    positions = list(range(len(names)))[::-1]
    colours = _colours(names, spec)
    ax.hlines(positions, low, values, color=style.GRID, linewidth=2.2, zorder=1)
    ax.scatter(values, positions, s=120, color=colours, zorder=3)
    for pos, v in zip(positions, values):
        ax.annotate(style.value_text(v, spec.y_format), (v, pos), xytext=(10, 0), textcoords="offset points",
                    va="center", ha="left", fontsize=style.VALUE_SIZE, color=style.INK, fontweight="bold",
                    family=style.FONT)
    ax.set_yticks(positions, [_short(n) for n in names])
    ax.set_ylim(-0.6, len(names) - 0.4)
    _value_axis(ax, low, high + (high - low) * 0.08, spec.y_format, axis="x")
    return canvas


def _matrix(spec: ChartSpec, table: ResultTable) -> tuple[list[str], list[str], dict[tuple[str, str], float]]:
    """Categories (by total, largest first), series (in the rows' order) and the value of each pair."""
    assert spec.series is not None
    cells: dict[tuple[str, str], float] = {}
    for x, s, v in zip(table.column(spec.x), table.column(spec.series), table.column(spec.y)):
        cells[(str(x), str(s))] = cells.get((str(x), str(s)), 0.0) + (_number(v) or 0.0)
    series = list(dict.fromkeys(str(s) for s in table.column(spec.series)))
    if spec.series == "period":
        series.sort()
    totals: dict[str, float] = defaultdict(float)
    for (x, s), v in cells.items():
        totals[x] += v if spec.series != "period" or s == series[-1] else 0.0
    names = list(dict.fromkeys(str(x) for x in table.column(spec.x)))
    if not spec.keep_order:
        names.sort(key=lambda n: -totals[n])
    return names, series, cells


def grouped(spec: ChartSpec, table: ResultTable, Canvas: type[Canvas]) -> Canvas:  # noqa: N803
    """Two breakdowns, or compared periods by a category: bars side by side, with a legend."""
    names, series, cells = _matrix(spec, table)
    probe = Canvas(spec)
    names = _cut(names, probe, MAX_BARS // max(1, min(len(series), MAX_GROUPED)))
    if len(series) > MAX_GROUPED:
        probe.notes.append(f"first {MAX_GROUPED} of {len(series)} {_noun_of_series(spec)}")
        series = series[:MAX_GROUPED]
    vertical = len(names) * len(series) <= 12 and max(len(n) for n in names) <= 12
    canvas = Canvas(spec) if vertical else Canvas(spec, height=_bar_height(len(names) * len(series) * 0.8))
    canvas.notes = probe.notes
    if spec.series == "period" and len(series) == 2:
        colours = ["#9AA5B1", style.ACCENT]
    else:
        colours = [style.color(i) for i in range(len(series))]
    canvas.legend = [(_short(s, 24), c, "bar") for s, c in zip(series, colours)]
    values = [cells.get((n, s), 0.0) for n in names for s in series]
    width = 0.8 / len(series)
    if vertical:
        low, high = _value_range(canvas, values, spec.floor, room=0.12)
        _left_for_values(canvas, low, high, spec.y_format)
        canvas.bottom = 0.5 + 0.22 * max(len(textwrap.wrap(n, 12) or [""]) - 1 for n in names)
        [ax] = canvas.axes()
        for i, (s, c) in enumerate(zip(series, colours)):
            xs = [k + (i - (len(series) - 1) / 2) * width for k in range(len(names))]
            ys = [cells.get((n, s), 0.0) for n in names]
            ax.bar(xs, ys, width * 0.92, color=c, label=s)
            if len(values) <= 8:
                for x, y in zip(xs, ys):
                    ax.annotate(style.value_text(y, spec.y_format), (x, y), xytext=(0, 4), textcoords="offset points",
                                ha="center", va="bottom", fontsize=style.VALUE_SIZE - 1, color=style.INK)
        ax.set_xticks(range(len(names)), ["\n".join(textwrap.wrap(n, 12)) or n for n in names])
        _value_axis(ax, low, high, spec.y_format)
        return canvas
    low, high = _value_range(canvas, values, spec.floor, room=0.08)
    _left_for_names(canvas, [_short(n) for n in names])
    canvas.bottom = 0.55
    [ax] = canvas.axes()
    for i, (s, c) in enumerate(zip(series, colours)):
        ys = [len(names) - 1 - k - (i - (len(series) - 1) / 2) * width for k in range(len(names))]
        ax.barh(ys, [cells.get((n, s), 0.0) for n in names], width * 0.92, color=c, label=s)
    ax.set_yticks([len(names) - 1 - k for k in range(len(names))], [_short(n) for n in names])
    ax.set_ylim(-0.6, len(names) - 0.4)
    _value_axis(ax, low, high, spec.y_format, axis="x")
    return canvas


def stacked(spec: ChartSpec, table: ResultTable, Canvas: type[Canvas]) -> Canvas:  # noqa: N803
    """Two breakdowns with many series (an additive measure): stacked horizontal bars, total at the end."""
    names, series, cells = _matrix(spec, table)
    canvas = Canvas(spec, height=_bar_height(min(len(names), MAX_BARS)))
    names = _cut(names, canvas)
    by_total = sorted(series, key=lambda s: -sum(cells.get((n, s), 0.0) for n in names))
    shown = by_total[: MAX_SERIES - 1] if len(by_total) > MAX_SERIES else by_total
    rest = [s for s in by_total if s not in shown]
    layers = [(s, [cells.get((n, s), 0.0) for n in names]) for s in shown]
    if rest:
        layers.append(("Other", [sum(cells.get((n, s), 0.0) for s in rest) for n in names]))
    colours = [style.color(i) for i in range(len(layers) - (1 if rest else 0))] + ([style.MUTED] if rest else [])
    canvas.legend = [(_short(s, 20), c, "bar") for (s, _), c in zip(layers, colours)]
    totals = [sum(v[k] for _, v in layers) for k in range(len(names))]
    _left_for_names(canvas, [_short(n) for n in names])
    canvas.bottom = 0.55
    [ax] = canvas.axes()
    positions = list(range(len(names)))[::-1]
    left = [0.0] * len(names)
    for (s, values), c in zip(layers, colours):
        ax.barh(positions, values, left=left, color=c, height=0.7, label=s, edgecolor="white", linewidth=0.6)
        left = [a + b for a, b in zip(left, values)]
    for pos, total in zip(positions, totals):
        ax.annotate(style.value_text(total, spec.y_format), (total, pos), xytext=(5, 0), textcoords="offset points",
                    va="center", ha="left", fontsize=style.VALUE_SIZE - 0.5, color=style.INK, family=style.FONT)
    ax.set_yticks(positions, [_short(n) for n in names])
    ax.set_ylim(-0.6, len(names) - 0.4)
    _value_axis(ax, 0.0, max(totals + [0.0]) * 1.16 or 1.0, spec.y_format, axis="x")
    return canvas
