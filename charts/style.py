"""The charts' look: sizes for a 2x PNG that reads as a Slack thumbnail, colours, number ticks."""

from __future__ import annotations

import math

from engine.formatting import format_value

WIDTH = 8.0  # inches; at 200 dpi the PNG is 1600 px wide, shown at half size it is crisp
HEIGHT = 4.5
DPI = 200
FONT = "DejaVu Sans"  # ships with matplotlib: the same on every machine
TITLE_SIZE = 17.5
SUBTITLE_SIZE = 13
TICK_SIZE = 13
LABEL_SIZE = 12.5
VALUE_SIZE = 12.5
LEGEND_SIZE = 12.5

INK = "#1F2933"  # titles, value labels
SOFT = "#616E7C"  # subtitles, tick labels
GRID = "#E4E7EB"
MUTED = "#C3CAD3"  # bars not highlighted, earlier periods
# Tableau 10: ten hues chosen to stay apart, also for the common colour-vision deficiencies
PALETTE = ["#4E79A7", "#F28E2B", "#59A14F", "#E15759", "#76B7B2", "#EDC948", "#B07AA1", "#FF9DA7",
           "#9C755F", "#BAB0AC"]
ACCENT = PALETTE[0]
UP, DOWN = "#4E79A7", "#E8743B"  # growth above and below zero (blue/orange, not red/green)
LINESTYLES = ["-", "--", ":", "-."]  # past ten series the style tells lines apart


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def linestyle(i: int) -> str:
    return LINESTYLES[(i // len(PALETTE)) % len(LINESTYLES)]


def tick_text(value: float, kind: str, step: float = 1.0) -> str:
    """An axis tick: "$2.5M", "40%", "1,200", "3.2"; no trailing ".0"."""
    if kind == "percent":
        digits = 0 if step >= 0.01 - 1e-12 else 1
        return f"{value * 100:.{digits}f}%"
    if kind in ("decimal", "number") and abs(value) < 100:
        digits = max(0, min(2, -math.floor(math.log10(step)) if step > 0 else 0))
        return f"{value:,.{digits}f}"
    text = format_value(value, kind if kind in ("currency", "integer") else "number", compact=True)
    return text.replace(".0K", "K").replace(".0M", "M").replace(".0B", "B")


def value_text(value: float, kind: str) -> str:
    """A value label on a bar or a line end: compact, with the precision that tells values apart."""
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if kind in ("decimal", "number") and abs(value) < 100:
        return f"{value:,.2f}"
    return format_value(value, kind, compact=True)


def signed_percent(value: float) -> str:
    return f"{'+' if value > 0 else ''}{value * 100:.1f}%"


def nice_floor(low: float, high: float) -> float:
    """Where an axis of clustered values starts: a round number below the lowest on the scale of the
    values themselves (3.0 for scores of 3.39-3.41, 600 for $640-$646), so small differences stay
    small; never below 0."""
    if high <= 0:
        return 0.0
    step = 10 ** math.floor(math.log10(high)) / 2
    floor = math.floor(low / step) * step
    if floor >= low:
        floor -= step
    return max(0.0, round(floor, 10))
