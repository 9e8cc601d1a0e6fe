"""Queue -> worker -> reply target, with redelivery, poison messages and failures."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
import time
from pathlib import Path

import pytest

from adapters.local.sqlite_queue import SQLiteQueue
from adapters.local.sqlite_store import SQLiteIdempotency
from bot.bootstrap import LocalApp
from engine.domain import LOCAL_ANALYST, Answer, ReplyTarget
from engine.jobs import AskJob, JobFormatError, decode_job, encode_job
from engine.ports import Lease, QueueMessage
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


def test_local_idempotency_keeps_the_lease_contract(tmp_path: Path) -> None:
    from tests.lease_contract import check_runner_contract

    check_runner_contract(lambda: SQLiteIdempotency(tmp_path / "s.sqlite"))


class SpyRunner(SQLiteIdempotency):
    """The SQLite runner, recording the leases it is given."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.leases: list[tuple[str, float]] = []

    def run(self, key, step, lease):  # noqa: ANN001, ANN201
        self.leases.append((key, lease.until))
        return super().run(key, step, lease)


def test_a_lease_ends_before_its_message_can_be_redelivered(app: LocalApp, tmp_path: Path) -> None:
    queue = SQLiteQueue(tmp_path / "state.sqlite", visibility_timeout=30, max_receives=3)
    runner = SpyRunner(tmp_path / "state.sqlite")
    worker = Worker(queue, app.engine, RecordingPoster(), runner, default_as_of=dt.date(2025, 6, 15),
                    visibility_timeout=30)
    queue.send(encode_job(ask_job("orders by channel in 2024")))
    received_by = time.time() + 30
    worker.run_once()
    [(key, until)] = runner.leases
    assert key.startswith("ask#") and received_by - 3.1 < until < received_by


def test_a_long_step_keeps_its_message_and_its_lease(app: LocalApp, tmp_path: Path) -> None:
    queue = SQLiteQueue(tmp_path / "state.sqlite", visibility_timeout=1, max_receives=3)
    release = threading.Event()
    seen: dict[str, object] = {}

    class SlowPoster(RecordingPoster):
        def post(self, target: ReplyTarget, answer: Answer) -> None:
            time.sleep(2.5)  # longer than two visibility timeouts
            other = SQLiteQueue(tmp_path / "state.sqlite", visibility_timeout=1, max_receives=3)
            seen["redelivered"] = other.receive()  # hidden still: the heartbeat renewed it
            release.set()
            super().post(target, answer)

    poster = SlowPoster()
    worker = Worker(queue, app.engine, poster, SQLiteIdempotency(tmp_path / "state.sqlite"),
                    default_as_of=dt.date(2025, 6, 15), visibility_timeout=1)
    job = ask_job("orders by channel in 2024")
    queue.send(encode_job(job))
    worker.run_once()
    assert release.is_set() and seen["redelivered"] == []
    assert len(poster.posts) == 1 and queue.counts() == {"jobs": 0, "jobs-dlq": 0}


def test_a_copy_of_a_step_another_message_holds_is_dropped(app: LocalApp, queue: SQLiteQueue,
                                                            tmp_path: Path) -> None:
    runner = SQLiteIdempotency(tmp_path / "state.sqlite")
    worker = make_worker(app, queue, RecordingPoster(), tmp_path)
    job = ask_job("orders by channel in 2024")
    body = encode_job(job)
    held = Lease("other-host:1:abc", "message-1", time.time() + 30)

    def attempt(message_id: str) -> bool:
        return worker.handle(QueueMessage(message_id, "rh", body, 1))

    outcome: dict[str, bool] = {}
    runner.run(f"ask#{job.job_id}", lambda: outcome.update(
        copy=attempt("message-2"),  # another message for the same job: redundant while message-1 is held
        same=attempt("message-1"),  # message-1 itself delivered twice: retried later, never dropped
    ) or {}, held)
    assert outcome == {"copy": True, "same": False}


def test_the_last_receive_tells_the_user_unless_the_job_was_answered(app: LocalApp, tmp_path: Path) -> None:
    queue = SQLiteQueue(tmp_path / "state.sqlite", visibility_timeout=0, max_receives=3)
    poster = RecordingPoster()
    worker = make_worker(app, queue, poster, tmp_path)
    answered, lost = ask_job("orders by channel in 2024"), ask_job("revenue by category in 2024")
    queue.send(encode_job(answered))
    worker.run_once()  # answered, then (say) a crash before the delete: it comes back
    assert worker.handle(QueueMessage("m-a", "rh-a", encode_job(answered), 3)) is True
    # a job whose attempts all died without a trace (killed): the last receive only tells
    assert worker.handle(QueueMessage("m-l", "rh-l", encode_job(lost), 3)) is False
    assert worker.handle(QueueMessage("m-l", "rh-l2", encode_job(lost), 3)) is False  # told once
    statuses = [(a.question, a.status) for _, a in poster.posts]
    assert statuses == [("orders by channel in 2024", "answered"), ("revenue by category in 2024", "error")]
    notice = poster.posts[1][1]
    assert lost.job_id in notice.message and "after 2 attempts" in notice.message
    assert notice.answer_id == lost.job_id


