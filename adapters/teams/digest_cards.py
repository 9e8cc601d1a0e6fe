"""Digests in Teams: schedule phrases in messages, the Schedule action's form card, "my digests"
with Pause / Resume / Edit time / Delete, and the buttons on digest posts. Hooked into the agent
(``TeamsDigests.route`` and ``TeamsDigests.action``) and the poster (``with_digest_actions``,
``remember_thread``). Cards are Adaptive Cards 1.5; every user text is a TextRun, never markdown.

A digest posts where it was created: a channel conversation gets a new top-level post (the
channel's conversation id without its ``;messageid=``), a chat gets a message; "me" is the 1:1
chat with the bot, where its owner is told about failures too.
"""

from __future__ import annotations

import json
from typing import Any

from adapters.teams.cards import CARD_VERSION, _text
from engine.digests.conditions import Condition
from engine.digests.model import Digest
from engine.digests.phrases import NeedsForm, read_phrase
from engine.digests.schedule import DAY_NAMES, PRESETS, Schedule, ScheduleError, parse_hhmm, zone
from engine.digests.service import DigestService, status_line
from engine.domain import Answer, Principal, ReplyTarget
from engine.errors import BotError
from engine.intake import Intake

SCHEDULE, CREATE, EDIT, EDIT_SAVE = "digest_schedule", "digest_create", "digest_edit", "digest_edit_save"
PAUSE, RESUME, DELETE = "digest_pause", "digest_resume", "digest_delete"
ACTIONS = (SCHEDULE, CREATE, EDIT, EDIT_SAVE, PAUSE, RESUME, DELETE)
RECIPIENTS_NOTE = ("It runs with your data access: everyone who sees the post sees what you may see, so pick a "
                   "conversation whose members may see this data.")
_PRESET_NAMES = {"hourly": "Every hour", "daily": "Every day", "weekdays": "Weekdays (Mon-Fri)",
                 "weekly": "Weekly, on a day", "monthly": "Monthly, on a day"}
_CONDITIONS = {"always": "Always post", "not_empty": "Only if there are results",
               "changed": "Only if it changed since the last post"}


def base_conversation(conversation: str) -> str:
    """A channel thread's conversation id without its ``;messageid=``: where new posts go."""
    return conversation.split(";messageid=")[0]


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                               "version": CARD_VERSION, "body": body}
    if actions:
        content["actions"] = actions
    return content


