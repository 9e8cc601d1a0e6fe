"""End to end on the AWS stack: AskJob on SQS -> Athena (as the user's role) -> state-change event
-> Answer at the reply target; redelivery, lost events, failures, DLQ, permissions."""

from __future__ import annotations

import datetime as dt
import time
import urllib.request

import boto3
import pytest
from moto.backends import get_backend

from bot.bootstrap import LocalApp
from engine.domain import ReplyTarget
from engine.errors import Refused
from engine.jobs import AskJob, encode_job
from tests.aws.conftest import ANALYST_ROLE, Stack

TARGET = ReplyTarget("slack", "C0123", "1700000000.000100")
AS_OF = "2025-06-15"


def ask(stack: Stack, question: str, email: str = "ana@example.com", **kw) -> AskJob:  # noqa: ANN003
    principal = stack.app.identity.resolve("slack", "U1", email)
    job = AskJob(question=question, principal=principal, reply_to=TARGET, as_of=AS_OF, **kw)
    stack.app.queue.send(encode_job(job))
    return job


def test_question_to_answer_through_athena_event(stack: Stack, app: LocalApp) -> None:
    ask(stack, "revenue by customer region in 2024")
    stack.drain()
    [execution] = stack.fake.started()
    assert execution.state == "QUEUED" and stack.poster.posts == []  # nobody waits on the query
    assert "customers.region" in execution.sql and execution.workgroup == "analytics"

    stack.fake.finish(execution.execution_id)  # Athena finishes; EventBridge routes the event
    stack.drain()
    [(target, answer)] = stack.poster.posts
    assert target == TARGET and answer.status == "answered"
    local = app.engine.ask("revenue by customer region in 2024", app.identity.resolve("t", "u"), dt.date(2025, 6, 15))
    assert sorted(answer.table.rows) == sorted(local.table.rows)
    assert answer.table.types[0] == "varchar" and answer.table.types[1].startswith("decimal(")
    assert answer.message.startswith("Revenue (completed orders) by customer region, 1 Jan 2024 - 31 Dec 2024")
    assert answer.footer.startswith("Data scanned: ") and "$" in answer.footer
    assert answer.chart_png.startswith(b"\x89PNG")
    assert stack.fake.calls.count("GetQueryResults") == 1  # metadata only; rows come from S3
    time.sleep(1.1)  # the delayed re-check arrives after the answer: it finds nothing to do
    stack.app.worker.run_once(wait_seconds=1)
    assert len(stack.poster.posts) == 1 and stack.count(stack.queue_url) == 0


def test_an_empty_answer_says_the_range_from_the_values_file(stack: Stack) -> None:
    ask(stack, "revenue by channel in 2027")
    stack.drain()
    [execution] = stack.fake.started()
    stack.fake.finish(execution.execution_id)
    stack.drain()
    [(_, answer)] = stack.poster.posts
    assert answer.status == "answered" and answer.table.row_count == 0
    assert answer.message.endswith("no data matched; orders run from 1 Jan 2023 to 31 Dec 2025.")
    assert len(stack.fake.started()) == 1  # the range came from the values file, not a query


def test_query_runs_as_the_users_role_with_session_tags(stack: Stack) -> None:
    roles = stack.app.engine.executor.clients.__self__  # the RoleSessions behind the executor
    captured: list[dict] = []
    roles._sts.meta.events.register("provide-client-params.sts.AssumeRole",
                                    lambda params, **_: captured.append(dict(params)))
    roles._cache.clear()
    ask(stack, "orders last month")
    stack.drain()
    [execution] = stack.fake.started()
    [call] = captured
    assert call["RoleArn"] == ANALYST_ROLE and call["SourceIdentity"] == "ana@example.com"
    assert {"Key": "user", "Value": "ana@example.com"} in call["Tags"]
    assert {"Key": "groups", "Value": "Data Analysts"} in call["Tags"]
    sts = get_backend("sts")["123456789012"]["aws"]
    assumed = {r.access_key_id: r.role_arn for r in sts.assumed_roles}
    assert assumed[execution.access_key] == ANALYST_ROLE  # Athena saw the role's credentials
    assert execution.token is not None and len(execution.token) >= 32


