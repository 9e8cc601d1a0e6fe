"""Digest posts for the web chat: a per-user feed the page shows, beside the per-session inbox.

A web chat session ends when its tab closes, so a digest that runs next Monday cannot post into
one. Its target is the owner's feed instead (``feed:<email>``): the last few posts, kept in the
ConversationStore (SQLite locally, DynamoDB on AWS) as one record, newest first. A repeated
delivery of the same post replaces it. No Streamlit here: the worker writes the feed.
"""

from __future__ import annotations

from typing import Any

from engine.ports import ConversationStore

FEED_POSTS = 4  # four posts of at most FEED_POST_CHARS stay inside one DynamoDB item
FEED_POST_CHARS = 80_000


def feed_channel(email: str) -> str:
    """The digest target channel of a web user's feed."""
    return f"feed:{email.strip().lower()}"


def is_feed(channel: str) -> bool:
    return channel.startswith("feed:")


class WebFeed:
    """The digest posts of each web user, newest first."""

    def __init__(self, conversations: ConversationStore) -> None:
        self.conversations = conversations

    @staticmethod
    def _key(channel: str) -> str:
        return f"web-{channel}"

    def add(self, channel: str, post_id: str, payload: dict[str, Any]) -> None:
        record = self.conversations.load(self._key(channel)) or {}
        posts = [p for p in record.get("posts", []) if p.get("id") != post_id]
        self.conversations.save(self._key(channel), {"posts": [{"id": post_id, "answer": payload}, *posts][:FEED_POSTS]})

    def posts(self, email: str) -> list[dict[str, Any]]:
        """``[{"id", "answer"}]``, newest first (``answer`` is ``inbox.encode_answer``'s payload)."""
        return list((self.conversations.load(self._key(feed_channel(email))) or {}).get("posts", []))
