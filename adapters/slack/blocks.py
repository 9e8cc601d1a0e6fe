"""Answer -> Slack Block Kit, built with slack_sdk's block models and kept inside Slack's limits.

An answer reads like a native Slack message: a bold headline number when the answer is one value
or one leader, the summary sentence, the result as Slack's ``table`` block (numbers right-aligned,
labels in a bold header row), the chart inside the message (an ``image`` block showing the
uploaded file), then the actions. The fixed-width text table is the message ``text``: what
notifications, screen readers and clients without table blocks show.

Limits that matter here: 50 blocks per message, 3,000 characters per section text, one table of
at most 100 rows x 20 cells, 2,000 per button value, 75 per button text, 25 elements per actions
block, 100 options per select.

Escaping. Every mrkdwn text and message ``text`` the bot writes goes through ``escape``: Slack
reads ``&``, ``<`` and ``>`` as control characters, so a question or a value containing
``<!channel>``, ``<@U123>`` or ``<http://x|y>`` would otherwise become a live mention or link
posted by the bot. Button labels, select options, the headline and table cells are plain text
(``plain_text``, ``raw_text``, rich-text ``text`` elements), which Slack shows as written and never
parses: a mention in rich text is an element of its own type, never text.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (ActionsBlock, Block, ButtonElement, ContextActionsBlock, ContextBlock,
                                     FeedbackButtonObject, FeedbackButtonsElement, HeaderBlock, ImageBlock,
                                     MarkdownTextObject, Option, PlainTextObject, SectionBlock,
                                     StaticSelectElement, TableBlock)

from engine.domain import Answer
from engine.formatting import format_value, headline, text_table, without_option_list

SECTION_CHARS = 3000
MAX_BLOCKS = 50
TABLE_ROWS = 20  # rows shown in the table block (Slack allows 100); the rest is counted
TABLE_CELLS = 20
CELL_CHARS = 120
MAX_BUTTONS = 5  # clarification options shown as buttons; more go into a select
MAX_OPTIONS = 100
PLACEHOLDER_TEXT = ":hourglass_flowing_sand: Looking into it..."

# action ids the Slack app listens for
SHOW_SQL = "show_sql"
FEEDBACK = "feedback"  # feedback_buttons: value "up:<key>" or "down:<key>"
FEEDBACK_UP = "feedback_up"  # thumbs buttons, where feedback_buttons are not shown
FEEDBACK_DOWN = "feedback_down"
CLARIFY = "clarify_option"  # a button per option: clarify_option_<i>
CLARIFY_SELECT = "clarify_select"
OPEN_URL = "open_url"
ANSWER_ACTIONS = "answer_actions"  # the block later features add their buttons to

_ICONS = {"answered": "", "clarify": ":thinking_face: ", "refused": ":no_entry: ", "error": ":warning: "}


def escape(text: str) -> str:
    """Text for Slack's mrkdwn and message ``text``: its three control characters as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int = SECTION_CHARS) -> str:
    """At most ``limit`` characters, never ending inside an entity ``escape`` wrote."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&", len(cut) - 4)
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def _mrkdwn(text: str) -> MarkdownTextObject:
    """Our own mrkdwn (bold, code fences) around text already escaped, clipped to a section."""
    return MarkdownTextObject(text=clip(text))


def placeholder_blocks(question: str, status: str = PLACEHOLDER_TEXT) -> list[Block]:
    """The bot's status (ours, mrkdwn) above the question it is about, quoted and escaped."""
    quoted = escape(clip(question, 500)).replace("\n", "\n>")
    return [SectionBlock(text=_mrkdwn(f"{status}\n>{quoted}"))]


def answer_blocks(answer: Answer, answer_key: str, quicksight_url: str | None = None, *,
                  chart_file: str | None = None, feedback_buttons: bool = False,
                  extra_actions: list[ButtonElement] | None = None, dashboards: bool = False) -> list[Block]:
    """Blocks for any Answer: headline, summary, table, chart, actions; clarifications offer their options,
    and an answer the alternatives to what it assumed.

    ``answer_key`` identifies this answer in the buttons (to show its SQL, store feedback).
    ``chart_file`` is the id of the chart uploaded to Slack, shown in an image block.
    ``feedback_buttons`` uses Slack's feedback_buttons element (AI-app threads) instead of thumbs.
    ``extra_actions`` are further buttons (digests, verified answers) for the actions block.
    ``dashboards``: "Open in QuickSight" makes this answer's own dashboard (else ``quicksight_url``).
    """
    from adapters.slack.verified import badge_blocks, dashboard_blocks, quicksight_button

    if answer.dashboard_url:
        return dashboard_blocks(answer)
    if answer.status == "clarify" and answer.options:
        return _clarify_blocks(answer)
    message = _ICONS[answer.status] + escape(answer.message)
    blocks: list[Block] = []
    top = headline(answer)
    if top:
        blocks.append(HeaderBlock(block_id="headline", text=PlainTextObject(text=clip(top, 150), emoji=False)))
    blocks.append(SectionBlock(block_id="summary", text=_mrkdwn(message)))
    blocks += badge_blocks(answer)
    if answer.status != "answered" or (not answer.sql and answer.table is None):  # a notice: no buttons
        return blocks
    table = table_block(answer)
    if table is not None:
        blocks.append(table)
    if chart_file:
        blocks.append(ImageBlock(block_id="chart", slack_file={"id": chart_file},
                                 alt_text=clip(answer.message, 1900)))
    context = [escape(answer.footer)] if answer.footer else []
    shown = min(answer.table.row_count, TABLE_ROWS) if answer.table is not None else 0
    if answer.table is not None and answer.table.row_count > shown:
        context.append(f"Showing {shown:,} of {answer.table.row_count:,} rows.")
    if answer.table is not None and answer.table.truncated:
        context.append("The table is cut at the row limit.")
    if context:
        blocks.append(ContextBlock(block_id="notes", elements=[_mrkdwn(" · ".join(context))]))
    if answer.options:  # one-click alternatives to an assumption ("Store region instead")
        blocks.append(ActionsBlock(block_id="alternatives", elements=[
            ButtonElement(text=clip(option, 75), action_id=f"{CLARIFY}_{i}", value=clip(option, 2000))
            for i, option in enumerate(answer.options[:5])]))
    buttons = [ButtonElement(text="Show SQL", action_id=SHOW_SQL, value=answer_key)]
    if answer.download_url:
        buttons.append(ButtonElement(text="Download CSV", action_id=f"{OPEN_URL}_csv", url=answer.download_url))
    if dashboards:
        buttons.append(quicksight_button(answer_key))
    elif quicksight_url:
        buttons.append(ButtonElement(text="Open in QuickSight", action_id=f"{OPEN_URL}_quicksight",
                                     url=quicksight_url))
    buttons += list(extra_actions or [])
    if feedback_buttons:
        blocks.append(ActionsBlock(block_id=ANSWER_ACTIONS, elements=buttons[:25]))
        blocks.append(ContextActionsBlock(block_id="feedback", elements=[FeedbackButtonsElement(
            action_id=FEEDBACK,
            positive_button=FeedbackButtonObject(text="Good answer", value=f"up:{answer_key}",
                                                 accessibility_label="This answer is right"),
            negative_button=FeedbackButtonObject(text="Wrong answer", value=f"down:{answer_key}",
                                                 accessibility_label="This answer is wrong"))]))
    else:
        buttons += [ButtonElement(text=":+1:", action_id=FEEDBACK_UP, value=answer_key),
                    ButtonElement(text=":-1:", action_id=FEEDBACK_DOWN, value=answer_key)]
        blocks.append(ActionsBlock(block_id=ANSWER_ACTIONS, elements=buttons[:25]))
    return blocks[:MAX_BLOCKS]


