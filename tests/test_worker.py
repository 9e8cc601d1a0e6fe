"""Queue -> worker -> reply target, with redelivery, poison messages and failures."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from adapters.local.sqlite_queue import SQLiteQueue
from adapters.local.sqlite_store import SQLiteIdempotency
from bot.bootstrap import LocalApp
from engine.domain import LOCAL_ANALYST, Answer, ReplyTarget
from engine.jobs import AskJob, JobFormatError, decode_job, encode_job
from engine.worker import Worker

TARGET = ReplyTarget("test", "#analytics", "1700000000.000100")


class RecordingPoster:
    def __init__(self, fail_times: int = 0) -> None:
        self.posts: list[tuple[ReplyTarget, Answer]] = []
        self.fail_times = fail_times

    def post(self, target: ReplyTarget, answer: Answer) -> None:
        if self.fail_times > 0:
            self.fail_times -= 1
            raise ConnectionError("chat API down")
        self.posts.append((target, answer))


@pytest.fixture()
def queue(tmp_path: Path) -> SQLiteQueue:
    return SQLiteQueue(tmp_path / "state.sqlite", visibility_timeout=0, max_receives=3)


def make_worker(app: LocalApp, queue: SQLiteQueue, poster: RecordingPoster, tmp_path: Path) -> Worker:
    return Worker(queue, app.engine, poster, SQLiteIdempotency(tmp_path / "state.sqlite"),
                  max_receives=3, default_as_of=dt.date(2025, 6, 15), visibility_timeout=0)


def ask_job(question: str, **kw) -> AskJob:  # noqa: ANN003
    return AskJob(question=question, principal=LOCAL_ANALYST, reply_to=TARGET, **kw)


def test_job_round_trips_as_versioned_json() -> None:
    job = ask_job("revenue by customer region", as_of="2025-06-15", conversation_id="c1")
    data = json.loads(encode_job(job))
    assert data["type"] == "ask" and data["version"] == 1 and data["job_id"] == job.job_id
    assert decode_job(encode_job(job)) == job
    for bad in ("not json", '{"type": "ask", "version": 99}', '{"type": "other", "version": 1}', "[]"):
        with pytest.raises(JobFormatError):
            decode_job(bad)


def test_answer_reaches_the_thread_and_message_is_deleted(app: LocalApp, queue: SQLiteQueue,
                                                          tmp_path: Path) -> None:
    poster = RecordingPoster()
    queue.send(encode_job(ask_job("revenue by category in 2024")))
    make_worker(app, queue, poster, tmp_path).run_once()
    [(target, answer)] = poster.posts
    assert target == TARGET and answer.status == "answered"
    assert answer.table.row_count == 6 and answer.chart_png.startswith(b"\x89PNG")
    assert queue.counts() == {"jobs": 0, "jobs-dlq": 0}


def test_refusals_and_clarifications_are_answers_too(app: LocalApp, queue: SQLiteQueue,
                                                     tmp_path: Path) -> None:
    poster = RecordingPoster()
    queue.send(encode_job(ask_job("drop table sales.orders")))
    queue.send(encode_job(ask_job("what is the meaning of life")))
    worker = make_worker(app, queue, poster, tmp_path)
    worker.run_once()
    assert [a.status for _, a in poster.posts] == ["refused", "clarify"]
    assert all(a.message for _, a in poster.posts)
    assert queue.counts()["jobs"] == 0


def test_redelivered_job_is_answered_once(app: LocalApp, queue: SQLiteQueue, tmp_path: Path) -> None:
    poster = RecordingPoster()
    body = encode_job(ask_job("orders last month"))
    queue.send(body)
    queue.send(body)  # at-least-once delivery: the same job twice
    worker = make_worker(app, queue, poster, tmp_path)
    worker.run_once()
    worker.run_once()
    assert len(poster.posts) == 1
    assert queue.counts()["jobs"] == 0


def test_transient_failure_is_retried(app: LocalApp, queue: SQLiteQueue, tmp_path: Path) -> None:
    poster = RecordingPoster(fail_times=1)
    queue.send(encode_job(ask_job("orders last month")))
    worker = make_worker(app, queue, poster, tmp_path)
    worker.run_once()
    assert poster.posts == [] and queue.counts()["jobs"] == 1
    worker.run_once()
    assert len(poster.posts) == 1 and poster.posts[0][1].status == "answered"
    assert queue.counts()["jobs"] == 0


def test_poison_job_tells_the_user_then_goes_to_dead_letter_queue(app: LocalApp, queue: SQLiteQueue,
                                                                    tmp_path: Path, monkeypatch) -> None:
    poster = RecordingPoster()
    job = ask_job("orders last month")
    queue.send(encode_job(job))

    def explode(*args, **kwargs):  # noqa: ANN002, ANN003
        raise RuntimeError("executor crashed")

    worker = make_worker(app, queue, poster, tmp_path)
    monkeypatch.setattr(worker.engine, "prepare", explode)
    for _ in range(4):
        worker.run_once()
    [(target, answer)] = poster.posts
    assert target == TARGET and answer.status == "error"
    assert job.job_id in answer.message and "couldn't answer" in answer.message
    assert queue.counts() == {"jobs": 0, "jobs-dlq": 1}


def test_undecodable_message_ends_in_dead_letter_queue(app: LocalApp, queue: SQLiteQueue,
                                                         tmp_path: Path) -> None:
    queue.send("{not json")
    worker = make_worker(app, queue, RecordingPoster(), tmp_path)
    for _ in range(4):
        worker.run_once()
    assert queue.counts() == {"jobs": 0, "jobs-dlq": 1}


def test_follow_up_in_thread_uses_conversation(app: LocalApp, queue: SQLiteQueue, tmp_path: Path) -> None:
    poster = RecordingPoster()
    worker = make_worker(app, queue, poster, tmp_path)
    queue.send(encode_job(ask_job("revenue by customer region in 2024", conversation_id="thread-9")))
    worker.run_once()
    queue.send(encode_job(ask_job("and for 2023?", conversation_id="thread-9")))
    worker.run_once()
    first, second = (a for _, a in poster.posts)
    assert second.status == "answered" and "2023" in second.message and "region" in second.message
    assert first.table.rows != second.table.rows


def test_local_idempotency_runs_a_step_once(tmp_path: Path) -> None:
    from engine.ports import AlreadyInProgress

    runner = SQLiteIdempotency(tmp_path / "s.sqlite")
    calls: list[int] = []
    assert runner.run("k", lambda: calls.append(1) or {"n": len(calls)}) == {"n": 1}
    assert runner.run("k", lambda: calls.append(1) or {"n": len(calls)}) == {"n": 1}  # stored result
    assert calls == [1]

    def boom() -> dict:
        raise ValueError("transient")

    with pytest.raises(ValueError):
        runner.run("j", boom)
    assert runner.run("j", lambda: {"ok": True}) == {"ok": True}  # a failed step can run again

    other = SQLiteIdempotency(tmp_path / "s.sqlite")
    with pytest.raises(AlreadyInProgress):
        runner.run("busy", lambda: other.run("busy", lambda: {}))
