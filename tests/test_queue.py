"""The local durable queue behaves like SQS: visibility, receive counts, DLQ, delays, durability."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from adapters.local.sqlite_queue import SQLiteQueue


def test_send_receive_delete(tmp_path: Path) -> None:
    q = SQLiteQueue(tmp_path / "q.sqlite")
    q.send("a", attributes={"kind": "ask"})
    [m] = q.receive(max_messages=5)
    assert (m.body, m.receive_count, m.attributes) == ("a", 1, {"kind": "ask"})
    assert q.receive() == []  # hidden while in flight
    q.delete(m.receipt_handle)
    assert q.counts() == {"jobs": 0, "jobs-dlq": 0}


def test_visibility_timeout_redelivers_with_count(tmp_path: Path) -> None:
    q = SQLiteQueue(tmp_path / "q.sqlite", visibility_timeout=1)
    q.send("a")
    first = q.receive()[0]
    time.sleep(1.05)
    second = q.receive()[0]
    assert second.message_id == first.message_id and second.receive_count == 2
    q.delete(first.receipt_handle)  # a stale receipt deletes nothing
    assert q.counts()["jobs"] == 1
    q.delete(second.receipt_handle)
    assert q.counts()["jobs"] == 0


def test_change_visibility_returns_message_now(tmp_path: Path) -> None:
    q = SQLiteQueue(tmp_path / "q.sqlite", visibility_timeout=60)
    q.send("a")
    m = q.receive()[0]
    q.change_visibility(m.receipt_handle, 0)
    assert q.receive()[0].receive_count == 2


def test_dead_letter_after_max_receives(tmp_path: Path) -> None:
    q = SQLiteQueue(tmp_path / "q.sqlite", max_receives=2)
    q.send("poison")
    for _ in range(2):
        m = q.receive(visibility_timeout=0)[0]
        q.change_visibility(m.receipt_handle, 0)
    assert q.receive() == []
    assert q.counts() == {"jobs": 0, "jobs-dlq": 1}
    assert q.dead_letters() == ["poison"]


def test_delayed_message(tmp_path: Path) -> None:
    q = SQLiteQueue(tmp_path / "q.sqlite")
    q.send("later", delay_seconds=1)
    assert q.receive() == []
    assert [m.body for m in q.receive(wait_seconds=2)] == ["later"]


def test_long_poll_wakes_on_send(tmp_path: Path) -> None:
    q = SQLiteQueue(tmp_path / "q.sqlite")
    threading.Timer(0.2, lambda: q.send("x")).start()
    started = time.monotonic()
    got = q.receive(wait_seconds=5)
    assert [m.body for m in got] == ["x"] and time.monotonic() - started < 2


def test_durable_across_reopen_and_fifo_order(tmp_path: Path) -> None:
    q = SQLiteQueue(tmp_path / "q.sqlite")
    for body in ("1", "2", "3"):
        q.send(body)
    q.close()
    again = SQLiteQueue(tmp_path / "q.sqlite")
    assert [m.body for m in again.receive(max_messages=10)] == ["1", "2", "3"]


def test_two_consumers_never_get_the_same_message(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite"
    producer = SQLiteQueue(path)
    for i in range(200):
        producer.send(str(i))
    seen: list[str] = []
    lock = threading.Lock()

    def consume() -> None:
        q = SQLiteQueue(path)
        while batch := q.receive(max_messages=7):
            with lock:
                seen.extend(m.body for m in batch)
            for m in batch:
                q.delete(m.receipt_handle)

    threads = [threading.Thread(target=consume) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen, key=int) == [str(i) for i in range(200)]