def test_redelivered_job_starts_one_query_and_answers_once(stack: Stack) -> None:
    job = ask(stack, "tickets by priority this year")
    stack.app.queue.send(encode_job(job))  # SQS delivers at least once
    stack.drain()
    assert len(stack.fake.started()) == 1
    stack.fake.finish(stack.fake.started()[0].execution_id)
    stack.drain()
    execution = stack.fake.started()[0]
    stack.sqs.send_message(QueueUrl=stack.queue_url, MessageBody=__import__(
        "tests.aws.fake_athena", fromlist=["x"]).eventbridge_event(execution))  # a duplicate event
    stack.drain()
    assert len(stack.poster.posts) == 1 and stack.poster.posts[0][1].status == "answered"


def test_lost_event_is_covered_by_the_delayed_recheck(stack: Stack) -> None:
    stack.lost_events = True
    ask(stack, "orders by channel in 2024")
    stack.drain()
    stack.fake.finish(stack.fake.started()[0].execution_id)
    stack.drain()
    assert stack.poster.posts == []
    deadline = time.monotonic() + 10
    while not stack.poster.posts and time.monotonic() < deadline:
        stack.app.worker.run_once(wait_seconds=1)
    [(_, answer)] = stack.poster.posts
    assert answer.status == "answered" and answer.table.row_count == 3


def test_still_running_query_is_rechecked_not_waited_on(stack: Stack) -> None:
    ask(stack, "orders in 2024")
    stack.drain()
    time.sleep(1.1)
    stack.app.worker.run_once(wait_seconds=1)  # the re-check finds it still QUEUED: re-arms itself
    assert stack.poster.posts == [] and stack.count(stack.queue_url) == 1
    stack.fake.finish(stack.fake.started()[0].execution_id)
    stack.drain()
    assert [a.status for _, a in stack.poster.posts] == ["answered"]


def test_timeout_stops_the_query_and_tells_the_user(stack: Stack) -> None:
    ask(stack, "orders in 2024")
    stack.drain()
    stack.app.worker.clock = lambda: time.time() + 3600  # an hour later
    time.sleep(1.1)
    stack.app.worker.run_once(wait_seconds=1)
    [(_, answer)] = stack.poster.posts
    assert answer.status == "error" and "longer than 300 s" in answer.message
    assert "StopQueryExecution" in stack.fake.calls
    assert stack.fake.started()[0].state == "CANCELLED"


def test_failed_query_reaches_the_user(stack: Stack) -> None:
    stack.fake.fail_next = "HIVE_BAD_DATA: Error parsing field value"
    ask(stack, "orders in 2024")
    stack.drain()
    stack.fake.finish(stack.fake.started()[0].execution_id)
    stack.drain()
    [(_, answer)] = stack.poster.posts
    assert answer.status == "error" and "failed in Athena" in answer.message and "HIVE_BAD_DATA" in answer.message


def test_bytes_scanned_cutoff_reaches_the_user(stack: Stack) -> None:
    stack.fake.workgroups["analytics"]["cutoff"] = 1000
    ask(stack, "revenue by brand in 2024")
    stack.drain()
    stack.fake.finish(stack.fake.started()[0].execution_id)
    stack.drain()
    [(_, answer)] = stack.poster.posts
    assert answer.status == "error" and "more data than the per-query limit" in answer.message


def test_result_reuse_is_requested_and_reported(stack: Stack) -> None:
    ask(stack, "orders in Q1 2025")
    stack.drain()
    stack.fake.finish(stack.fake.started()[0].execution_id)
    stack.drain()
    ask(stack, "orders in Q1 2025")
    stack.drain()
    stack.drain()
    first, second = (a for _, a in stack.poster.posts)
    assert first.table.rows == second.table.rows
    assert second.footer.startswith("Reused a recent result")


def test_denied_table_is_refused_before_athena(stack: Stack) -> None:
    ask(stack, "revenue by customer region in 2024", email="sam@example.com")  # Support may not read sales.orders
    stack.drain()
    [(_, answer)] = stack.poster.posts
    assert answer.status == "refused" and "don't have access to sales." in answer.message
    assert stack.fake.started() == []
    ask(stack, "tickets by priority this year", email="sam@example.com")
    stack.drain()
    assert len(stack.fake.started()) == 1


