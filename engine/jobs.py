"""Job messages: versioned JSON with a unique job id, processed idempotently (delivery is at-least-once)."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from engine.domain import Principal, ReplyTarget

VERSION = 1


class JobFormatError(ValueError):
    """A queue message that is not a job this version understands."""


@dataclass
class AskJob:
    """Answer ``question`` for ``principal`` and post the answer to ``reply_to``."""

    question: str
    principal: Principal
    reply_to: ReplyTarget
    as_of: str | None = None
    conversation_id: str | None = None
    job_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    submitted_at: float = field(default_factory=time.time)

    type = "ask"


def encode_job(job: AskJob) -> str:
    principal = job.principal
    return json.dumps({
        "type": job.type, "version": VERSION, "job_id": job.job_id,
        "submitted_at": job.submitted_at, "question": job.question, "as_of": job.as_of,
        "conversation_id": job.conversation_id,
        "principal": {"user_id": principal.user_id, "email": principal.email,
                      "groups": list(principal.groups), "role_arn": principal.role_arn,
                      "allowed_tables": sorted(principal.allowed_tables)
                      if principal.allowed_tables is not None else None},
        "reply_to": {"platform": job.reply_to.platform, "channel": job.reply_to.channel,
                     "thread": job.reply_to.thread, "extra": dict(job.reply_to.extra)},
    }, separators=(",", ":"))


def decode_job(body: str) -> AskJob:
    try:
        data: dict[str, Any] = json.loads(body)
    except json.JSONDecodeError as err:
        raise JobFormatError(f"message is not JSON: {err}") from err
    if not isinstance(data, dict) or data.get("type") != "ask":
        raise JobFormatError(f"unknown job type {data.get('type') if isinstance(data, dict) else None!r}")
    if data.get("version") != VERSION:
        raise JobFormatError(f"unsupported ask job version {data.get('version')!r}")
    try:
        p, r = data["principal"], data["reply_to"]
        allowed = p.get("allowed_tables")
        return AskJob(
            question=str(data["question"]), as_of=data.get("as_of"),
            conversation_id=data.get("conversation_id"), job_id=str(data["job_id"]),
            submitted_at=float(data.get("submitted_at") or 0.0),
            principal=Principal(user_id=p["user_id"], email=p["email"], groups=tuple(p.get("groups") or ()),
                                role_arn=p.get("role_arn"),
                                allowed_tables=frozenset(allowed) if allowed is not None else None),
            reply_to=ReplyTarget(platform=r["platform"], channel=r["channel"], thread=r.get("thread"),
                                 extra=dict(r.get("extra") or {})),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise JobFormatError(f"ask job is missing or has a bad field: {err}") from err
