"""Formatting for answers: currency, counts, percentages, compact forms for summaries and charts,
period starts as people name them, the headline of a one-value answer, and the fixed-width text
table every chat surface shows.

Money has the precision its use needs: exact in tables ("$33,899,916.42"), compact in sentences
("$33.9M", "$921.1K", "$646", "$45.30": cents only where they are a visible part of the value).
A date column of a month or quarter grain reads "Jan 2025" or "Q1 2025" (the column's format is
its grain)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from engine.domain import Answer


def _compact(value: float) -> tuple[float, str]:
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= threshold:
            return value / threshold, suffix
    return value, ""


GRAIN_FORMATS = ("day", "week", "month", "quarter", "year")


def period_start(value: dt.date, grain: str) -> str:
    """A period by its start, as people write it: "Jan 2025", "Q1 2025", "2025", "W23 2025", "2 Jun 2025"."""
    if grain == "year":
        return str(value.year)
    if grain == "quarter":
        return f"Q{(value.month - 1) // 3 + 1} {value.year}"
    if grain == "month":
        return value.strftime("%b %Y")
    if grain == "week":
        year, week, _ = value.isocalendar()
        return f"W{week} {year}"
    return f"{value.day} {value.strftime('%b %Y')}"


def format_value(value: Any, kind: str = "number", compact: bool = False) -> str:
    """Format one cell for people: ``kind`` is a metric format (currency, integer, percent, ...)
    or, for a date column, its grain (month, quarter, ...)."""
    if value is None:
        return "-"
    if isinstance(value, dt.datetime):
        if kind in GRAIN_FORMATS:
            return period_start(value.date(), kind)
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return period_start(value, kind) if kind in GRAIN_FORMATS else value.isoformat()
    if not isinstance(value, (int, float)) or isinstance(value, bool) or kind == "id":
        return str(value)
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if compact and not (kind == "integer" and abs(value) < 100_000):
        scaled, suffix = _compact(float(value))
        if suffix:
            digits = 1
        elif kind == "currency":
            digits = 2 if abs(value) < 100 and value != int(value) else 0  # "$45.30", "$646"
        else:
            digits = 0 if kind == "integer" else 2
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


def headline(answer: Answer) -> str | None:
    """The number to show big when an answer is one value ("$33.9M") or one leader ("EMEA · $11.4M"):
    a single row with one measure and at most one label."""
    table = answer.table
    if answer.status != "answered" or table is None or table.row_count != 1 or not table.columns:
        return None
    row = table.rows[0]
    numbers = [i for i, v in enumerate(row) if isinstance(v, (int, float)) and not isinstance(v, bool)
               and answer.column_formats.get(table.columns[i]) != "id"]
    others = [i for i in range(len(row)) if i not in numbers]
    if len(numbers) != 1 or len(others) > 1:
        return None
    column = table.columns[numbers[0]]
    value = format_value(row[numbers[0]], answer.column_formats.get(column, "number"), compact=True)
    if not others:
        return value
    name = format_value(row[others[0]], answer.column_formats.get(table.columns[others[0]], "number"))
    return f"{name} · {value}"


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


def without_option_list(message: str, options: list[str]) -> str:
    """A clarifying question without the sentence that lists its options, for surfaces that show
    the options as a control of their own ("Which measure? I can answer about: a, b, ..." -> "Which
    measure?"). The message is kept whole when no sentence lists most of the options."""
    sentences = re.split(r"(?<=[.?!])\s+", message.strip())
    wanted = {o.lower() for o in options}

    def lists_options(sentence: str) -> bool:
        lowered = sentence.lower()
        return sum(o in lowered for o in wanted) >= max(3, len(wanted) * 0.6)

    kept = [s for s in sentences if not lists_options(s)]
    return " ".join(kept) if kept and len(kept) < len(sentences) else message


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