def _submit(title: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Action.Submit", "title": title, "data": data}


def _choices(options: dict[str, str]) -> list[dict[str, str]]:
    return [{"title": title, "value": value} for value, title in options.items()]


def form_card(question: str, timezone: str, partial: dict[str, Any], data: dict[str, Any],
              with_target: bool = True) -> dict[str, Any]:
    """The schedule form: presets, day, time, time zone, where (this conversation or our chat), condition."""
    body: list[dict[str, Any]] = [_text("Schedule", weight="Bolder", size="Medium")]
    if question:
        body.append(_text(question, weight="Bolder"))
    else:
        body.append({"type": "Input.Text", "id": "question", "label": "Question", "isRequired": True,
                     "errorMessage": "Write the question to post."})
    body += [
        {"type": "Input.ChoiceSet", "id": "frequency", "label": "How often", "isRequired": True,
         "value": str(partial.get("preset") or "weekly"), "choices": _choices({p: _PRESET_NAMES[p] for p in PRESETS})},
        {"type": "Input.ChoiceSet", "id": "weekday", "label": "Day of the week (weekly)",
         "value": str(partial.get("weekday", 0)), "choices": _choices({str(i): d for i, d in enumerate(DAY_NAMES)})},
        {"type": "Input.ChoiceSet", "id": "month_day", "label": "Day of the month (monthly)",
         "value": str(partial.get("month_day", 1)), "choices": _choices({str(d): str(d) for d in range(1, 29)})},
        {"type": "Input.Time", "id": "time", "label": "Time", "isRequired": True,
         "value": f"{int(partial.get('hour', 9)):02d}:{int(partial.get('minute', 0)):02d}"},
        {"type": "Input.Text", "id": "timezone", "label": "Time zone (IANA)", "isRequired": True,
         "value": str(partial.get("timezone") or timezone)},
    ]
    if with_target:
        body += [{"type": "Input.ChoiceSet", "id": "target", "label": "Post in", "value": "here",
                  "choices": _choices({"here": "This conversation", "me": "Our 1:1 chat"})},
                 {"type": "Input.ChoiceSet", "id": "condition", "label": "Post", "value": "always",
                  "choices": _choices(_CONDITIONS)},
                 _text(RECIPIENTS_NOTE, isSubtle=True, size="Small")]
    return card(body, [_submit("Save", data)])


def schedule_from(value: dict[str, Any]) -> Schedule:
    hour, minute = parse_hhmm(str(value.get("time") or "09:00"))
    return Schedule(str(value.get("frequency") or "weekly"), str(value.get("timezone") or "UTC").strip(), hour, minute,
                    int(value.get("weekday") or 0), int(value.get("month_day") or 1))


def list_card(digests: list[Digest]) -> dict[str, Any]:
    if not digests:
        return card([_text("You have no digests. Press Schedule under an answer, or say e.g. \"every Monday at 9 "
                           "post revenue by category last week here\".")])
    body: list[dict[str, Any]] = [_text("Your digests", weight="Bolder", size="Medium")]
    for digest in digests[:20]:
        toggle = _submit("Resume", {"action": RESUME, "id": digest.digest_id}) if digest.state == "paused" \
            else _submit("Pause", {"action": PAUSE, "id": digest.digest_id})
        body += [_text(f"{digest.question} → {digest.where()}", weight="Bolder", separator=True),
                 _text(status_line(digest), isSubtle=True, size="Small"),
                 {"type": "ActionSet", "actions": [toggle, _submit("Edit time", {"action": EDIT, "id": digest.digest_id}),
                                                   _submit("Delete", {"action": DELETE, "id": digest.digest_id})]}]
    return card(body)


class TeamsDigests:
    """The digest side of the Teams agent; returns cards or texts for the agent to send."""

    def __init__(self, receiver: Intake, service: DigestService) -> None:
        self.receiver = receiver
        self.service = service

    def route(self, question: str, principal: Principal, user: str, conversation: str, kind: str,
              timezone: str | None) -> dict[str, Any] | tuple[str, dict[str, Any]] | None:
        """A card to send (the list, or the form for a schedule it cannot read), (question, schedule)
        for a digest to create from the answer, or None for a plain question."""
        words = question.strip().lower()
        if words in ("my digests", "list digests", "digests", "my alerts", "list my digests"):
            return list_card(self.service.list_for(principal))
        read = read_phrase(question)
        if read is None:
            return None
        tz = _zone_or_utc(timezone)
        if isinstance(read, NeedsForm):
            return form_card(read.question, tz, read.partial, {"action": CREATE})
        if read.target == "channel" or (read.target == "me" and kind != "personal"):
            return form_card(read.question, tz, {}, {"action": CREATE})  # only here or our 1:1 chat
        try:
            schedule = read.schedule(tz)
        except ScheduleError:
            return form_card(read.question, tz, {}, {"action": CREATE})
        return read.question, self.spec(schedule, read.condition, read.value_in_percent, principal, user,
                                        conversation, read.question)

    def spec(self, schedule: Schedule, condition: Condition, value_in_percent: bool, principal: Principal,
             user: str, conversation: str, question: str) -> dict[str, Any]:
        target = {"platform": "teams", "channel": base_conversation(conversation), "kind": "channel"}
        return {"schedule": schedule.to_dict(), "condition": condition.to_dict(), "value_in_percent": value_in_percent,
                "target": target, "owner": {"platform": "teams", "user": user, "email": principal.email,
                                            "dm": conversation},
                "question": question}

    def action(self, value: dict[str, Any], principal: Principal, user: str, conversation: str,
               timezone: str | None) -> dict[str, Any] | str | tuple[str, dict[str, Any]]:
        """A card action: a card or a text to send, or (question, schedule) for a digest to create."""
        op = value.get("action")
        if op == SCHEDULE:
            from adapters.teams.agent import answer_key

            state = self.receiver.conversations.load(answer_key(str(value.get("key")))) or {}
            return form_card(state.get("question") or "", _zone_or_utc(timezone), {},
                             {"action": CREATE, "key": value.get("key")})
        if op == CREATE:
            return self._create(value, principal, user, conversation)
        digest_id = str(value.get("id") or "")
        try:
            if op == PAUSE:
                return f"Paused \"{self.service.pause(digest_id, principal).question}\"."
            if op == RESUME:
                digest = self.service.resume(digest_id, principal)
                return f"Resumed \"{digest.question}\": {status_line(digest)}."
            if op == DELETE:
                return f"Deleted \"{self.service.delete(digest_id, principal).question}\": it won't post again."
            digest = self.service.store.get(digest_id)
            if digest is None:
                return "That digest is gone."
            if not self.service.may_change(digest, principal):
                return f"Only the digest's owner ({digest.owner.email}) or an admin can change it."
            if op == EDIT:
                s = digest.schedule
                return form_card(digest.question, s.timezone, {"preset": s.preset, "hour": s.hour, "minute": s.minute,
                                                               "weekday": s.weekday, "month_day": s.month_day},
                                 {"action": EDIT_SAVE, "id": digest_id}, with_target=False)
            digest = self.service.reschedule(digest_id, schedule_from(value), principal)
            return f"Rescheduled \"{digest.question}\": {status_line(digest)}."
        except ScheduleError as err:
            return f"I couldn't change the schedule: {err}"
        except BotError as err:
            return str(err)

    def _create(self, value: dict[str, Any], principal: Principal, user: str,
                conversation: str) -> str | tuple[str, dict[str, Any]]:
        from adapters.teams.agent import answer_key

        state = self.receiver.conversations.load(answer_key(str(value.get("key")))) or {} if value.get("key") else {}
        question = str(state.get("question") or value.get("question") or "").strip()
        if not question:
            return "Write the question to post in the form."
        try:
            schedule = schedule_from(value)
        except ScheduleError as err:
            return f"I couldn't set up the schedule: {err}"
        where = conversation if value.get("target") != "me" else (self._personal(user) or conversation)
        spec = self.spec(schedule, Condition(str(value.get("condition") or "always")), False, principal, user,
                         where, question)
        saved = state.get("saved")
        if saved:
            spec.update(query=saved.get("query"), as_of=saved.get("as_of"))
        return question, spec

    def _personal(self, user: str) -> str | None:
        found = self.receiver.conversations.load(f"teams-personal:{user}") or {}
        return found.get("conversation")


def _zone_or_utc(name: str | None) -> str:
    try:
        zone(name or "UTC")
    except ScheduleError:
        return "UTC"
    return name or "UTC"


def with_digest_actions(content: dict[str, Any], answer: Answer, target: ReplyTarget, key: str) -> dict[str, Any]:
    """Schedule under a plain answer; Pause / Unsubscribe under a digest post; Pause / Delete under a
    confirmation; Resume under a notice to the owner."""
    digest_id, kind = target.extra.get("digest"), target.extra.get("buttons")
    if digest_id and kind == "post":
        actions = [_submit("Pause", {"action": PAUSE, "id": digest_id}),
                   _submit("Unsubscribe", {"action": DELETE, "id": digest_id})]
    elif digest_id and kind == "confirm":
        actions = [_submit("Pause", {"action": PAUSE, "id": digest_id}),
                   _submit("Delete", {"action": DELETE, "id": digest_id})]
    elif digest_id and kind == "resume":
        actions = [_submit("Resume", {"action": RESUME, "id": digest_id})]
    elif not digest_id and answer.status == "answered" and answer.saved:
        actions = [_submit("Schedule", {"action": SCHEDULE, "key": key})]
    else:
        return content
    content["actions"] = [*content.get("actions", []), *actions]
    return content


def remember_thread(conversations: Any, target: ReplyTarget, activity_id: str | None) -> None:
    """A digest's channel post takes follow-ups in its thread, like any answer."""
    query = target.extra.get("query")
    if conversations is not None and activity_id and query and target.extra.get("digest"):
        conversations.save(f"teams:{target.channel};messageid={activity_id}", {"query": json.loads(query)})

