"""Answer -> plain text (summary, table, SQL) and Answer -> JSON-ready dict."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from engine.domain import Answer
from engine.formatting import text_table


def json_value(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):  # NaN and Infinity are not JSON
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