def _clarify_blocks(answer: Answer) -> list[Block]:
    """The question, then its options: buttons when a few, a select when many (the text then does
    not list them again)."""
    options = answer.options[:MAX_OPTIONS]
    many = len(options) > MAX_BUTTONS
    blocks: list[Block] = [SectionBlock(block_id="summary", text=_mrkdwn(_ICONS["clarify"] + escape(_said(answer))))]
    if many:
        select = StaticSelectElement(
            action_id=CLARIFY_SELECT, placeholder=PlainTextObject(text=f"Choose one of {len(options)}"),
            options=[Option(text=PlainTextObject(text=clip(o, 75)), value=clip(o, 150)) for o in options])
        blocks.append(ActionsBlock(block_id="clarify", elements=[select]))
    else:
        blocks.append(ActionsBlock(block_id="clarify", elements=[
            ButtonElement(text=clip(o, 75), action_id=f"{CLARIFY}_{i}", value=clip(o, 2000))
            for i, o in enumerate(options)]))
    return blocks


def _said(answer: Answer) -> str:
    """The message, without the list of options a select will show."""
    if answer.status == "clarify" and len(answer.options) > MAX_BUTTONS:
        return without_option_list(answer.message, answer.options[:MAX_OPTIONS])
    return answer.message


def _numeric(answer: Answer, column: int, rows: list[tuple[Any, ...]]) -> bool:
    assert answer.table is not None
    if answer.column_formats.get(answer.table.columns[column]) == "id":
        return False
    values = [r[column] for r in rows if r[column] is not None]
    return bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def table_block(answer: Answer) -> TableBlock | None:
    """The result as Slack's table block: a bold header row of labels, formatted cells (money exact,
    months as "Jan 2025"), numeric columns right-aligned; at most TABLE_ROWS rows and TABLE_CELLS columns."""
    table = answer.table
    if table is None or not table.columns or not table.rows:
        return None
    rows = table.rows[:TABLE_ROWS]
    columns = list(range(min(len(table.columns), TABLE_CELLS)))
    numeric = [_numeric(answer, i, rows) for i in columns]
    header = [_bold_cell(answer.column_labels.get(table.columns[i], table.columns[i])) for i in columns]
    body = [[_cell(format_value(row[i], answer.column_formats.get(table.columns[i], "number"))) for i in columns]
            for row in rows]
    settings = [{"align": "right"} if n else {"align": "left", "is_wrapped": True} for n in numeric]
    return TableBlock(block_id="table", rows=[header, *body], column_settings=settings)


def _cell(text: str) -> dict[str, str]:
    return {"type": "raw_text", "text": clip(text, CELL_CHARS) or " "}


def _bold_cell(text: str) -> dict[str, Any]:
    return {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
        {"type": "text", "text": clip(text, CELL_CHARS) or " ", "style": {"bold": True}}]}]}


def fallback_text(answer: Answer) -> str:
    """The message ``text``: the summary and, for an answer with rows, the fixed-width table in a code
    block (what notifications, screen readers and clients without table blocks show). Escaped."""
    text = _ICONS[answer.status] + escape(_said(answer))
    if answer.status == "answered" and answer.table is not None and answer.table.columns:
        room = 3000 - len(text) - 10
        if room > 200:
            table = escape(text_table(answer, max_rows=TABLE_ROWS, max_chars=room))
            if len(table) <= room:
                text += f"\n```{table}```"
    return clip(text, 3000)


def sql_blocks(sql: str) -> list[Block]:
    return [SectionBlock(text=_mrkdwn(f"*SQL (Athena)*\n```{clip(escape(sql), SECTION_CHARS - 40)}```"))]
