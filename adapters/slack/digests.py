"""Digests in Slack: the Schedule button and its form (a modal), schedule phrases in mentions,
"my digests" with Pause / Resume / Edit time / Delete, the App Home section, and the posts'
buttons. Hooked into the app (``route`` in the intake, ``register`` for actions and views) and
into the poster (``dm_channel``, ``with_digest_buttons``, ``remember_thread``).

Only a digest's owner or a member of an admin group changes it; everyone else gets an
ephemeral message saying whose it is. User text is escaped like everywhere else.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.slack.blocks import clip, escape
from adapters.slack.digest_blocks import (CREATE_VIEW, DELETE, EDIT, EDIT_VIEW, FORM, PAUSE, RESUME, SCHEDULE,
                                          button, error_field, field_value, form_view, home_blocks, list_blocks,
                                          schedule_from)
from engine.digests.conditions import Condition
from engine.digests.model import Digest
from engine.digests.phrases import NeedsForm, SchedulePhrase, read_phrase
from engine.digests.delivery import OwnerUnreachable
from engine.digests.schedule import Schedule, ScheduleError, zone
from engine.digests.service import DigestService, status_line
from engine.domain import Answer, Principal, ReplyTarget
from engine.errors import BotError, Refused
from engine.intake import Intake

log = logging.getLogger(__name__)

LIST_WORDS = re.compile(r"^\s*(?:show\s+|list\s+)?(?:my|all|the)?\s*(?:digests|alerts|schedules|subscriptions)\s*$|"
                        r"^\s*list\s+(?:my\s+|all\s+)?(?:digests|alerts|schedules)\s*$", re.I)
GONE_USERS = ("user_not_found", "account_inactive", "cannot_dm_bot", "user_disabled", "users_not_found")
_CHANNEL_REF = re.compile(r"<#(C[A-Z0-9]+)(?:\|([^>]*))?>")


def channel_refs(slack_text: str) -> dict[str, str]:
    """Slack's channel links in a message, ``<#C123|sales>``, as {name: id} (and {id: id})."""
    refs: dict[str, str] = {}
    for cid, name in _CHANNEL_REF.findall(slack_text):
        refs[cid.lower()] = cid
        if name:
            refs[name.lower()] = cid
    return refs


class TimeZones:
    """Users' time zones from their Slack profiles (users.info ``tz``), cached."""

    def __init__(self, client: WebClient, ttl: float = 3600) -> None:
        self.client, self.ttl = client, ttl
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def of(self, user: str) -> str:
        with self._lock:
            hit = self._cache.get(user)
        if hit and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        try:
            tz = str((self.client.users_info(user=user).get("user") or {}).get("tz") or "UTC")
            zone(tz)
        except (SlackApiError, ScheduleError, OSError):
            tz = "UTC"
        with self._lock:
            self._cache[user] = (time.monotonic(), tz)
        return tz


