"""kill -9 of the AWS worker as a real process (`athena-bot worker` with ATHENA_BOT_BACKEND=aws) on
moto's SQS and DynamoDB, the fake Athena and a fake Slack, all on 127.0.0.1: through the
asynchronous steps (start the query, the state-change event or the delayed re-check, the answer),
every job is answered exactly once, each starts one query, and nothing is silent or doubled.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from bot.aws_settings import AwsSettings
from bot.bootstrap import build_aws
from bot.settings import Settings
from tests.aws.conftest import GROUP_ACCESS
from tests.aws.fake_athena import FakeAthena, eventbridge_event
from tests.aws.loopback import bot_env, create_queue_pair, make_tables
from tests.kill_rig import WorkerProcess, assert_all_answered_once, kill_then_finish, seed_jobs
from tests.slack.fake_slack import FakeSlack

VISIBILITY = 2
MAX_RECEIVES = 4
QUESTIONS = ["revenue by category in 2024", "orders by channel in 2024", "units sold by brand in 2025",
             "revenue by customer region in 2025", "orders by payment method in 2024"]


@pytest.fixture()
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture()
def athena(fake_athena: FakeAthena) -> Iterator[FakeAthena]:
    """Athena finishing each query shortly after it starts; every third state-change event is lost
    (the delayed re-check must answer those)."""
    fake_athena.executions.clear()
    fake_athena.fail_next = None
    fake_athena.workgroups = {"analytics": {"output": "s3://athena-results/queries/", "cutoff": None}}
    stop = threading.Event()

    def finish_queued() -> None:
        while not stop.wait(0.2):
            for execution in list(fake_athena.executions.values()):
                if execution.state == "QUEUED" and time.time() - execution.submitted > 0.3:
                    fake_athena.finish(execution.execution_id)

    finisher = threading.Thread(target=finish_queued, daemon=True)
    finisher.start()
    yield fake_athena
    stop.set()
    finisher.join(timeout=5)
    fake_athena.on_state_change = None


def test_kills_through_the_asynchronous_steps_lose_and_double_nothing(
        athena: FakeAthena, glue_catalog: list[str], identity_store: str, values_file: str,
        settings: Settings, fake_slack: FakeSlack, tmp_path: Path) -> None:
    sqs = boto3.client("sqs")
    queue_url, dlq_url = create_queue_pair(sqs, uuid.uuid4().hex[:8], max_receives=MAX_RECEIVES)
    tables = make_tables(uuid.uuid4().hex[:8])
    env_bot = bot_env(queue_url, tables, glue_catalog, identity_store, GROUP_ACCESS, values_file)
    events = {"n": 0}

    def route(execution) -> None:  # noqa: ANN001 - EventBridge: Athena state change -> the queue
        if execution.state in ("SUCCEEDED", "FAILED", "CANCELLED"):
            events["n"] += 1
            if events["n"] % 3:
                sqs.send_message(QueueUrl=queue_url, MessageBody=eventbridge_event(execution))

    athena.on_state_change = route
    app = build_aws(settings, AwsSettings.from_env(env_bot))
    principal = app.identity.resolve("slack", "U1", "ana@example.com")
    jobs = seed_jobs(fake_slack, app.queue.send, QUESTIONS, principal)
    env = {**os.environ, **env_bot, "ATHENA_BOT_BACKEND": "aws", "ATHENA_BOT_HOME": str(tmp_path),
           "ATHENA_BOT_VISIBILITY_TIMEOUT": str(VISIBILITY), "ATHENA_BOT_MAX_RECEIVES": str(MAX_RECEIVES),
           "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake_slack.url}
    for name in ("MICROSOFT_APP_ID", "ATHENA_BOT_TEST_PAUSE_AT"):
        env.pop(name, None)
    process = WorkerProcess(env, [sys.executable, "-m", "bot.cli", "worker", "--idle-exit", "4"])
    # the query started but not yet recorded as pending; a step's lease just taken (the second
    # step: an answer, or another start): each killed, restarted at once; then killed between
    # posting the answer and recording it, restarted once the lease has run out
    killed = kill_then_finish(process, ("started@1", "leased@2"), "posted@1", VISIBILITY)

    assert_all_answered_once(fake_slack, jobs, [killed["posted@1"]])  # its repeat: text again, then the chart
    tokens = [e.token for e in athena.started()]
    assert sorted(tokens) == sorted(s.job.job_id for s in jobs)  # one query per job, however often retried
    attributes = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                  "ApproximateNumberOfMessagesDelayed"]
    for url in (queue_url, dlq_url):
        counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=attributes)["Attributes"]
        assert sum(int(v) for v in counts.values()) == 0, (url, counts)
    assert boto3.client("dynamodb").scan(TableName=tables["pending"])["Items"] == []
    steps = boto3.client("dynamodb").scan(TableName=tables["idempotency"])["Items"]
    assert {i["status"]["S"] for i in steps} == {"done"}
