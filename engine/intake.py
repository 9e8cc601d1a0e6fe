"""Where chat surfaces hand questions in: the ports they need, and the job they make."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from engine.digests.service import DigestService
from engine.domain import Principal, ReplyTarget
from engine.jobs import AskJob
from engine.ports import ConversationStore, IdentityResolver


@dataclass
class Intake:
    """Who people are, where jobs go, per-thread state, and the date "today" means (None: today)."""

    identity: IdentityResolver
    submit: Callable[[AskJob], None]
    conversations: ConversationStore
    as_of: dt.date | None = None
    digests: DigestService | None = None  # scheduled digests: listed and changed from the chat

    def job(self, question: str, principal: Principal, reply_to: ReplyTarget, conversation_id: str,
            delivery_id: str | None = None) -> AskJob:
        """The AskJob for a message; a redelivered message (same ``delivery_id``) names the same job."""
        job = AskJob(question=question, principal=principal, reply_to=reply_to,
                     as_of=self.as_of.isoformat() if self.as_of else None, conversation_id=conversation_id)
        if delivery_id:
            job.job_id = uuid.uuid5(uuid.NAMESPACE_URL, delivery_id).hex
        return job
