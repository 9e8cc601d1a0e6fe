"""AWS path benchmarks on loopback (moto + the fake Athena over DuckDB; no network beyond 127.0.0.1).

- fetching a 100k-row result the way the worker does (GetQueryExecution, GetQueryResults with
  MaxResults=1 for column types, one S3 GetObject of the result CSV) versus paging
  GetQueryResults 1000 rows at a time: API calls and seconds;
- worker throughput through SQS: AskJob -> start query -> state-change event -> answer.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import boto3

from adapters.aws.athena import AthenaExecutor
from bot.aws_settings import AwsSettings
from bot.bootstrap import build_aws
from bot.settings import Settings
from engine.domain import LOCAL_ANALYST, ReplyTarget
from engine.jobs import AskJob, encode_job
from tests.aws.fake_athena import FakeAthena, eventbridge_event
from tests.aws.loopback import (aws_env, bot_env, create_identity_store, create_queue_pair, make_tables,
                                register_glue, start_moto)

ROLE = "arn:aws:iam::123456789012:role/bench"
FETCH_SQL = ("SELECT order_id, line_number, product_id, quantity, unit_price, net_amount, month "
             "FROM sales.order_items LIMIT 100000")


class CallCounter:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, model, **_) -> None:  # noqa: ANN001
        self.calls.append(f"{model.service_model.service_name}.{model.name}")

    def watch(self, client) -> None:  # noqa: ANN001
        client.meta.events.register("before-call.*.*", lambda model, **kw: self(model))


def page_everything(athena, execution_id: str) -> int:  # noqa: ANN001
    rows = 0
    for page in athena.get_paginator("get_query_results").paginate(
            QueryExecutionId=execution_id, PaginationConfig={"PageSize": 1000}):
        rows += len(page["ResultSet"]["Rows"])
    return rows - 1  # the header row


def bench_fetch(fake: FakeAthena, rounds: int) -> None:
    session = boto3.Session()
    counter = CallCounter()
    clients = {s: session.client(s) for s in ("athena", "s3")}
    for client in clients.values():
        counter.watch(client)

    executor = AthenaExecutor(lambda _p, service: clients[service], workgroup="analytics",
                              database="sales", reuse_max_age_minutes=0)
    execution_id = executor.start(FETCH_SQL, LOCAL_ANALYST, uuid.uuid4().hex)
    fake.finish(execution_id)
    worker_times, paging_times = [], []
    for _ in range(rounds):
        state = executor.status(execution_id, LOCAL_ANALYST)  # the worker has this from the event check
        counter.calls.clear()
        started = time.perf_counter()
        table, _ = executor.fetch(execution_id, LOCAL_ANALYST, 200_000, state.output_location)
        worker_times.append(time.perf_counter() - started)
        worker_calls = len(counter.calls)
        assert table.row_count == 100_000
        counter.calls.clear()
        started = time.perf_counter()
        assert page_everything(clients["athena"], execution_id) == 100_000
        paging_times.append(time.perf_counter() - started)
        paging_calls = len(counter.calls)
    print(f"{'fetch 100k rows: S3 GetObject (worker)':44} {worker_calls:4} API calls  "
          f"median {statistics.median(worker_times):6.2f} s")
    print(f"{'fetch 100k rows: paging GetQueryResults':44} {paging_calls:4} API calls  "
          f"median {statistics.median(paging_times):6.2f} s")


class _CountingPoster:
    def __init__(self) -> None:
        self.count = 0

    def post(self, target, answer) -> None:  # noqa: ANN001
        assert answer.status == "answered", answer.message
        self.count += 1


def bench_worker(fake: FakeAthena, lake: Path, jobs: int) -> None:
    suffix = uuid.uuid4().hex[:8]
    sqs = boto3.client("sqs")
    queue_url, _ = create_queue_pair(sqs, suffix)
    store = create_identity_store({"bench@example.com": ["Data Analysts"]}, store_id=f"d-{suffix}")
    env = bot_env(queue_url, make_tables(suffix), register_glue(lake), store,
                  {"Data Analysts": {"role_arn": ROLE, "tables": ["*"]}}, None)
    with tempfile.TemporaryDirectory() as home:
        settings = Settings.from_env({"ATHENA_BOT_HOME": home, "ATHENA_BOT_LAKE": str(lake)})
        poster = _CountingPoster()
        app = build_aws(settings, AwsSettings.from_env(env), default_poster=poster)
        app.worker.visibility_timeout = 30
        fake.auto_finish = True
        fake.on_state_change = lambda e: sqs.send_message(QueueUrl=queue_url, MessageBody=eventbridge_event(e))
        principal = app.identity.resolve("bench", "u", "bench@example.com")
        questions = ["orders by channel in 2024", "tickets by priority in 2025", "orders in Q1 2025",
                     "tickets by topic in 2024", "orders by channel in 2025"]
        for i in range(jobs):  # distinct questions per job so result reuse does not flatter the figure
            question = f"{questions[i % len(questions)]}"
            job = AskJob(question, principal, ReplyTarget("bench", "c", str(i)),
                         as_of=(dt.date(2025, 12, 31) - dt.timedelta(days=i)).isoformat())
            app.queue.send(encode_job(job))
        started = time.perf_counter()
        while poster.count < jobs and time.perf_counter() - started < 300:
            app.worker.run_once(wait_seconds=1)
        elapsed = time.perf_counter() - started
        fake.auto_finish = False
        fake.on_state_change = None
    print(f"{'AWS worker on loopback (SQS+Athena events)':44} {jobs / elapsed:6.1f} jobs/s  "
          f"({jobs} jobs in {elapsed:.1f} s, 1 worker)")


def run(lake: Path, rounds: int = 3, jobs: int = 30) -> None:
    server, url = start_moto()
    saved = dict(os.environ)
    os.environ.update(aws_env(url))
    os.environ.update(POWERTOOLS_LOG_LEVEL="ERROR", POWERTOOLS_METRICS_DISABLED="true")
    try:
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="athena-results")
        fake = FakeAthena(lake, s3, workgroups={"analytics": {"output": "s3://athena-results/q/"}}).start()
        os.environ["AWS_ENDPOINT_URL_ATHENA"] = fake.endpoint
        bench_fetch(fake, rounds)
        bench_worker(fake, lake, jobs)
        fake.stop()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stop()
