"""The local scheduler: finds due digests in the store and enqueues one DigestJob each.

It runs as a loop beside the worker in `serve slack`, `serve teams` and `worker` (on AWS,
EventBridge Scheduler fires the same jobs instead). A digest whose runs were missed while nothing
was running runs once, for its latest slot, not once per missed slot. The job is sent before the
digest's next run is moved on, so a crash in between sends the same job again on the next tick,
which the worker runs once (its id is uuid5(digest, slot)); two schedulers racing do the same.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from engine.digests.model import now_utc
from engine.digests.schedule import iso_utc
from engine.digests.service import DigestService
from engine.jobs import DigestJob, encode_digest_job
from engine.ports import Queue

log = logging.getLogger(__name__)

TICK_SECONDS = 15.0


class LocalScheduler:
    def __init__(self, service: DigestService, queue: Queue, batch: int = 500) -> None:
        self.service = service
        self.store = service.store
        self.queue = queue
        self.batch = batch

    def tick(self, now: dt.datetime | None = None) -> list[DigestJob]:
        """Enqueue what is due at ``now`` (default: the clock) once; returns the jobs sent."""
        now = now or now_utc(self.service.clock)
        sent: list[DigestJob] = []
        while True:
            due = self.store.due(now, self.batch)
            moved = 0
            for digest in due:
                job = DigestJob(digest.digest_id, iso_utc(digest.schedule.latest_at_or_before(now)))
                self.queue.send(encode_digest_job(job))
                if digest.next_run and self.store.advance(digest.digest_id, digest.next_run,
                                                          digest.next_run_after(now)):
                    moved += 1
                    sent.append(job)
            if len(due) < self.batch or not moved:
                break
        if sent:
            log.info("scheduler: %d digest run(s) due at %s enqueued", len(sent), iso_utc(now))
        return sent


def run_in_thread(scheduler: LocalScheduler, stop: threading.Event, interval: float = TICK_SECONDS) -> threading.Thread:
    def loop() -> None:
        while not stop.is_set():
            try:
                scheduler.tick()
            except Exception:  # noqa: BLE001 - the next tick tries again
                log.exception("scheduler tick failed")
            stop.wait(interval)

    thread = threading.Thread(target=loop, name="digest-scheduler", daemon=True)
    thread.start()
    return thread
