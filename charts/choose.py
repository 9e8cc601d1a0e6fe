"""Pick the chart that shows what was asked: from the result's shape and the question's hints.

- a listing of rows (orders, tickets), one value, or no measure: no chart;
- compared periods with a grain: one line per period on a shared axis ("overlay");
  compared periods by a category: grouped bars; the periods alone: bars in the order asked;
- a time series: a line (one per value of a breakdown); two or more measures: one panel each;
- growth: the change itself ("change": bars above and below zero, or lines per breakdown);
- shares: the share in %, the values the question named highlighted;
- categories: bars sorted by value (horizontal when many or long), cut at MAX_BARS and saying so;
  two breakdowns: grouped bars with a legend, stacked when there are too many to group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from charts.periods import as_date, infer_grain
from engine.domain import ChartHints, ResultTable

NUMERIC_PREFIXES = ("bigint", "integer", "int", "smallint", "tinyint", "double", "real", "float",
                    "decimal")
TIME_TYPES = ("date", "timestamp")
MAX_BARS = 25
MAX_SERIES = 10  # lines or bar colours; the palette keeps ten apart
MAX_GROUPED = 4  # series side by side; more are stacked (additive measures) or cut
MAX_PANELS = 3


@dataclass(frozen=True)
class ChartSpec:
    kind: str  # line | overlay | panels | bar | hbar | grouped | stacked | change | dots
    x: str  # the time or category column
    y: str  # the measure drawn (the share or change column when those were asked)
    series: str | None = None  # one line, or one bar colour, per value of this column
    extra: tuple[str, ...] = ()  # panels: the further measures, one panel each
    title: str = ""
    subtitle: str = ""
    y_label: str = ""
    y_format: str = "number"
    labels: tuple[tuple[str, str], ...] = ()  # column -> label, for panels and legends
    formats: tuple[tuple[str, str], ...] = ()  # column -> format
    grain: str | None = None  # the x column's grain, when it is time
    highlight: tuple[str, ...] = ()  # bars drawn in the accent colour (a share question's values)
    floor: bool = False  # an average: the value axis starts at a floor above zero, and says so
    keep_order: bool = False  # bars in the rows' order (ranked questions, periods), not by value
    noun: str = ""  # what the categories are ("stores"), for "top 25 of 40 stores"
    x_key: str | None = None  # the key of repeating names: "Globex BV (1042)" keeps two bars apart

    def label_of(self, column: str) -> str:
        return dict(self.labels).get(column, column.replace("_", " ").capitalize())

    def format_of(self, column: str) -> str:
        return dict(self.formats).get(column, "number")


def is_numeric(type_name: str) -> bool:
    return type_name.lower().startswith(NUMERIC_PREFIXES)


def is_time(type_name: str) -> bool:
    return type_name.lower().startswith(TIME_TYPES)


def split_title(text: str) -> tuple[str, str]:
    """"Revenue (completed orders) by region, 1 Jan 2024 - 31 Dec 2024" -> ("Revenue by region",
    "Completed orders · 1 Jan 2024 - 31 Dec 2024"): a short title, the definitions under it."""
    head, rest = _head(text)
    title, notes, depth, note = "", [], 0, ""
    for char in head:
        if char == "(":
            depth += 1
            if depth == 1:
                continue
        elif char == ")" and depth:
            depth -= 1
            if depth == 0:
                notes.append(note.strip())
                note = ""
                continue
        if depth:
            note += char
        else:
            title += char
    title = re.sub(r"\s+", " ", title).strip()
    title = re.sub(r" and ([A-Z])([a-z])", lambda m: f" and {m[1].lower()}{m[2]}", title)
    notes = list(dict.fromkeys(notes))  # "(completed orders)" twice is said once
    parts = ["; ".join(notes)] if notes else []
    parts += [p for p in rest.split(", ") if p]
    subtitle = " · ".join(parts)
    return title, subtitle[:1].upper() + subtitle[1:]


def _retitled(title: str, subtitle: str, share: bool) -> dict[str, str]:
    """A share or growth chart says so in its title: "Share of revenue by region"."""
    parts = subtitle.split(" · ")
    said = [p for p in parts if p.lower().startswith("share of total" if share else "change vs previous")]
    rest = " · ".join(p for p in parts if p not in said)
    rest = rest[:1].upper() + rest[1:]
    if share:
        return {"title": f"Share of {title[:1].lower() + title[1:]}", "subtitle": rest}
    change = said[0] if said else "change vs previous period"
    return {"title": f"{title}: {change}", "subtitle": rest}


def _head(text: str) -> tuple[str, str]:
    """Split at the first ", " outside parentheses."""
    depth = 0
    for i, char in enumerate(text):
        depth += char == "("
        depth -= char == ")" and depth > 0
        if not depth and text.startswith(", ", i):
            return text[:i], text[i + 2:]
    return text, ""


def plural(label: str) -> str:
    word = label.lower()
    if word.endswith("y") and not word.endswith(("ay", "ey", "oy", "uy")):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def clustered(values: list[object]) -> bool:
    """Values far from zero compared with their spread (scores of 3.2-3.5 on a 1-5 scale): an axis
    from zero would flatten every difference."""
    numbers = [float(v) for v in values if isinstance(v, (int, float))]
    return bool(numbers) and min(numbers) > 0 and min(numbers) / max(numbers) > 0.6


def choose_chart(table: ResultTable, title: str = "", labels: dict[str, str] | None = None,
                 formats: dict[str, str] | None = None, hints: ChartHints | None = None) -> ChartSpec | None:
    """A chart for the table, or None when a chart would not help."""
    labels, formats, hints = labels or {}, formats or {}, hints or ChartHints()
    if hints.listing or table.row_count < 2:
        return None
    columns = dict(zip(table.columns, table.types))
    keys = [c for c in table.columns if formats.get(c) == "id"]  # identifiers are neither
    numeric = [c for c, t in columns.items() if is_numeric(t) and c not in keys]
    measures = [m for m in hints.measures if m in numeric] or [
        c for c in numeric if c not in (hints.share, hints.growth)]
    others = [c for c in table.columns if c not in numeric and c not in keys]
    if not measures or not others:
        return None
    time = hints.time if hints.time in others else next((c for c in others if is_time(columns[c])), None)
    grain = None
    if time is not None:
        days = [d for d in (as_date(v) for v in table.column(time)) if d is not None]
        if not days:
            time = None
        else:
            grain = hints.grain or infer_grain(days)
    period = "period" if "period" in others and (hints.periods or time != "period") else None
    dims = [c for c in others if c not in (time, period)]
    head, sub = split_title(title)
    y = measures[0]
    base = dict(title=head, subtitle=sub, labels=tuple(labels.items()), formats=tuple(formats.items()),
                grain=grain, floor=(y in hints.averages and formats.get(y) != "percent"
                                    and clustered(table.column(y))),
                x_key=keys[0] if keys and time is None else None)

    def spec(kind: str, x: str, column: str = y, **kw: object) -> ChartSpec:
        fields = {**base, "y_label": labels.get(column, column), "y_format": formats.get(column, "number"), **kw}
        if column in (hints.share, hints.growth):
            fields.update(y_format="percent", floor=False, **_retitled(head, sub, column == hints.share))
        return ChartSpec(kind=kind, x=x, y=column, **fields)  # type: ignore[arg-type]

    if hints.share and hints.share in numeric and dims and time is None:
        named = tuple(h for h in hints.highlight)
        return _bars(spec, table, dims[0], hints.share, labels, highlight=named, keep_order=hints.ranked)
    if period is not None:
        if time is not None:
            return spec("overlay", time, series=period)
        if dims:
            return spec("grouped", dims[0], series=period)
        return spec("bar", period, keep_order=True)
    if time is not None:
        if hints.growth and hints.growth in numeric:
            if dims:
                return spec("line", time, hints.growth, series=dims[0])
            return spec("change", time, hints.growth)
        if len(measures) > 1 and not dims:
            return spec("panels", time, extra=tuple(measures[1:MAX_PANELS]))
        return spec("line", time, series=dims[0] if dims else None)
    if len(dims) >= 2:
        series_count = len(set(table.column(dims[1])))
        if series_count <= MAX_GROUPED or y in hints.averages:
            return spec("grouped", dims[0], series=dims[1], noun=plural(labels.get(dims[0], dims[0])))
        return spec("stacked", dims[0], series=dims[1], noun=plural(labels.get(dims[0], dims[0])))
    if len(measures) > 1:
        return spec("panels", dims[0], extra=tuple(measures[1:MAX_PANELS]), keep_order=hints.ranked,
                    noun=plural(labels.get(dims[0], dims[0])))
    return _bars(spec, table, dims[0], y, labels, keep_order=hints.ranked)


def _bars(spec, table: ResultTable, x: str, y: str, labels: dict[str, str], **kw: object) -> ChartSpec:  # noqa: ANN001
    longest = max(len(str(v)) for v in table.column(x))
    noun = plural(labels.get(x, x))
    if spec("bar", x, y).floor:  # an axis that does not start at zero is honest with dots, not bars
        return spec("dots", x, y, noun=noun, **kw)
    kind = "hbar" if table.row_count > 8 or longest > 12 else "bar"
    return spec(kind, x, y, noun=noun, **kw)
