"""Slack's side of verified answers, feedback reasons and QuickSight dashboards.

- 👍 from a member of the steward group offers "Mark as verified" (ephemeral); the click is a
  job for the worker, which checks the answer's SQL with the guard, stores it and says so in the
  thread.
- 👎 asks why ("Wrong number", "Wrong breakdown", "Did not understand", ephemeral); the reason
  goes to the review queue and, when ``review_channel`` is set, as a post in that channel.
- "Open in QuickSight" is a job for the worker too (it makes the dashboard as the clicker).
- The App Home lists the review queue for stewards, and the verified questions for everyone;
  an assistant thread (Slack's AI split view) starts with the verified questions as suggested
  prompts.
- Answers from a verified question carry "✓ Verified by <steward>" (``badge_blocks``).

Everything the bot writes here is escaped (``escape``): questions and names are user text.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.models.blocks import (ActionsBlock, Block, ButtonElement, ContextBlock, MarkdownTextObject,
                                     SectionBlock)

from adapters.slack.blocks import OPEN_URL, clip, escape
from engine.answers.actions import DASHBOARD, VERIFY, ActionJob, is_steward
from engine.answers.feedback import REASONS, Feedback, FeedbackStore, review_line
from engine.answers.verified import VerifiedStore, newest_questions
from engine.domain import Answer, Principal, ReplyTarget
from engine.errors import Refused

log = logging.getLogger(__name__)

VERIFY_ACTION = "verify_answer"
REASON_ACTION = "feedback_reason"
QUICKSIGHT_ACTION = "quicksight_dashboard"
HOME_ITEMS = 20
SUGGESTED_PROMPTS = 4  # Slack shows at most four
_ID = re.compile(r"[A-Z0-9]+")


@dataclass
class SlackCuration:
    """What the Slack receiver needs for these buttons (wired in bot/slack.py)."""

    feedback: FeedbackStore
    submit_action: Callable[[ActionJob], None]
    steward_group: str | None = None
    verified: VerifiedStore | None = None  # read for suggested prompts and the App Home
    review_channel: str | None = None
    dashboards: bool = False  # "Open in QuickSight" makes this answer's dashboard

    def suggestions(self, limit: int = SUGGESTED_PROMPTS) -> list[str]:
        """The verified questions to suggest, newest first."""
        return newest_questions(self.verified, limit)


def badge_blocks(answer: Answer) -> list[Block]:
    """The verified badge under an answer from a verified question."""
    if not answer.verified_by:
        return []
    return [ContextBlock(elements=[MarkdownTextObject(text=clip(f":white_check_mark: *Verified* by "
                                                                 f"{escape(answer.verified_by)}", 300))])]


def dashboard_blocks(answer: Answer) -> list[Block]:
    """The reply to "Open in QuickSight": what it is, and the link as a button."""
    return [SectionBlock(text=MarkdownTextObject(text=clip(escape(answer.message)))),
            ActionsBlock(block_id="dashboard", elements=[ButtonElement(
                text="Open dashboard", action_id=f"{OPEN_URL}_dashboard", url=answer.dashboard_url,
                style="primary")])]


def quicksight_button(answer_key: str) -> ButtonElement:
    return ButtonElement(text="Open in QuickSight", action_id=QUICKSIGHT_ACTION, value=answer_key)


def _value(key: str, thread: str | None) -> str:
    return json.dumps({"k": key, "t": thread or ""}, separators=(",", ":"))


def _unvalue(value: str) -> tuple[str, str | None]:
    try:
        data = json.loads(value)
        return str(data["k"]), str(data.get("t") or "") or None
    except (ValueError, KeyError, TypeError):
        return value, None


def register(app: Any, receiver: Any, client: WebClient, principal_of: Callable[[str], Principal | None],
             curation: SlackCuration, answer_state: Callable[[str], dict[str, Any]],
             home: bool = True) -> Callable[..., None]:
    """Add the listeners to the bolt ``app``; returns the vote handler the app's 👍/👎 listener calls.

    ``principal_of(user)`` resolves a Slack user (None when they cannot be resolved);
    ``answer_state(key)`` is what the poster stored for an answer's buttons. ``home``: the App
    Home and the assistant threads' prompts too, when the app serves neither itself (with a guide
    the app's own home shows ``review_section`` and its prompts put the verified questions first).
    """
    def ephemeral(body: dict[str, Any], thread: str | None, text: str, blocks: list[Block] | None = None) -> None:
        client.chat_postEphemeral(channel=body["channel"]["id"], user=body["user"]["id"], thread_ts=thread,
                                  text=text, blocks=[b.to_dict() for b in blocks] if blocks else None)

    def on_vote(body: dict[str, Any], key: str, vote: str) -> None:
        state = answer_state(key)
        thread = (body.get("message") or {}).get("thread_ts") or state.get("thread")
        user = body["user"]["id"]
        principal = principal_of(user)
        curation.feedback.add(_feedback(state, key, vote, principal, user))
        if vote == "down":
            buttons = [ButtonElement(text=label, action_id=f"{REASON_ACTION}_{rid}", value=_value(key, thread))
                       for rid, label in REASONS.items()]
            ephemeral(body, thread, "Thanks. What was wrong with it?", [
                SectionBlock(text=MarkdownTextObject(text="Thanks. What was wrong with this answer?")),
                ActionsBlock(block_id="feedback_reasons", elements=buttons)])
            return
        if principal is not None and is_steward(principal, curation.steward_group) and state.get("answer_id") \
                and state.get("sql"):
            ephemeral(body, thread, "Mark this answer as verified?", [
                SectionBlock(text=MarkdownTextObject(text=(
                    "Thanks! You are a data steward: *mark this answer as verified?* Questions that mean "
                    "the same will be answered from it, marked verified by you."))),
                ActionsBlock(block_id="verify", elements=[ButtonElement(
                    text="Mark as verified", action_id=VERIFY_ACTION, value=_value(key, thread), style="primary")])])
            return
        ephemeral(body, thread, "Thanks for the feedback!")

    @app.action(re.compile(f"^{REASON_ACTION}_"))
    def on_reason(ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        key, thread = _unvalue(action["value"])
        reason = action["action_id"][len(REASON_ACTION) + 1:]
        if reason not in REASONS:
            return
        state = answer_state(key)
        user = body["user"]["id"]
        item = _feedback(state, key, "down", principal_of(user), user, reason)
        curation.feedback.add(item)
        if curation.review_channel:
            channel = body["channel"]["id"]
            who = f"<@{user}>" if _ID.fullmatch(user) else escape(user)
            where = f" in <#{channel}>" if _ID.fullmatch(channel) else ""
            text = f":thumbsdown: *{escape(item.reason_text)}* on \"{escape(item.question)}\" (from {who}{where})"
            try:
                client.chat_postMessage(channel=curation.review_channel, text=escape(review_line(item)),
                                        blocks=[SectionBlock(text=MarkdownTextObject(text=clip(text))).to_dict()])
            except Exception:  # noqa: BLE001 - the feedback is stored; the post is a courtesy
                log.exception("could not post feedback to the review channel")
        ephemeral(body, thread, "Thanks: the data stewards will review this answer.")

    @app.action(VERIFY_ACTION)
    def on_verify(ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        key, thread = _unvalue(action["value"])
        state = answer_state(key)
        user = body["user"]["id"]
        principal = principal_of(user)
        if principal is None or not is_steward(principal, curation.steward_group):
            ephemeral(body, thread, "Only data stewards can mark answers as verified.")
            return
        if not state.get("answer_id"):
            ephemeral(body, thread, "I no longer have that answer; ask the question again, then mark it.")
            return
        curation.submit_action(ActionJob(VERIFY, str(state["answer_id"]), principal,
                                         ReplyTarget("slack", body["channel"]["id"], thread or state.get("thread"),
                                                     {"user": user}),
                                         {"name": _name(client, user) or principal.email}))

    @app.action(QUICKSIGHT_ACTION)
    def on_quicksight(ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        state = answer_state(action["value"])
        thread = (body.get("message") or {}).get("thread_ts") or state.get("thread")
        user = body["user"]["id"]
        principal = principal_of(user)
        if principal is None:
            ephemeral(body, thread, "I couldn't check your data access, so I can't open this in QuickSight.")
            return
        if not state.get("answer_id"):
            ephemeral(body, thread, "I no longer have that answer; ask the question again.")
            return
        curation.submit_action(ActionJob(DASHBOARD, str(state["answer_id"]), principal,
                                         ReplyTarget("slack", body["channel"]["id"], thread, {"user": user})))
        ephemeral(body, thread, "Making your QuickSight dashboard for this answer...")

    if not home:
        return on_vote

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any]) -> None:
        user = event.get("user")
        if not isinstance(user, str) or event.get("tab", "home") != "home":
            return
        principal = principal_of(user)
        client.views_publish(user_id=user, view={"type": "home", "blocks": [
            b.to_dict() for b in home_blocks(curation, principal is not None and is_steward(principal,
                                                                                          curation.steward_group))]})

    @app.event("assistant_thread_started")
    def on_assistant_thread(event: dict[str, Any]) -> None:
        thread = event.get("assistant_thread") or {}
        prompts = curation.suggestions()
        if not prompts or not thread.get("channel_id") or not thread.get("thread_ts"):
            return
        client.assistant_threads_setSuggestedPrompts(
            channel_id=thread["channel_id"], thread_ts=thread["thread_ts"], title="Verified questions",
            prompts=[{"title": clip(q, 75), "message": q} for q in prompts])

    return on_vote


def review_section(curation: SlackCuration,
                   principal_of: Callable[[str], Principal | None]) -> Callable[[str], list[dict[str, Any]]]:
    """The App Home's part for a user: the review queue, for data stewards only."""
    def section(user: str) -> list[dict[str, Any]]:
        principal = principal_of(user)
        if principal is None or not is_steward(principal, curation.steward_group):
            return []
        return [_review_queue(curation).to_dict()]
    return section


