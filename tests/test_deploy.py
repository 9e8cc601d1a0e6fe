"""The deployment template wires what the worker relies on."""

from __future__ import annotations

from pathlib import Path

import yaml

TEMPLATE = Path(__file__).resolve().parents[1] / "deploy" / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node):  # noqa: ANN202
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node)}
    return {suffix: loader.construct_mapping(node)}


_CfnLoader.add_multi_constructor("!", _tag)


def test_template_routes_athena_events_and_reports_batch_failures() -> None:
    resources = __import__("tests.deploy.cfn", fromlist=["load"]).load("template.yaml")["Resources"]
    rule = resources["AthenaStateChangeRule"]["Properties"]
    assert rule["EventPattern"]["detail-type"] == ["Athena Query State Change"]
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": ["JobsQueue", "Arn"]}
    queue = resources["JobsQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    function = resources["WorkerFunction"]["Properties"]
    assert function["ImageConfig"]["Command"] == ["bot.lambda_handler.handler"]
    assert function["Events"]["Jobs"]["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    env = function["Environment"]["Variables"]
    for name in ("ATHENA_BOT_QUEUE_URL", "ATHENA_BOT_WORKGROUP", "ATHENA_BOT_IDEMPOTENCY_TABLE",
                 "ATHENA_BOT_PENDING_TABLE", "ATHENA_BOT_CONVERSATIONS_TABLE"):
        assert name in env
    for table in ("PendingTable", "ConversationsTable"):
        assert resources[table]["Properties"]["TimeToLiveSpecification"]["AttributeName"] == "expires_at"
    workgroup = resources["AthenaWorkGroup"]["Properties"]["WorkGroupConfiguration"]
    assert workgroup["EnforceWorkGroupConfiguration"] is True and "BytesScannedCutoffPerQuery" in workgroup


def test_template_serves_slack_with_secrets_read_at_run_time() -> None:
    resources = __import__("tests.deploy.cfn", fromlist=["load"]).load("template.yaml")["Resources"]
    slack = resources["SlackFunction"]["Properties"]
    assert slack["ImageConfig"]["Command"] == ["bot.slack_lambda.handler"]
    env = slack["Environment"]["Variables"]
    # tokens are read at run time from the stack's secret, never resolved into the environment
    assert env["ATHENA_BOT_SLACK_SECRET"] == {"Ref": "SlackSecret"}
    assert "SLACK_BOT_TOKEN" not in env and "SLACK_SIGNING_SECRET" not in env
    statements = [s for p in resources["SlackRole"]["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]
    # no lazy listeners: the intake runs before the response, so the function never invokes itself
    assert "lambda:InvokeFunction" not in [s.get("Action") for s in statements]
    worker_env = resources["WorkerFunction"]["Properties"]["Environment"]["Variables"]
    assert worker_env["ATHENA_BOT_SLACK_SECRET"] == {"Ref": "SlackSecret"}  # the worker posts the answers


def test_slack_manifest_matches_the_app() -> None:
    manifest = yaml.safe_load((TEMPLATE.parent / "slack" / "manifest.yaml").read_text())
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "commands", "files:write", "files:read", "users:read",
            "users:read.email", "im:history", "channels:history", "groups:history", "assistant:write"} <= scopes
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/ask"]
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_mention", "message.im", "message.channels", "message.groups", "app_home_opened",
            "assistant_thread_started", "assistant_thread_context_changed"} <= events
    assert "assistant:write" in scopes and manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["features"]["assistant_view"]["assistant_description"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_teams_app_package_files() -> None:
    import json
    import struct

    folder = TEMPLATE.parent / "teams"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["bots"][0]["botId"] == "{{MICROSOFT_APP_ID}}"
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team", "groupChat"}
    for name, size in (("color", 192), ("outline", 32)):
        data = (folder / manifest["icons"][name]).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (size, size)


def test_teams_prompt_starters_are_written_from_the_model() -> None:
    import json

    from adapters.teams.manifest import with_prompt_starters
    from engine.semantic_model import load_model

    manifest = json.loads((TEMPLATE.parent / "teams" / "manifest.json").read_text())
    model = load_model(Path(__file__).resolve().parent.parent / "bot" / "semantic_models" / "sample.yaml")
    assert manifest == with_prompt_starters(manifest, model)  # `athena-bot teams-manifest` was run
    [commands] = [c["commands"] for c in manifest["bots"][0]["commandLists"]]
    assert 3 <= len(commands) <= 10
    assert all(len(c["title"]) <= 32 and len(c["description"]) <= 128 for c in commands)
    assert commands[0]["title"] == "revenue by customer region"
