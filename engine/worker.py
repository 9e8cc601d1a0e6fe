"""The worker: takes job messages from the queue and delivers an Answer for each to its reply target.

With a synchronous engine (DuckDB) a job is answered in one step. With an asynchronous one
(Athena) the worker starts the query and returns; Athena's state-change event (routed to the
queue) or a delayed re-check message brings the job back, and the worker answers then. No worker
waits on a running query.

Every step runs through an IdempotentRunner keyed by job id, so a redelivered message never
starts a second query and never posts a second answer.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from engine.domain import Answer
from engine.errors import BotError, ExecutionFailed
from engine.formatting import format_bytes, link_note
from engine.jobs import (AskJob, JobFormatError, QueryCheck, QueryEvent, decode_message, encode_check,
                         job_from_dict, job_to_dict)
from engine.planner import MAX_REPAIRS
from engine.ports import (AlreadyInProgress, AsyncExecutor, IdempotentRunner, Observer, PendingQueries,
                          Queue, QueueMessage, QueryState, ReplyPoster)
from engine.service import Prepared, QueryEngine, failure_answer

log = logging.getLogger(__name__)

FAILED_MESSAGE = ("Sorry, I couldn't answer this question: something went wrong on my side "
                  "after {attempts} attempts (reference {job_id}). Please try again later.")
TIMEOUT_MESSAGE = ("This question took longer than {seconds} s to run, so I stopped it. Try a "
                   "shorter time range or fewer breakdowns.")
CUTOFF_MESSAGE = ("This question would scan more data than the per-query limit allows, so Athena "
                  "stopped it. Try a shorter time range or add a filter.")
PRICE_PER_TB = 5.0  # USD per TB scanned, Athena's list price
MIN_BILLED_BYTES = 10 * 1024 * 1024


class LoggingObserver:
    """The embedded default's observer: standard logging only."""

    def job_started(self, job_id: str) -> None:
        log.debug("job %s started", job_id)

    def stage(self, name: str):  # noqa: ANN201 - a context manager
        return nullcontext()

    def answered(self, status: str, latency_ms: float, query_ms: float | None,
                 bytes_scanned: int | None) -> None:
        log.info("answered status=%s latency_ms=%.0f", status, latency_ms)


def cost_footer(state: QueryState, price_per_tb: float = PRICE_PER_TB) -> str:
    """E.g. "Data scanned: 12.4 MB (about $0.0001) in 1.2 s" ("reused" when Athena reused a result)."""
    if state.reused:
        return "Reused a recent result of the same query: no data scanned."
    billed = max(state.bytes_scanned, MIN_BILLED_BYTES)
    cost = billed / 1e12 * price_per_tb
    return (f"Data scanned: {format_bytes(state.bytes_scanned)} (about ${cost:.4f}) "
            f"in {state.engine_ms / 1000:.1f} s")


