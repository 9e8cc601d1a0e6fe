"""Clicks the worker carries out: "Mark as verified", "Open in QuickSight", and the scheduled
clean-up of the bot's QuickSight resources.

A chat receiver never does these inline (on AWS it has no catalog, guard or QuickSight access):
it resolves who clicked and enqueues an ActionJob naming the answer (its job id); the worker
loads the answer's record, does the work as that person and posts the outcome in the thread.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.answers.dashboards import DashboardPublisher, DashboardUnavailable
from engine.answers.records import AnswerLog
from engine.answers.verified import VerifiedAnswers, VerifiedQuestion
from engine.domain import Answer, Principal, ReplyTarget
from engine.errors import BotError, GuardRejected

log = logging.getLogger(__name__)

VERSION = 1
VERIFY, DASHBOARD = "verify", "dashboard"
QUICKSIGHT_CLEANUP = "quicksight_cleanup"
TOO_OLD = ("I no longer have that answer (answers are kept for a week), so I can't {what} it. Ask the "
           "question again, then click again.")


@dataclass
class ActionJob:
    """Do ``action`` on answer ``answer_id`` for ``principal``; tell them at ``reply_to``."""

    action: str  # VERIFY | DASHBOARD
    answer_id: str
    principal: Principal
    reply_to: ReplyTarget
    params: dict[str, str] = field(default_factory=dict)  # e.g. the steward's display name
    job_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    submitted_at: float = field(default_factory=time.time)

    type = "action"

    @property
    def question(self) -> str:
        """What the user sees a failure notice about."""
        return {VERIFY: "Mark as verified", DASHBOARD: "Open in QuickSight"}.get(self.action, self.action)


@dataclass(frozen=True)
class MaintenanceJob:
    """A scheduled task with nobody to answer: EventBridge Scheduler sends this very body."""

    task: str  # QUICKSIGHT_CLEANUP

    type = "maintenance"


def encode_action(job: ActionJob) -> str:
    from engine.jobs import job_to_dict, AskJob

    carrier = job_to_dict(AskJob("", job.principal, job.reply_to))  # the principal and target, as ask jobs write them
    return json.dumps({"type": job.type, "version": VERSION, "job_id": job.job_id, "action": job.action,
                       "answer_id": job.answer_id, "params": dict(job.params), "submitted_at": job.submitted_at,
                       "principal": carrier["principal"], "reply_to": carrier["reply_to"]}, separators=(",", ":"))


def encode_maintenance(job: MaintenanceJob) -> str:
    return json.dumps({"type": job.type, "version": VERSION, "task": job.task}, separators=(",", ":"))


def decode_action(data: dict[str, Any]) -> ActionJob | MaintenanceJob:
    """An action or maintenance message (already parsed); JobFormatError when it is not one."""
    from engine.jobs import JobFormatError, decode_job

    if data.get("version") != VERSION:
        raise JobFormatError(f"unsupported {data.get('type')} version {data.get('version')!r}")
    if data.get("type") == MaintenanceJob.type:
        if data.get("task") != QUICKSIGHT_CLEANUP:
            raise JobFormatError(f"unknown maintenance task {data.get('task')!r}")
        return MaintenanceJob(QUICKSIGHT_CLEANUP)
    action, answer_id, params = data.get("action"), data.get("answer_id"), data.get("params") or {}
    if action not in (VERIFY, DASHBOARD) or not isinstance(answer_id, str) or not answer_id \
            or not isinstance(params, dict):
        raise JobFormatError(f"action job with a bad action or answer ({action!r}, {answer_id!r})")
    carrier = decode_job(json.dumps({"type": "ask", "version": 1, "job_id": str(data.get("job_id")),
                                     "question": "", "principal": data.get("principal"),
                                     "reply_to": data.get("reply_to")}))
    return ActionJob(action, answer_id, carrier.principal, carrier.reply_to,
                     {str(k): str(v) for k, v in params.items()}, carrier.job_id,
                     float(data.get("submitted_at") or 0.0))


def is_steward(principal: Principal, steward_group: str | None) -> bool:
    return bool(steward_group) and steward_group in principal.groups


class ActionRunner:
    """What the worker does with ActionJobs and MaintenanceJobs."""

    def __init__(self, engine: Any, records: AnswerLog, *, verified: VerifiedAnswers | None = None,
                 steward_group: str | None = None, dashboards: DashboardPublisher | None = None,
                 cleanup: Callable[[], int] | None = None) -> None:
        self.engine = engine  # the QueryEngine: its guard checks what a click would run
        self.records = records
        self.verified = verified
        self.steward_group = steward_group
        self.dashboards = dashboards
        self.cleanup = cleanup

    def run(self, job: ActionJob) -> Answer:
        """The answer to post for the click (never raises a BotError: it becomes the answer)."""
        try:
            return self._verify(job) if job.action == VERIFY else self._dashboard(job)
        except BotError as err:
            return Answer(status=err.status, question=job.question, message=str(err))

    def maintain(self, job: MaintenanceJob) -> None:
        if self.cleanup is None:
            log.warning("maintenance task %s, but QuickSight is not configured here", job.task)
            return
        log.info("QuickSight clean-up deleted %d dashboards", self.cleanup())

    def _verify(self, job: ActionJob) -> Answer:
        if self.verified is None or not is_steward(job.principal, self.steward_group):
            raise GuardRejected(f"Only data stewards ({self.steward_group or 'no steward group is configured'}) "
                                "can mark answers as verified.")
        record = self.records.load(job.answer_id)
        if record is None:
            raise BotError(TOO_OLD.format(what="verify"))
        item = VerifiedQuestion(record.question, record.sql, job.principal.email, record.query,
                                steward_name=job.params.get("name", ""), as_of=record.as_of,
                                notify=_target_dict(job.reply_to))
        problem = self.verified.problem(item)
        if problem is None:
            try:  # the steward must be able to read what they vouch for
                self.engine.guard.check(record.sql, job.principal)
            except GuardRejected as err:
                problem = str(err)
        if problem is not None:
            raise GuardRejected(f"I can't mark this answer as verified: its SQL does not pass the guard now. {problem}")
        self.verified.store.put(item)
        return Answer(status="answered", question=record.question, verified_by=item.badge,
                      message=f"✓ Verified by {item.badge}. Questions that mean \"{record.question}\" are "
                              "answered from this answer from now on, marked verified.")

    def _dashboard(self, job: ActionJob) -> Answer:
        if self.dashboards is None:
            raise DashboardUnavailable("QuickSight dashboards are not set up for this bot.")
        record = self.records.load(job.answer_id)
        if record is None:
            raise BotError(TOO_OLD.format(what="open"))
        self.engine.guard.check(record.sql, job.principal)  # what the clicker may read, not the asker
        link = self.dashboards.publish(record, job.principal)
        verb = "Here is" if link.reused else "I made"
        return Answer(status="answered", question=record.question, dashboard_url=link.url,
                      private_to=job.reply_to.extra.get("user") if link.private else None,
                      message=f"{verb} your QuickSight dashboard for \"{record.question}\".")


def _target_dict(target: ReplyTarget) -> dict[str, Any]:
    return {"platform": target.platform, "channel": target.channel, "thread": target.thread,
            "extra": {k: v for k, v in target.extra.items() if k == "user"}}
