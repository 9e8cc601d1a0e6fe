"""The worker: takes AskJobs from the queue and delivers an Answer for each to its reply target."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from engine.domain import Answer
from engine.jobs import JobFormatError, decode_job
from engine.ports import ProcessedJobs, Queue, QueueMessage, ReplyPoster
from engine.service import QueryEngine

log = logging.getLogger(__name__)

FAILED_MESSAGE = ("Sorry, I couldn't answer this question: something went wrong on my side "
                  "after {attempts} attempts (reference {job_id}). Please try again later.")


class Worker:
    """Processes job messages. A message is deleted only once its answer has been posted."""

    def __init__(self, queue: Queue, engine: QueryEngine, poster: ReplyPoster,
                 processed: ProcessedJobs, *, max_receives: int = 3,
                 default_as_of: dt.date | None = None, visibility_timeout: int = 120) -> None:
        self.queue = queue
        self.engine = engine
        self.poster = poster
        self.processed = processed
        self.max_receives = max_receives
        self.default_as_of = default_as_of
        self.visibility_timeout = visibility_timeout

    def handle(self, message: QueueMessage) -> bool:
        """Process one message; True when it is finished (answered, or a duplicate)."""
        try:
            job = decode_job(message.body)
        except JobFormatError as err:
            # Nobody to reply to: leave it, so it ends in the dead-letter queue for a person to see.
            log.error("undecodable message %s: %s", message.message_id, err)
            return False
        if not self.processed.claim(job.job_id):
            log.info("job %s already answered; dropping the redelivery", job.job_id)
            self.queue.delete(message.receipt_handle)
            return True
        try:
            as_of = dt.date.fromisoformat(job.as_of) if job.as_of else self.default_as_of
            answer = self.engine.ask(job.question, job.principal, as_of, job.conversation_id)
            self.poster.post(job.reply_to, answer)
        except Exception:  # noqa: BLE001 - any failure is retried, and reported on the last attempt
            log.exception("job %s failed (attempt %d)", job.job_id, message.receive_count)
            self.processed.release(job.job_id)
            if message.receive_count >= self.max_receives:
                self._report_failure(job, message)
            return False
        self.processed.finish(job.job_id)
        self.queue.delete(message.receipt_handle)
        return True

    def _report_failure(self, job, message: QueueMessage) -> None:  # noqa: ANN001
        answer = Answer(status="error", question=job.question,
                        message=FAILED_MESSAGE.format(attempts=message.receive_count, job_id=job.job_id))
        try:
            self.poster.post(job.reply_to, answer)
        except Exception:  # noqa: BLE001 - the message still goes to the dead-letter queue
            log.exception("could not tell the user that job %s failed", job.job_id)

    def run_once(self, wait_seconds: float = 0, max_messages: int = 10) -> int:
        """Receive one batch and process it; returns how many messages were received."""
        messages = self.queue.receive(max_messages=max_messages, wait_seconds=wait_seconds,
                                      visibility_timeout=self.visibility_timeout)
        for message in messages:
            self.handle(message)
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
