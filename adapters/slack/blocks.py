"""Answer -> Slack Block Kit, built with slack_sdk's block models and kept inside Slack's limits.

Limits that matter here: 50 blocks per message, 3,000 characters per section text, 2,000 per
button value, 75 per button text, 25 elements per actions block.
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


def clip(text: str, limit: int = SECTION_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip(text))


def placeholder_blocks(question: str) -> list[Block]:
    return [SectionBlock(text=_mrkdwn(f"{PLACEHOLDER_TEXT}\n>{clip(question, 500)}"))]


def answer_blocks(answer: Answer, answer_key: str, quicksight_url: str | None = None) -> list[Block]:
    """Blocks for any Answer: summary, table, buttons; clarifications offer their options, and
    an answer the alternatives to what it assumed.

    ``answer_key`` identifies this answer in the buttons (to show its SQL, store feedback).
    """
    blocks: list[Block] = [SectionBlock(text=_mrkdwn(_ICONS[answer.status] + answer.message))]
    if answer.status == "clarify" and answer.options:
        buttons = [ButtonElement(text=clip(option, 75), action_id=f"{CLARIFY}_{i}", value=clip(option, 2000))
                   for i, option in enumerate(answer.options[:25])]
        blocks.append(ActionsBlock(block_id="clarify", elements=buttons))
        return blocks
    if answer.status != "answered":
        return blocks
    if answer.table is not None and answer.table.columns:
        table = text_table(answer, max_rows=TABLE_ROWS, max_chars=SECTION_CHARS - 8)
        blocks.append(SectionBlock(text=_mrkdwn(f"```{table}```")))
    context = [answer.footer] if answer.footer else []
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


def fallback_text(answer: Answer) -> str:
    """The notification and screen-reader text of a message."""
    return clip(_ICONS[answer.status] + answer.message, 3000)


def sql_blocks(sql: str) -> list[Block]:
    return [SectionBlock(text=_mrkdwn(f"*SQL (Athena)*\n```{clip(sql, SECTION_CHARS - 40)}```"))]
