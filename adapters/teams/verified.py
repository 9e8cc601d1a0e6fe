"""Teams' side of verified answers, feedback reasons and QuickSight dashboards (the same flows as
adapters/slack/verified.py, as Adaptive Card submits).

- 👍 from a steward answers with a card offering "Mark as verified"; the click is a worker job.
- 👎 answers with a card asking why; the reason goes to the review queue.
- "Open in QuickSight" is a worker job; the reply card carries the link.
- When someone adds the bot (a personal chat starts), the welcome offers the verified questions as
  suggested actions: Teams' prompt starters in the manifest are static, these follow the stewards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from microsoft_agents.activity import Activity, ActionTypes, Attachment, CardAction, SuggestedActions

from engine.answers.actions import DASHBOARD, VERIFY, ActionJob, is_steward
from engine.answers.feedback import REASONS, Feedback, FeedbackStore
from engine.answers.verified import VerifiedStore, newest_questions
from engine.domain import Answer, Principal, ReplyTarget

log = logging.getLogger(__name__)

VERIFY_ACTION = "verify"
REASON_ACTION = "feedback_reason"
QUICKSIGHT_ACTION = "quicksight"
ACTIONS = (VERIFY_ACTION, REASON_ACTION, QUICKSIGHT_ACTION)
WELCOME = "Hi! Ask me about the company's data in plain English. The data stewards verified these questions:"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


@dataclass
class TeamsCuration:
    feedback: FeedbackStore
    submit_action: Callable[[ActionJob], None]
    steward_group: str | None = None
    verified: VerifiedStore | None = None
    dashboards: bool = False

    def suggestions(self, limit: int = 3) -> list[str]:
        """The verified questions to suggest, newest first."""
        return newest_questions(self.verified, limit)


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text, **style}]}


def badge_blocks(answer: Answer) -> list[dict[str, Any]]:
    """"✓ Verified by <steward>" under an answer from a verified question (a TextRun: never markdown)."""
    return [_text(f"✓ Verified by {answer.verified_by}", color="Good", size="Small", weight="Bolder")] \
        if answer.verified_by else []


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": "1.5", "body": body, "actions": actions}


def dashboard_card(answer: Answer) -> dict[str, Any]:
    return _card([_text(answer.message)], [{"type": "Action.OpenUrl", "title": "Open dashboard",
                                            "url": answer.dashboard_url}])


def quicksight_action(key: str) -> dict[str, Any]:
    return {"type": "Action.Submit", "title": "Open in QuickSight", "data": {"action": QUICKSIGHT_ACTION, "key": key}}


def reasons_card(key: str) -> dict[str, Any]:
    return _card([_text("Thanks. What was wrong with this answer?")],
                 [{"type": "Action.Submit", "title": label, "data": {"action": REASON_ACTION, "reason": rid, "key": key}}
                  for rid, label in REASONS.items()])


def verify_card(key: str) -> dict[str, Any]:
    return _card([_text("Thanks! You are a data steward: mark this answer as verified? Questions that mean the "
                        "same will be answered from it, marked verified by you.")],
                 [{"type": "Action.Submit", "title": "Mark as verified", "style": "positive",
                   "data": {"action": VERIFY_ACTION, "key": key}}])


def welcome(questions: list[str]) -> Activity | None:
    if not questions:
        return None
    return Activity(type="message", text=WELCOME, text_format="plain", suggested_actions=SuggestedActions(actions=[
        CardAction(type=ActionTypes.im_back, title=q[:50], value=q) for q in questions]))


async def on_card(turn_context: Any, value: dict[str, Any], state: dict[str, Any], principal: Principal | None,
                  curation: TeamsCuration) -> None:
    """A feedback, reason, verify or QuickSight submit on one of our cards."""
    activity = turn_context.activity
    user = activity.from_property.id
    key = str(value.get("key"))
    target = ReplyTarget("teams", activity.conversation.id, activity.id, {"user": user})

    def attach(card: dict[str, Any]) -> Activity:
        return Activity(type="message", attachments=[Attachment(content_type=CONTENT_TYPE, content=card)])

    def feedback(vote: str, reason: str | None = None) -> Feedback:
        return Feedback(str(state.get("answer_id") or key), vote, principal.email if principal else user,
                        str(state.get("question") or ""), state.get("sql"), reason, "teams")

    action = value.get("action")
    if action == "feedback":
        vote = "up" if value.get("vote") == "up" else "down"
        curation.feedback.add(feedback(vote))
        if vote == "down":
            await turn_context.send_activity(attach(reasons_card(key)))
        elif principal is not None and is_steward(principal, curation.steward_group) and state.get("answer_id"):
            await turn_context.send_activity(attach(verify_card(key)))
        else:
            await turn_context.send_activity("Thanks for the feedback!")
    elif action == REASON_ACTION:
        if value.get("reason") in REASONS:
            curation.feedback.add(feedback("down", str(value["reason"])))
        await turn_context.send_activity("Thanks: the data stewards will review this answer.")
    elif action == VERIFY_ACTION:
        if principal is None or not is_steward(principal, curation.steward_group):
            await turn_context.send_activity("Only data stewards can mark answers as verified.")
        elif not state.get("answer_id"):
            await turn_context.send_activity("I no longer have that answer; ask the question again, then mark it.")
        else:
            name = getattr(activity.from_property, "name", None) or principal.email
            curation.submit_action(ActionJob(VERIFY, str(state["answer_id"]), principal, target, {"name": name}))
    elif action == QUICKSIGHT_ACTION:
        if principal is None or not state.get("answer_id"):
            await turn_context.send_activity("I can't open that answer in QuickSight; ask the question again.")
        else:
            curation.submit_action(ActionJob(DASHBOARD, str(state["answer_id"]), principal, target))
            await turn_context.send_activity("Making your QuickSight dashboard for this answer...")
