"""The AWS stack on loopback: moto's server for AWS APIs and a fake Athena running DuckDB.

Every client is real boto3 making signed HTTP requests to 127.0.0.1; nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from bot.aws_settings import AwsSettings
from bot.bootstrap import AwsApp, LocalApp, build_aws
from bot.settings import Settings
from engine.domain import LOCAL_ANALYST, Answer, ReplyTarget
from engine.values import lake_facts, values_file_body
from tests.aws.fake_athena import FakeAthena, eventbridge_event
from tests.aws.loopback import (aws_env as loopback_env, bot_env, create_identity_store, create_queue_pair,
                                make_tables, register_glue, start_moto)

ANALYST_ROLE = "arn:aws:iam::123456789012:role/athena-bot-analyst"
SUPPORT_ROLE = "arn:aws:iam::123456789012:role/athena-bot-support"
GROUP_ACCESS = {"Data Analysts": {"role_arn": ANALYST_ROLE, "tables": ["*"]},
                "Support": {"role_arn": SUPPORT_ROLE, "tables": ["support.tickets", "sales.customers"]}}


class RecordingPoster:
    def __init__(self) -> None:
        self.posts: list[tuple[ReplyTarget, Answer]] = []

    def post(self, target: ReplyTarget, answer: Answer) -> None:
        self.posts.append((target, answer))


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    server, url = start_moto()
    yield url
    server.stop()


@pytest.fixture(scope="session")
def aws_env(moto_server: str) -> Iterator[dict[str, str]]:
    env = loopback_env(moto_server)
    saved = {k: os.environ.get(k) for k in [*env, "AWS_ENDPOINT_URL_ATHENA", "AWS_PROFILE"]}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(env)
    yield env
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def fake_athena(aws_env: dict[str, str], lake: Path) -> Iterator[FakeAthena]:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="athena-results")
    fake = FakeAthena(lake, s3).start()
    os.environ["AWS_ENDPOINT_URL_ATHENA"] = fake.endpoint
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def glue_catalog(aws_env: dict[str, str], lake: Path) -> list[str]:
    return register_glue(lake)


@pytest.fixture(scope="session")
def identity_store(aws_env: dict[str, str]) -> str:
    return create_identity_store({"ana@example.com": ["Data Analysts"], "sam@example.com": ["Support"],
                                  "ivy@example.com": ["Interns"]})


@pytest.fixture(scope="session")
def values_file(aws_env: dict[str, str], app: LocalApp, fake_athena: FakeAthena) -> str:
    """Dimension values and time ranges as the `values` cache the AWS engine reads from S3."""
    values, ranges = lake_facts(app.model, app.engine.executor, LOCAL_ANALYST)
    boto3.client("s3").put_object(Bucket="athena-results", Key="bot/values.json",
                                  Body=json.dumps(values_file_body(values, ranges)))
    return "s3://athena-results/bot/values.json"


@dataclass
class Stack:
    app: AwsApp
    fake: FakeAthena
    poster: RecordingPoster
    queue_url: str
    dlq_url: str
    sqs: Any
    lost_events: bool = False

    def drain(self, rounds: int = 5) -> None:
        """Let the worker take whatever is visible now, a few rounds."""
        for _ in range(rounds):
            if not self.app.worker.run_once(wait_seconds=0):
                return

    def count(self, url: str) -> int:
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed"])["Attributes"]
        return sum(int(v) for v in attrs.values())


@pytest.fixture()
def stack(fake_athena: FakeAthena, glue_catalog: list[str], identity_store: str, values_file: str,
          settings: Settings) -> Iterator[Stack]:
    suffix = uuid.uuid4().hex[:8]
    sqs = boto3.client("sqs")
    queue_url, dlq_url = create_queue_pair(sqs, suffix)
    tables = make_tables(suffix)
    fake_athena.executions.clear()
    fake_athena.calls.clear()
    fake_athena.fail_next = None
    fake_athena.workgroups = {"analytics": {"output": "s3://athena-results/queries/", "cutoff": None}}
    aws = AwsSettings.from_env(bot_env(queue_url, tables, glue_catalog, identity_store, GROUP_ACCESS, values_file))
    poster = RecordingPoster()
    app = build_aws(settings, aws, default_poster=poster)
    app.worker.visibility_timeout = 0
    result = Stack(app, fake_athena, poster, queue_url, dlq_url, sqs)

    def route(execution) -> None:  # noqa: ANN001 - EventBridge rule: Athena state change -> queue
        if execution.state in ("SUCCEEDED", "FAILED", "CANCELLED") and not result.lost_events:
            sqs.send_message(QueueUrl=queue_url, MessageBody=eventbridge_event(execution))

    fake_athena.on_state_change = route
    yield result
    fake_athena.on_state_change = None
