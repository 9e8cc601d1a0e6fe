"""QuickSight per answer in the stacks: with QuickSightTemplates the worker gets exactly the rights
and settings the publisher (adapters/aws/quicksight.py) uses, each group role gets its Athena data
source, and a daily schedule sends the clean-up job; without it none of that exists."""

from __future__ import annotations

import ast
import fnmatch
import json
from typing import Any

import pytest

from adapters.aws.quicksight import PLACEHOLDER, QuickSightSettings, data_source_id
from engine.answers.dashboards import TEMPLATE_SCHEMA
from engine.answers.actions import QUICKSIGHT_CLEANUP, MaintenanceJob, encode_maintenance
from engine.jobs import decode_message
from tests.deploy.cfn import PARAMETERS, deployed, expand, load, role_statements
from tests.deploy.envvars import ROOT, container_env, function_env, stack_exports
from tests.deploy.test_sam import _assert_quicksight_trust, _grants, _sub_text, _trust

TEMPLATES = json.dumps({kind: f"arn:aws:quicksight:us-east-1:123456789012:template/athena-bot-{kind}"
                        for kind in ("line", "bar", "table")})
ON = {**PARAMETERS, "QuickSightTemplates": TEMPLATES}
STACK = {**PARAMETERS, "QuickSightTemplates": "stack"}  # the stack makes the templates
MADE = {"line": "QuickSightLineTemplate", "bar": "QuickSightBarTemplate", "table": "QuickSightTableTemplate"}
QS_ARN = "arn:${AWS::Partition}:quicksight:${AWS::Region}:${AWS::AccountId}:"
# Rights a call needs besides its own action (dependent actions), and the reason.
DEPENDENT = {
    "quicksight:PassDataSource": "CreateDataSet on a data source",
    "quicksight:PassDataSet": "CreateDashboard with the answer's dataset",
    "quicksight:DescribeTemplate": "CreateDashboard from a template",
    "quicksight:TagResource": "CreateDataSet and CreateDashboard with tags (the clean-up finds them by tag)",
}


def _publisher_calls() -> set[str]:
    """The QuickSight API calls adapters/aws/quicksight.py makes, as IAM actions."""
    tree = ast.parse((ROOT / "adapters/aws/quicksight.py").read_text())
    names = {n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and isinstance(n.func.value, ast.Attribute) and n.func.value.attr == "client"}
    names |= {n.args[0].value for n in ast.walk(tree) if isinstance(n, ast.Call)
              and isinstance(n.func, ast.Attribute) and n.func.attr == "_delete"
              and n.args and isinstance(n.args[0], ast.Constant)}
    return {"quicksight:" + "".join(part.title() for part in name.split("_")) for name in names}


@pytest.fixture(scope="module")
def on() -> dict[str, Any]:
    return deployed(expand({"QuickSightTemplates": TEMPLATES}), ON)


@pytest.fixture(scope="module")
def made() -> dict[str, Any]:
    return deployed(expand({"QuickSightTemplates": "stack"}), STACK)


@pytest.fixture(scope="module")
def off() -> dict[str, Any]:
    return deployed(expand(), PARAMETERS)


def _quicksight_grants(template: dict[str, Any], role: str) -> dict[str, list[str]]:
    return {a: r for a, r in _grants(template, role).items() if a.startswith("quicksight:")}


def test_the_publisher_calls_are_read_from_its_code() -> None:
    calls = _publisher_calls()
    assert {"quicksight:DescribeUser", "quicksight:RegisterUser", "quicksight:CreateDataSet",
            "quicksight:CreateIngestion", "quicksight:CreateDashboard", "quicksight:DescribeDashboard",
            "quicksight:ListDashboards", "quicksight:ListTagsForResource", "quicksight:DeleteDashboard",
            "quicksight:DeleteDataSet"} == calls


