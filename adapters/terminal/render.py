"""Answer -> plain text (summary, table, SQL) and Answer -> JSON-ready dict."""

from __future__ import annotations

import datetime as dt
from typing import Any

from engine.domain import Answer
from engine.formatting import format_value

MAX_TEXT_ROWS = 20


def json_value(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value


def answer_record(answer: Answer) -> dict[str, Any]:
    """The stable jsonl record: status, question, sql, columns, rows, message."""
    table = answer.table
    return {
        "status": answer.status,
        "question": answer.question,
        "sql": answer.sql,
        "columns": list(table.columns) if table else [],
        "rows": [[json_value(v) for v in row] for row in table.rows] if table else [],
        "message": answer.message,
    }


def text_table(answer: Answer, max_rows: int = MAX_TEXT_ROWS) -> str:
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

    out = [line(headers), "  ".join("-" * w for w in widths)] + [line(r) for r in body]
    more = table.row_count - max_rows
    if more > 0:
        out.append(f"... {more} more rows")
    if table.truncated:
        out.append("(result truncated at the row limit)")
    return "\n".join(out)


def render_text(answer: Answer, chart_path: str | None = None) -> str:
    label = {"answered": "", "clarify": "? ", "refused": "Refused: ", "error": "Error: "}[answer.status]
    parts = [f"{label}{answer.message}"]
    if answer.options:
        parts.append("Options: " + ", ".join(answer.options))
    table = text_table(answer)
    if table:
        parts.append(table)
    if answer.sql:
        parts.append("SQL (Athena):\n" + answer.sql)
    if answer.footer:
        parts.append(answer.footer)
    if answer.download_url:
        parts.append(f"Full result (CSV): {answer.download_url}")
    if chart_path:
        parts.append(f"Chart: {chart_path}")
    return "\n\n".join(parts)
