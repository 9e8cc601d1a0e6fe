"""The worker: takes job messages from the queue and delivers an Answer for each to its reply target.

With a synchronous engine (DuckDB) a job is answered in one step. With an asynchronous one
(Athena) the worker starts the query and returns; Athena's state-change event (routed to the
queue) or a delayed re-check message brings the job back, and the worker answers then. No worker
waits on a running query.

Every step runs through an IdempotentRunner keyed by job id, under a lease that ends before the
message could be redelivered and that a heartbeat renews with the message's visibility (see
engine/heartbeat.py): a redelivered message never starts a second query, and a crashed worker's
step is taken over once its lease has run out. Posting is idempotent at the platform too (each
answer carries its job id; posters update the same message), so a step taken over after it had
already posted updates that answer instead of adding one.

The last receive a queue allows is kept for the user: it never runs the step again, it tells them
the question failed (unless it was answered meanwhile) and leaves the message to the dead-letter
queue. So a job reaches the dead-letter queue only after its user was told, whatever went wrong,
a worker killed on every attempt included.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from engine.answers.actions import ActionJob, ActionRunner, MaintenanceJob
from engine.answers.records import AnswerLog
from engine.digests.runner import DigestRunner
from engine.domain import Answer
from engine.errors import BotError
from engine.heartbeat import Heartbeat
from engine.jobs import AskJob, DigestJob, JobFormatError, decode_message, salvage
from engine.ports import (AlreadyInProgress, IdempotentRunner, Lease, Observer, PendingQueries, Queue, QueueMessage,
                          QueryState, ReplyPoster, chart_later)
from engine.service import Prepared, QueryEngine, failure_answer
from engine.worker_async import AsyncSteps
from engine.worker_hooks import JobHooks

log = logging.getLogger(__name__)

FAILED_MESSAGE = ("Sorry, I couldn't answer this question: something went wrong on my side "
                  "after {attempts} attempts (reference {job_id}). Please try again later.")
UNREADABLE_MESSAGE = ("Sorry, I couldn't read this request (it may come from another version of the bot), "
                      "so nothing ran (reference {reference}). Please ask again.")


class LoggingObserver:
    """The embedded default's observer: standard logging only."""

    def job_started(self, job_id: str) -> None:
        log.debug("job %s started", job_id)

    def stage(self, name: str):  # noqa: ANN201 - a context manager
        return nullcontext()

    def answered(self, status: str, latency_ms: float, query_ms: float | None,
                 bytes_scanned: int | None) -> None:
        log.info("answered status=%s latency_ms=%.0f", status, latency_ms)


Checkpoint = Callable[[str, str], None]  # (point, job id): a test hook; see ``Worker.checkpoint``


