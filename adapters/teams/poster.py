"""The worker's ReplyPoster for Teams: a proactive Adaptive Card into the stored conversation.

The SDK's adapter is asynchronous; the worker is not. Posting runs the send on the event loop the
adapter serves from (same process, local stack) or on a loop of its own (the AWS worker).

Posting is idempotent at Teams: the card replaces the receiver's placeholder activity (an
update, PUT .../activities/{id}), or, when there is none or it is gone, a stand-in activity this
poster sends and records first. A repeated answer updates the same activity, never adds one.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from typing import Any

import aiohttp
from microsoft_agents.activity import Activity, Attachment, ConversationReference
from microsoft_agents.hosting.core import ClaimsIdentity

from adapters.teams.agent import PLACEHOLDER, answer_key, reference_key
from adapters.teams.chart_links import ChartSigner, ChartStore, LocalChartStore, S3ChartStore  # noqa: F401 - re-exported
from adapters.teams.cards import CONTENT_TYPE, answer_card
from adapters.teams.digest_cards import remember_thread, with_digest_actions
from engine.domain import Answer, ReplyTarget
from engine.ports import ConversationStore

log = logging.getLogger(__name__)
SEND_TIMEOUT_SECONDS = 60


class TeamsPoster:
    """Posts Answers as Adaptive Cards; charts go to ``charts`` and the card links to them through
    the bot's endpoint at ``chart_base_url`` (signed by ``signer``; see chart_links.py)."""

    def __init__(self, adapter: Any, conversations: ConversationStore, app_id: str | None = None,
                 charts: ChartStore | None = None, quicksight_url: str | None = None, *,
                 chart_base_url: str | None = None, signer: ChartSigner | None = None,
                 dashboards: bool = False) -> None:
        self.adapter = adapter
        self.conversations = conversations
        self.app_id = app_id
        self.charts = charts if chart_base_url else None  # without a public address a chart cannot be shown
        self.chart_base_url = chart_base_url
        self.signer = signer or ChartSigner(None)
        self.quicksight_url = quicksight_url
        self.dashboards = dashboards  # "Open in QuickSight" makes each answer's own dashboard
        self.loop: asyncio.AbstractEventLoop | None = None  # the serving loop, when in-process

    def post(self, target: ReplyTarget, answer: Answer) -> None:
        state = self.conversations.load(reference_key(target.channel))
        if not state:
            log.error("no conversation reference for teams conversation %s; dropping the answer",
                      target.channel)
            return  # the conversation expired from the store: retrying cannot bring it back
        ident = answer.answer_id or target.extra.get("placeholder")  # which answer this is, across repeats
        key = uuid.uuid5(uuid.NAMESPACE_URL, f"teams:{target.channel}:{ident}").hex if ident else uuid.uuid4().hex
        self.conversations.save(answer_key(key), {"question": answer.question, "sql": answer.sql,
                                                  "saved": answer.saved, "answer_id": answer.answer_id})
        chart_url = None
        if answer.chart_png and self.charts is not None and self.chart_base_url:
            name = f"{key}-{_slug(answer.question)}.png"
            self.charts.put(name, answer.chart_png)
            chart_url = self.signer.link(self.chart_base_url, name)
        card = with_digest_actions(answer_card(answer, key, chart_url, self.quicksight_url, dashboards=self.dashboards), answer, target, key)
        activity = Activity(type="message", summary=answer.message[:200],
                            attachments=[Attachment(content_type=CONTENT_TYPE, content=card)])
        record = f"teams-reply:{target.channel}:{ident}" if ident else None
        stand_in = (self.conversations.load(record) or {}).get("activity_id") if record else None
        targets = [i for i in (target.extra.get("placeholder"), stand_in) if i]
        coroutine = self._send(state["reference"], activity, targets, record)
        if self.loop is not None and self.loop.is_running():
            asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=SEND_TIMEOUT_SECONDS)
        else:
            asyncio.run(coroutine)
        if record:  # a digest's post takes follow-ups in its thread
            remember_thread(self.conversations, target, (self.conversations.load(record) or {}).get("activity_id"))

    def post_chart(self, target: ReplyTarget, answer: Answer) -> None:
        """The answer again, now with its chart: the same activity is updated with the image."""
        self.post(target, answer)

    async def _send(self, reference: dict[str, Any], activity: Activity, replace: list[str],
                    record: str | None) -> None:
        continuation = ConversationReference.model_validate(reference).get_continuation_activity()

        async def send(turn_context: Any) -> None:
            for activity_id in replace:
                if await _replace(turn_context, activity_id, activity):
                    return
            if record is None:  # nothing to remember an activity by: a plain send
                await turn_context.send_activity(activity)
                return
            # no placeholder to replace: send a stand-in and record it before the answer goes into
            # it, so a repeat finds it and updates it instead of adding a second answer
            stand_in = await turn_context.send_activity(PLACEHOLDER)
            self.conversations.save(record, {"activity_id": stand_in.id})
            if not await _replace(turn_context, stand_in.id, activity):
                raise RuntimeError(f"teams lost the activity {stand_in.id} just sent")

        if self.app_id:
            await self.adapter.continue_conversation(self.app_id, continuation, send)
        else:  # authentication off (local development): an anonymous identity
            await self.adapter.continue_conversation_with_claims(ClaimsIdentity({}, False), continuation, send)


async def _replace(turn_context: Any, activity_id: str, activity: Activity) -> bool:
    """Update activity ``activity_id`` with the answer; False when Teams no longer has it."""
    update = activity.model_copy(update={"id": activity_id})
    try:
        await turn_context.update_activity(update)
    except aiohttp.ClientResponseError as err:
        if err.status == 404:
            return False
        raise
    return True


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:50] or "chart"
