"""The Slack receiver: a slack-bolt app that turns mentions, DMs, /ask, thread replies and button
clicks into AskJobs, and never answers inline.

Each trigger is acked at once; the listener resolves the user (users.info email, cached), posts
the "Looking into it..." placeholder in the thread and enqueues the job; the worker's
SlackPoster replaces the placeholder with the answer. A Slack retry (same event id) is dropped.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.slack.blocks import (CLARIFY, FEEDBACK_DOWN, FEEDBACK_UP, OPEN_URL, PLACEHOLDER_TEXT, SHOW_SQL,
                                   placeholder_blocks, sql_blocks)
from adapters.slack.poster import answer_state_key
from engine.domain import ReplyTarget
from engine.errors import Refused
from engine.intake import Intake

log = logging.getLogger(__name__)

_MENTION = re.compile(r"<@[A-Z0-9]+>")
EMAIL_TTL_SECONDS = 3600
NO_ACCESS = ("I couldn't match your Slack account ({email}) to a data-access identity, so I can't run "
             "queries for you yet. Ask your data team to add you to an analytics group in IAM Identity "
             "Center, then ask again.")


def conversation_id(channel: str, thread_ts: str) -> str:
    return f"slack:{channel}:{thread_ts}"


class EmailCache:
    """users.info lookups, cached (emails rarely change; Slack rate-limits users.info)."""

    def __init__(self, client: WebClient, ttl: float = EMAIL_TTL_SECONDS) -> None:
        self.client, self.ttl = client, ttl
        self._cache: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def email(self, user: str) -> str | None:
        with self._lock:
            hit = self._cache.get(user)
        if hit and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        profile = self.client.users_info(user=user)["user"].get("profile", {})
        email = profile.get("email")
        with self._lock:
            self._cache[user] = (time.monotonic(), email)
        return email


def _just_ack(ack: Callable[..., None]) -> None:
    ack()


def build_slack_app(receiver: Intake, client: WebClient, signing_secret: str,
                    process_before_response: bool = False) -> App:
    """The bolt App with every listener registered; serve it over HTTP, Socket Mode or Lambda."""
    # a name given, bolt need not walk the call stack for one (inspect.stack: ~0.1 s of a cold start)
    app = App(name="athena-query-bot", client=client, signing_secret=signing_secret,
              process_before_response=process_before_response, token_verification_enabled=False)
    emails = EmailCache(client)

    def listen(register: Callable[..., Any]) -> Callable[[Callable[..., None]], Callable[..., None]]:
        """Register a listener. On Lambda (process_before_response) Slack gets its ack first and
        the work runs as a lazy listener, so the 3 s limit never depends on Slack's API or SQS."""
        def decorate(fn: Callable[..., None]) -> Callable[..., None]:
            if process_before_response:
                register(ack=_just_ack, lazy=[fn])
            else:
                register(fn)
            return fn
        return decorate

    def start(question: str, user: str, channel: str, thread_ts: str, event_id: str | None) -> None:
        question = _MENTION.sub("", question).strip()
        if event_id:  # Slack redelivers when an ack is slow: the same event never makes two jobs
            seen = f"slack-event:{event_id}"
            if receiver.conversations.load(seen):
                log.info("slack event %s already taken", event_id)
                return
            receiver.conversations.save(seen, {"at": time.time()})
        if not question:
            client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts,
                                      text="Ask me a question about the data, e.g. "
                                           "\"revenue by category last quarter\".")
            return
        email = emails.email(user)
        try:
            principal = receiver.identity.resolve("slack", user, email)
        except Refused:
            client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts,
                                      text=NO_ACCESS.format(email=email or "no email on your profile"))
            return
        placeholder = client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=PLACEHOLDER_TEXT,
                                              blocks=[b.to_dict() for b in placeholder_blocks(question)])
        target = ReplyTarget("slack", channel, thread_ts, {"placeholder": str(placeholder["ts"]), "user": user})
        receiver.submit(receiver.job(question, principal, target, conversation_id(channel, thread_ts),
                                     f"slack:{event_id}" if event_id else None))

    @listen(app.event("app_mention"))
    def on_mention(event: dict[str, Any], body: dict[str, Any]) -> None:
        start(event.get("text", ""), event["user"], event["channel"], event.get("thread_ts") or event["ts"],
              body.get("event_id"))

    @listen(app.event("message"))
    def on_message(event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
        if event.get("bot_id") or event.get("subtype") or "user" not in event:
            return  # our own messages, edits, joins
        text = event.get("text", "")
        if context.bot_user_id and f"<@{context.bot_user_id}>" in text:
            return  # the app_mention event handles it
        thread_ts = event.get("thread_ts")
        if event.get("channel_type") == "im":
            start(text, event["user"], event["channel"], thread_ts or event["ts"], body.get("event_id"))
        elif thread_ts and receiver.conversations.load(conversation_id(event["channel"], thread_ts)):
            # a reply in the thread of one of our answers: a follow-up in that conversation
            start(text, event["user"], event["channel"], thread_ts, body.get("event_id"))

    @listen(app.command("/ask"))
    def on_ask(ack: Callable[..., None], command: dict[str, Any], respond: Callable[..., None]) -> None:
        ack()
        question = command.get("text", "").strip()
        if not question:
            respond(text="Usage: `/ask <question>`, e.g. `/ask revenue by category last quarter`.")
            return
        try:  # the question becomes the thread the answer goes into
            root = client.chat_postMessage(channel=command["channel_id"],
                                           text=f"<@{command['user_id']}> asked: {question}")
        except SlackApiError as err:
            respond(text=f"I can't post in this channel ({err.response.get('error')}). Invite me with "
                         "`/invite @athena-query-bot`, or ask me in a direct message.")
            return
        start(question, command["user_id"], command["channel_id"], str(root["ts"]),
              f"cmd-{command.get('trigger_id', root['ts'])}")

    @listen(app.action(re.compile(f"^{CLARIFY}_\\d+$")))
    def on_option(ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        message = body.get("message", {})
        channel = body["channel"]["id"]
        thread_ts = message.get("thread_ts") or message.get("ts")
        start(action["value"], body["user"]["id"], channel, thread_ts, f"act-{body.get('trigger_id')}")

    @listen(app.action(SHOW_SQL))
    def on_show_sql(ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        state = receiver.conversations.load(answer_state_key(action["value"])) or {}
        thread = (body.get("message") or {}).get("thread_ts")
        client.chat_postEphemeral(channel=body["channel"]["id"], user=body["user"]["id"], thread_ts=thread,
                                  text=state.get("sql") or "That answer has no SQL any more.",
                                  blocks=[b.to_dict() for b in sql_blocks(state["sql"])] if state.get("sql") else None)

    @listen(app.action(re.compile(f"^({FEEDBACK_UP}|{FEEDBACK_DOWN})$")))
    def on_feedback(ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        state = receiver.conversations.load(answer_state_key(action["value"])) or {}
        vote = "up" if action["action_id"] == FEEDBACK_UP else "down"
        receiver.conversations.save(f"slack-feedback:{action['value']}:{body['user']['id']}", {
            "vote": vote, "question": state.get("question"), "sql": state.get("sql"), "at": time.time()})
        log.info("feedback %s on answer %s", vote, action["value"])
        thread = (body.get("message") or {}).get("thread_ts")
        client.chat_postEphemeral(channel=body["channel"]["id"], user=body["user"]["id"], thread_ts=thread,
                                  text="Thanks for the feedback!" if vote == "up" else
                                  "Thanks: the data team will look at this answer.")

    @listen(app.action(re.compile(f"^{OPEN_URL}_")))
    def on_link(ack: Callable[..., None]) -> None:
        ack()  # link buttons open in the browser; Slack still sends the click

    return app
