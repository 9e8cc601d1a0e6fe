"""Verified questions and feedback on DynamoDB (moto), and an answer from a verified question on
the AWS path: through SQS and Athena, the badge survives the pending query record."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from dataclasses import replace

import boto3

from adapters.aws.curation import DynamoFeedbackStore, DynamoVerifiedStore
from bot.bootstrap import build_aws
from bot.settings import Settings
from engine.answers.feedback import Feedback
from engine.answers.verified import VerifiedQuestion
from engine.domain import LOCAL_ANALYST, Principal, ReplyTarget
from engine.jobs import AskJob, encode_job
from tests.aws.conftest import ANALYST_ROLE, Stack


def table(name: str) -> str:
    name = f"{name}-{uuid.uuid4().hex[:8]}"
    boto3.client("dynamodb").create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    return name


def test_stores_on_dynamodb(aws_env: dict[str, str]) -> None:
    client = boto3.client("dynamodb")
    clock = [0.0]
    verified = DynamoVerifiedStore(client, table("verified"), ttl_seconds=60, clock=lambda: clock[0])
    assert verified.all() == []
    item = VerifiedQuestion("orders in 2024", "SELECT 1", "ana@example.com", steward_name="Ana")
    verified.put(item)
    first = verified.all()
    assert [v.to_dict() for v in first] == [item.to_dict()]
    assert verified.all() is first  # cached: the same list while nothing changed
    other = DynamoVerifiedStore(client, verified.table_name, ttl_seconds=60, clock=lambda: clock[0])
    other.put(VerifiedQuestion("tickets in 2024", "SELECT 2", "ana@example.com"))
    assert verified.all() is first  # another worker's write shows after the cache's TTL...
    clock[0] = 61
    assert len(verified.all()) == 2 and verified.all() is not first  # ...as a new list
    assert verified.remove(item.id) and not verified.remove(item.id)
    assert [v.question for v in verified.all()] == ["tickets in 2024"]

    feedback = DynamoFeedbackStore(client, table("feedback"))
    feedback.add(Feedback("job1", "up", "ana@example.com", "orders", at=1.0))
    feedback.add(Feedback("job1", "down", "bob@example.com", "orders", reason="wrong_number", at=2.0))
    feedback.add(Feedback("job1", "down", "bob@example.com", "orders", reason="wrong_breakdown", at=3.0))
    assert [(f.user, f.reason) for f in feedback.list()] == [("bob@example.com", "wrong_breakdown"),
                                                             ("ana@example.com", None)]
    assert [f.user for f in feedback.list(review_only=True)] == ["bob@example.com"]


def test_an_answer_from_a_verified_question_through_sqs_and_athena(stack: Stack, settings: Settings) -> None:
    aws = replace(stack.app.aws, verified_table=table("verified"), feedback_table=table("feedback"))
    app = build_aws(settings, aws, default_poster=stack.poster)
    app.worker.visibility_timeout = 0
    prepared = app.engine.prepare("orders by channel in 2024", LOCAL_ANALYST, dt.date(2025, 6, 15))
    app.engine.verified.store.put(VerifiedQuestion("orders by channel in 2024", prepared.sql, "ana@example.com",
                                                   prepared.query.to_dict(), steward_name="Ana",
                                                   as_of="2025-06-15"))
    ana = Principal("slack:U1", "ana@example.com", ("Data Analysts",), ANALYST_ROLE)
    job = AskJob("how many orders per channel in 2024", ana, ReplyTarget("test", "C1", "1.1"), as_of="2025-06-15")
    stack.sqs.send_message(QueueUrl=stack.queue_url, MessageBody=encode_job(job))
    for _ in range(5):
        app.worker.run_once(wait_seconds=0)
    [execution] = stack.fake.started()
    stack.fake.finish(execution.execution_id)
    for _ in range(5):
        app.worker.run_once(wait_seconds=0)
    [(_, answer)] = stack.poster.posts
    assert answer.status == "answered" and answer.verified_by == "Ana"
    assert "Data scanned" in (answer.footer or "")
    record = app.engine.conversations.load(f"answer-record:{job.job_id}")
    assert record["question"] == "how many orders per channel in 2024" and json.dumps(record["query"])