class Worker(AsyncSteps, JobHooks):
    """Processes queue messages; ``handle`` says whether a message is finished and may be deleted.

    The asynchronous steps are in engine/worker_async.py, the hooks for clicks, maintenance and
    digests in engine/worker_hooks.py; the loop, leases, attempts and replies are here.

    ``checkpoint(point, job_id)`` is called at named points, so crash tests can stop the worker
    exactly there: ``leased`` (a step's lease taken, its work not begun), ``started`` (an Athena
    query started, not yet recorded as pending), ``posted`` (an answer posted, its step not yet
    recorded as done) and ``recorded`` (the step recorded, the message not yet deleted).
    """

    def __init__(self, queue: Queue, engine: QueryEngine, poster: ReplyPoster,
                 idempotency: IdempotentRunner, *, pending: PendingQueries | None = None,
                 observer: Observer | None = None, max_receives: int = 3,
                 default_as_of: dt.date | None = None, visibility_timeout: int = 60,
                 recheck_seconds: int = 10, query_timeout_seconds: int = 300,
                 clock: Callable[[], float] = time.time, batch_size: int = 1,
                 checkpoint: Checkpoint | None = None, worker_id: str | None = None,
                 actions: ActionRunner | None = None, answer_log: AnswerLog | None = None,
                 digests: DigestRunner | None = None) -> None:
        if engine.asynchronous and pending is None:
            raise ValueError("an asynchronous engine needs a PendingQueries store")
        if max_receives < 2:
            raise ValueError("max_receives must be at least 2: the last receive is kept for telling the user")
        self.queue = queue
        self.engine = engine
        self.poster = poster
        self.idempotency = idempotency
        self.pending = pending
        self.observer = observer or LoggingObserver()
        self.max_receives = max_receives
        self.default_as_of = default_as_of
        self.heartbeat = Heartbeat(queue, idempotency, visibility_timeout)
        self.recheck_seconds = recheck_seconds
        self.query_timeout_seconds = query_timeout_seconds
        self.clock = clock
        self.batch_size = batch_size
        self.checkpoint = checkpoint or (lambda point, job_id: None)
        self.actions = actions  # clicks done by the worker: Mark as verified, Open in QuickSight
        self.answer_log = answer_log  # records of answers, for those clicks
        self.digests = digests  # scheduled digests: their runs and their creation from answers
        # a lease names its holder: this process (host, pid, a nonce against pid reuse) and the message
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._job_id = ""

    @property
    def visibility_timeout(self) -> float:
        """How long a received message stays invisible; the heartbeat renews it every third of that."""
        return self.heartbeat.visibility_timeout

    @visibility_timeout.setter
    def visibility_timeout(self, seconds: float) -> None:
        self.heartbeat.visibility_timeout = seconds

    # -- the loop -----------------------------------------------------------------------------
    def run_once(self, wait_seconds: float = 0, max_messages: int = 10) -> int:
        """Receive one batch and process it; returns how many messages were received.

        The whole batch is held by the heartbeat until each message is finished, so messages
        waiting their turn are not redelivered meanwhile.
        """
        messages = self.queue.receive(max_messages=max_messages, wait_seconds=wait_seconds,
                                      visibility_timeout=int(self.visibility_timeout))
        self.heartbeat.hold(messages)
        try:
            for message in messages:
                finished = self.handle(message)
                if finished:
                    self.checkpoint("recorded", self._job_id)
                self.heartbeat.release(message)
                if finished:
                    self.queue.delete(message.receipt_handle)
        finally:
            for message in messages:
                self.heartbeat.release(message)
        return len(messages)

    def run(self, should_stop: Callable[[], bool] = lambda: False, wait_seconds: float = 1.0,
            idle_exit: float | None = None) -> None:
        """Long-poll until ``should_stop()``; with ``idle_exit``, stop after that long with no work.

        Messages are taken ``batch_size`` at a time (default one), so a crash costs a receive only
        to the message in hand."""
        idle_since = time.monotonic()
        while not should_stop():
            if self.run_once(wait_seconds=wait_seconds, max_messages=self.batch_size):
                idle_since = time.monotonic()
            elif idle_exit is not None and time.monotonic() - idle_since >= idle_exit:
                return

    # -- one message --------------------------------------------------------------------------
    def handle(self, message: QueueMessage) -> bool:
        """Process one message; True when it is finished (answered, waiting on an event, or redundant).

        False leaves it on the queue: it comes back after the visibility timeout, and after
        ``max_receives`` receives it goes to the dead-letter queue (its user told on the last one).
        """
        self._job_id = ""
        try:
            item = decode_message(message.body)
        except JobFormatError as err:
            return self._unreadable(message, err)
        try:
            if isinstance(item, (ActionJob, MaintenanceJob)):
                return self._on_action(item, message)
            if isinstance(item, DigestJob):
                item = self._digest_ask(item)
                if item is None:
                    return True  # the digest is gone or paused: nothing to run
            if isinstance(item, AskJob):
                self._job_id = item.job_id
                self.observer.job_started(item.job_id)
                return self._on_ask(item, message)
            return self._on_query(item, message)
        except AlreadyInProgress as busy:
            if busy.message_id and busy.message_id != message.message_id:
                # another message of the same step is in a live worker's hands, and comes back if
                # that worker dies: this one is redundant (an event racing its re-check, a redelivery)
                log.info("message %s: %s; dropping this copy", message.message_id, busy)
                return True
            log.info("message %s: %s; retrying later", message.message_id, busy)
            return False
        except Exception:  # noqa: BLE001 - any failure is retried; the user is told before the DLQ
            log.exception("message %s failed (attempt %d)", message.message_id, message.receive_count)
            return False

    def _attempt(self, job: AskJob, key: str, message: QueueMessage, work: Callable[[], bool]) -> bool:
        """One attempt at step ``key``; on the last receive only the user is told."""
        if message.receive_count >= self.max_receives:
            return self._last_word(job, key, message)
        try:
            return work()
        except AlreadyInProgress:
            raise
        except Exception:
            if message.receive_count < self.max_receives - 1:
                raise
            # the last real attempt failed: tell the user now rather than on the next receive
            log.exception("message %s failed on its last attempt (%d)", message.message_id, message.receive_count)
            self._tell_failed(job, key, message)
            return False

    def _run(self, key: str, step: Callable[[], dict[str, Any]], message: QueueMessage) -> dict[str, Any]:
        """Run a step under a lease that ends before the message's visibility and is renewed with it."""
        lease = Lease(self.worker_id, message.message_id, self.heartbeat.lease_until(message))

        def leased() -> dict[str, Any]:
            self.checkpoint("leased", self._job_id)
            return step()

        with self.heartbeat.step(key, lease, message):
            return self.idempotency.run(key, leased, lease)

    def _on_ask(self, job: AskJob, message: QueueMessage) -> bool:
        def step() -> dict[str, Any]:
            as_of = dt.date.fromisoformat(job.as_of) if job.as_of else self.default_as_of
            try:
                with self.observer.stage("prepare"):
                    prepared = self._prepare(job, as_of)
                if prepared is None:
                    return {"outcome": "skipped"}
                if self.engine.asynchronous:
                    return self._start(job, prepared)
                with self.observer.stage("execute"):
                    prepared, table = self.engine.execute_prepared(prepared, job.principal, as_of)
            except BotError as err:
                answer = failure_answer(job.question, err)
                self._post(job, answer)
                return {"outcome": answer.status}
            later = chart_later(self.poster, job.reply_to)
            with self.observer.stage("present"):
                answer = self.engine.present(prepared, table, charts=not later)
            self._post(job, answer)
            if later:
                self._post_chart(job, prepared, answer)
            return {"outcome": answer.status}

        return self._attempt_step(job, f"ask#{job.job_id}", step, message)

    def _attempt_step(self, job: AskJob, key: str, step: Callable[[], dict[str, Any]],
                      message: QueueMessage) -> bool:
        """One attempt at running step ``key`` under its lease; finished once it has run."""
        def work() -> bool:
            self._run(key, step, message)
            return True

        return self._attempt(job, key, message, work)

    # -- telling the user -----------------------------------------------------------------------
    def _last_word(self, job: AskJob, key: str, message: QueueMessage) -> bool:
        """The last receive: unless step ``key`` is done, tell the user it failed; the DLQ keeps the message."""
        result = self._run(key, lambda: self._failure_step(job, message), message)
        if result.get("outcome") == "failed":
            log.error("job %s gave up after %d receives; its user was told; the message goes to the "
                      "dead-letter queue", job.job_id, message.receive_count)
            return False
        return True  # it was answered (or its query started) after all

    def _tell_failed(self, job: AskJob, key: str, message: QueueMessage) -> None:
        try:
            self._run(key, lambda: self._failure_step(job, message), message)
        except AlreadyInProgress as busy:
            log.info("not telling the user of job %s yet: %s", job.job_id, busy)
        except Exception:  # noqa: BLE001 - the last receive tries again
            log.exception("could not tell the user that job %s failed", job.job_id)

    def _failure_step(self, job: AskJob, message: QueueMessage) -> dict[str, Any]:
        attempts = min(message.receive_count, self.max_receives - 1)
        self._post(job, Answer(status="error", question=job.question,
                               message=FAILED_MESSAGE.format(attempts=attempts, job_id=job.job_id)))
        return {"outcome": "failed"}

    def _unreadable(self, message: QueueMessage, err: JobFormatError) -> bool:
        """A message the worker cannot decode goes to the dead-letter queue; its sender is told once."""
        log.error("undecodable message %s: %s", message.message_id, err)
        found = salvage(message.body)
        if found is None:
            return False  # nobody to tell: the dead-letter queue keeps it for a person to see
        reference = found.job_id or message.message_id
        answer = Answer(status="error", question=found.question,
                        message=UNREADABLE_MESSAGE.format(reference=reference), answer_id=found.job_id or None)

        def tell() -> dict[str, Any]:
            self.poster.post(found.reply_to, answer)
            self.checkpoint("posted", reference)
            return {"outcome": "failed"}

        try:
            self._run(f"unreadable#{reference}", tell, message)
        except AlreadyInProgress:
            pass
        except Exception:  # noqa: BLE001 - tried again on the next receive
            log.exception("could not tell the sender of message %s that it was unreadable", message.message_id)
        return False

    def _post_chart(self, job: AskJob, prepared: Prepared, answer: Answer) -> None:
        """Draw the chart of an answer already posted and add it to that message.

        The text is what was asked for and is already with the user, so a chart that cannot be
        drawn or posted is logged and the job still ends answered: retrying the step would only
        risk replacing a good answer with a failure notice."""
        try:
            with self.observer.stage("chart"):
                self.engine.add_chart(prepared, answer)
            if answer.chart_png and self.answer_log is not None:  # its record says which chart it got now
                self.answer_log.save(answer, as_of=job.as_of or (self.default_as_of or dt.date.today()),
                                     asker=job.principal.email, conversation_id=job.conversation_id)
            if answer.chart_png:
                with self.observer.stage("post_chart"):
                    self.poster.post_chart(job.reply_to, answer)  # type: ignore[attr-defined]
                self.checkpoint("charted", job.job_id)
        except Exception:  # noqa: BLE001 - see above
            log.exception("job %s: the chart was not added to its answer", job.job_id)

    def _post(self, job: AskJob, answer: Answer, state: QueryState | None = None) -> None:
        answer.answer_id = job.job_id  # a repeat of this answer updates the same message
        if self.answer_log is not None and isinstance(job, AskJob):  # before posting: a click may follow at once
            self.answer_log.save(answer, as_of=job.as_of or (self.default_as_of or dt.date.today()),
                                 asker=job.principal.email, conversation_id=job.conversation_id)
        if answer.saved is not None:  # the date it was read for, so a Schedule button can move it
            answer.saved["as_of"] = job.as_of or (self.default_as_of or dt.date.today()).isoformat()
        with self.observer.stage("post"):  # an ActionJob's outcome is posted too: it has no digest
            if self.digests is not None and (getattr(job, "digest", None) or getattr(job, "schedule", None)):
                self.digests.deliver(job, answer, self.poster.post)
            else:
                self.poster.post(job.reply_to, answer)
        self.checkpoint("posted", job.job_id)
        latency_ms = max(0.0, (self.clock() - job.submitted_at) * 1000) if job.submitted_at else 0.0
        self.observer.answered(answer.status, latency_ms,
                               float(state.engine_ms) if state else None,
                               state.bytes_scanned if state else None)