def test_with_templates_the_worker_may_do_exactly_what_the_publisher_calls(on: dict[str, Any]) -> None:
    grants = _quicksight_grants(on, "WorkerRole")
    assert set(grants) == _publisher_calls() | set(DEPENDENT)
    assert grants["quicksight:PassDataSource"] == [QS_ARN + "datasource/athena-bot-*"]
    assert grants["quicksight:DescribeUser"] == grants["quicksight:RegisterUser"] == [
        QS_ARN + "user/${QuickSightNamespace}/*"]
    assert grants["quicksight:DescribeTemplate"] == [QS_ARN + "template/*"]
    for action in ("quicksight:DeleteDataSet", "quicksight:CreateIngestion"):
        assert grants[action] == [QS_ARN + "dataset/*"], action
    # CreateDataSet is authorized on the data source it reads (tests/deploy/test_iam_resources.py): ours only
    assert sorted(grants["quicksight:CreateDataSet"]) == [QS_ARN + "dataset/*", QS_ARN + "datasource/athena-bot-*"]
    for action in ("quicksight:CreateDashboard", "quicksight:DeleteDashboard", "quicksight:ListDashboards"):
        assert grants[action] == [QS_ARN + "dashboard/*"], action
    # nobody else in the stack touches QuickSight (the chat surfaces only show the button)
    for role in ("SlackRole", "RefreshRole", "SchedulerRole", "AnalystDataRole"):
        assert not _quicksight_grants(on, role), role


def test_with_templates_the_worker_gets_the_publisher_settings(on: dict[str, Any]) -> None:
    env = function_env(on, "WorkerFunction", ON)
    settings = QuickSightSettings.from_env(env, "us-east-1")
    assert settings is not None and settings.templates == json.loads(TEMPLATES)
    assert env["ATHENA_BOT_QUICKSIGHT_ACCOUNT_ID"] == "<AWS::AccountId>"  # the stack's own account
    assert (settings.namespace, settings.max_age_days) == ("default", 7.0)
    given = function_env(on, "WorkerFunction", {**ON, "QuickSightNamespace": "bots", "QuickSightMaxAgeDays": "3"})
    assert QuickSightSettings.from_env(given, "us-east-1").max_age_days == 3.0  # type: ignore[union-attr]
    slack = function_env(on, "SlackFunction", ON)  # shows the button; the worker makes the dashboard
    assert slack["ATHENA_BOT_QUICKSIGHT_TEMPLATES"] == TEMPLATES
    assert not {k for k in slack if k.startswith("ATHENA_BOT_QUICKSIGHT_")} - {
        "ATHENA_BOT_QUICKSIGHT_TEMPLATES", "ATHENA_BOT_QUICKSIGHT_URL"}


EMBED_URL = "https://abc.lambda-url.us-east-1.on.aws/quicksight/open"
EMBED = {**ON, "QuickSightEmbedUrl": EMBED_URL}


def test_with_an_embed_url_the_route_may_make_embed_urls_and_both_sides_share_the_key() -> None:
    embed = deployed(expand({"QuickSightTemplates": TEMPLATES, "QuickSightEmbedUrl": EMBED_URL}), EMBED)
    grants = _quicksight_grants(embed, "SlackRole")
    assert set(grants) == {"quicksight:GenerateEmbedUrlForRegisteredUser"}
    assert set(grants["quicksight:GenerateEmbedUrlForRegisteredUser"]) == {
        QS_ARN + "user/${QuickSightNamespace}/*", QS_ARN + "dashboard/*"}
    from bot.aws_settings import SECRET_KEYS

    secret = {"bot_token": "xoxb-1", "signing_secret": "s", "quicksight_embed_secret": "k"}
    for function in ("WorkerFunction", "SlackFunction"):  # the worker signs links, the route checks them
        env = function_env(embed, function, EMBED)
        assert env["ATHENA_BOT_QUICKSIGHT_EMBED_URL"] == EMBED_URL and "ATHENA_BOT_QUICKSIGHT_EMBED_SECRET" not in env
        from bot.aws_settings import with_secrets

        filled = with_secrets(env, lambda _id: secret)  # the key comes from the Slack secret at run time
        settings = QuickSightSettings.from_env(filled, "us-east-1")
        assert settings is not None and (settings.embed_url, settings.embed_secret) == (EMBED_URL, "k")
    assert SECRET_KEYS["ATHENA_BOT_SLACK_SECRET"]["quicksight_embed_secret"] == "ATHENA_BOT_QUICKSIGHT_EMBED_SECRET"
    # templates without an embed URL: the console link, no embed rights
    on = deployed(expand({"QuickSightTemplates": TEMPLATES}), ON)
    assert not _quicksight_grants(on, "SlackRole")
    assert "ATHENA_BOT_QUICKSIGHT_EMBED_URL" not in function_env(on, "WorkerFunction", ON)


