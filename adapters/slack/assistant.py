"""Slack's AI-app surfaces: the assistant split view (Bolt's ``Assistant`` middleware) and App Home.

- ``assistant_thread_started``: the thread is remembered as an assistant thread, the bot greets
  and sets suggested prompts taken from the semantic model (verified questions first, when they
  exist).
- a message in an assistant thread (``message.im`` with a thread) is a question like a DM, but
  instead of a placeholder message the thread gets a title from its first question and the
  "is thinking…" status while the worker runs; the answer clears it when it is posted.
- ``assistant_thread_context_changed``: the channel the user is looking at is kept with the thread
  (in the ConversationStore, not in message metadata).
- ``app_home_opened``: views.publish of the Home tab (adapters/slack/home.py).

Workspaces without the AI-app features never send these events; mentions, DMs and /ask work as
before, and a DM thread the bot never saw start is handled as a plain DM.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import App, Assistant, BoltResponse
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import AssistantThreadContextStore
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.slack.blocks import clip
from adapters.slack.home import Digests, home_view, recent_questions
from engine.ports import ConversationStore

if TYPE_CHECKING:  # the guide (and the sqlglot it needs) is built on first use
    from engine.guide import Guide

log = logging.getLogger(__name__)

GREETING = ("Hi! Ask me about the company's data in plain English: I answer with a sentence saying what "
            "was computed, a table, a chart and the SQL. Reply in this thread to refine an answer.")
THINKING = "is thinking…"
LOADING = ["Reading your question…", "Running the query…", "Putting the answer together…"]
PROMPTS_TITLE = "Try asking"
MAX_PROMPTS = 4
TITLE_CHARS = 80

Start = Callable[..., BoltResponse | None]


def assistant_key(channel: str, thread_ts: str) -> str:
    return f"slack-assistant:{channel}:{thread_ts}"


class StoredThreadContext(AssistantThreadContextStore):
    """The assistant thread's context (the channel the user is viewing) in the ConversationStore."""

    def __init__(self, conversations: ConversationStore) -> None:
        self.conversations = conversations

    def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        state = self.conversations.load(assistant_key(channel_id, thread_ts)) or {}
        self.conversations.save(assistant_key(channel_id, thread_ts), {**state, "context": dict(context)})

    def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        context = (self.conversations.load(assistant_key(channel_id, thread_ts)) or {}).get("context")
        return AssistantThreadContext(context) if context else None


def suggested_prompts(guide: Guide) -> list[dict[str, str]]:
    """Slack's prompt buttons: a short title each, the full question as the message."""
    return [{"title": clip(q[:1].upper() + q[1:], 75), "message": q} for q in guide.examples[:MAX_PROMPTS]]


def show_thinking(client: WebClient, channel: str, thread_ts: str, question: str, first: bool) -> None:
    """The thread's title (from its first question) and the "is thinking…" status.

    A workspace or token without the AI-app features answers these with an error: the question
    still goes ahead (without the status); only Slack being unreachable is raised (503)."""
    try:
        if first:
            client.assistant_threads_setTitle(channel_id=channel, thread_ts=thread_ts,
                                              title=clip(question, TITLE_CHARS))
        client.assistant_threads_setStatus(channel_id=channel, thread_ts=thread_ts, status=THINKING,
                                           loading_messages=LOADING)
    except SlackApiError as err:
        if err.response.status_code >= 500:
            raise
        log.warning("assistant status not set in %s (%s); answering without it", channel,
                    err.response.get("error"))


def register_assistant(app: App, start: Start, conversations: ConversationStore,
                       guide: Callable[[], Guide]) -> Assistant:
    """The Assistant middleware, registered on ``app``; ``start`` takes a question in; ``guide``
    gives what the model answers (built on first call)."""
    assistant = Assistant(thread_context_store=StoredThreadContext(conversations))

    @assistant.thread_started
    def on_thread_started(payload: dict[str, Any], say: Callable[..., Any],
                          set_suggested_prompts: Callable[..., Any]) -> None:
        thread = payload["assistant_thread"]
        key = assistant_key(thread["channel_id"], thread["thread_ts"])
        conversations.save(key, {**(conversations.load(key) or {}), "user": thread.get("user_id"),
                                 "context": thread.get("context") or {}, "at": time.time()})
        say(GREETING)
        known = guide()
        if known.examples:
            set_suggested_prompts(prompts=suggested_prompts(known), title=PROMPTS_TITLE)

    @assistant.user_message
    def on_user_message(payload: dict[str, Any], body: dict[str, Any]) -> BoltResponse | None:
        if "user" not in payload:
            return None
        channel, thread_ts = payload["channel"], payload["thread_ts"]
        known = conversations.load(assistant_key(channel, thread_ts)) is not None
        # a DM thread the bot never saw start (no AI-app features): a plain DM, with a placeholder
        return start(payload.get("text") or "", payload["user"], channel, thread_ts, body.get("event_id"),
                     assistant=known)

    app.use(assistant)
    return assistant


def register_home(app: App, client: WebClient, conversations: ConversationStore, guide: Callable[[], Guide],
                  digests: Digests | None = None) -> Callable[[str], None]:
    """Publish the App Home tab whenever a user opens it; returns the publisher (a digest button
    pressed in the tab publishes it again)."""

    def publish(user: str) -> None:
        client.views_publish(user_id=user, view=home_view(guide(), recent_questions(conversations, user),
                                                          digests(user) if digests else None))

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home" or not isinstance(event.get("user"), str):
            return
        publish(event["user"])

    return publish
