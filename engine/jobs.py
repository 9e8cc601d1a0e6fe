"""Job messages: versioned JSON with a unique job id, processed idempotently (delivery is at-least-once)."""

from __future__ import annotations

import datetime as dt
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
    # a digest's scheduled run: {"id", "scheduled_for"}; the answer goes to its channel, if its condition says so
    digest: dict[str, Any] | None = None
    # a digest to create from this answer (engine/digests/runner.py): schedule, condition, target, owner
    schedule: dict[str, Any] | None = None

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
        **({"digest": job.digest} if job.digest else {}), **({"schedule": job.schedule} if job.schedule else {}),
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
            digest=dict(data["digest"]) if isinstance(data.get("digest"), dict) else None,
            schedule=dict(data["schedule"]) if isinstance(data.get("schedule"), dict) else None,
        )
    except (KeyError, TypeError, ValueError) as err:
        raise JobFormatError(f"ask job is missing or has a bad field: {err}") from err


@dataclass
class QueryCheck:
    """Look at query ``execution_id`` again: the delayed re-check that covers a lost event."""

    execution_id: str
    job_id: str

    type = "query_check"


@dataclass
class QueryEvent:
    """Athena's "Query State Change" event, routed by EventBridge to the queue."""

    execution_id: str
    state: str


def encode_check(check: QueryCheck) -> str:
    return json.dumps({"type": check.type, "version": VERSION, "execution_id": check.execution_id,
                       "job_id": check.job_id}, separators=(",", ":"))


@dataclass(frozen=True)
class DigestJob:
    """Run digest ``digest_id`` for its slot ``scheduled_for`` (ISO UTC): what the scheduler enqueues.

    The job id is derived, uuid5(digest id, scheduled time), so a schedule firing twice or a
    redelivered message is the same job and posts once. EventBridge Scheduler sends this very
    body, with its ``<aws.scheduler.scheduled-time>`` filled in.
    """

    digest_id: str
    scheduled_for: str

    type = "digest"

    @property
    def job_id(self) -> str:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"digest:{self.digest_id}:{self.scheduled_for}").hex


def encode_digest_job(job: DigestJob) -> str:
    return json.dumps({"type": job.type, "version": VERSION, "digest_id": job.digest_id,
                       "scheduled_for": job.scheduled_for}, separators=(",", ":"))


def _digest_job(data: dict[str, Any]) -> DigestJob:
    if data.get("version") != VERSION:
        raise JobFormatError(f"unsupported digest job version {data.get('version')!r}")
    digest_id, scheduled = data.get("digest_id"), data.get("scheduled_for")
    if not isinstance(digest_id, str) or not digest_id or not isinstance(scheduled, str):
        raise JobFormatError("digest job without a digest_id or scheduled_for")
    try:  # one spelling of the instant, whoever wrote it (EventBridge: 2025-06-16T07:00:00Z)
        instant = dt.datetime.fromisoformat(scheduled.replace("Z", "+00:00"))
    except ValueError as err:
        raise JobFormatError(f"digest job with a bad scheduled_for {scheduled!r}") from err
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.timezone.utc)
    return DigestJob(digest_id, instant.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))


def decode_message(body: str) -> AskJob | QueryCheck | QueryEvent | DigestJob:
    """Any message the worker understands: an ask job, a re-check, or an Athena state change."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError as err:
        raise JobFormatError(f"message is not JSON: {err}") from err
    if isinstance(data, dict) and data.get("source") == "aws.athena":
        detail = data.get("detail") or {}
        if data.get("detail-type") != "Athena Query State Change" or "queryExecutionId" not in detail:
            raise JobFormatError(f"unexpected Athena event {data.get('detail-type')!r}")
        return QueryEvent(str(detail["queryExecutionId"]), str(detail.get("currentState", "")))
    if isinstance(data, dict) and data.get("type") in ("action", "maintenance"):
        from engine.answers.actions import decode_action  # clicks and scheduled tasks (engine/answers/)

        return decode_action(data)  # type: ignore[return-value]
    if isinstance(data, dict) and data.get("type") == DigestJob.type:
        return _digest_job(data)
    if isinstance(data, dict) and data.get("type") == QueryCheck.type:
        if data.get("version") != VERSION:
            raise JobFormatError(f"unsupported query_check version {data.get('version')!r}")
        return QueryCheck(str(data["execution_id"]), str(data["job_id"]))
    return decode_job(body)


@dataclass(frozen=True)
class Unreadable:
    """What can still be read from a job message the worker cannot decode: whom to tell."""

    reply_to: ReplyTarget
    question: str = ""
    job_id: str = ""


def salvage(body: str) -> Unreadable | None:
    """The reply target (and question, job id) of an undecodable job, when they can be read."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    target = data.get("reply_to") if isinstance(data, dict) else None
    if not isinstance(target, dict) or not all(isinstance(target.get(k), str) and target.get(k)
                                               for k in ("platform", "channel")):
        return None
    thread, extra = target.get("thread"), target.get("extra")
    extra = {k: v for k, v in extra.items() if isinstance(k, str) and isinstance(v, str)} \
        if isinstance(extra, dict) else {}
    question, job_id = data.get("question"), data.get("job_id")
    return Unreadable(ReplyTarget(target["platform"], target["channel"], thread if isinstance(thread, str) else None,
                                  extra),
                      question if isinstance(question, str) else "", job_id if isinstance(job_id, str) else "")


def job_to_dict(job: AskJob) -> dict[str, Any]:
    return json.loads(encode_job(job))


def job_from_dict(data: dict[str, Any]) -> AskJob:
    return decode_job(json.dumps(data))
