"""Formatting for answers: currency, counts, percentages, compact forms for charts, and the
fixed-width text table every chat surface shows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from engine.domain import Answer


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


MAX_TEXT_ROWS = 20


def text_table(answer: Answer, max_rows: int = MAX_TEXT_ROWS, max_chars: int | None = None) -> str:
    """The answer's table as fixed-width text: labels, formatted cells, numbers right-aligned,
    at most ``max_rows`` rows (and ``max_chars`` characters), then how many more there are."""
    table = answer.table
    if table is None or not table.columns:
        return ""
    headers = [answer.column_labels.get(c, c) for c in table.columns]
    formats = [answer.column_formats.get(c, "number") for c in table.columns]
    body = [[format_value(v, f) for v, f in zip(row, formats)] for row in table.rows[:max_rows]]
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(headers)]
    numeric = [bool(body) and all(isinstance(row[i], (int, float)) or row[i] is None
                                  for row in table.rows[:max_rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric)).rstrip()

    out = [line(headers), "  ".join("-" * w for w in widths)]
    shown = 0
    for row in body:
        text = line(row)
        if max_chars is not None and sum(len(o) + 1 for o in out) + len(text) + 40 > max_chars:
            break
        out.append(text)
        shown += 1
    more = table.row_count - shown
    if more > 0:
        out.append(f"... {more} more rows")
    if table.truncated:
        out.append("(result truncated at the row limit)")
    return "\n".join(out)


def link_note(url: str | None) -> str:
    """"CSV link valid until 14:05 UTC" from a presigned URL's own X-Amz-Date and X-Amz-Expires
    (what the link really allows), or "" when the URL states no expiry."""
    from urllib.parse import parse_qs, urlparse

    query = parse_qs(urlparse(url or "").query)
    try:
        signed = dt.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
        expires = signed + dt.timedelta(seconds=int(query["X-Amz-Expires"][0]))
    except (KeyError, IndexError, ValueError):
        return ""
    return f"CSV link valid until {expires:%d %b %H:%M} UTC"