# -- the intake -----------------------------------------------------------------------------------
class SlackDigests:
    """The digest side of the Slack receiver."""

    def __init__(self, receiver: Intake, service: DigestService, client: WebClient,
                 email_of: Callable[[str], str | None]) -> None:
        self.receiver = receiver
        self.service = service
        self.client = client
        self.email_of = email_of
        self.zones = TimeZones(client)
        self.home: Callable[[str], None] | None = None  # publishes the app's whole App Home, when it has one

    def route(self, question: str, slack_text: str, principal: Principal, user: str, channel: str,
              thread_ts: str) -> bool | tuple[str, dict[str, Any]]:
        """True when the message was about digests and is handled; (question, schedule) for a
        schedule to create from the answer; False for a plain question."""
        if LIST_WORDS.match(question):
            everyone = question.strip().lower().startswith(("all", "list all", "show all"))
            self.post_list(principal, user, channel, thread_ts, everyone)
            return True
        read = read_phrase(question)
        if read is None:
            return False
        if isinstance(read, NeedsForm):
            self._offer_form(read, user, channel, thread_ts)
            return True
        target = self._target(read, user, channel, channel_refs(slack_text))
        if target is None:
            self._offer_form(NeedsForm(f"I can't find #{read.channel}: pick the channel in the form (and invite me "
                                       "to it first).", read.question, {}), user, channel, thread_ts)
            return True
        if target["kind"] == "channel" and target["channel"] != channel:
            problem = self._cannot_post(target["channel"])
            if problem:
                self._offer_form(NeedsForm(f"#{read.channel}: {problem}", read.question, {}), user, channel, thread_ts)
                return True
        try:
            schedule = read.schedule(self.zones.of(user))
        except ScheduleError as err:
            self._offer_form(NeedsForm(str(err), read.question, {}), user, channel, thread_ts)
            return True
        return read.question, spec(schedule, read.condition, read.value_in_percent, target, principal, user,
                                   read.question)

    def _target(self, read: SchedulePhrase, user: str, channel: str, refs: dict[str, str]) -> dict[str, Any] | None:
        if read.target == "me" or (read.target == "here" and channel.startswith("D")):
            return {"platform": "slack", "channel": user, "kind": "dm"}
        if read.target == "channel":
            cid = refs.get((read.channel or "").lower())
            if cid is None:
                return None
            return {"platform": "slack", "channel": cid, "kind": "channel", "name": read.channel}
        return {"platform": "slack", "channel": channel, "kind": "channel"}

    def _offer_form(self, read: NeedsForm, user: str, channel: str, thread_ts: str) -> None:
        value = json.dumps({"question": read.question[:500], "partial": read.partial, "thread": thread_ts})
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": clip(":calendar: " + escape(read.reason))}},
                  {"type": "actions", "block_id": "digest_form", "elements": [
                      {"type": "button", "action_id": FORM, "text": {"type": "plain_text", "text": "Set up the schedule"},
                       "value": value[:2000], "style": "primary"}]}]
        self.client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts,
                                       text=clip(escape(read.reason)), blocks=blocks)

    def post_list(self, principal: Principal, user: str, channel: str, thread_ts: str | None,
                  everyone: bool = False) -> None:
        digests = self.service.list_for(principal, everyone)
        self.client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts,
                                       text=f"{len(digests)} digest(s)", blocks=list_blocks(digests))

    # -- the form ---------------------------------------------------------------------------------
    def open_form(self, trigger_id: str, user: str, channel: str, thread_ts: str | None, question: str,
                  saved: dict[str, Any] | None, partial: dict[str, Any] | None = None) -> None:
        metadata = json.dumps({"channel": channel, "thread": thread_ts, "question": question, "saved": saved})
        if len(metadata) > 3000:  # Slack's private_metadata limit: keep the question, re-read it
            metadata = json.dumps({"channel": channel, "thread": thread_ts, "question": question, "saved": None})
        self.client.views_open(trigger_id=trigger_id, view=form_view(
            question, channel, self.zones.of(user), partial or {}, metadata, CREATE_VIEW))

    def submit_form(self, body: dict[str, Any]) -> dict[str, str] | None:
        """A submitted form: errors by block id, or None once the job is queued."""
        view = body.get("view") or {}
        user = (body.get("user") or {}).get("id", "")
        meta = json.loads(view.get("private_metadata") or "{}")
        values = view.get("state", {}).get("values", {})
        question = meta.get("question") or field_value(values, "question") or ""
        if not question.strip():
            return {"question": "Write the question to post."}
        try:
            schedule = schedule_from(values)
        except ScheduleError as err:
            return {error_field(err): str(err)}
        channel = field_value(values, "channel") or meta.get("channel")
        condition = Condition(field_value(values, "condition") or "always")
        if not channel:
            return {"channel": "Pick where to post."}
        try:
            principal = self.receiver.identity.resolve("slack", user, self.email_of(user))
        except Refused as err:
            return {"question": str(err)[:150]}
        if channel.startswith("D") or channel == user:
            target = {"platform": "slack", "channel": user, "kind": "dm"}
        else:
            problem = self._cannot_post(channel)
            if problem:
                return {"channel": problem}
            target = {"platform": "slack", "channel": channel, "kind": "channel"}
        reply_channel, thread = meta.get("channel") or channel, meta.get("thread")
        placeholder = self.client.chat_postMessage(channel=reply_channel, thread_ts=thread,
                                                   text=":calendar: Setting up the schedule...")
        ts = str(placeholder["ts"])
        reply_to = ReplyTarget("slack", reply_channel, thread or ts, {"placeholder": ts, "user": user})
        job = self.receiver.job(question, principal, reply_to, f"slack:{reply_channel}:{thread or ts}",
                                f"slack:view:{view.get('id') or ts}")
        job.schedule = spec(schedule, condition, False, target, principal, user, question)
        if meta.get("saved"):
            job.schedule.update(query=meta["saved"].get("query"), as_of=meta["saved"].get("as_of"))
        self.receiver.submit(job)
        return None

    def _cannot_post(self, channel: str) -> str | None:
        try:
            info = self.client.conversations_info(channel=channel).get("channel") or {}
        except SlackApiError as err:
            return f"I can't see that channel ({err.response.get('error')}); invite me to it first."
        if info.get("is_member") is False:
            return "I'm not in that channel: invite me with /invite @athena-query-bot first."
        return None

    # -- managing ---------------------------------------------------------------------------------
    def act(self, op: str, digest_id: str, user: str) -> str:
        """Pause / resume / delete for the clicking user; the sentence to tell them."""
        try:
            principal = self.receiver.identity.resolve("slack", user, self.email_of(user))
            if op == PAUSE:
                digest = self.service.pause(digest_id, principal)
                return f"Paused \"{escape(digest.question)}\". Resume it from \"my digests\"."
            if op == RESUME:
                digest = self.service.resume(digest_id, principal)
                return f"Resumed \"{escape(digest.question)}\": {escape(status_line(digest))}."
            digest = self.service.delete(digest_id, principal)
            return f"Deleted \"{escape(digest.question)}\": it won't post again."
        except BotError as err:
            return escape(str(err))

    def open_edit(self, trigger_id: str, digest_id: str, user: str) -> str | None:
        digest = self.service.store.get(digest_id)
        if digest is None:
            return "That digest is gone."
        principal = self.receiver.identity.resolve("slack", user, self.email_of(user))
        if not self.service.may_change(digest, principal):
            return escape(f"Only the digest's owner ({digest.owner.email}) or an admin can change it.")
        s = digest.schedule
        partial = {"preset": s.preset, "hour": s.hour, "minute": s.minute, "weekday": s.weekday,
                   "month_day": s.month_day, "timezone": s.timezone}
        self.client.views_open(trigger_id=trigger_id, view=form_view(
            digest.question, None, s.timezone, partial, json.dumps({"digest": digest_id}), EDIT_VIEW))
        return None

    def submit_edit(self, body: dict[str, Any]) -> dict[str, str] | None:
        view = body.get("view") or {}
        user = (body.get("user") or {}).get("id", "")
        digest_id = json.loads(view.get("private_metadata") or "{}").get("digest", "")
        try:
            schedule = schedule_from(view.get("state", {}).get("values", {}))
            principal = self.receiver.identity.resolve("slack", user, self.email_of(user))
            self.service.reschedule(digest_id, schedule, principal)
        except ScheduleError as err:
            return {error_field(err): str(err)}
        except BotError as err:
            return {"frequency": str(err)[:150]}
        return None

    def home_section(self, user: str) -> list[dict[str, Any]]:
        """The App Home's digests: the user's list with its buttons."""
        try:
            principal = self.receiver.identity.resolve("slack", user, self.email_of(user))
        except Refused:
            return list_blocks([])
        return list_blocks(self.service.list_for(principal))

    def publish_home(self, user: str) -> None:
        """The App Home again (after a button in it): the whole home when the app serves one
        (``home``, set by the app), else the digests alone."""
        if self.home is not None:
            self.home(user)
            return
        try:
            principal = self.receiver.identity.resolve("slack", user, self.email_of(user))
        except Refused:
            digests: list[Digest] = []
        else:
            digests = self.service.list_for(principal)
        self.client.views_publish(user_id=user, view={"type": "home", "blocks": home_blocks(digests)})