def _ecs(quicksight: bool, templates: str = TEMPLATES) -> tuple[dict[str, str], dict[str, str]]:
    app = {**(PARAMETERS if not quicksight else {**PARAMETERS, "QuickSightTemplates": templates}), "TeamsAppId": "app"}
    exports = stack_exports(deployed(expand(app), app), "athena-bot-dev", app)
    given = {"AppStackName": "athena-bot-dev", "TeamsAppId": "app", "IdentityStoreId": PARAMETERS["IdentityStoreId"],
             **({"QuickSightTemplates": templates} if quicksight else {})}
    ecs = deployed(load("ecs.yaml"), given)
    return container_env(ecs, "WorkerTask", given, exports), container_env(ecs, "TeamsTask", given, exports)


def test_the_ecs_worker_and_teams_follow_the_same_switch() -> None:
    worker, teams = _ecs(quicksight=True)
    settings = QuickSightSettings.from_env(worker, "us-east-1")
    assert settings is not None and settings.templates == json.loads(TEMPLATES)
    assert {"ATHENA_BOT_QUICKSIGHT_NAMESPACE", "ATHENA_BOT_QUICKSIGHT_MAX_AGE_DAYS"} <= set(worker)
    assert teams["ATHENA_BOT_QUICKSIGHT_TEMPLATES"] == TEMPLATES
    worker, teams = _ecs(quicksight=True, templates="stack")  # the app stack's own templates, imported
    settings = QuickSightSettings.from_env(worker, "us-east-1")
    assert settings is not None and settings.templates == {kind: f"<{name}.Arn>" for kind, name in MADE.items()}
    assert teams["ATHENA_BOT_QUICKSIGHT_TEMPLATES"] == "stack"  # shows the button
    worker, teams = _ecs(quicksight=False)
    assert QuickSightSettings.from_env(worker) is None
    assert not [k for k in (*worker, *teams) if k.startswith("ATHENA_BOT_QUICKSIGHT_") and k != "ATHENA_BOT_QUICKSIGHT_URL"]


