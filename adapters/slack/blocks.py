"""Answer -> Slack Block Kit, built with slack_sdk's block models and kept inside Slack's limits.

Limits that matter here: 50 blocks per message, 3,000 characters per section text, 2,000 per
button value, 75 per button text, 25 elements per actions block.

Every mrkdwn text and message ``text`` the bot writes goes through ``escape``: Slack reads ``&``,
``<`` and ``>`` as control characters, so a question or a value containing ``<!channel>``,
``<@U123>`` or ``<http://x|y>`` would otherwise become a live mention or link posted by the bot.
Button labels are plain_text, which Slack never parses.
"""

from __future__ import annotations

from slack_sdk.models.blocks import (ActionsBlock, Block, ButtonElement, ContextBlock, MarkdownTextObject,
                                     SectionBlock)

from engine.domain import Answer
from engine.formatting import text_table

SECTION_CHARS = 3000
MAX_BLOCKS = 50
TABLE_ROWS = 15
PLACEHOLDER_TEXT = ":hourglass_flowing_sand: Looking into it..."

# action ids the Slack app listens for
SHOW_SQL = "show_sql"
FEEDBACK_UP = "feedback_up"
FEEDBACK_DOWN = "feedback_down"
CLARIFY = "clarify_option"
OPEN_URL = "open_url"

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


def answer_blocks(answer: Answer, answer_key: str, quicksight_url: str | None = None) -> list[Block]:
    """Blocks for any Answer: summary, table, buttons; clarifications offer their options, and
    an answer the alternatives to what it assumed.

    ``answer_key`` identifies this answer in the buttons (to show its SQL, store feedback).
    """
    blocks: list[Block] = [SectionBlock(text=_mrkdwn(_ICONS[answer.status] + escape(answer.message)))]
    if answer.status == "clarify" and answer.options:
        buttons = [ButtonElement(text=clip(option, 75), action_id=f"{CLARIFY}_{i}", value=clip(option, 2000))
                   for i, option in enumerate(answer.options[:25])]
        blocks.append(ActionsBlock(block_id="clarify", elements=buttons))
        return blocks
    if answer.status != "answered":
        return blocks
    if answer.table is not None and answer.table.columns:
        blocks.append(SectionBlock(text=_mrkdwn(f"```{_table_text(answer)}```")))
    context = [escape(answer.footer)] if answer.footer else []
    if answer.table is not None and answer.table.truncated:
        context.append("The table is cut at the row limit.")
    if context:
        blocks.append(ContextBlock(elements=[_mrkdwn(" · ".join(context))]))
    if answer.options:  # one-click alternatives to an assumption ("Store region instead")
        blocks.append(ActionsBlock(block_id="alternatives", elements=[
            ButtonElement(text=clip(option, 75), action_id=f"{CLARIFY}_{i}", value=clip(option, 2000))
            for i, option in enumerate(answer.options[:5])]))
    buttons = [ButtonElement(text="Show SQL", action_id=SHOW_SQL, value=answer_key)]
    if answer.download_url:
        buttons.append(ButtonElement(text="Download CSV", action_id=f"{OPEN_URL}_csv", url=answer.download_url))
    if quicksight_url:
        buttons.append(ButtonElement(text="Open in QuickSight", action_id=f"{OPEN_URL}_quicksight",
                                     url=quicksight_url))
    buttons += [ButtonElement(text=":+1:", action_id=FEEDBACK_UP, value=answer_key),
                ButtonElement(text=":-1:", action_id=FEEDBACK_DOWN, value=answer_key)]
    blocks.append(ActionsBlock(block_id="answer_actions", elements=buttons))
    return blocks[:MAX_BLOCKS]


def _table_text(answer: Answer) -> str:
    """The table, escaped, fitting a section with its code fences (fewer rows if escaping grew it)."""
    rows = TABLE_ROWS
    while True:
        table = escape(text_table(answer, max_rows=rows, max_chars=SECTION_CHARS - 8))
        if len(table) <= SECTION_CHARS - 8 or rows <= 1:
            return clip(table, SECTION_CHARS - 8)
        rows //= 2


def fallback_text(answer: Answer) -> str:
    """The notification and screen-reader text of a message (mrkdwn, so escaped too)."""
    return clip(_ICONS[answer.status] + escape(answer.message), 3000)


def sql_blocks(sql: str) -> list[Block]:
    return [SectionBlock(text=_mrkdwn(f"*SQL (Athena)*\n```{clip(escape(sql), SECTION_CHARS - 40)}```"))]