def spec(schedule: Schedule, condition: Condition, value_in_percent: bool, target: dict[str, Any],
         principal: Principal, user: str, question: str) -> dict[str, Any]:
    """The ``schedule`` of an AskJob: what the worker needs to create the digest from the answer."""
    return {"schedule": schedule.to_dict(), "condition": condition.to_dict(), "value_in_percent": value_in_percent,
            "target": target, "owner": {"platform": "slack", "user": user, "email": principal.email, "dm": user},
            "question": question}


def register(app: Any, digests: SlackDigests, home: bool = True) -> None:
    """The digest listeners on the bolt app; ``home``: the App Home tab too (when the app serves
    no home of its own)."""

    @app.action(SCHEDULE)
    def on_schedule(ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        from adapters.slack.poster import answer_state_key

        state = digests.receiver.conversations.load(answer_state_key(action["value"])) or {}
        message = body.get("message") or {}
        thread = message.get("thread_ts") or message.get("ts")
        digests.open_form(body["trigger_id"], body["user"]["id"], body["channel"]["id"], thread,
                          state.get("question") or "", state.get("saved"))

    @app.action(FORM)
    def on_form(ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        data = json.loads(action["value"])
        digests.open_form(body["trigger_id"], body["user"]["id"], body["channel"]["id"], data.get("thread"),
                          data.get("question") or "", None, data.get("partial") or {})

    @app.action(re.compile(f"^({PAUSE}|{RESUME}|{DELETE})$"))
    def on_manage(ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        text = digests.act(action["action_id"], action["value"], body["user"]["id"])
        _tell(digests.client, body, text)
        if (body.get("container") or {}).get("type") == "view":
            digests.publish_home(body["user"]["id"])

    @app.action(EDIT)
    def on_edit(ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        problem = digests.open_edit(body["trigger_id"], action["value"], body["user"]["id"])
        if problem:
            _tell(digests.client, body, problem)

    @app.view(CREATE_VIEW)
    def on_create(ack: Callable[..., None], body: dict[str, Any]) -> None:
        errors = digests.submit_form(body)
        ack(response_action="errors", errors=errors) if errors else ack()

    @app.view(EDIT_VIEW)
    def on_edit_submit(ack: Callable[..., None], body: dict[str, Any]) -> None:
        errors = digests.submit_edit(body)
        ack(response_action="errors", errors=errors) if errors else ack()

    if not home:
        return

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home" and isinstance(event.get("user"), str):
            digests.publish_home(event["user"])


def _tell(client: WebClient, body: dict[str, Any], text: str) -> None:
    channel = (body.get("channel") or {}).get("id")
    user = body["user"]["id"]
    if channel:
        thread = (body.get("message") or {}).get("thread_ts")
        client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread, text=text)
    else:  # a click in App Home: a direct message
        client.chat_postMessage(channel=user, text=text)


# -- the poster's hooks -------------------------------------------------------------------------------
def dm_channel(client: WebClient, target: ReplyTarget) -> ReplyTarget:
    """A digest's direct message goes to the IM channel Slack opens for the user; a user who left
    raises OwnerUnreachable so the channel is told instead."""
    user = target.extra.get("dm")
    if not user:
        return target
    try:
        channel = client.conversations_open(users=user)["channel"]["id"]
    except SlackApiError as err:
        if err.response.get("error") in GONE_USERS:
            raise OwnerUnreachable(f"slack user {user}: {err.response.get('error')}") from err
        raise
    return ReplyTarget(target.platform, str(channel), None, dict(target.extra))


def with_digest_buttons(blocks: list[dict[str, Any]], answer: Answer, target: ReplyTarget,
                        answer_key: str) -> list[dict[str, Any]]:
    """Schedule under a plain answer; Pause / Unsubscribe under a digest's post; Pause / Delete under
    a confirmation; Resume under a notice to the owner."""
    digest_id, kind = target.extra.get("digest"), target.extra.get("buttons")
    if digest_id and kind == "post":
        buttons = [button("Pause", PAUSE, digest_id), button("Unsubscribe", DELETE, digest_id, confirm=True)]
    elif digest_id and kind == "confirm":
        buttons = [button("Pause", PAUSE, digest_id), button("Delete", DELETE, digest_id, "danger", confirm=True)]
    elif digest_id and kind == "resume":
        buttons = [button("Resume", RESUME, digest_id, "primary"), button("Delete", DELETE, digest_id, confirm=True)]
    elif not digest_id and answer.status == "answered" and answer.saved:
        buttons = [button("Schedule", SCHEDULE, answer_key)]
    else:
        return blocks
    for block in blocks:
        if block.get("type") == "actions" and block.get("block_id") == "answer_actions":
            block["elements"] = (block["elements"] + buttons)[:25]
            return blocks
    return [*blocks, {"type": "actions", "block_id": "digest_actions", "elements": buttons}][:50]


def remember_thread(conversations: Any, target: ReplyTarget, ts: str | None) -> None:
    """A digest's post takes follow-up questions in its thread, like any answer."""
    query = target.extra.get("query")
    if conversations is not None and ts and query and target.extra.get("digest"):
        conversations.save(f"slack:{target.channel}:{ts}", {"query": json.loads(query)})
