"""The worker's hooks for jobs that are not plain questions: button clicks, maintenance and digests.

A click (ActionJob: Mark as verified, Open in QuickSight) is a step like an answer, its outcome
posted once; a MaintenanceJob (a scheduled task) just runs. A DigestJob becomes the AskJob of its
digest (engine/digests/runner.py), whose frozen query replaces understanding the question.
``JobHooks`` is a part of ``engine.worker.Worker``, not used alone.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from engine.answers.actions import ActionJob, ActionRunner, MaintenanceJob
from engine.digests.runner import DigestRunner, DigestSkipped
from engine.domain import Answer
from engine.jobs import AskJob, DigestJob
from engine.ports import Observer, QueueMessage
from engine.service import Prepared, QueryEngine

log = logging.getLogger("engine.worker")


class JobHooks:
    """Clicks, maintenance and digests; the Worker supplies its state and step machinery."""

    # what the Worker provides (see engine/worker.py)
    engine: QueryEngine
    observer: Observer
    actions: ActionRunner | None
    digests: DigestRunner | None
    _job_id: str
    _attempt_step: Callable[..., bool]
    _post: Callable[..., None]

    def _on_action(self, job: ActionJob | MaintenanceJob, message: QueueMessage) -> bool:
        """A click (its outcome posted once, like an answer) or a scheduled task."""
        if isinstance(job, MaintenanceJob):
            if self.actions is not None:
                self.actions.maintain(job)
            return True
        self._job_id = job.job_id
        self.observer.job_started(job.job_id)

        def step() -> dict[str, Any]:
            answer = self.actions.run(job) if self.actions is not None else Answer(
                status="error", question=job.question, message="This worker does not handle that button.")
            self._post(job, answer)  # an ActionJob has what posting needs
            return {"outcome": answer.status}

        return self._attempt_step(job, f"action#{job.job_id}", step, message)

    def _digest_ask(self, item: DigestJob) -> AskJob | None:
        if self.digests is None:
            log.error("digest job %s for %s, but this worker runs no digests", item.job_id, item.digest_id)
            return None
        return self.digests.ask_job(item)

    def _prepare(self, job: AskJob, as_of: dt.date | None) -> Prepared | None:
        """The question understood and guarded; a digest's frozen query instead (None: nothing to run)."""
        if self.digests is not None and (job.digest or job.schedule):
            try:
                prepared = self.digests.prepare(job, as_of)
            except DigestSkipped:
                return None
            if prepared is not None:
                return prepared
        return self.engine.prepare(job.question, job.principal, as_of, job.conversation_id)
