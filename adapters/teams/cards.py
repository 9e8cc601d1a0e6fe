"""Answer -> Adaptive Card (schema 1.5: Table, Image, Action.Submit, Action.OpenUrl) for Teams.

Teams rejects messages over about 28 KB, so the card is kept under MAX_CARD_BYTES: the table is
cut (with a note saying how many rows are left out) until it fits.

Every text is a RichTextBlock of TextRuns, which Adaptive Cards render as text, never markdown: a
question, a value or SQL containing ``[x](http://...)``, ``**`` or ``- `` stays what it says.
Button titles are plain text.
"""

from __future__ import annotations

import json
from typing import Any

from engine.domain import Answer
from engine.formatting import format_value

CARD_VERSION = "1.5"
MAX_CARD_BYTES = 24_000
TABLE_ROWS = 15
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

# what a card's Action.Submit sends back in the message activity's value
SHOW_SQL = "show_sql"
FEEDBACK = "feedback"
CLARIFY = "clarify"

_PREFIX = {"answered": "", "clarify": "", "refused": "⛔ ", "error": "⚠️ "}


_BLOCK_STYLE = {"horizontalAlignment", "spacing", "separator"}


def _text(text: str, **style: Any) -> dict[str, Any]:
    """Text shown as written: a RichTextBlock with one TextRun (TextBlocks would parse markdown)."""
    run = {"type": "TextRun", "text": text, **{k: v for k, v in style.items() if k not in _BLOCK_STYLE}}
    return {"type": "RichTextBlock", "inlines": [run], **{k: v for k, v in style.items() if k in _BLOCK_STYLE}}


def _table(answer: Answer, rows: int) -> list[dict[str, Any]]:
    table = answer.table
    assert table is not None
    numeric = [all(isinstance(r[i], (int, float)) or r[i] is None for r in table.rows[:rows]) and bool(table.rows)
               for i in range(len(table.columns))]
    formats = [answer.column_formats.get(c, "number") for c in table.columns]

    def cell(text: str, right: bool, bold: bool = False) -> dict[str, Any]:
        block = _text(text, horizontalAlignment="Right" if right else "Left", **({"weight": "Bolder"} if bold else {}))
        return {"type": "TableCell", "items": [block]}

    header = {"type": "TableRow", "style": "accent", "cells": [
        cell(answer.column_labels.get(c, c), n, bold=True) for c, n in zip(table.columns, numeric)]}
    body = [{"type": "TableRow", "cells": [cell(format_value(v, f), n) for v, f, n in zip(row, formats, numeric)]}
            for row in table.rows[:rows]]
    blocks: list[dict[str, Any]] = [{
        "type": "Table", "firstRowAsHeader": True, "showGridLines": False, "gridStyle": "accent",
        "columns": [{"width": 1} for _ in table.columns], "rows": [header, *body]}]
    more = table.row_count - rows
    if more > 0:
        blocks.append(_text(f"... and {more:,} more rows", isSubtle=True, size="Small"))
    return blocks


def answer_card(answer: Answer, answer_key: str, chart_url: str | None = None,
                quicksight_url: str | None = None) -> dict[str, Any]:
    """The Adaptive Card for any Answer; ``answer_key`` ties its buttons to this answer."""
    def build(rows: int) -> dict[str, Any]:
        body: list[dict[str, Any]] = [_text(_PREFIX[answer.status] + answer.message,
                                            weight="Bolder" if answer.status == "answered" else "Default")]
        actions: list[dict[str, Any]] = []
        if answer.status == "clarify":
            actions = [{"type": "Action.Submit", "title": option[:80],
                        "data": {"action": CLARIFY, "option": option}} for option in answer.options[:6]]
        elif answer.status == "answered":
            if answer.table is not None and answer.table.columns:
                body += _table(answer, rows)
            if chart_url:
                body.append({"type": "Image", "url": chart_url, "altText": answer.message[:200], "size": "Stretch"})
            if answer.footer:
                body.append(_text(answer.footer, isSubtle=True, size="Small"))
            # one-click alternatives to an assumption ("Store region instead") come first
            actions = [{"type": "Action.Submit", "title": option[:80], "data": {"action": CLARIFY, "option": option}}
                       for option in answer.options[:3]]
            actions.append({"type": "Action.Submit", "title": "Show SQL", "data": {"action": SHOW_SQL, "key": answer_key}})
            if answer.download_url:
                actions.append({"type": "Action.OpenUrl", "title": "Download CSV", "url": answer.download_url})
            if quicksight_url:
                actions.append({"type": "Action.OpenUrl", "title": "Open in QuickSight", "url": quicksight_url})
            actions += [{"type": "Action.Submit", "title": "👍", "data": {"action": FEEDBACK, "vote": "up", "key": answer_key}},
                        {"type": "Action.Submit", "title": "👎", "data": {"action": FEEDBACK, "vote": "down", "key": answer_key}}]
        card: dict[str, Any] = {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                                "version": CARD_VERSION, "body": body}
        if actions:
            card["actions"] = actions
        return card

    rows = TABLE_ROWS
    card = build(rows)
    while len(json.dumps(card).encode()) > MAX_CARD_BYTES and rows > 1:
        rows = max(1, rows // 2)
        card = build(rows)
    return card


def sql_card(sql: str) -> dict[str, Any]:
    """The SQL, one text line per line (a TextRun has no line breaks), indentation kept."""
    lines = sql[:MAX_CARD_BYTES // 4].splitlines() or [""]
    return {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": CARD_VERSION, "body": [
                _text("SQL (Athena)", weight="Bolder"),
                *[_text(_keep_indent(line), fontType="Monospace", size="Small", spacing="None") for line in lines]]}


def _keep_indent(line: str) -> str:
    stripped = line.lstrip(" ")
    return "\u00a0" * (len(line) - len(stripped)) + stripped