def test_unknown_user_and_user_without_role_are_refused(stack: Stack) -> None:
    with pytest.raises(Refused, match="don't know you"):
        stack.app.identity.resolve("slack", "U9", "nobody@example.com")
    with pytest.raises(Refused, match="Interns"):
        stack.app.identity.resolve("slack", "U8", "ivy@example.com")


def test_poison_job_goes_to_dlq_after_max_receives_and_user_is_told(stack: Stack, monkeypatch) -> None:
    def explode(*args, **kwargs):  # noqa: ANN002, ANN003
        raise RuntimeError("Athena endpoint unreachable")

    monkeypatch.setattr(stack.app.engine, "prepare", explode)
    job = ask(stack, "orders in 2024")
    for _ in range(5):
        stack.app.worker.run_once(wait_seconds=0)
    [(_, answer)] = stack.poster.posts
    assert answer.status == "error" and job.job_id in answer.message
    assert stack.count(stack.queue_url) == 0 and stack.count(stack.dlq_url) == 1


def test_follow_up_uses_conversation_in_dynamodb(stack: Stack) -> None:
    ask(stack, "revenue by customer region in 2024", conversation_id="slack:C0123:1700000000.000100")
    stack.drain()
    stack.fake.finish(stack.fake.started()[0].execution_id)
    stack.drain()
    ask(stack, "and for 2023?", conversation_id="slack:C0123:1700000000.000100")
    stack.drain()
    second = [e for e in stack.fake.started() if e.state == "QUEUED"][0]
    assert "2023-01-01" in second.sql
    items = boto3.client("dynamodb").scan(TableName=stack.app.aws.conversations_table)["Items"]
    threads = [i for i in items if i["conversation_id"]["S"].startswith("slack:")]  # beside the answer records
    assert len(threads) == 1 and int(threads[0]["expires_at"]["N"]) > time.time()


def test_large_result_is_truncated_with_a_download_link(stack: Stack) -> None:
    stack.app.engine.answer_rows = 5
    try:
        ask(stack, "revenue by product in 2024")
        stack.drain()
        stack.fake.finish(stack.fake.started()[0].execution_id)
        stack.drain()
    finally:
        stack.app.engine.answer_rows = 1000
    [(_, answer)] = stack.poster.posts
    assert answer.table.row_count == 5 and answer.table.truncated
    assert "Signature=" in answer.download_url and ".csv" in answer.download_url
    with urllib.request.urlopen(answer.download_url, timeout=10) as response:  # the presigned link works
        lines = response.read().decode().splitlines()
    assert lines[0] == '"product","revenue"' and len(lines) - 1 > 5


def test_planner_query_failing_in_athena_is_repaired(stack: Stack) -> None:
    from botocore.stub import Stubber

    from adapters.aws.bedrock_planner import BedrockPlanner
    from tests.test_planner import tool_use

    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_response("converse", tool_use("sql_query", {
        "sql": "SELECT CAST(customer_name AS INTEGER) AS n FROM sales.customers"}))
    stubber.add_response("converse", tool_use("sql_query", {
        "sql": "SELECT COUNT(*) AS named_customers FROM sales.customers"}))
    stack.app.engine.planner = BedrockPlanner(client, "model", stack.app.model)
    with stubber:
        job = ask(stack, "how many folks have a name on file")
        stack.drain()
        [first] = stack.fake.started()
        stack.fake.finish(first.execution_id)  # fails in Athena: the error goes back to the planner
        stack.drain()
        assert stack.poster.posts == [] and first.state == "FAILED"
        [second] = [e for e in stack.fake.started() if e.execution_id != first.execution_id]
        assert second.token == f"{job.job_id}-repair1"
        stack.fake.finish(second.execution_id)
        stack.drain()
        stubber.assert_no_pending_responses()
    [(_, answer)] = stack.poster.posts
    assert answer.status == "answered" and answer.table.columns == ["named_customers"]
    assert "written by the AI planner" in answer.message
