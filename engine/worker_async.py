"""The worker's asynchronous steps (Athena): start a query, take its state change or re-check, answer.

The worker starts the query and returns: the job goes to the PendingQueries store and a delayed
QueryCheck onto the queue. Athena's state-change event (routed to the queue) or that re-check
brings the job back; a finished query is fetched, presented with a cost footer and posted, a
failed planner query goes back to the planner for a repair, and a check past the timeout stops
the query and tells the user. ``AsyncSteps`` is a part of ``engine.worker.Worker``, not used alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from engine.domain import Answer
from engine.errors import BotError, ExecutionFailed
from engine.formatting import format_bytes, link_note
from engine.jobs import AskJob, QueryCheck, QueryEvent, encode_check, job_from_dict, job_to_dict
from engine.planner import MAX_REPAIRS
from engine.ports import AsyncExecutor, Observer, PendingQueries, Queue, QueueMessage, QueryState, ReplyPoster, chart_later
from engine.service import Prepared, QueryEngine, failure_answer

TIMEOUT_MESSAGE = ("This question took longer than {seconds} s to run, so I stopped it. Try a "
                   "shorter time range or fewer breakdowns.")
CUTOFF_MESSAGE = ("This question would scan more data than the per-query limit allows, so Athena "
                  "stopped it. Try a shorter time range or add a filter.")
PRICE_PER_TB = 5.0  # USD per TB scanned, Athena's list price
MIN_BILLED_BYTES = 10 * 1024 * 1024


def cost_footer(state: QueryState, price_per_tb: float = PRICE_PER_TB) -> str:
    """E.g. "Data scanned: 12.4 MB (about $0.0001) in 1.2 s" ("reused" when Athena reused a result)."""
    if state.reused:
        return "Reused a recent result of the same query: no data scanned."
    billed = max(state.bytes_scanned, MIN_BILLED_BYTES)
    cost = billed / 1e12 * price_per_tb
    return (f"Data scanned: {format_bytes(state.bytes_scanned)} (about ${cost:.4f}) "
            f"in {state.engine_ms / 1000:.1f} s")


class AsyncSteps:
    """The steps of a job on an asynchronous engine; the Worker supplies its state and step machinery."""

    # what the Worker provides (see engine/worker.py)
    queue: Queue
    engine: QueryEngine
    poster: ReplyPoster
    pending: PendingQueries | None
    observer: Observer
    max_receives: int
    default_as_of: dt.date | None
    recheck_seconds: int
    query_timeout_seconds: int
    clock: Callable[[], float]
    checkpoint: Callable[[str, str], None]
    _job_id: str
    _run: Callable[..., dict[str, Any]]
    _attempt: Callable[..., bool]
    _last_word: Callable[..., bool]
    _post: Callable[..., None]
    _post_chart: Callable[..., None]

    def _start(self, job: AskJob, prepared: Prepared, repairs: int = 0) -> dict[str, Any]:
        executor: AsyncExecutor = self.engine.executor  # type: ignore[assignment]
        with self.observer.stage("start_query"):
            # The job id is Athena's ClientRequestToken too: a retried start returns the same query.
            token = job.job_id if not repairs else f"{job.job_id}-repair{repairs}"
            execution_id = executor.start(prepared.sql, job.principal, token)
        self.checkpoint("started", job.job_id)
        assert self.pending is not None
        self.pending.save(execution_id, {"job": job_to_dict(job), "prepared": prepared.to_dict(),
                                         "started_at": self.clock(), "repairs": repairs})
        self.queue.send(encode_check(QueryCheck(execution_id, job.job_id)),
                        delay_seconds=self.recheck_seconds)
        return {"outcome": "started", "execution_id": execution_id}

    def _on_query(self, item: QueryCheck | QueryEvent, message: QueueMessage) -> bool:
        if self.pending is None:
            return True
        record = self.pending.get(item.execution_id)
        if record is None:
            return True  # answered already, or not one of ours
        job = job_from_dict(record["job"])
        self._job_id = job.job_id
        self.observer.job_started(job.job_id)
        repairs = int(record.get("repairs", 0))
        key = f"answer#{job.job_id}" + (f"#{repairs}" if repairs else "")
        if message.receive_count >= self.max_receives:
            finished = self._last_word(job, key, message)
            self.pending.delete(item.execution_id)  # answered or told: nothing more to wait for
            return finished
        return self._attempt(job, key, message, lambda: self._check_query(item, job, record, key, message))

    def _check_query(self, item: QueryCheck | QueryEvent, job: AskJob, record: dict[str, Any], key: str,
                     message: QueueMessage) -> bool:
        executor: AsyncExecutor = self.engine.executor  # type: ignore[assignment]
        state = executor.status(item.execution_id, job.principal)
        if not state.finished:
            if isinstance(item, QueryCheck):
                if self.clock() - record["started_at"] > self.query_timeout_seconds:
                    executor.stop(item.execution_id, job.principal)
                    self._finish(job, record, item.execution_id, None, key, message)
                else:
                    self.queue.send(encode_check(item), delay_seconds=self.recheck_seconds)
            return True
        self._finish(job, record, item.execution_id, state, key, message)
        return True

    def _finish(self, job: AskJob, record: dict[str, Any], execution_id: str,
                state: QueryState | None, key: str, message: QueueMessage) -> None:
        prepared = Prepared.from_dict(record["prepared"])
        executor: AsyncExecutor = self.engine.executor  # type: ignore[assignment]

        def step() -> dict[str, Any]:
            if state is None:
                answer = self._error(job, TIMEOUT_MESSAGE.format(seconds=self.query_timeout_seconds), prepared)
            elif state.state == "SUCCEEDED":
                with self.observer.stage("fetch"):
                    table, download = executor.fetch(execution_id, job.principal, self.engine.answer_rows,
                                                     state.output_location)
                later = chart_later(self.poster, job.reply_to)
                with self.observer.stage("present"):
                    link = download if table.truncated else None
                    footer = " · ".join(part for part in (cost_footer(state), link_note(link)) if part)
                    answer = self.engine.present(prepared, table, footer=footer, charts=not later,
                                                 download_url=link)
                self._post(job, answer, state)
                if later:
                    self._post_chart(job, prepared, answer)
                return {"outcome": answer.status}
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

        self._run(key, step, message)
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
