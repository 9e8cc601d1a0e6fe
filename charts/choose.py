"""Pick a chart from a result's shape: time series -> line, categories -> bar, one value -> none."""

from __future__ import annotations

from dataclasses import dataclass

from engine.domain import ResultTable

NUMERIC_PREFIXES = ("bigint", "integer", "int", "smallint", "tinyint", "double", "real", "float",
                    "decimal")
TIME_TYPES = ("date", "timestamp")
MAX_BARS = 25
MAX_SERIES = 8


@dataclass(frozen=True)
class ChartSpec:
    kind: str  # "line" | "bar" | "hbar"
    x: str  # the time or category column
    y: str  # the first measure column
    series: str | None = None  # a second category: one line, or one bar colour, per value
    title: str = ""
    y_label: str = ""
    y_format: str = "number"
    x_key: str | None = None  # the key of repeating names: "Globex BV (1042)" keeps two bars apart


def is_numeric(type_name: str) -> bool:
    return type_name.lower().startswith(NUMERIC_PREFIXES)


def is_time(type_name: str) -> bool:
    return type_name.lower().startswith(TIME_TYPES)


def choose_chart(table: ResultTable, title: str = "", labels: dict[str, str] | None = None,
                 formats: dict[str, str] | None = None) -> ChartSpec | None:
    """A chart for the table, or None when a chart would not help (one value, no measure)."""
    labels, formats = labels or {}, formats or {}
    if table.row_count < 2:
        return None
    keys = [c for c in table.columns if formats.get(c) == "id"]  # identifiers are neither
    measures = [c for c, t in zip(table.columns, table.types) if is_numeric(t) and c not in keys]
    others = [(c, t) for c, t in zip(table.columns, table.types) if not is_numeric(t) and c not in keys]
    if not measures or not others:
        return None
    y = measures[0]
    x, x_type = others[0]
    common = {"title": title, "y_label": labels.get(y, y), "y_format": formats.get(y, "number"),
              "x_key": keys[0] if keys and not is_time(x_type) else None}
    if x == "period" and len(others) == 2 and not is_time(others[1][1]):
        # compared periods by a category: bars per category, one colour per period
        return ChartSpec(kind="bar", x=others[1][0], y=y, series="period", **common)
    if is_time(x_type):
        series = others[1][0] if len(others) > 1 else None  # render_png draws the top MAX_SERIES
        return ChartSpec(kind="line", x=x, y=y, series=series, **common)
    if len(others) > 1 or table.row_count > MAX_BARS:
        # two categories, or too many bars to read: show the first MAX_BARS as horizontal bars
        return ChartSpec(kind="hbar", x=x, y=y, **common)
    longest = max(len(str(v)) for v in table.column(x))
    kind = "hbar" if table.row_count > 8 or longest > 14 else "bar"
    return ChartSpec(kind=kind, x=x, y=y, **common)
