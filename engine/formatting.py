"""Number formatting for answers: currency, counts, percentages, compact forms for charts."""

from __future__ import annotations

import datetime as dt
from typing import Any


def _compact(value: float) -> tuple[float, str]:
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= threshold:
            return value / threshold, suffix
    return value, ""


def format_value(value: Any, kind: str = "number", compact: bool = False) -> str:
    """Format one cell for people: ``kind`` is a metric format (currency, integer, percent, ...)."""
    if value is None:
        return "-"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, (int, float)) or isinstance(value, bool) or kind == "id":
        return str(value)
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if compact and not (kind == "integer" and abs(value) < 100_000):
        scaled, suffix = _compact(float(value))
        digits = 1 if suffix else (0 if kind in ("integer", "currency") else 2)
        text = f"{scaled:,.{digits}f}{suffix}"
        return f"${text}" if kind == "currency" else text
    if kind == "currency":
        return f"${value:,.2f}"
    if kind == "integer" or (isinstance(value, int)):
        return f"{value:,.0f}"
    if kind == "decimal":
        return f"{value:,.2f}"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def format_bytes(count: int) -> str:
    """1536 -> "1.5 KB"; decimal units, as Athena bills."""
    size = float(count)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"
