"""Digests on the AWS path, on loopback: EventBridge Scheduler schedules created, updated and
deleted with the digest (moto), and the DigestJob a schedule fires through SQS, Athena (as the
owner's role) and the state-change event to the channel post."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import boto3
import pytest

from bot.aws_settings import AwsSettings
from bot.bootstrap import build_aws
from bot.settings import Settings
from engine.digests.model import Digest, Owner
from engine.digests.periods import specs_of
from engine.digests.schedule import Schedule, parse_instant
from tests.aws.conftest import GROUP_ACCESS, RecordingPoster, Stack
from tests.aws.fake_athena import FakeAthena, eventbridge_event
from tests.aws.loopback import bot_env, create_queue_pair, make_tables

ROLE = "arn:aws:iam::123456789012:role/athena-bot-scheduler"


@pytest.fixture()
def digest_stack(fake_athena: FakeAthena, glue_catalog: list[str], identity_store: str, values_file: str,
                 settings: Settings) -> Iterator[Stack]:
    suffix = uuid.uuid4().hex[:8]
    sqs = boto3.client("sqs")
    queue_url, dlq_url = create_queue_pair(sqs, suffix)
    scheduler_dlq = sqs.create_queue(QueueName=f"scheduler-dlq-{suffix}")["QueueUrl"]
    tables = make_tables(suffix)
    boto3.client("dynamodb").create_table(
        TableName=f"digests-{suffix}", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "digest_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "digest_id", "KeyType": "HASH"}])
    fake_athena.executions.clear()
    fake_athena.fail_next = None
    fake_athena.workgroups = {"analytics": {"output": "s3://athena-results/queries/", "cutoff": None}}
    env = bot_env(queue_url, tables, glue_catalog, identity_store, GROUP_ACCESS, values_file)
    env.update({"ATHENA_BOT_DIGESTS_TABLE": f"digests-{suffix}", "ATHENA_BOT_SCHEDULER_ROLE_ARN": ROLE,
                "ATHENA_BOT_SCHEDULER_DLQ_ARN": sqs.get_queue_attributes(
                    QueueUrl=scheduler_dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]})
    poster = RecordingPoster()
    app = build_aws(settings, AwsSettings.from_env(env), default_poster=poster)
    app.worker.visibility_timeout = 0
    stack = Stack(app, fake_athena, poster, queue_url, dlq_url, sqs)

    def route(execution) -> None:  # noqa: ANN001 - EventBridge rule: Athena state change -> queue
        if execution.state in ("SUCCEEDED", "FAILED", "CANCELLED"):
            sqs.send_message(QueueUrl=queue_url, MessageBody=eventbridge_event(execution))

    fake_athena.on_state_change = route
    yield stack
    fake_athena.on_state_change = None


def weekly_digest(stack: Stack, question: str = "revenue by customer region last week") -> Digest:
    as_of = parse_instant("2025-06-10T12:00:00Z").date()
    principal = stack.app.identity.resolve("slack", "U1", "ana@example.com")
    prepared = stack.app.engine.prepare(question, principal, as_of)
    service = stack.app.worker.digests.service
    service.clock = lambda: parse_instant("2025-06-10T12:00:00Z").timestamp()
    return service.create(Digest(Digest.new_id(), Owner("slack", "U1", "ana@example.com", "U1"), question,
                                 prepared.query.to_dict(), specs_of(prepared.query, as_of),
                                 {"platform": "slack", "channel": "C0123", "kind": "channel"},
                                 Schedule("weekly", "Europe/Berlin", 9, 0, 0)))


def test_schedules_follow_the_digest_on_eventbridge_scheduler(digest_stack: Stack) -> None:
    scheduler = boto3.client("scheduler")
    service = digest_stack.app.worker.digests.service
    digest = weekly_digest(digest_stack)
    name = f"athena-bot-digest-{digest.digest_id}"
    schedule = scheduler.get_schedule(Name=name)
    assert schedule["ScheduleExpression"] == "cron(0 9 ? * MON *)"
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Berlin" and schedule["State"] == "ENABLED"
    queue_arn = digest_stack.sqs.get_queue_attributes(QueueUrl=digest_stack.queue_url,
                                                      AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    target = schedule["Target"]
    assert target["Arn"] == queue_arn and target["RoleArn"] == ROLE
    assert json.loads(target["Input"]) == {"type": "digest", "version": 1, "digest_id": digest.digest_id,
                                           "scheduled_for": "<aws.scheduler.scheduled-time>"}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 3 and target["DeadLetterConfig"]["Arn"].endswith(
        ":scheduler-dlq-" + digest_stack.queue_url.rsplit("-", 1)[1])
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}

    service.reschedule(digest.digest_id, Schedule("weekdays", "America/New_York", 7, 30), None)
    updated = scheduler.get_schedule(Name=name)
    assert updated["ScheduleExpression"] == "cron(30 7 ? * MON-FRI *)"
    assert updated["ScheduleExpressionTimezone"] == "America/New_York"
    service.pause(digest.digest_id, None)
    assert scheduler.get_schedule(Name=name)["State"] == "DISABLED"
    service.resume(digest.digest_id, None)
    assert scheduler.get_schedule(Name=name)["State"] == "ENABLED"
    service.delete(digest.digest_id, None)
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.get_schedule(Name=name)
    assert service.store.get(digest.digest_id) is None


def test_a_fired_digest_job_goes_through_sqs_and_athena_to_one_channel_post(digest_stack: Stack) -> None:
    digest = weekly_digest(digest_stack)
    template = boto3.client("scheduler").get_schedule(Name=f"athena-bot-digest-{digest.digest_id}")["Target"]["Input"]
    fired = template.replace("<aws.scheduler.scheduled-time>", "2025-06-16T07:00:00Z")  # as EventBridge does
    digest_stack.sqs.send_message(QueueUrl=digest_stack.queue_url, MessageBody=fired)
    digest_stack.sqs.send_message(QueueUrl=digest_stack.queue_url, MessageBody=fired)  # fired twice
    digest_stack.drain()
    [execution] = digest_stack.fake.started()  # one query, as the owner's role
    assert "2025-06-09" in execution.sql and "2025-06-16" in execution.sql  # last week in Berlin
    digest_stack.fake.finish(execution.execution_id)
    digest_stack.drain()
    [(target, answer)] = digest_stack.poster.posts
    assert target.channel == "C0123" and target.thread is None and target.extra["digest"] == digest.digest_id
    assert answer.message.startswith("Revenue (completed orders) by customer region, 9 Jun 2025 - 15 Jun 2025")
    assert answer.footer.startswith("As of Mon 16 Jun 2025, 09:00 CEST · Digest: every Monday at 09:00")
    stored = digest_stack.app.worker.digests.store.get(digest.digest_id)
    assert stored.last_outcome == "posted" and stored.last_run == "2025-06-16T07:00:00Z"
    digest_stack.sqs.send_message(QueueUrl=digest_stack.queue_url, MessageBody=fired)  # a late redelivery
    digest_stack.drain()
    assert len(digest_stack.poster.posts) == 1 and len(digest_stack.fake.started()) == 1
