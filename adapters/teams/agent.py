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
from adapters.teams.verified import ACTIONS as CURATION_ACTIONS, TeamsCuration, on_card as on_curation_card, welcome
from engine.domain import Principal, ReplyTarget
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

    def __init__(self, receiver: Intake, curation: TeamsCuration | None = None) -> None:
        self.receiver = receiver
        self.digests = None
        if receiver.digests is not None:  # scheduled digests: phrases, the form card, the list
            from adapters.teams.digest_cards import TeamsDigests

            self.digests = TeamsDigests(receiver, receiver.digests)
        self.curation = curation  # verified answers, feedback reasons, QuickSight (adapters/teams/verified.py)

    async def on_members_added_activity(self, members_added: Any, turn_context: TurnContext) -> None:
        """Someone added the bot: the verified questions as suggested prompts."""
        bot = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if self.curation is None or not any(m.id != bot for m in members_added or []):
            return
        greeting = welcome(self.curation.suggestions())
        if greeting is not None:
            await turn_context.send_activity(greeting)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        value = activity.value if isinstance(activity.value, dict) else None
        if value and self.curation is not None and value.get("action") in (FEEDBACK, *CURATION_ACTIONS):
            state = self.receiver.conversations.load(answer_key(str(value.get("key")))) or {}
            if value.get("action") == FEEDBACK:
                self._save_vote(turn_context, value, state)
            await on_curation_card(turn_context, value, state, await self._principal(turn_context), self.curation)
            return
        if value and value.get("action") in (SHOW_SQL, FEEDBACK):
            await self._card_action(turn_context, value)
            return
        from adapters.teams.digest_cards import ACTIONS as DIGEST_ACTIONS

        digest_action = bool(self.digests and value and value.get("action") in DIGEST_ACTIONS)
        if value and value.get("action") == CLARIFY:
            question = value["option"].strip() if isinstance(value.get("option"), str) else ""
        elif digest_action:
            question = str(value.get("action"))  # type: ignore[union-attr]
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
        schedule = None
        if self.digests is not None:
            routed = await self._digests(turn_context, question, value if digest_action else None, principal,
                                         reference)
            if routed is True:
                return
            if routed:
                question, schedule = routed
        extra = {"user": user.id}
        placeholder = await turn_context.send_activity(PLACEHOLDER)  # the activity the answer replaces
        if placeholder is not None and placeholder.id:
            extra["placeholder"] = placeholder.id
        target = ReplyTarget("teams", conversation, activity.id, extra)
        job = self.receiver.job(question, principal, target, f"teams:{conversation}",
                                f"teams:{conversation}:{activity.id}" if activity.id else None)
        job.schedule = schedule
        self.receiver.submit(job)

    async def _digests(self, turn_context: TurnContext, question: str, value: dict[str, Any] | None,
                       principal: Any, reference: dict[str, Any]) -> bool | tuple[str, dict[str, Any]] | None:
        """Digest words and card actions: True when answered here, (question, schedule) for a digest
        to create from the answer, None for a plain question."""
        from adapters.teams.digest_cards import base_conversation

        assert self.digests is not None
        activity = turn_context.activity
        user = activity.from_property
        conversation, kind = activity.conversation.id, activity.conversation.conversation_type or ""
        if kind == "personal":  # "me": the 1:1 chat
            self.receiver.conversations.save(f"teams-personal:{user.aad_object_id or user.id}",
                                             {"conversation": conversation})
        timezone = getattr(activity, "local_timezone", None)
        routed = self.digests.action(value, principal, user.aad_object_id or user.id, conversation, timezone) \
            if value else self.digests.route(question, principal, user.aad_object_id or user.id, conversation,
                                             kind, timezone)
        if isinstance(routed, str):
            await turn_context.send_activity(Activity(type="message", text_format="plain", text=routed))
            return True
        if isinstance(routed, dict):
            await turn_context.send_activity(Activity(type="message", attachments=[
                Attachment(content_type=CONTENT_TYPE, content=routed)]))
            return True
        if routed:  # new posts go to the conversation itself: keep a reference without the thread
            base = base_conversation(str(routed[1]["target"]["channel"]))
            channel = {**reference, "conversation": {**reference.get("conversation", {}), "id": base}}
            self.receiver.conversations.save(reference_key(base), {"reference": channel})
        return routed

    def _save_vote(self, turn_context: TurnContext, value: dict[str, Any], state: dict[str, Any]) -> str:
        vote = "up" if value.get("vote") == "up" else "down"
        user = turn_context.activity.from_property.id
        self.receiver.conversations.save(f"teams-feedback:{value.get('key')}:{user}", {
            "vote": vote, "question": state.get("question"), "sql": state.get("sql"), "at": time.time()})
        return vote

    async def _principal(self, turn_context: TurnContext) -> Principal | None:
        user = turn_context.activity.from_property
        try:
            return self.receiver.identity.resolve("teams", user.aad_object_id or user.id, await self._email(turn_context))
        except Refused:
            return None

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
        vote = self._save_vote(turn_context, value, state)
        await turn_context.send_activity("Thanks for the feedback!" if vote == "up" else
                                         "Thanks: the data team will look at this answer.")
