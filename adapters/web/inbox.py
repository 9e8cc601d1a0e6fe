"""The web session's inbox: where the worker leaves an Answer for the page that asked.

A browser session has no connection the worker could post into, so the worker's WebPoster puts
the Answer in a small inbox (in the ConversationStore: SQLite locally, DynamoDB on AWS) under the
session and the job id, and the page waits for it there. An Answer travels as JSON: table cells
keep their types (dates, decimals), the chart as base64. Payloads are kept under DynamoDB's item
size by cutting table rows (the page says so), then dropping the chart.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from engine.domain import Answer, ResultTable

VERSION = 1
MAX_PAYLOAD_CHARS = 300_000  # DynamoDB items hold 400 KB; leave room for keys and attributes


@runtime_checkable
class SessionInbox(Protocol):
    """Answers waiting for a web session, by session and job id (the ConversationStore's inbox)."""

    def deliver(self, session_id: str, item_id: str, payload: dict[str, Any]) -> None: ...

    def collect(self, session_id: str, item_id: str) -> dict[str, Any] | None: ...


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"$ts": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return _cell(value.item())
    return str(value)


def _uncell(value: Any) -> Any:
    if isinstance(value, dict):
        if "$ts" in value:
            return dt.datetime.fromisoformat(value["$ts"])
        if "$date" in value:
            return dt.date.fromisoformat(value["$date"])
        if "$dec" in value:
            return Decimal(value["$dec"])
    return value


def encode_answer(answer: Answer, max_chars: int = MAX_PAYLOAD_CHARS) -> dict[str, Any]:
    """The Answer as a JSON-ready dict no longer than ``max_chars`` once serialised."""
    table = answer.table
    payload: dict[str, Any] = {
        "version": VERSION, "status": answer.status, "question": answer.question,
        "message": answer.message, "sql": answer.sql, "chart_kind": answer.chart_kind,
        "chart_png": base64.b64encode(answer.chart_png).decode("ascii") if answer.chart_png else None,
        "column_labels": dict(answer.column_labels), "column_formats": dict(answer.column_formats),
        "options": list(answer.options), "elapsed_ms": answer.elapsed_ms, "footer": answer.footer,
        "download_url": answer.download_url, "rows_cut": 0, "verified_by": answer.verified_by,
        "answer_id": answer.answer_id, "dashboard_url": answer.dashboard_url,
        "saved": answer.saved,  # what the Schedule form turns into a digest
        "table": None if table is None else {
            "columns": list(table.columns), "types": list(table.types), "truncated": table.truncated,
            "rows": [[_cell(v) for v in row] for row in table.rows]},
    }
    size = len(json.dumps(payload))
    if size <= max_chars:
        return payload
    rows = payload["table"]["rows"] if payload["table"] else []
    if rows:  # keep the share of rows that fits, with a margin for the estimate
        chart = len(payload["chart_png"] or "")
        keep = max(0, int(len(rows) * (max_chars - chart - 2000) / max(size - chart, 1)))
        payload["rows_cut"] = len(rows) - keep
        payload["table"]["rows"] = rows[:keep]
    if len(json.dumps(payload)) > max_chars:
        payload["chart_png"], payload["chart_kind"] = None, None
    while payload["table"] and payload["table"]["rows"] and len(json.dumps(payload)) > max_chars:
        cut = max(1, len(payload["table"]["rows"]) // 4)
        payload["table"]["rows"] = payload["table"]["rows"][:-cut]
        payload["rows_cut"] += cut
    return payload


def decode_answer(payload: dict[str, Any]) -> tuple[Answer, int]:
    """The Answer from its inbox payload, and how many rows were cut to fit the inbox."""
    if payload.get("version") != VERSION:
        raise ValueError(f"unsupported inbox payload version {payload.get('version')!r}")
    data = payload.get("table")
    table = None if data is None else ResultTable(
        columns=list(data["columns"]), types=list(data["types"]), truncated=bool(data.get("truncated")),
        rows=[tuple(_uncell(v) for v in row) for row in data["rows"]])
    answer = Answer(status=payload["status"], question=payload["question"], message=payload["message"],
                    sql=payload.get("sql"), table=table,
                    chart_png=base64.b64decode(payload["chart_png"]) if payload.get("chart_png") else None,
                    chart_kind=payload.get("chart_kind"), column_labels=dict(payload.get("column_labels") or {}),
                    column_formats=dict(payload.get("column_formats") or {}),
                    options=list(payload.get("options") or []), elapsed_ms=payload.get("elapsed_ms"),
                    footer=payload.get("footer"), download_url=payload.get("download_url"),
                    verified_by=payload.get("verified_by"), answer_id=payload.get("answer_id"),
                    dashboard_url=payload.get("dashboard_url"), saved=payload.get("saved"))
    return answer, int(payload.get("rows_cut") or 0)
