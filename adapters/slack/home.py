"""The App Home tab: what the bot can answer (metrics and breakdowns, with example questions), the
user's recent questions, and their digests when there are any. Published with views.publish when
the user opens the tab.

Everything here is mrkdwn the bot writes from the model and from the user's own questions, so it
all goes through ``escape``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import (Block, ContextBlock, DividerBlock, HeaderBlock, MarkdownTextObject,
                                     PlainTextObject, SectionBlock)

from adapters.slack.blocks import clip, escape
from engine.ports import ConversationStore

if TYPE_CHECKING:  # the guide (and the sqlglot it needs) is built on first use
    from engine.guide import Guide

RECENT = 8  # recent questions kept per user
MAX_HOME_BLOCKS = 100


def recent_key(user: str) -> str:
    return f"slack-recent:{user}"


def remember_question(conversations: ConversationStore, user: str, question: str) -> None:
    """Keep the user's last RECENT questions (newest first, no repeats) for their App Home."""
    state = conversations.load(recent_key(user)) or {}
    kept = [q for q in state.get("questions", []) if q.get("text") != question]
    conversations.save(recent_key(user), {"questions": [{"text": question, "at": time.time()}, *kept][:RECENT]})


def recent_questions(conversations: ConversationStore, user: str) -> list[str]:
    return [q["text"] for q in (conversations.load(recent_key(user)) or {}).get("questions", [])]


Digests = Callable[[str], list[dict[str, Any]]]  # user -> their digests' blocks (list, buttons)


def home_view(guide: Guide, recent: list[str], digests: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The App Home view: how to ask, what can be asked, recent questions, then the user's digests."""
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text="Ask about your company's data")),
        SectionBlock(text=MarkdownTextObject(text=clip(
            "Mention me in a channel, message me here or use `/ask`. I answer with a sentence that says "
            "what was computed, a table, a chart and the SQL, using your own data access."))),
        DividerBlock(),
        SectionBlock(block_id="examples", text=MarkdownTextObject(text=clip(
            "*Try asking*\n" + "\n".join(f"• {escape(q)}" for q in guide.examples)))),
        SectionBlock(block_id="metrics", text=MarkdownTextObject(text=clip(
            "*Measures*\n" + "\n".join(f"• *{escape(label)}*" + (f" ({escape(note)})" if note else "")
                                       for label, note in guide.metrics)))),
        SectionBlock(block_id="dimensions", text=MarkdownTextObject(text=clip(
            "*Broken down by*\n" + escape(", ".join(guide.dimensions))))),
        ContextBlock(elements=[MarkdownTextObject(text=clip(
            "Add a period (\"last quarter\", \"in 2024\", \"this year vs last year\"), a filter (\"in EMEA\", "
            "\"online only\") or a ranking (\"top 5\"); reply in the thread to refine an answer."))]),
    ]
    blocks += [DividerBlock(), SectionBlock(block_id="recent", text=MarkdownTextObject(text=clip(
        "*Your recent questions*\n" + ("\n".join(f"• {escape(q)}" for q in recent) if recent else
                                       "_None yet. Ask me anything above._"))))]
    rendered = [b.to_dict() for b in blocks]
    if digests:
        rendered += [DividerBlock().to_dict(), *digests]
    return {"type": "home", "blocks": rendered[:MAX_HOME_BLOCKS]}
