"""The worker's heartbeat: the messages in hand stay invisible, and the step being run keeps its lease.

A worker receives a message with the visibility timeout V and takes each step's lease only up to
shortly before the message would be handed out again. While it works, a background thread renews
both every V/3: first the message's visibility (the queue decides redelivery), then, only if that
worked, the step's lease up to the new visibility. So a lease never outlives its message's
visibility, and a long step keeps both. A crashed, killed or hung worker renews nothing: its
message comes back after at most V, its lease has expired by then, and the next worker takes the
step over. "Dead" therefore means "stopped renewing", which is the same test on one host and
across hosts, and needs no process table or clock of the holder.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from engine.ports import IdempotentRunner, Lease, Queue, QueueMessage

log = logging.getLogger(__name__)

MAX_MARGIN_SECONDS = 2.0  # a lease ends this much (or a tenth of V) before its message is visible


class Heartbeat:
    """Renews the visibility of held messages and the leases of their running steps."""

    def __init__(self, queue: Queue, runner: IdempotentRunner, visibility_timeout: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.queue = queue
        self.runner = runner
        self.visibility_timeout = visibility_timeout
        self.clock = clock
        self._held: dict[str, QueueMessage] = {}  # by receipt handle
        self._steps: dict[str, tuple[str, Lease]] = {}  # key -> (receipt handle, lease)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def interval(self) -> float:
        return self.visibility_timeout / 3

    @property
    def margin(self) -> float:
        """How much earlier than its message's visibility a lease ends (room for clock differences)."""
        return min(MAX_MARGIN_SECONDS, self.visibility_timeout / 10)

    def lease_until(self, message: QueueMessage) -> float:
        """When a lease for this message must end: before the queue can hand the message out again."""
        visible_until = message.visible_until or self.clock() + self.visibility_timeout
        return visible_until - self.margin

    def hold(self, messages: list[QueueMessage]) -> None:
        """Keep these messages invisible until released (a batch being worked through)."""
        with self._lock:
            for message in messages:
                self._held[message.receipt_handle] = message
        if messages and self.visibility_timeout >= 1 and self._thread is None:
            self._thread = threading.Thread(target=self._beat, name="worker-heartbeat", daemon=True)
            self._thread.start()

    def release(self, message: QueueMessage) -> None:
        """Stop renewing a message (it is finished, or left for the queue to redeliver)."""
        with self._lock:
            self._held.pop(message.receipt_handle, None)

    @contextmanager
    def step(self, key: str, lease: Lease, message: QueueMessage) -> Iterator[None]:
        """While inside, the lease of step ``key`` is renewed together with ``message``'s visibility."""
        with self._lock:
            self._steps[key] = (message.receipt_handle, lease)
        try:
            yield
        finally:
            with self._lock:
                self._steps.pop(key, None)

    def stop(self) -> None:
        self._wake.set()

    def beat(self) -> None:
        """One renewal: each held message's visibility, then the leases of its running steps."""
        with self._lock:
            for receipt, message in list(self._held.items()):
                started = self.clock()
                try:
                    self.queue.change_visibility(receipt, int(self.visibility_timeout))
                except Exception as err:  # noqa: BLE001 - the lease then simply runs out with the message
                    log.warning("could not extend message %s: %s", message.message_id, err)
                    continue
                message.visible_until = started + self.visibility_timeout
                for key, (held_receipt, lease) in list(self._steps.items()):
                    if held_receipt != receipt:
                        continue
                    renewed = Lease(lease.worker, lease.message_id, self.lease_until(message))
                    try:
                        kept = self.runner.extend(key, renewed)
                    except Exception as err:  # noqa: BLE001 - retried on the next beat
                        log.warning("could not extend the lease of %s: %s", key, err)
                        continue
                    if kept:
                        self._steps[key] = (receipt, renewed)
                    else:  # it just finished, or its lease ran out and another worker took it over
                        log.info("the lease of %s is no longer this worker's to renew", key)

    def _beat(self) -> None:
        while not self._wake.wait(self.interval):
            self.beat()
