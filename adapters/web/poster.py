"""The worker's ReplyPoster for the web chat: the Answer goes to the asking session's inbox.

Imports nothing from Streamlit: the worker (ECS, Lambda) posts web answers without the page.
"""

from __future__ import annotations

import logging

from adapters.web.inbox import SessionInbox, encode_answer
from engine.domain import Answer, ReplyTarget

log = logging.getLogger(__name__)

PLATFORM = "web"


def web_target(session_id: str, job_id: str, conversation_id: str) -> ReplyTarget:
    """Where a web question's answer goes: the session (channel), its job (the inbox item)."""
    return ReplyTarget(PLATFORM, session_id, conversation_id, {"item": job_id})


class WebPoster:
    """Delivers Answers into web sessions' inboxes."""

    def __init__(self, inbox: SessionInbox) -> None:
        self.inbox = inbox

    def post(self, target: ReplyTarget, answer: Answer) -> None:
        item = target.extra.get("item")
        if not item:
            log.error("web reply target for session %s names no inbox item; dropping the answer",
                      target.channel)
            return  # nothing a retry could fix
        self.inbox.deliver(target.channel, item, encode_answer(answer))
