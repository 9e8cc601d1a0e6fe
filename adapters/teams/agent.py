"""The Teams receiver, on the Microsoft 365 Agents SDK: messages and card actions -> AskJobs.

On a message (personal chat, group chat, or a channel @mention, mention text stripped) the agent
sends a typing indicator, reads the member's email/UPN through the connector's roster call,
resolves the user, stores the conversation reference for the proactive answer, sends a "Looking
into it" placeholder and enqueues the job with the placeholder's activity id. It never answers a
question inline; the worker's TeamsPoster replaces the placeholder with the answer (so a repeated
answer updates that one activity instead of adding another).
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from microsoft_agents.activity import Activity, Attachment
from microsoft_agents.hosting.core import ActivityHandler, TurnContext

from adapters.teams.cards import CLARIFY, CONTENT_TYPE, FEEDBACK, SHOW_SQL, sql_card
from engine.domain import ReplyTarget
from engine.errors import Refused
from engine.intake import Intake

log = logging.getLogger(__name__)

_AT = re.compile(r"<at>[^<]*</at>")
PLACEHOLDER = "Looking into it..."
NO_ACCESS = ("I couldn't match your Teams account ({email}) to a data-access identity, so I can't run "
             "queries for you yet. Ask your data team to add you to an analytics group in IAM Identity "
             "Center, then ask again.")


def reference_key(conversation_id: str) -> str:
    return f"teams-ref:{conversation_id}"


def answer_key(key: str) -> str:
    return f"teams-answer:{key}"


class TeamsAgent(ActivityHandler):
    """Turns Teams activities into jobs; card buttons come back as message activities with a value."""

    def __init__(self, receiver: Intake) -> None:
        self.receiver = receiver

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        value = activity.value if isinstance(activity.value, dict) else None
        if value and value.get("action") in (SHOW_SQL, FEEDBACK):
            await self._card_action(turn_context, value)
            return
        if value and value.get("action") == CLARIFY:
            question = value["option"].strip() if isinstance(value.get("option"), str) else ""
        else:
            question = _AT.sub("", activity.text or "").strip()
        if not question:
            await turn_context.send_activity("Ask me a question about the data, e.g. "
                                             "\"revenue by category last quarter\".")
            return
        await turn_context.send_activity(Activity(type="typing"))
        email = await self._email(turn_context)
        user = activity.from_property
        try:
            principal = self.receiver.identity.resolve("teams", user.aad_object_id or user.id, email)
        except Refused:  # plain text: the email is shown as written, never as markdown
            await turn_context.send_activity(Activity(type="message", text_format="plain",
                                                      text=NO_ACCESS.format(email=email or "no email on your account")))
            return
        conversation = activity.conversation.id
        reference = activity.get_conversation_reference().model_dump(by_alias=True, exclude_none=True, mode="json")
        self.receiver.conversations.save(reference_key(conversation), {"reference": reference})
        extra = {"user": user.id}
        placeholder = await turn_context.send_activity(PLACEHOLDER)  # the activity the answer replaces
        if placeholder is not None and placeholder.id:
            extra["placeholder"] = placeholder.id
        target = ReplyTarget("teams", conversation, activity.id, extra)
        self.receiver.submit(self.receiver.job(question, principal, target, f"teams:{conversation}",
                                               f"teams:{conversation}:{activity.id}" if activity.id else None))

    async def _email(self, turn_context: TurnContext) -> str | None:
        """The member's email or UPN from the connector's roster call (the activity has neither)."""
        activity = turn_context.activity
        client = turn_context.turn_state.get("ConnectorClient")
        try:
            member = await client.conversations.get_conversation_member(activity.conversation.id,
                                                                        activity.from_property.id)
        except Exception as err:  # noqa: BLE001 - without a roster answer the user is unknown
            log.warning("teams roster lookup failed: %s", err)
            return None
        data: dict[str, Any] = member.model_dump(by_alias=True)
        return data.get("email") or data.get("userPrincipalName")

    async def _card_action(self, turn_context: TurnContext, value: dict[str, Any]) -> None:
        state = self.receiver.conversations.load(answer_key(str(value.get("key")))) or {}
        if value["action"] == SHOW_SQL:
            if not state.get("sql"):
                await turn_context.send_activity("That answer has no SQL any more.")
                return
            await turn_context.send_activity(Activity(type="message", attachments=[
                Attachment(content_type=CONTENT_TYPE, content=sql_card(state["sql"]))]))
            return
        vote = "up" if value.get("vote") == "up" else "down"
        user = turn_context.activity.from_property.id
        self.receiver.conversations.save(f"teams-feedback:{value.get('key')}:{user}", {
            "vote": vote, "question": state.get("question"), "sql": state.get("sql"), "at": time.time()})
        await turn_context.send_activity("Thanks for the feedback!" if vote == "up" else
                                         "Thanks: the data team will look at this answer.")
