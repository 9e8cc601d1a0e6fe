"""The worker's ReplyPoster for the web chat: the Answer goes to the asking session's inbox.

Imports nothing from Streamlit: the worker (ECS, Lambda) posts web answers without the page.
"""

from __future__ import annotations

import logging

from adapters.web.feed import FEED_POST_CHARS, WebFeed, is_feed
from adapters.web.inbox import SessionInbox, encode_answer
from engine.domain import Answer, ReplyTarget

log = logging.getLogger(__name__)

PLATFORM = "web"


def web_target(session_id: str, job_id: str, conversation_id: str) -> ReplyTarget:
    """Where a web question's answer goes: the session (channel), its job (the inbox item)."""
    return ReplyTarget(PLATFORM, session_id, conversation_id, {"item": job_id})


class WebPoster:
    """Delivers Answers into web sessions' inboxes, and digest posts into their owners' feeds."""

    def __init__(self, inbox: SessionInbox, feed: WebFeed | None = None) -> None:
        self.inbox = inbox
        self.feed = feed

    def post(self, target: ReplyTarget, answer: Answer) -> None:
        if is_feed(target.channel):  # a digest's post or a notice to its owner: no session waits for it
            if self.feed is None:
                log.error("web digest post for %s, but this poster has no feed; dropping it", target.channel)
                return
            self.feed.add(target.channel, answer.answer_id or target.extra.get("digest") or "post",
                          encode_answer(answer, max_chars=FEED_POST_CHARS))
            return
        item = target.extra.get("item")
        if not item:
            log.error("web reply target for session %s names no inbox item; dropping the answer",
                      target.channel)
            return  # nothing a retry could fix
        self.inbox.deliver(target.channel, item, encode_answer(answer))