def _review_queue(curation: SlackCuration) -> SectionBlock:
    """The stewards' review queue: 👎 with reasons and flagged verified questions, newest first."""
    queue = curation.feedback.list(review_only=True, limit=HOME_ITEMS)
    lines = "\n".join(f"• {escape(review_line(i))}" for i in queue) or "_Nothing to review._"
    return SectionBlock(block_id="review_queue", text=MarkdownTextObject(text=clip(
        f"*Review queue* (👎 with reasons, flagged verified questions)\n{lines}")))


def home_blocks(curation: SlackCuration, steward: bool) -> list[Block]:
    """The App Home: verified questions to ask; for stewards, the review queue too."""
    blocks: list[Block] = []
    questions = curation.suggestions(10)
    blocks.append(SectionBlock(text=MarkdownTextObject(text="*Verified questions* (answers checked by the data "
                                                            "stewards): ask me any of them.\n" + (
        "\n".join(f"• {escape(q)}" for q in questions) if questions else "_None yet._"))))
    if steward:
        blocks.append(_review_queue(curation))
    return blocks


def _feedback(state: dict[str, Any], key: str, vote: str, principal: Principal | None, user: str,
              reason: str | None = None) -> Feedback:
    return Feedback(str(state.get("answer_id") or key), vote, principal.email if principal else user,
                    str(state.get("question") or ""), state.get("sql"), reason, "slack")


def _name(client: WebClient, user: str) -> str:
    """The steward's name for the badge (their Slack profile), or '' when Slack has none."""
    try:
        profile = (client.users_info(user=user).get("user") or {}).get("profile") or {}
    except Exception:  # noqa: BLE001 - the email stands in
        return ""
    name = profile.get("real_name") or profile.get("display_name")
    return name if isinstance(name, str) else ""


def principal_resolver(receiver: Any, email_of: Callable[[str], str | None]) -> Callable[[str], Principal | None]:
    """A Slack user -> their Principal (None when Slack or the resolver cannot say)."""
    def resolve(user: str) -> Principal | None:
        try:
            return receiver.identity.resolve("slack", user, email_of(user))
        except Refused:
            return None
        except Exception:  # noqa: BLE001 - users.info failed: unknown, not refused
            log.warning("could not resolve Slack user %s", user)
            return None
    return resolve


