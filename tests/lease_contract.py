"""The IdempotentRunner contract, checked against each implementation (SQLite here, DynamoDB on moto)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from engine.ports import AlreadyInProgress, IdempotentRunner, Lease


def lease(worker: str = "w1", message: str = "m1", seconds: float = 30) -> Lease:
    return Lease(worker, message, time.time() + seconds)


def check_runner_contract(make: Callable[[], IdempotentRunner]) -> None:
    runner, other = make(), make()  # two workers on the same state
    calls: list[int] = []
    assert runner.run("k", lambda: calls.append(1) or {"n": len(calls)}, lease()) == {"n": 1}
    assert other.run("k", lambda: calls.append(1) or {"n": len(calls)}, lease("w2")) == {"n": 1}  # stored
    assert calls == [1]

    def boom() -> dict:
        raise ValueError("transient")

    with pytest.raises(ValueError):
        runner.run("j", boom, lease())
    assert other.run("j", lambda: {"ok": True}, lease("w2")) == {"ok": True}  # a failed step runs again

    # a live lease of another holder: refused, naming the holder and its message
    with pytest.raises(AlreadyInProgress) as busy:
        runner.run("busy", lambda: other.run("busy", lambda: {}, lease("w2", "m2")), lease("w1", "m1"))
    assert busy.value.owner == "w1/m1" and busy.value.message_id == "m1" and busy.value.until > time.time()

    # a holder that stops renewing (hung, or killed: nothing releases its lease) is taken over once
    # its lease has run out; the step then counts as done with the taker's result
    hung, resume = threading.Event(), threading.Event()

    def stuck() -> dict:
        hung.set()
        resume.wait(10)
        return {"by": "stuck"}

    holder = threading.Thread(target=runner.run, args=("orphan", stuck, lease("dead", "m1", seconds=0.5)))
    holder.start()
    hung.wait(5)
    with pytest.raises(AlreadyInProgress):
        other.run("orphan", lambda: {"by": "w2"}, lease("w2", "m1"))  # still live
    time.sleep(0.6)
    assert other.run("orphan", lambda: {"by": "w2"}, lease("w2", "m1")) == {"by": "w2"}
    assert runner.extend("orphan", lease("dead", "m1")) is False  # the old holder's lease is gone
    resume.set()
    holder.join(5)

    # renewal: only the holder can extend, and only while the step runs
    seen: dict[str, bool] = {}

    def long_step() -> dict:
        seen["mine"] = runner.extend("long", Lease("w1", "m9", time.time() + 30))
        seen["theirs"] = other.extend("long", Lease("w2", "m9", time.time() + 30))
        time.sleep(0.6)  # past the first expiry: the renewal keeps it
        with pytest.raises(AlreadyInProgress):
            other.run("long", lambda: {}, lease("w2", "m8"))
        return {}

    runner.run("long", long_step, Lease("w1", "m9", time.time() + 0.5))
    assert seen == {"mine": True, "theirs": False}
    assert runner.extend("long", lease("w1", "m9")) is False  # done: nothing to renew