class Worker:
    """Processes queue messages; ``handle`` says whether a message is finished and may be deleted."""

    def __init__(self, queue: Queue, engine: QueryEngine, poster: ReplyPoster,
                 idempotency: IdempotentRunner, *, pending: PendingQueries | None = None,
                 observer: Observer | None = None, max_receives: int = 3,
                 default_as_of: dt.date | None = None, visibility_timeout: int = 120,
                 recheck_seconds: int = 10, query_timeout_seconds: int = 300,
                 clock: Callable[[], float] = time.time) -> None:
        if engine.asynchronous and pending is None:
            raise ValueError("an asynchronous engine needs a PendingQueries store")
        self.queue = queue
        self.engine = engine
        self.poster = poster
        self.idempotency = idempotency
        self.pending = pending
        self.observer = observer or LoggingObserver()
        self.max_receives = max_receives
        self.default_as_of = default_as_of
        self.visibility_timeout = visibility_timeout
        self.recheck_seconds = recheck_seconds
        self.query_timeout_seconds = query_timeout_seconds
        self.clock = clock

    # -- the loop -----------------------------------------------------------------------------
    def run_once(self, wait_seconds: float = 0, max_messages: int = 10) -> int:
        """Receive one batch and process it; returns how many messages were received."""
        messages = self.queue.receive(max_messages=max_messages, wait_seconds=wait_seconds,
                                      visibility_timeout=self.visibility_timeout)
        for message in messages:
            if self.handle(message):
                self.queue.delete(message.receipt_handle)
        return len(messages)

    def run(self, should_stop: Callable[[], bool] = lambda: False, wait_seconds: float = 1.0,
            idle_exit: float | None = None) -> None:
        """Long-poll until ``should_stop()``; with ``idle_exit``, stop after that long with no work."""
        idle_since = time.monotonic()
        while not should_stop():
            if self.run_once(wait_seconds=wait_seconds):
                idle_since = time.monotonic()
            elif idle_exit is not None and time.monotonic() - idle_since >= idle_exit:
                return

    # -- one message --------------------------------------------------------------------------
    def handle(self, message: QueueMessage) -> bool:
        """Process one message; True when it is finished (answered, waiting on an event, or a duplicate).

        False leaves it on the queue: it comes back after the visibility timeout, and after
        ``max_receives`` attempts it goes to the dead-letter queue.
        """
        try:
            item = decode_message(message.body)
        except JobFormatError as err:
            # Nobody to reply to: leave it, so it ends in the dead-letter queue for a person to see.
            log.error("undecodable message %s: %s", message.message_id, err)
            return False
        try:
            if isinstance(item, AskJob):
                self.observer.job_started(item.job_id)
                return self._on_ask(item, message)
            return self._on_query(item)
        except AlreadyInProgress:
            log.info("message %s: another worker is on it; retrying later", message.message_id)
            return False
        except Exception:  # noqa: BLE001 - any failure is retried, and reported on the last attempt
            log.exception("message %s failed (attempt %d)", message.message_id, message.receive_count)
            if isinstance(item, AskJob) and message.receive_count >= self.max_receives:
                self._post_failure(item, message.receive_count)
            return False

    def _on_ask(self, job: AskJob, message: QueueMessage) -> bool:
        def step() -> dict[str, Any]:
            as_of = dt.date.fromisoformat(job.as_of) if job.as_of else self.default_as_of
            try:
                with self.observer.stage("prepare"):
                    prepared = self.engine.prepare(job.question, job.principal, as_of, job.conversation_id)
                if self.engine.asynchronous:
                    return self._start(job, prepared)
                with self.observer.stage("execute"):
                    prepared, table = self.engine.execute_prepared(prepared, job.principal, as_of)
            except BotError as err:
                answer = failure_answer(job.question, err)
                self._post(job, answer)
                return {"outcome": answer.status}
            with self.observer.stage("present"):
                answer = self.engine.present(prepared, table)
            self._post(job, answer)
            return {"outcome": answer.status}

        self.idempotency.run(f"ask#{job.job_id}", step)
        return True

    def _start(self, job: AskJob, prepared: Prepared, repairs: int = 0) -> dict[str, Any]:
        executor: AsyncExecutor = self.engine.executor  # type: ignore[assignment]
        with self.observer.stage("start_query"):
            # The job id is Athena's ClientRequestToken too: a retried start returns the same query.
            token = job.job_id if not repairs else f"{job.job_id}-repair{repairs}"
            execution_id = executor.start(prepared.sql, job.principal, token)
        assert self.pending is not None
        self.pending.save(execution_id, {"job": job_to_dict(job), "prepared": prepared.to_dict(),
                                         "started_at": self.clock(), "repairs": repairs})
        self.queue.send(encode_check(QueryCheck(execution_id, job.job_id)),
                        delay_seconds=self.recheck_seconds)
        return {"outcome": "started", "execution_id": execution_id}

    def _on_query(self, item: QueryCheck | QueryEvent) -> bool:
        if self.pending is None:
            return True
        record = self.pending.get(item.execution_id)
        if record is None:
            return True  # answered already, or not one of ours
        job = job_from_dict(record["job"])
        self.observer.job_started(job.job_id)
        executor: AsyncExecutor = self.engine.executor  # type: ignore[assignment]
        state = executor.status(item.execution_id, job.principal)
        if not state.finished:
            if isinstance(item, QueryCheck):
                if self.clock() - record["started_at"] > self.query_timeout_seconds:
                    executor.stop(item.execution_id, job.principal)
                    self._finish(job, record, item.execution_id, None)
                else:
                    self.queue.send(encode_check(item), delay_seconds=self.recheck_seconds)
            return True
        self._finish(job, record, item.execution_id, state)
        return True

    def _finish(self, job: AskJob, record: dict[str, Any], execution_id: str,
                state: QueryState | None) -> None:
        prepared = Prepared.from_dict(record["prepared"])
        executor: AsyncExecutor = self.engine.executor  # type: ignore[assignment]

        def step() -> dict[str, Any]:
            if state is None:
                answer = self._error(job, TIMEOUT_MESSAGE.format(seconds=self.query_timeout_seconds), prepared)
            elif state.state == "SUCCEEDED":
                with self.observer.stage("fetch"):
                    table, download = executor.fetch(execution_id, job.principal, self.engine.answer_rows,
                                                     state.output_location)
                with self.observer.stage("present"):
                    link = download if table.truncated else None
                    footer = " · ".join(part for part in (cost_footer(state), link_note(link)) if part)
                    answer = self.engine.present(prepared, table, footer=footer, download_url=link)
            else:
                repairs = int(record.get("repairs", 0))
                if state.state == "FAILED" and prepared.source == "planner" and repairs < MAX_REPAIRS:
                    # the planner wrote this SQL: its error goes back to it, then the fix runs
                    as_of = dt.date.fromisoformat(job.as_of) if job.as_of else self.default_as_of
                    try:
                        fixed = self.engine.repair(prepared, ExecutionFailed(self._failure_text(state)),
                                                   job.principal, as_of)
                    except BotError as err:
                        answer = failure_answer(job.question, err, prepared.sql)
                    else:
                        return self._start(job, fixed, repairs + 1)
                else:
                    answer = self._error(job, self._failure_text(state), prepared)
            self._post(job, answer, state)
            return {"outcome": answer.status}

        repairs = int(record.get("repairs", 0))
        self.idempotency.run(f"answer#{job.job_id}" + (f"#{repairs}" if repairs else ""), step)
        assert self.pending is not None
        self.pending.delete(execution_id)

    @staticmethod
    def _failure_text(state: QueryState) -> str:
        reason = state.reason or "no reason given"
        if "bytes scanned" in reason.lower() and "limit" in reason.lower():
            return CUTOFF_MESSAGE
        if state.state == "CANCELLED":
            return f"The query was cancelled before it finished ({reason})."
        return str(ExecutionFailed(f"The query failed in Athena: {reason}"))

    @staticmethod
    def _error(job: AskJob, message: str, prepared: Prepared) -> Answer:
        return Answer(status="error", question=job.question, message=message, sql=prepared.sql)

    def _post(self, job: AskJob, answer: Answer, state: QueryState | None = None) -> None:
        with self.observer.stage("post"):
            self.poster.post(job.reply_to, answer)
        latency_ms = max(0.0, (self.clock() - job.submitted_at) * 1000) if job.submitted_at else 0.0
        self.observer.answered(answer.status, latency_ms,
                               float(state.engine_ms) if state else None,
                               state.bytes_scanned if state else None)

    def _post_failure(self, job: AskJob, attempts: int) -> None:
        answer = Answer(status="error", question=job.question,
                        message=FAILED_MESSAGE.format(attempts=attempts, job_id=job.job_id))
        try:
            self._post(job, answer)
        except Exception:  # noqa: BLE001 - the message still goes to the dead-letter queue
            log.exception("could not tell the user that job %s failed", job.job_id)