def test_an_unreadable_job_with_a_reply_target_is_answered_once_then_dead_lettered(
        app: LocalApp, queue: SQLiteQueue, tmp_path: Path) -> None:
    poster = RecordingPoster()
    data = json.loads(encode_job(ask_job("orders in 2024")))
    data["version"], data["principal"] = 7, "not a principal"
    queue.send(json.dumps(data))
    queue.send(json.dumps({"type": "ask", "version": 1, "reply_to": {"platform": 3}}))  # nobody to tell
    worker = make_worker(app, queue, poster, tmp_path)
    for _ in range(5):
        worker.run_once()
    [(target, answer)] = poster.posts
    assert target == TARGET and answer.status == "error" and "couldn't read this request" in answer.message
    assert data["job_id"] in answer.message
    assert queue.counts() == {"jobs": 0, "jobs-dlq": 2}


def test_settings_refuse_a_queue_without_a_receive_kept_for_the_user() -> None:
    from bot.settings import Settings

    with pytest.raises(ValueError, match="ATHENA_BOT_MAX_RECEIVES must be at least 2"):
        Settings.from_env({"ATHENA_BOT_MAX_RECEIVES": "1"})
    with pytest.raises(ValueError, match="ATHENA_BOT_VISIBILITY_TIMEOUT must be a whole number"):
        Settings.from_env({"ATHENA_BOT_VISIBILITY_TIMEOUT": "soon"})
    settings = Settings.from_env({})
    assert (settings.visibility_timeout, settings.max_receives) == (60, 4)


class ChartLaterPoster(RecordingPoster):
    """A poster that adds the chart to the answer it already posted (Slack, Teams)."""

    def __init__(self, fail_charts: int = 0) -> None:
        super().__init__()
        self.charts: list[tuple[ReplyTarget, Answer]] = []
        self.events: list[str] = []
        self.fail_charts = fail_charts

    def post(self, target: ReplyTarget, answer: Answer) -> None:
        super().post(target, dataclasses.replace(answer))  # as it was when posted
        self.events.append("text" if answer.chart_png is None else "text+chart")

    def post_chart(self, target: ReplyTarget, answer: Answer) -> None:
        if self.fail_charts > 0:
            self.fail_charts -= 1
            raise ConnectionError("upload failed")
        self.charts.append((target, answer))
        self.events.append("chart")


def test_the_text_is_posted_before_the_chart_is_drawn(app: LocalApp, queue: SQLiteQueue, tmp_path: Path) -> None:
    poster = ChartLaterPoster()
    queue.send(encode_job(ask_job("revenue by category in 2024")))
    make_worker(app, queue, poster, tmp_path).run_once()
    assert poster.events == ["text", "chart"]
    [(_, text)] = poster.posts
    [(_, charted)] = poster.charts
    assert text.chart_png is None and text.table.row_count == 6  # the number first
    assert charted.chart_png.startswith(b"\x89PNG") and charted.answer_id == text.answer_id
    # a plain poster still gets one post with its chart
    plain = RecordingPoster()
    queue.send(encode_job(ask_job("revenue by category in 2023")))
    make_worker(app, queue, plain, tmp_path).run_once()
    [(_, answer)] = plain.posts
    assert answer.chart_png.startswith(b"\x89PNG")


def test_no_chart_call_for_answers_without_a_chart(app: LocalApp, queue: SQLiteQueue, tmp_path: Path) -> None:
    poster = ChartLaterPoster()
    for question in ("revenue in 2024", "drop table sales.orders", "show the 5 most recent orders"):
        queue.send(encode_job(ask_job(question)))
    make_worker(app, queue, poster, tmp_path).run_once()
    assert poster.events == ["text", "text", "text"] and poster.charts == []


def test_a_step_cut_off_between_text_and_chart_posts_both_again_into_the_same_answer(
        app: LocalApp, queue: SQLiteQueue, tmp_path: Path) -> None:
    poster = ChartLaterPoster()
    queue.send(encode_job(ask_job("revenue by category in 2024")))

    def die_after_text(point: str, job_id: str) -> None:
        if point == "posted" and not poster.charts and len(poster.posts) == 1:
            raise ConnectionError("worker killed after the text")

    worker = Worker(queue, app.engine, poster, SQLiteIdempotency(tmp_path / "state.sqlite"), max_receives=3,
                    default_as_of=dt.date(2025, 6, 15), visibility_timeout=0, checkpoint=die_after_text)
    worker.run_once()  # the text went out, then the worker died: the step is not recorded
    worker.run_once()  # redelivered: the same answer again (posters update its one message), then the chart
    assert poster.events == ["text", "text", "chart"]
    assert len({a.answer_id for _, a in poster.posts + poster.charts}) == 1
    worker.run_once()
    assert poster.events == ["text", "text", "chart"] and queue.counts()["jobs"] == 0  # done once done


def test_a_chart_that_cannot_be_posted_leaves_the_answer_standing(app: LocalApp, queue: SQLiteQueue,
                                                                   tmp_path: Path) -> None:
    poster = ChartLaterPoster(fail_charts=5)
    queue.send(encode_job(ask_job("revenue by category in 2024")))
    worker = make_worker(app, queue, poster, tmp_path)
    worker.run_once()
    worker.run_once()
    assert poster.events == ["text"] and [a.status for _, a in poster.posts] == ["answered"]
    assert queue.counts() == {"jobs": 0, "jobs-dlq": 0}  # answered: not retried into a failure notice
