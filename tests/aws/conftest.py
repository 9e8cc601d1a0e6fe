"""The AWS stack on loopback: moto's server for AWS APIs and a fake Athena running DuckDB.

Every client is real boto3 making signed HTTP requests to 127.0.0.1; nothing leaves the machine.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from adapters.local.catalog import LocalCatalog
from bot.aws_settings import AwsSettings
from bot.bootstrap import AwsApp, LocalApp, build_aws
from bot.settings import Settings
from engine.domain import LOCAL_ANALYST, Answer, ReplyTarget
from engine.values import dimension_values
from tests.aws.fake_athena import FakeAthena, eventbridge_event

REGION = "us-east-1"
ANALYST_ROLE = "arn:aws:iam::123456789012:role/athena-bot-analyst"
SUPPORT_ROLE = "arn:aws:iam::123456789012:role/athena-bot-support"
GROUP_ACCESS = {"Data Analysts": {"role_arn": ANALYST_ROLE, "tables": ["*"]},
                "Support": {"role_arn": SUPPORT_ROLE, "tables": ["support.tickets", "sales.customers"]}}
GLUE_TYPES = {"varchar": "string", "integer": "int"}


class RecordingPoster:
    def __init__(self) -> None:
        self.posts: list[tuple[ReplyTarget, Answer]] = []

    def post(self, target: ReplyTarget, answer: Answer) -> None:
        self.posts.append((target, answer))


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def aws_env(moto_server: str) -> Iterator[dict[str, str]]:
    env = {"AWS_ENDPOINT_URL": moto_server, "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
           "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS_DEFAULT_REGION": REGION,
           "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_NAMESPACE": "AthenaQueryBotTest",
           "POWERTOOLS_LOG_LEVEL": "INFO"}
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
    """Register the test lake's tables in (moto's) Glue, as a crawler or a data team would."""
    glue = boto3.client("glue")
    databases = []
    for table in LocalCatalog(lake).tables():
        if table.database not in databases:
            glue.create_database(DatabaseInput={"Name": table.database})
            databases.append(table.database)
        keys = set(table.partition_keys)
        columns = [{"Name": c.name, "Type": GLUE_TYPES.get(c.type, c.type), "Comment": f"{c.name} column"}
                   for c in table.columns if c.name not in keys]
        glue.create_table(DatabaseName=table.database, TableInput={
            "Name": table.name, "PartitionKeys": [{"Name": k, "Type": "string"} for k in table.partition_keys],
            "StorageDescriptor": {"Columns": columns, "Location": f"s3://lake/{table.database}/{table.name}/"}})
    return databases


@pytest.fixture(scope="session")
def identity_store(aws_env: dict[str, str]) -> str:
    ids = boto3.client("identitystore")
    store_id = "d-1234567890"
    groups = {name: ids.create_group(IdentityStoreId=store_id, DisplayName=name)["GroupId"]
              for name in ("Data Analysts", "Support", "Interns")}
    people = {"ana@example.com": ["Data Analysts"], "sam@example.com": ["Support"],
              "ivy@example.com": ["Interns"]}
    for email, member_of in people.items():
        user = ids.create_user(IdentityStoreId=store_id, UserName=email.split("@")[0], DisplayName=email,
                               Name={"GivenName": email[:3], "FamilyName": "Example"},
                               Emails=[{"Value": email, "Type": "work", "Primary": True}])["UserId"]
        for group in member_of:
            ids.create_group_membership(IdentityStoreId=store_id, GroupId=groups[group],
                                        MemberId={"UserId": user})
    return store_id


@pytest.fixture(scope="session")
def values_file(aws_env: dict[str, str], app: LocalApp, fake_athena: FakeAthena) -> str:
    """Dimension values as the `values` cache the AWS engine reads from S3."""
    values = dimension_values(app.model, app.engine.executor, LOCAL_ANALYST)
    boto3.client("s3").put_object(Bucket="athena-results", Key="bot/values.json", Body=json.dumps(values))
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


def make_tables(suffix: str) -> dict[str, str]:
    ddb = boto3.client("dynamodb")
    names = {"idempotency": f"idem-{suffix}", "pending": f"pending-{suffix}", "conversations": f"conv-{suffix}"}
    keys = {"idempotency": "id", "pending": "execution_id", "conversations": "conversation_id"}
    for kind, name in names.items():
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": keys[kind], "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": keys[kind], "KeyType": "HASH"}])
        if kind != "idempotency":
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
                "Enabled": True, "AttributeName": "expires_at"})
    return names


@pytest.fixture()
def stack(fake_athena: FakeAthena, glue_catalog: list[str], identity_store: str, values_file: str,
          settings: Settings) -> Iterator[Stack]:
    suffix = uuid.uuid4().hex[:8]
    sqs = boto3.client("sqs")
    dlq_url = sqs.create_queue(QueueName=f"jobs-dlq-{suffix}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName=f"jobs-{suffix}", Attributes={
        "VisibilityTimeout": "0",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})})["QueueUrl"]
    tables = make_tables(suffix)
    fake_athena.executions.clear()
    fake_athena.calls.clear()
    fake_athena.fail_next = None
    fake_athena.workgroups = {"analytics": {"output": "s3://athena-results/queries/", "cutoff": None}}
    aws = AwsSettings.from_env({
        "ATHENA_BOT_QUEUE_URL": queue_url, "ATHENA_BOT_WORKGROUP": "analytics", "ATHENA_BOT_DATABASE": "sales",
        "ATHENA_BOT_GLUE_DATABASES": ",".join(glue_catalog), "ATHENA_BOT_IDENTITY_SOURCE": "identity-center",
        "ATHENA_BOT_IDENTITY_STORE_ID": identity_store, "ATHENA_BOT_GROUP_ACCESS": json.dumps(GROUP_ACCESS),
        "ATHENA_BOT_IDEMPOTENCY_TABLE": tables["idempotency"], "ATHENA_BOT_PENDING_TABLE": tables["pending"],
        "ATHENA_BOT_CONVERSATIONS_TABLE": tables["conversations"], "ATHENA_BOT_VALUES_FILE": values_file,
        "ATHENA_BOT_RECHECK_SECONDS": "1", "ATHENA_BOT_QUERY_TIMEOUT_SECONDS": "300"})
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
