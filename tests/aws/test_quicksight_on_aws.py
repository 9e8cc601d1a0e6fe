"""QuickSight on moto: "Open in QuickSight" from a Slack click to the dashboard link in the thread.

The Slack receiver enqueues the click on SQS; the worker loads the answer's record from DynamoDB,
guards its SQL as the clicker, registers them as a QuickSight reader, creates the dataset on
their role's Athena data source and the dashboard from the template of the chart, and posts the
link. moto implements QuickSight users, data sources, datasets and dashboards; it keeps no
dataset definition, so what the worker sent is checked from the requests themselves (botocore
validates them against the API model). The clean-up and the embed route call APIs moto lacks:
they run against botocore's Stubber.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from adapters.aws.quicksight import QuickSightPublisher, QuickSightSettings, data_source_id
from adapters.aws.quicksight_embed import ROUTE, EmbedRoute, read_token, sign_link
from adapters.local.sqlite_store import SQLiteConversationStore
from adapters.slack.poster import SlackPoster, web_client
from adapters.slack.server import HttpServer
from bot.bootstrap import build_aws
from bot.settings import Settings
from bot.slack import SlackSettings, build_aws_slack_app
from engine.answers.dashboards import TEMPLATE_SCHEMA
from engine.answers.records import AnswerRecord
from engine.domain import Principal
from tests.aws.conftest import ANALYST_ROLE, SUPPORT_ROLE, Stack
from tests.slack.conftest import SECRET, SlackRig
from tests.slack.fake_slack import FakeSlack
from tests.test_dashboard_layout import play

ACCOUNT = "123456789012"
TEMPLATES = {kind: f"arn:aws:quicksight:us-east-1:{ACCOUNT}:template/athena-bot-{kind}" for kind in ("line", "bar", "table")}


@pytest.fixture()
def quicksight_env(monkeypatch: pytest.MonkeyPatch, aws_env: dict[str, str]) -> None:
    monkeypatch.setenv("ATHENA_BOT_QUICKSIGHT_TEMPLATES", json.dumps(TEMPLATES))
    monkeypatch.setenv("ATHENA_BOT_QUICKSIGHT_ACCOUNT_ID", ACCOUNT)
    qs = boto3.client("quicksight")
    for role in (ANALYST_ROLE, SUPPORT_ROLE):  # the stack's data sources: one per group role
        qs.create_data_source(AwsAccountId=ACCOUNT, DataSourceId=data_source_id(role), Name=role, Type="ATHENA",
                              DataSourceParameters={"AthenaParameters": {"WorkGroup": "analytics", "RoleArn": role}})


@pytest.fixture()
def qs_stack(quicksight_env: None, stack: Stack, settings: Settings) -> Iterator[Stack]:
    app = build_aws(settings, stack.app.aws, default_poster=stack.poster)  # again, now with QuickSight configured
    app.worker.visibility_timeout = 0
    stack.app = app
    yield stack


def requests_of(client: Any, operation: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    client.meta.events.register(f"before-parameter-build.quicksight.{operation}",
                                lambda params, **_: seen.append(json.loads(json.dumps(params))))
    return seen


def blocks_of(call: Any) -> list[dict[str, Any]]:
    blocks = call.params.get("blocks")
    return json.loads(blocks) if isinstance(blocks, str) else blocks or []


def wait_queued(stack: Stack) -> None:
    deadline = time.monotonic() + 10
    while stack.count(stack.queue_url) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)


def test_open_in_quicksight_from_a_click_to_the_link_in_the_thread(qs_stack: Stack, settings: Settings) -> None:
    stack = qs_stack
    publisher: QuickSightPublisher = stack.app.dashboards
    datasets = requests_of(publisher.client, "CreateDataSet")
    dashboards = requests_of(publisher.client, "CreateDashboard")
    fake = FakeSlack({"U1": "ana@example.com", "U3": "sam@example.com"}).start()
    app = build_aws_slack_app(settings, SlackSettings("xoxb-test", SECRET, api_url=fake.url),
                              aws=stack.app.aws, session=boto3.Session())
    server = HttpServer(app, port=0).start()
    stack.app.poster.register("slack", SlackPoster(web_client("xoxb-test", fake.url), stack.app.engine.conversations,
                                                   dashboards=True))
    rig = SlackRig(fake, None, server)  # type: ignore[arg-type]
    try:
        rig.mention("revenue by customer region in 2024", "100.000001", "EvQs")
        wait_queued(stack)
        stack.drain()
        [execution] = stack.fake.started()
        stack.fake.finish(execution.execution_id)
        stack.drain()
        answer = fake.wait_for("chat.update", 2)[-1]  # the text, then with its chart
        button = next(e for b in blocks_of(answer) if b["type"] == "actions" for e in b["elements"]
                      if e["action_id"] == "quicksight_dashboard")
        assert "url" not in button  # not a fixed link: a click the worker acts on
        assert publisher.client.list_dashboards(AwsAccountId=ACCOUNT)["DashboardSummaryList"] == []  # nothing yet

        assert rig.click("quicksight_dashboard", button["value"], answer.params["ts"], "100.000001") == 200
        [note] = fake.wait_for("chat.postEphemeral")
        assert "Making your QuickSight dashboard" in note.params["text"]
        wait_queued(stack)
        stack.drain()
        reply = fake.wait_for("chat.update", 2)[-1]
        assert fake.messages[reply.params["ts"]].thread_ts == "100.000001"
        assert reply.params["text"] == 'I made your QuickSight dashboard for "revenue by customer region in 2024".'
        [link] = [e for b in blocks_of(reply) if b["type"] == "actions" for e in b["elements"]]
        [summary] = publisher.client.list_dashboards(AwsAccountId=ACCOUNT)["DashboardSummaryList"]
        assert link["url"] == f"https://us-east-1.quicksight.aws.amazon.com/sn/dashboards/{summary['DashboardId']}"

        # her own QuickSight user, a reader; the dataset is the answer's SQL on her role's data source
        user = publisher.client.describe_user(AwsAccountId=ACCOUNT, Namespace="default", UserName="ana@example.com")["User"]
        assert user["Role"] == "READER" and user["Email"] == "ana@example.com"
        [dataset] = datasets
        table = dataset["PhysicalTableMap"]["answer"]["CustomSql"]
        assert table["SqlQuery"] == execution.sql.strip() or table["SqlQuery"] in execution.sql
        assert table["DataSourceArn"].endswith(f":datasource/{data_source_id(ANALYST_ROLE)}")
        assert dataset["ImportMode"] == "DIRECT_QUERY"
        assert dataset["Permissions"] == [{"Principal": user["Arn"], "Actions": dataset["Permissions"][0]["Actions"]}]
        renames = {op["RenameColumnOperation"]["ColumnName"]: op["RenameColumnOperation"]["NewColumnName"]
                   for op in dataset["LogicalTableMap"]["answer"]["DataTransforms"] if "RenameColumnOperation" in op}
        assert renames == {"region": "category", "revenue": "value"}
        # the dataset QuickSight gets has the bar template's whole schema (tests/deploy checks the stack's)
        physical = {c["Name"]: c["Type"] for c in table["Columns"]}
        assert play(physical, dataset["LogicalTableMap"]["answer"]["DataTransforms"]) == dict(TEMPLATE_SCHEMA["bar"])
        described = publisher.client.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId=summary["DashboardId"])
        [created] = dashboards
        assert created["SourceEntity"]["SourceTemplate"]["Arn"] == TEMPLATES["bar"]  # the chart the bot chose
        assert created["Permissions"][0]["Principal"] == user["Arn"]
        assert {"Key": "athena-bot:managed", "Value": "true"} in created["Tags"]
        assert described["Dashboard"]["DashboardId"] == summary["DashboardId"]

        # the same answer clicked again reuses its dashboard
        rig.click("quicksight_dashboard", button["value"], answer.params["ts"], "100.000001")
        wait_queued(stack)
        stack.drain()
        again = fake.wait_for("chat.update", 3)[-1]
        assert again.params["text"].startswith("Here is your QuickSight dashboard")
        assert len(dashboards) == 1 and len(datasets) == 1

        # someone whose groups may not read the tables gets a refusal, and nothing in QuickSight
        rig.click("quicksight_dashboard", button["value"], answer.params["ts"], "100.000001", user="U3")
        wait_queued(stack)
        stack.drain()
        refused = fake.wait_for("chat.update", 4)[-1]
        assert "You don't have access to sales.order_items" in refused.params["text"]
        assert len(datasets) == 1
    finally:
        server.stop()
        fake.stop()


def test_spice_datasets_are_ingested_and_each_person_has_their_own(quicksight_env: None) -> None:
    client = boto3.client("quicksight")
    ingestions = requests_of(client, "CreateIngestion")
    datasets = requests_of(client, "CreateDataSet")
    settings = QuickSightSettings(ACCOUNT, "us-east-1", TEMPLATES, import_mode="SPICE")
    publisher = QuickSightPublisher(client, settings, SQLiteConversationStore(":memory:"))
    record = AnswerRecord("job-spice", "monthly revenue in 2024", "SELECT 1", None, ["month", "revenue"],
                          ["date", "decimal(38,2)"], "line")
    ana = Principal("u1", "ana.spice@example.com", ("Data Analysts",), ANALYST_ROLE)
    sam = Principal("u3", "sam.spice@example.com", ("Support",), SUPPORT_ROLE)
    first, second = publisher.publish(record, ana), publisher.publish(record, sam)
    assert first.dashboard_id != second.dashboard_id  # never a shared user, never a shared dashboard
    assert [i["IngestionId"] for i in ingestions] == ["initial", "initial"]
    assert [d["ImportMode"] for d in datasets] == ["SPICE", "SPICE"]
    assert datasets[1]["PhysicalTableMap"]["answer"]["CustomSql"]["DataSourceArn"].endswith(data_source_id(SUPPORT_ROLE))
    assert {op["RenameColumnOperation"]["NewColumnName"] for op in datasets[0]["LogicalTableMap"]["answer"]["DataTransforms"]
            if "RenameColumnOperation" in op} == {"period", "value"}
    with pytest.raises(Exception, match="no data role"):
        publisher.publish(record, Principal("u9", "nobody@example.com"))


def test_cleanup_deletes_only_the_bots_old_dashboards() -> None:
    client = boto3.client("quicksight", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    publisher = QuickSightPublisher(client, QuickSightSettings(ACCOUNT, "us-east-1", TEMPLATES, max_age_days=7),
                                    SQLiteConversationStore(":memory:"), clock=lambda: 30 * 86400.0)
    arn = f"arn:aws:quicksight:us-east-1:{ACCOUNT}:dashboard/"
    with Stubber(client) as stub:
        stub.add_response("list_dashboards", {"DashboardSummaryList": [
            {"Arn": arn + "old", "DashboardId": "old"}, {"Arn": arn + "new", "DashboardId": "new"},
            {"Arn": arn + "theirs", "DashboardId": "theirs"}], "NextToken": "p2"}, {"AwsAccountId": ACCOUNT})
        stub.add_response("list_tags_for_resource", {"Tags": [
            {"Key": "athena-bot:managed", "Value": "true"}, {"Key": "athena-bot:created", "Value": str(10 * 86400)},
            {"Key": "athena-bot:dataset", "Value": "old"}]}, {"ResourceArn": arn + "old"})
        stub.add_response("delete_dashboard", {}, {"AwsAccountId": ACCOUNT, "DashboardId": "old"})
        stub.add_client_error("delete_data_set", "ResourceNotFoundException", expected_params={
            "AwsAccountId": ACCOUNT, "DataSetId": "old"})  # gone already: fine
        stub.add_response("list_tags_for_resource", {"Tags": [
            {"Key": "athena-bot:managed", "Value": "true"}, {"Key": "athena-bot:created", "Value": str(29 * 86400)}]},
            {"ResourceArn": arn + "new"})
        stub.add_response("list_tags_for_resource", {"Tags": [{"Key": "team", "Value": "finance"}]},
                          {"ResourceArn": arn + "theirs"})
        stub.add_response("list_dashboards", {"DashboardSummaryList": []}, {"AwsAccountId": ACCOUNT, "NextToken": "p2"})
        assert publisher.cleanup() == 1
        stub.assert_no_pending_responses()


def test_the_scheduled_cleanup_is_a_queue_message_the_worker_runs(qs_stack: Stack) -> None:
    calls: list[float | None] = []
    stack = qs_stack
    stack.app.worker.actions.cleanup = lambda: calls.append(None) or 0  # type: ignore[union-attr]
    stack.sqs.send_message(QueueUrl=stack.queue_url, MessageBody=json.dumps(
        {"type": "maintenance", "version": 1, "task": "quicksight_cleanup"}))  # what EventBridge Scheduler sends
    stack.drain()
    assert calls == [None] and stack.count(stack.queue_url) == 0 and stack.count(stack.dlq_url) == 0


def test_embed_links_make_the_embed_url_only_when_clicked() -> None:
    client = boto3.client("quicksight", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    now = [1000.0]
    signed_in: dict[str, str | None] = {"email": "ana@example.com"}
    route = EmbedRoute(client, ACCOUNT, "s3cret", signed_in=lambda environ: signed_in["email"], clock=lambda: now[0])
    server = HttpServer(None, port=0, routes={ROUTE: route}).start()  # type: ignore[arg-type]
    base = f"http://127.0.0.1:{server.server.effective_port}{ROUTE}"
    user_arn = f"arn:aws:quicksight:us-east-1:{ACCOUNT}:user/default/ana@example.com"
    link = sign_link(base, "s3cret", "athena-bot-abc", user_arn, "ana@example.com", 1600.0)
    assert read_token(link.split("t=")[1], "s3cret", 1000.0)["d"] == "athena-bot-abc"

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:  # noqa: ANN401
            return None

    opener = urllib.request.build_opener(NoRedirect)

    def get(url: str) -> tuple[int, dict[str, str], str]:
        try:
            with opener.open(url, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read().decode()

    try:
        with Stubber(client) as stub:
            stub.add_response("generate_embed_url_for_registered_user",
                              {"EmbedUrl": "https://us-east-1.quicksight.aws.amazon.com/embed/one-time",
                               "Status": 200, "RequestId": "r1"},
                              {"AwsAccountId": ACCOUNT, "UserArn": user_arn, "SessionLifetimeInMinutes": 60,
                               "ExperienceConfiguration": {"Dashboard": {"InitialDashboardId": "athena-bot-abc"}}})
            status, headers, _ = get(link)
            assert status == 302 and headers["Location"].endswith("/embed/one-time")
            assert headers["Cache-Control"] == "no-store"
            stub.assert_no_pending_responses()
        forged = sign_link(base, "not-the-secret", "athena-bot-abc", user_arn, "ana@example.com", 1600.0)
        assert get(link[:-2] + "zz")[0] == 403 and get(forged)[0] == 403 and get(base)[0] == 403
        signed_in["email"] = "bob@example.com"
        status, _, text = get(link)
        assert status == 403 and "someone else" in text
        signed_in["email"] = "ana@example.com"
        now[0] = 2000.0
        status, _, text = get(link)
        assert status == 403 and "expired" in text
    finally:
        server.stop()


def test_quicksight_settings_are_checked() -> None:
    from adapters.aws.quicksight import QuickSightConfigError

    assert QuickSightSettings.from_env({}) is None
    with pytest.raises(QuickSightConfigError, match="needs a template ARN for table"):
        QuickSightSettings.from_env({"ATHENA_BOT_QUICKSIGHT_TEMPLATES": json.dumps({"line": "a", "bar": "b"})})
    with pytest.raises(QuickSightConfigError, match="ACCOUNT_ID"):
        QuickSightSettings.from_env({"ATHENA_BOT_QUICKSIGHT_TEMPLATES": json.dumps(TEMPLATES)})
    with pytest.raises(QuickSightConfigError, match="EMBED_SECRET"):
        QuickSightSettings.from_env({"ATHENA_BOT_QUICKSIGHT_TEMPLATES": json.dumps(TEMPLATES),
                                     "ATHENA_BOT_QUICKSIGHT_ACCOUNT_ID": ACCOUNT,
                                     "ATHENA_BOT_QUICKSIGHT_EMBED_URL": "https://bot/quicksight/open"})


def test_the_embed_route_on_the_slack_function_url() -> None:
    from bot.slack_lambda import embed

    client = boto3.client("quicksight", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    route = EmbedRoute(client, ACCOUNT, "s3cret", clock=lambda: 1000.0)
    user_arn = f"arn:aws:quicksight:us-east-1:{ACCOUNT}:user/default/ana@example.com"
    link = sign_link("https://bot.example.com" + ROUTE, "s3cret", "d1", user_arn, "ana@example.com", 2000.0)
    event = {"rawPath": ROUTE, "rawQueryString": link.split("?", 1)[1],
             "requestContext": {"http": {"method": "GET"}}}
    with Stubber(client) as stub:
        stub.add_response("generate_embed_url_for_registered_user", {"EmbedUrl": "https://qs/embed/x", "Status": 200,
                                                                     "RequestId": "r"})
        answer = embed(event, {ROUTE: route})
    assert answer["statusCode"] == 302 and answer["headers"]["location"] == "https://qs/embed/x"
    assert embed({**event, "rawQueryString": "t=forged.x"}, {ROUTE: route})["statusCode"] == 403
    assert embed(event, {})["statusCode"] == 404
