"""Answer -> Adaptive Card (schema 1.5: Table, Image, Input.ChoiceSet, Action.Submit, Action.OpenUrl) for Teams.

Cards are full width (Teams' ``msteams.width: Full``), open with a bold headline number when the
answer is one value or one leader, and show the result as a Table whose header row is styled and
whose column widths follow their content (numbers right-aligned, money exact, months as
"Jan 2025"). A clarification with a few options offers a button each; with more, a compact
Input.ChoiceSet and one button (the text then does not list the options again).

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
from engine.formatting import format_value, headline, without_option_list

CARD_VERSION = "1.5"
MAX_CARD_BYTES = 24_000
TABLE_ROWS = 15
MAX_BUTTONS = 5  # clarification options as buttons; more go into a choice set
MAX_CHOICES = 100
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
OPTION_INPUT = "option"  # the choice set's id: its value arrives as the submit's "option"

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
    formats = [answer.column_formats.get(c, "number") for c in table.columns]
    numeric = [f != "id" and bool(table.rows) and all(isinstance(r[i], (int, float)) or r[i] is None
                                                      for r in table.rows[:rows])
               for i, f in enumerate(formats)]

    def cell(text: str, right: bool, bold: bool = False) -> dict[str, Any]:
        block = _text(text, horizontalAlignment="Right" if right else "Left", **({"weight": "Bolder"} if bold else {}))
        return {"type": "TableCell", "items": [block]}

    labels = [answer.column_labels.get(c, c) for c in table.columns]
    texts = [[format_value(v, f) for v, f in zip(row, formats)] for row in table.rows[:rows]]
    header = {"type": "TableRow", "style": "accent", "cells": [cell(t, n, bold=True) for t, n in zip(labels, numeric)]}
    body = [{"type": "TableRow", "cells": [cell(t, n) for t, n in zip(row, numeric)]} for row in texts]
    blocks: list[dict[str, Any]] = [{
        "type": "Table", "firstRowAsHeader": True, "showGridLines": False, "gridStyle": "accent",
        "columns": column_widths(labels, texts, numeric), "rows": [header, *body]}]
    more = table.row_count - rows
    if more > 0:
        blocks.append(_text(f"... and {more:,} more rows", isSubtle=True, size="Small"))
    return blocks


def column_widths(labels: list[str], texts: list[list[str]], numeric: list[bool]) -> list[dict[str, Any]]:
    """Column weights that follow the content: the longest of label and cells, within 4 to 40
    characters, so a long name column is wide and a number column just fits its numbers."""
    widths = []
    for i, label in enumerate(labels):
        longest = max([len(label)] + [len(row[i]) for row in texts])
        column: dict[str, Any] = {"type": "TableColumnDefinition", "width": max(4, min(40, longest))}
        if numeric[i]:
            column["horizontalCellContentAlignment"] = "Right"
        widths.append(column)
    return widths


def _clarify(answer: Answer) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The question, and its options: a button each when a few, else a compact choice set."""
    options = answer.options[:MAX_CHOICES]
    if len(options) <= MAX_BUTTONS:
        return ([_text(answer.message)],
                [{"type": "Action.Submit", "title": o[:80], "data": {"action": CLARIFY, "option": o}} for o in options])
    body = [_text(without_option_list(answer.message, options)),
            {"type": "Input.ChoiceSet", "id": OPTION_INPUT, "style": "compact", "isRequired": True,
             "label": "Choose one", "errorMessage": "Choose one of the options",
             "value": options[0], "choices": [{"title": o[:80], "value": o} for o in options]}]
    return body, [{"type": "Action.Submit", "title": "Ask", "data": {"action": CLARIFY}}]


def answer_card(answer: Answer, answer_key: str, chart_url: str | None = None,
                quicksight_url: str | None = None,
                extra_actions: list[dict[str, Any]] | None = None, dashboards: bool = False) -> dict[str, Any]:
    """The Adaptive Card for any Answer; ``answer_key`` ties its buttons to this answer.
    ``extra_actions`` are further Action.Submit/OpenUrl buttons (digests, verified answers);
    ``dashboards``: "Open in QuickSight" makes this answer's own dashboard (else ``quicksight_url``)."""
    from adapters.teams.verified import badge_blocks, dashboard_card, quicksight_action

    if answer.dashboard_url:
        return dashboard_card(answer)

    def build(rows: int) -> dict[str, Any]:
        body: list[dict[str, Any]] = []
        top = headline(answer)
        if top:
            body.append(_text(top, size="ExtraLarge", weight="Bolder"))
        actions: list[dict[str, Any]] = []
        if answer.status == "clarify" and answer.options:
            body, actions = _clarify(answer)
        else:
            body.append(_text(_PREFIX[answer.status] + answer.message,
                              weight="Bolder" if answer.status == "answered" and not top else "Default",
                              **({"spacing": "Small"} if top else {})))
        body += badge_blocks(answer)
        if answer.status == "answered" and (answer.sql or answer.table is not None):  # not a notice
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
            if dashboards:
                actions.append(quicksight_action(answer_key))
            elif quicksight_url:
                actions.append({"type": "Action.OpenUrl", "title": "Open in QuickSight", "url": quicksight_url})
            actions += list(extra_actions or [])
            actions += [{"type": "Action.Submit", "title": "👍", "data": {"action": FEEDBACK, "vote": "up", "key": answer_key}},
                        {"type": "Action.Submit", "title": "👎", "data": {"action": FEEDBACK, "vote": "down", "key": answer_key}}]
        card: dict[str, Any] = {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                                "version": CARD_VERSION, "body": body, "msteams": {"width": "Full"}}
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