def test_a_daily_schedule_sends_the_clean_up_job_to_the_queue(on: dict[str, Any]) -> None:
    schedule = on["Resources"]["QuickSightCleanupSchedule"]
    assert schedule["Type"] == "AWS::Scheduler::Schedule"
    props = schedule["Properties"]
    assert props["GroupName"] == {"Ref": "ScheduleGroup"} and props["ScheduleExpression"] == "rate(1 day)"
    target = props["Target"]
    assert target["Arn"] == {"Fn::GetAtt": ["JobsQueue", "Arn"]}
    assert target["RoleArn"] == {"Fn::GetAtt": ["SchedulerRole", "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["DeliveryDeadLetterQueue", "Arn"]}}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    job = decode_message(target["Input"])  # what the worker receives
    assert isinstance(job, MaintenanceJob) and job.task == QUICKSIGHT_CLEANUP
    assert json.loads(target["Input"]) == json.loads(encode_maintenance(MaintenanceJob(QUICKSIGHT_CLEANUP)))
    sends = _grants(on, "SchedulerRole")["sqs:SendMessage"]
    assert {"${JobsQueue.Arn}", "${DeliveryDeadLetterQueue.Arn}"} <= set(sends)


def test_the_analyst_role_has_its_own_data_source_and_trusts_quicksight_for_it(on: dict[str, Any]) -> None:
    source = on["Resources"]["AnalystDataSource"]["Properties"]
    assert source["Type"] == "ATHENA"
    athena = source["DataSourceParameters"]["AthenaParameters"]
    assert athena == {"WorkGroup": {"Ref": "AthenaWorkGroup"}, "RoleArn": {"Fn::GetAtt": ["AnalystDataRole", "Arn"]}}
    # Ref of a role is its name: the id the worker derives from the role's ARN
    name = "athena-bot-dev-AnalystDataRole-1A2B3C"
    arn = f"arn:aws:iam::123456789012:role/athena-bot/dev/data/{name}"
    assert _sub_text(source["DataSourceId"]).replace("${AnalystDataRole}", name) == data_source_id(arn)
    [passable] = _grants(on, "WorkerRole")["quicksight:PassDataSource"]
    used = QuickSightSettings("123456789012", "us-east-1", {}).data_source(arn)  # what CreateDataSet names
    as_granted = passable.replace("${AWS::Partition}", "aws").replace("${AWS::Region}", "us-east-1")
    assert fnmatch.fnmatchcase(used, as_granted.replace("${AWS::AccountId}", "123456789012"))
    statements = on["Resources"]["AnalystDataRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    _assert_quicksight_trust([s for s in statements if s["Principal"] != {"AWS": {"Fn::GetAtt": ["WorkerRole", "Arn"]}}])
    reads = _grants(on, "AnalystDataRole")
    assert reads["athena:GetQueryResultsStream"] == reads["athena:StartQueryExecution"]  # the same workgroup


def _columns_read(node: Any) -> set[tuple[str, str]]:
    """Every (dataset, column) a template definition's visuals read."""
    if isinstance(node, list):
        return {c for item in node for c in _columns_read(item)}
    if not isinstance(node, dict):
        return set()
    found = {(node["DataSetIdentifier"], node["ColumnName"])} if {"DataSetIdentifier", "ColumnName"} <= set(node) else set()
    return found | {c for value in node.values() for c in _columns_read(value)}


def test_the_stack_can_make_the_three_templates_whose_schema_the_datasets_match(made: dict[str, Any],
                                                                                on: dict[str, Any]) -> None:
    templates = {n: r for n, r in made["Resources"].items() if r["Type"] == "AWS::QuickSight::Template"}
    assert set(templates) == set(MADE.values())
    for kind, name in MADE.items():
        props = templates[name]["Properties"]
        assert _sub_text(props["TemplateId"]) == f"athena-bot-${{Stage}}-{kind}"
        [config] = props["Definition"]["DataSetConfigurations"]
        assert config["Placeholder"] == PLACEHOLDER  # what CreateDashboard's DataSetReferences name
        schema = [(c["Name"], c["DataType"]) for c in config["DataSetSchema"]["ColumnSchemaList"]]
        assert schema == list(TEMPLATE_SCHEMA[kind]), kind  # what every dataset the worker makes has
        [sheet] = props["Definition"]["Sheets"]
        [visual] = sheet["Visuals"]
        assert next(iter(visual)) == {"line": "LineChartVisual", "bar": "BarChartVisual", "table": "TableVisual"}[kind]
        assert _columns_read(props["Definition"]) == {(PLACEHOLDER, c) for c, _ in schema}  # each field shown
    # the worker gets their ARNs; its rights are the same as with the account's own templates
    settings = QuickSightSettings.from_env(function_env(made, "WorkerFunction", STACK), "us-east-1")
    assert settings is not None and settings.templates == {kind: f"<{name}.Arn>" for kind, name in MADE.items()}
    assert _quicksight_grants(made, "WorkerRole") == _quicksight_grants(on, "WorkerRole")
    assert function_env(made, "SlackFunction", STACK)["ATHENA_BOT_QUICKSIGHT_TEMPLATES"] == "stack"  # the button
    assert {"AnalystDataSource", "QuickSightCleanupSchedule"} <= set(made["Resources"])
    # given the account's own templates, the stack makes none
    assert not [n for n, r in on["Resources"].items() if r["Type"] == "AWS::QuickSight::Template"]
    assert "QuickSightTemplateArns" not in on["Outputs"]


def test_without_templates_nothing_of_quicksight_exists(off: dict[str, Any]) -> None:
    resources = off["Resources"]
    assert not [n for n, r in resources.items() if r["Type"].startswith("AWS::QuickSight::")]
    assert "QuickSightCleanupSchedule" not in resources
    for role in ("WorkerRole", "SlackRole", "RefreshRole", "SchedulerRole", "AnalystDataRole"):
        assert not _quicksight_grants(off, role), role
    for function in ("WorkerFunction", "SlackFunction"):
        env = function_env(off, function, PARAMETERS)
        assert QuickSightSettings.from_env(env) is None
        assert not [k for k in env if k.startswith("ATHENA_BOT_QUICKSIGHT_") and k != "ATHENA_BOT_QUICKSIGHT_URL"]
    statements = resources["AnalystDataRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert {json.dumps(s["Principal"]) for s in statements} == {json.dumps({"AWS": {"Fn::GetAtt": ["WorkerRole", "Arn"]}})}


# ---------------------------------------------------------------- deploy/data-role.yaml

GROUP = {"AppStackName": "athena-bot-dev", "Stage": "dev", "GroupName": "Support", "Database": "support",
         "DataPrefixArns": "arn:aws:s3:::lake/support/*", "DataBucketArns": "arn:aws:s3:::lake"}


def test_a_group_stack_makes_the_data_source_the_worker_looks_for() -> None:
    template = deployed(load("data-role.yaml"), {**GROUP, "QuickSight": "true"})
    source = template["Resources"]["DataSource"]["Properties"]
    name = "support-role-DataRole-9Z8Y7X"  # Ref of the role: its name
    arn = f"arn:aws:iam::123456789012:role/athena-bot/dev/data/{name}"
    assert _sub_text(source["DataSourceId"]).replace("${DataRole}", name) == data_source_id(arn)
    athena = source["DataSourceParameters"]["AthenaParameters"]
    assert athena["RoleArn"] == {"Fn::GetAtt": ["DataRole", "Arn"]}
    exports = stack_exports(expand(ON), "athena-bot-dev", ON)  # the workgroup is the app stack's
    assert _sub_text(athena["WorkGroup"]["Fn::ImportValue"]).replace("${AppStackName}", "athena-bot-dev") in exports
    worker = {"AWS": {"Fn::ImportValue": {"Fn::Sub": "${AppStackName}-WorkerRoleArn"}}}
    statements = template["Resources"]["DataRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    _assert_quicksight_trust([s for s in statements if s["Principal"] != worker])
    assert "DataSourceArn" in template["Outputs"]


def test_a_group_stack_trusts_only_the_worker_until_quicksight_is_enabled() -> None:
    raw = load("data-role.yaml")["Resources"]["DataRole"]["Properties"]
    always, quicksight = _trust(raw)
    worker = {"AWS": {"Fn::ImportValue": {"Fn::Sub": "${AppStackName}-WorkerRoleArn"}}}
    assert [s["Principal"] for s in always] == [worker] * 3
    _assert_quicksight_trust(quicksight)
    template = deployed(load("data-role.yaml"), GROUP)
    assert "DataSource" not in template["Resources"] and "DataSourceArn" not in template["Outputs"]
    statements = template["Resources"]["DataRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in statements] == [worker] * 3
    assert not [s for s in role_statements(template, "DataRole") if "quicksight" in json.dumps(s)
                or "GetQueryResultsStream" in json.dumps(s)]

