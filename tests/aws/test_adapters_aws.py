"""AWS adapters one by one, on moto over loopback HTTP."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid

import boto3
import pytest

from adapters.aws.athena import parse_result_csv
from adapters.aws.dynamodb import DynamoConversationStore
from adapters.aws.glue import GlueCatalog
from adapters.aws.identity import CognitoResolver, parse_access_map
from adapters.aws.sqs_queue import SQSQueue
from engine.errors import Refused
from engine.jobs import AskJob, encode_job
from engine.domain import ReplyTarget
from tests.aws.conftest import ANALYST_ROLE, GROUP_ACCESS, Stack
from tests.aws.loopback import make_tables
from tests.aws.fake_athena import athena_csv


def test_sqs_queue_port(aws_env: dict) -> None:
    client = boto3.client("sqs")
    url = client.create_queue(QueueName=f"q-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    queue = SQSQueue(client, url, visibility_timeout=30)
    queue.send("now", attributes={"kind": "ask"})
    queue.send("later", delay_seconds=1)
    [first] = queue.receive(max_messages=10)
    assert (first.body, first.receive_count, first.attributes) == ("now", 1, {"kind": "ask"})
    queue.change_visibility(first.receipt_handle, 0)
    again = queue.receive(max_messages=10, wait_seconds=0)
    assert [m.body for m in again] == ["now"] and again[0].receive_count == 2
    queue.delete(again[0].receipt_handle)
    assert [m.body for m in queue.receive(max_messages=10, wait_seconds=3)] == ["later"]


def test_sqs_messages_say_until_when_they_are_hidden(aws_env: dict) -> None:
    import time

    client = boto3.client("sqs")
    url = client.create_queue(QueueName=f"q-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    queue = SQSQueue(client, url, visibility_timeout=30)
    queue.send("job")
    before = time.time()
    [message] = queue.receive()
    assert before + 30 <= message.visible_until <= time.time() + 30  # leases end before this


def test_dynamodb_leases_keep_the_runner_contract(aws_env: dict) -> None:
    from adapters.aws.idempotency import DynamoIdempotency
    from tests.lease_contract import check_runner_contract

    table = make_tables(uuid.uuid4().hex[:8])["idempotency"]
    check_runner_contract(lambda: DynamoIdempotency(boto3.client("dynamodb"), table))
    item = boto3.client("dynamodb").get_item(TableName=table, Key={"id": {"S": "athena-query-bot#k"}})["Item"]
    assert item["status"]["S"] == "done" and int(item["expiration"]["N"]) > 0  # the table's TTL attribute


def test_glue_catalog_reads_tables_types_partitions_comments_and_caches(aws_env: dict, glue_catalog: list[str]) -> None:
    client = boto3.client("glue")
    calls: list[str] = []
    client.meta.events.register("before-call.glue.GetTables", lambda **_: calls.append("GetTables"))
    now = [0.0]
    catalog = GlueCatalog(client, glue_catalog, ttl_seconds=60, clock=lambda: now[0])
    tables = {t.qualified_name: t for t in catalog.tables()}
    assert {"sales.orders", "sales.order_items", "support.tickets"} <= set(tables)
    items = {c.name: c for c in tables["sales.order_items"].columns}
    assert items["net_amount"].type == "decimal(12,2)" and items["line_number"].type == "integer"
    assert items["month"].type == "varchar" and items["quantity"].comment == "quantity column"
    assert tables["sales.orders"].partition_keys == ("month",)
    assert tables["sales.customers"].columns[1].type == "varchar"
    first_calls = len(calls)
    catalog.tables()
    assert len(calls) == first_calls  # cached
    now[0] = 61.0
    catalog.tables()
    assert len(calls) == 2 * first_calls  # refreshed after the TTL


def test_cognito_resolver(aws_env: dict) -> None:
    idp = boto3.client("cognito-idp")
    pool = idp.create_user_pool(PoolName=f"pool-{uuid.uuid4().hex[:6]}")["UserPool"]["Id"]
    idp.create_group(GroupName="Support", UserPoolId=pool, RoleArn="arn:aws:iam::123456789012:role/cognito-support",
                     Precedence=1)
    idp.create_group(GroupName="Data Analysts", UserPoolId=pool, Precedence=2)
    idp.admin_create_user(UserPoolId=pool, Username="max@example.com")
    idp.admin_add_user_to_group(UserPoolId=pool, Username="max@example.com", GroupName="Support")
    idp.admin_create_user(UserPoolId=pool, Username="lea@example.com")
    idp.admin_add_user_to_group(UserPoolId=pool, Username="lea@example.com", GroupName="Data Analysts")
    resolver = CognitoResolver(idp, pool, parse_access_map({"Data Analysts": GROUP_ACCESS["Data Analysts"],
                                                            "Support": {"tables": ["support.tickets"]}}))
    support = resolver.resolve("web", "s1", "max@example.com")
    assert support.role_arn == "arn:aws:iam::123456789012:role/cognito-support"
    assert support.allowed_tables == frozenset({"support.tickets"}) and support.groups == ("Support",)
    analyst = resolver.resolve("web", "s2", "lea@example.com")
    assert analyst.role_arn == ANALYST_ROLE and analyst.allowed_tables is None
    with pytest.raises(Refused, match="don't know you"):
        resolver.resolve("web", "s3", "ghost@example.com")


def test_conversations_expire(aws_env: dict) -> None:
    tables = make_tables(uuid.uuid4().hex[:8])
    now = [1_000_000.0]
    store = DynamoConversationStore(boto3.client("dynamodb"), tables["conversations"], ttl_seconds=60,
                                    clock=lambda: now[0])
    store.save("t1", {"query": {"metrics": ["revenue"]}})
    assert store.load("t1") == {"query": {"metrics": ["revenue"]}}
    now[0] += 61  # DynamoDB deletes lazily; the store must not return an expired thread
    assert store.load("t1") is None and store.load("nope") is None


def test_result_csv_is_typed_by_column_metadata() -> None:
    columns = [{"Name": "day", "Type": "date"}, {"Name": "ts", "Type": "timestamp"},
               {"Name": "region", "Type": "varchar"}, {"Name": "orders", "Type": "bigint"},
               {"Name": "revenue", "Type": "decimal", "Precision": 38, "Scale": 2},
               {"Name": "rate", "Type": "double"}, {"Name": "ok", "Type": "boolean"}]
    data = athena_csv([c["Name"] for c in columns], [
        ["2024-01-01", "2024-01-01 10:30:00.000", "EMEA", "12", "1234.50", "0.25", "true"],
        ["2024-01-02", None, 'say "hi", ok', None, None, None, "false"],
        ["2024-01-03", None, "x", "1", "1", "1", "true"]])
    table = parse_result_csv(data, columns, max_rows=2)
    assert table.types == ["date", "timestamp", "varchar", "bigint", "decimal(38,2)", "double", "boolean"]
    assert table.rows[0] == (dt.date(2024, 1, 1), dt.datetime(2024, 1, 1, 10, 30), "EMEA", 12, 1234.5, 0.25, True)
    assert table.rows[1] == (dt.date(2024, 1, 2), None, 'say "hi", ok', None, None, None, False)
    assert table.truncated and table.row_count == 2


class FakeLambdaContext:
    function_name = "athena-bot-worker"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:athena-bot-worker"
    aws_request_id = "req-1"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


def test_lambda_handler_reports_partial_batch_failures(stack: Stack, monkeypatch) -> None:
    import bot.lambda_handler as handler_module

    monkeypatch.setattr(handler_module, "_app", stack.app)
    principal = stack.app.identity.resolve("slack", "U1", "ana@example.com")
    good = AskJob("orders in 2024", principal, ReplyTarget("slack", "C1", "1.2"), as_of="2025-06-15")

    def record(message_id: str, body: str) -> dict:
        return {"messageId": message_id, "receiptHandle": f"rh-{message_id}", "body": body,
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000",
                               "SenderId": "x", "ApproximateFirstReceiveTimestamp": "1700000000000"},
                "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:jobs", "awsRegion": "us-east-1"}

    event = {"Records": [record("m-good", encode_job(good)), record("m-bad", "{not json")]}
    handled: list = []
    handle = stack.app.worker.handle
    monkeypatch.setattr(stack.app.worker, "handle", lambda message: handled.append(message) or handle(message))
    import time

    called = time.time()
    response = handler_module.handler(event, FakeLambdaContext())
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-bad"}]}
    assert len(stack.fake.started()) == 1  # the good record started its query
    # leases last until the invocation's deadline (60 s left), never past it
    assert all(called + 59 < m.visible_until <= time.time() + 60 for m in handled) and len(handled) == 2


def test_logs_carry_the_job_id_and_no_result_rows(stack: Stack, capsys) -> None:
    log_stream = io.StringIO()
    stack.app.observer.logger.registered_handler.setStream(log_stream)
    principal = stack.app.identity.resolve("slack", "U1", "ana@example.com")
    job = AskJob("revenue by customer region in 2024", principal, ReplyTarget("slack", "C1", "1.3"), as_of="2025-06-15")
    stack.app.queue.send(encode_job(job))
    stack.drain()
    stack.fake.finish(stack.fake.started()[0].execution_id)
    stack.drain()
    [(_, answer)] = stack.poster.posts
    lines = log_stream.getvalue().splitlines() + capsys.readouterr().out.splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    logs = [r for r in records if r.get("message") == "answered"]
    assert logs and logs[-1]["correlation_id"] == job.job_id and logs[-1]["status"] == "answered"
    metrics = [r for r in records if "_aws" in r]
    assert any("Questions" in r and r.get("outcome") == "answered" for r in metrics)
    text = json.dumps(records)
    for region, revenue in answer.table.rows:
        assert f"{revenue}" not in text and f"{revenue:.2f}" not in text


def test_refresh_values_writes_the_values_file(stack: Stack, settings, monkeypatch) -> None:
    from bot.service import refresh_values

    monkeypatch.setenv("ATHENA_BOT_QUEUE_URL", stack.queue_url)
    monkeypatch.setenv("ATHENA_BOT_WORKGROUP", "analytics")
    monkeypatch.setenv("ATHENA_BOT_DATABASE", "sales")
    monkeypatch.setenv("ATHENA_BOT_IDEMPOTENCY_TABLE", "unused")
    monkeypatch.setenv("ATHENA_BOT_PENDING_TABLE", "unused")
    monkeypatch.setenv("ATHENA_BOT_VALUES_FILE", "s3://athena-results/bot/refreshed.json")
    stack.fake.auto_finish = True
    try:
        assert refresh_values(settings, poll_seconds=0.01) == "s3://athena-results/bot/refreshed.json"
    finally:
        stack.fake.auto_finish = False
    body = boto3.client("s3").get_object(Bucket="athena-results", Key="bot/refreshed.json")["Body"].read()
    values = json.loads(body)
    assert values["category"] == sorted(["Apparel", "Beauty", "Books", "Electronics", "Home & Kitchen", "Sports"])
    assert "PayPal" in values["payment_method"] and "customer" not in values
    # the same query read each time column's range, for answers about periods without data
    first, last = values["@time_ranges"]["orders.order_ts"]
    assert "2023-01-01" <= first < last <= "2025-12-31" and "tickets.created_ts" in values["@time_ranges"]


def test_teams_chart_links_never_expire_the_endpoint_re_signs_s3_on_every_fetch(aws_env: dict[str, str]) -> None:
    import urllib.error
    import urllib.parse
    import urllib.request

    from adapters.teams.chart_links import FETCH_SECONDS, ChartSigner, S3ChartStore
    from adapters.teams.server import TeamsServer, auth_configuration, build_adapter, build_web_app

    s3 = boto3.client("s3")
    bucket = f"charts-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    store, signer = S3ChartStore(s3, bucket), ChartSigner("the-app-secret")
    store.put("k-revenue.png", b"\x89PNG-chart")  # what the worker does, with the link it puts in the card:
    link = signer.link("http://teams.example", "k-revenue.png")
    assert "Signature" not in link and "Expires" not in link  # the card holds no expiring URL
    config = auth_configuration(None, None, None)
    server = TeamsServer(build_web_app(object(), build_adapter(config), config, store, ChartSigner("the-app-secret")),
                         port=0).start()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        served = link.replace("http://teams.example", server.base_url)
        with pytest.raises(urllib.error.HTTPError) as found:
            opener.open(served, timeout=10)
        assert found.value.code == 302  # re-signed now, valid for minutes
        fresh = found.value.headers["Location"]
        query = urllib.parse.parse_qs(urllib.parse.urlparse(fresh).query)
        assert query.get("X-Amz-Expires") == [str(FETCH_SECONDS)] or "Expires" in query
        with urllib.request.urlopen(served, timeout=10) as response:  # what Teams does: follows it to S3
            assert response.read() == b"\x89PNG-chart"
        for bad in (served.replace("sig=", "sig=0"), served.replace("k-revenue", "k-other"),
                    server.base_url + "/charts/k-revenue.png"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(bad, timeout=10)
            assert refused.value.code == 404
        missing = signer.link(server.base_url, "gone.png")
        with pytest.raises(urllib.error.HTTPError) as gone:
            urllib.request.urlopen(missing, timeout=10)
        assert gone.value.code == 404
    finally:
        server.stop()
