"""The session inbox: Answers as JSON (types kept, cut to fit), the SQLite store's inbox, and the
worker's WebPoster delivering answers and failures to it."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal
from pathlib import Path

from adapters.local.sqlite_store import SQLiteConversationStore
from adapters.web.inbox import decode_answer, encode_answer
from adapters.web.poster import WebPoster, web_target
from bot.bootstrap import local_worker
from bot.settings import Settings
from engine.domain import LOCAL_ANALYST, Answer, ReplyTarget, ResultTable
from engine.jobs import AskJob, encode_job


def sample_answer(rows: int = 3, chart: bytes | None = b"\x89PNG fake chart") -> Answer:
    table = ResultTable(["day", "at", "revenue", "orders", "store"], ["date", "timestamp", "decimal(12,2)", "bigint",
                                                                      "varchar"],
                        [(dt.date(2024, 1, 1 + i % 28), dt.datetime(2024, 1, 1, 9, 30), Decimal("12.34") + i, i, None)
                         for i in range(rows)])
    return Answer(status="answered", question="revenue by day", message="Revenue by day: $1.2K.", sql="SELECT 1",
                  table=table, chart_png=chart, chart_kind="line", column_labels={"revenue": "Revenue"},
                  column_formats={"revenue": "currency"}, footer="Data scanned: 1.0 MB", elapsed_ms=12.5)


def test_an_answer_survives_the_inbox_with_its_types() -> None:
    answer = sample_answer()
    payload = json.loads(json.dumps(encode_answer(answer)))  # as any store keeps it
    back, cut = decode_answer(payload)
    assert cut == 0 and back == answer  # dates, timestamps, decimals, None, the chart bytes


def test_a_large_answer_is_cut_to_fit_a_dynamodb_item_keeping_its_chart() -> None:
    answer = sample_answer(rows=20_000)
    payload = encode_answer(answer, max_chars=200_000)
    assert len(json.dumps(payload)) <= 200_000
    back, cut = decode_answer(payload)
    assert back.chart_png == answer.chart_png and back.table is not None
    assert cut > 0 and len(back.table.rows) + cut == 20_000
    assert back.table.rows == answer.table.rows[:len(back.table.rows)]
    tiny = encode_answer(sample_answer(rows=5, chart=b"x" * 5000), max_chars=3000)
    assert len(json.dumps(tiny)) <= 3000 and tiny["chart_png"] is None  # then the chart goes


def test_the_sqlite_inbox_keeps_items_per_session_and_expires_them(tmp_path: Path) -> None:
    store = SQLiteConversationStore(tmp_path / "state.sqlite", ttl_seconds=3600)
    store.deliver("s1", "a", {"n": 1})
    store.deliver("s1", "a", {"n": 2})  # a redelivery replaces
    assert store.collect("s1", "a") == {"n": 2}
    assert store.collect("s2", "a") is None and store.collect("s1", "b") is None
    other = SQLiteConversationStore(tmp_path / "state.sqlite", ttl_seconds=0)  # another process, shorter TTL
    assert other.collect("s1", "a") is None


def test_the_local_worker_delivers_web_answers_and_failures_to_the_inbox(settings: Settings, app,  # noqa: ANN001
                                                                         tmp_path: Path) -> None:
    from adapters.local.sqlite_queue import SQLiteQueue

    state = tmp_path / "state.sqlite"
    conversations = SQLiteConversationStore(state)
    engine = app.engine
    saved = engine.conversations
    engine.conversations = conversations
    try:
        queue = SQLiteQueue(state, max_receives=settings.max_receives)
        worker = local_worker(settings, engine, queue)
        worker.visibility_timeout = 1  # a failed attempt comes back a second later
        job = AskJob("orders in 2024", LOCAL_ANALYST, web_target("s1", "i1", "web:s1:1"), as_of="2025-06-15",
                     conversation_id="web:s1:1")
        queue.send(encode_job(job))
        broken = AskJob("orders in 2024", LOCAL_ANALYST, web_target("s1", "i2", "web:s1:1"), as_of="not-a-date")
        queue.send(encode_job(broken))
        deadline = time.monotonic() + 30
        while conversations.collect("s1", "i2") is None and time.monotonic() < deadline:
            worker.run_once(wait_seconds=1.5)
        answer, _ = decode_answer(conversations.collect("s1", "i1"))
        assert answer.status == "answered" and answer.message.startswith("Orders (all statuses), 1 Jan 2024")
        failure, _ = decode_answer(conversations.collect("s1", "i2"))  # the last attempt tells the user
        assert failure.status == "error" and "something went wrong on my side" in failure.message
    finally:
        engine.conversations = saved


def test_a_web_target_without_an_item_is_dropped_not_retried(tmp_path: Path) -> None:
    store = SQLiteConversationStore(tmp_path / "state.sqlite")
    WebPoster(store).post(ReplyTarget("web", "s1", "web:s1:1"), sample_answer())  # logs, does not raise
    assert store.collect("s1", "") is None
