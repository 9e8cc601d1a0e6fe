"""deploy/template.yaml expanded by the SAM translator (what CloudFormation deploys), and the ECS
services of deploy/ecs.yaml: who may do what, which settings each runtime gets, what is alarmed."""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

import pytest

from bot.aws_settings import SECRET_KEYS, AwsSettings
from bot.settings import Settings
from bot.slack import SlackSettings
from bot.teams import TeamsSettings
from tests.deploy.cfn import PARAMETERS, as_list, expand, function_roles, load, role_statements
from tests.deploy.envvars import container_env, function_env, read_by_code, settings_env, stack_exports

AWS = settings_env(AwsSettings)
LOCAL = settings_env(Settings)
SLACK = settings_env(SlackSettings)
TEAMS = settings_env(TeamsSettings)

# Variables the templates set that the libraries read, not our code.
LIBRARY_SETTINGS = {
    "POWERTOOLS_SERVICE_NAME": "Powertools Logger/Metrics/Tracer service name",
    "MPLCONFIGDIR": "matplotlib's writable config and font cache (/tmp on Lambda and ECS)",
}
# AwsSettings fields a worker may leave at their default, and why. Any other field (a new one
# included) must be set by both workers' environments.
WORKER_DEFAULTS = {
    "output_location": "the workgroup enforces its own result location",
    "group_access": "the map is the SSM parameter (group_access_parameter)",
    "identity_store_id": "set with identity-center, empty with cognito",
    "cognito_user_pool_id": "set with cognito, empty with identity-center",
    "teams_secret": "only when Teams is on",
    **{f.name: "a tuning knob with a sound default" for f in AwsSettings.__dataclass_fields__.values()
       if f.name.endswith(("_seconds", "_minutes"))},
}


@pytest.fixture(scope="module")
def sam() -> dict[str, Any]:
    return expand()


@pytest.fixture(scope="module")
def ecs() -> dict[str, Any]:
    return load("ecs.yaml")


def _names(fields: dict[str, set[str]], *wanted: str) -> set[str]:
    return {name for field in wanted for name in fields[field]}


def _sub_text(value: Any) -> str:
    """An ARN as written: the Fn::Sub text, or a GetAtt/Ref rendered like one."""
    if isinstance(value, str):
        return value
    if "Fn::Sub" in value:
        return value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
    if "Fn::GetAtt" in value:
        return "${%s.%s}" % tuple(value["Fn::GetAtt"])
    if "Ref" in value:
        return "${%s}" % value["Ref"]
    return json.dumps(value)


def _actions(statement: dict[str, Any]) -> list[str]:
    return as_list(statement["Action"])


def _grants(template: dict[str, Any], role: str) -> dict[str, list[str]]:
    """action -> the resources (as written) the role may do it on."""
    grants: dict[str, list[str]] = {}
    for s in role_statements(template, role):
        assert s["Effect"] == "Allow" and "NotAction" not in s and "NotResource" not in s, s
        for action in _actions(s):
            grants.setdefault(action, []).extend(_sub_text(r) for r in as_list(s["Resource"]))
    return grants


# ---------------------------------------------------------------- the functions

def test_each_function_runs_a_real_handler_from_the_image_with_its_own_role(sam: dict[str, Any]) -> None:
    roles = function_roles(sam)
    assert set(roles) == {"WorkerFunction", "SlackFunction", "RefreshValuesFunction"}
    assert len(set(roles.values())) == 3  # no role shared between functions
    for name in roles:
        props = sam["Resources"][name]["Properties"]
        assert props["PackageType"] == "Image" and props["Code"] == {"ImageUri": {"Ref": "ImageUri"}}
        [command] = props["ImageConfig"]["Command"]
        module, function = command.rsplit(".", 1)
        assert callable(getattr(importlib.import_module(module), function)), command
        assert isinstance(props["ReservedConcurrentExecutions"], (int, dict)), f"{name}: no reserved concurrency"
        log_group = sam["Resources"][name.replace("Function", "LogGroup").replace("RefreshValues", "Refresh")]
        assert log_group["Properties"]["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${%s}" % name}
        assert "RetentionInDays" in log_group["Properties"] and "KmsKeyId" in log_group["Properties"]


def test_the_queue_outlives_the_worker_and_reports_partial_batches(sam: dict[str, Any]) -> None:
    resources = sam["Resources"]
    [mapping] = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert mapping["FunctionName"] == {"Ref": "WorkerFunction"}
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["JobsQueue", "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # Lambda refuses a mapping whose queue hides a message for less than the function may run
    worker_timeout = resources["WorkerFunction"]["Properties"]["Timeout"]
    assert resources["JobsQueue"]["Properties"]["VisibilityTimeout"] >= 6 * worker_timeout
    # the worker tells the user on the last receive: it must know the queue's count
    redrive = resources["JobsQueue"]["Properties"]["RedrivePolicy"]
    worker_env = resources["WorkerFunction"]["Properties"]["Environment"]["Variables"]
    assert redrive["maxReceiveCount"] == worker_env["ATHENA_BOT_MAX_RECEIVES"] == {"Ref": "MaxReceives"}
    spec = sam["Parameters"]["MaxReceives"]  # every value the stack accepts, the worker accepts
    assert spec["Default"] == Settings.from_env({}).max_receives
    Settings.from_env({"ATHENA_BOT_MAX_RECEIVES": str(spec["MinValue"])})
    with pytest.raises(ValueError):
        Settings.from_env({"ATHENA_BOT_MAX_RECEIVES": str(spec["MinValue"] - 1)})


# ---------------------------------------------------------------- least privilege

# Wildcards inside an ARN whose service, account and resource type are fixed, each with its reason.
WILDCARDS = {
    "role/athena-bot/${Stage}/data/*": "data roles are the data team's, named freely under the stage's path",
    ":database/*": "GlueDatabases is a list: CloudFormation cannot prefix each name (metadata only)",
    ":table/*/*": "same list; table names are the data team's",
    ":user/*": "Identity Center user, group and membership ids are not known at deploy time",
    ":group/*": "(Identity Center)",
    ":membership/*": "(Identity Center)",
    "/athena-bot-digest-*": "one schedule per digest in the stage's group, named by the digest's id at run time",
    ":user/${QuickSightNamespace}/*": "QuickSight users of the namespace, one per person, registered at run time",
    ":datasource/athena-bot-*": "the stack's per-group-role data sources (athena-bot-<role name>), one stack each",
    ":template/*": "the templates are a JSON parameter: CloudFormation cannot split it into ARNs (this account's)",
    ":dataset/*": "one QuickSight dataset per answer and person, its id made at run time",
    ":dashboard/*": "one QuickSight dashboard per answer and person, its id made at run time",
}


def _wildcard_ok(resource: str) -> bool:
    if "*" not in resource:
        return True
    if re.fullmatch(r"\$\{\w+\.Arn\}/[\w/-]*\*", resource):  # objects in (a prefix of) a bucket of the stack
        return True
    if re.fullmatch(r"arn:\$\{AWS::Partition\}:logs:.*:log-group:/aws/lambda/athena-bot-\$\{Stage\}-[\w-]+:\*",
                    resource):  # the streams of one function's log group
        return True
    return any(resource.endswith(suffix) for suffix in WILDCARDS)


def test_no_function_may_act_on_everything(sam: dict[str, Any]) -> None:
    for function, role in function_roles(sam).items():
        for action, resources in _grants(sam, role).items():
            assert action != "*" and not action.endswith(":*"), f"{role}: {action}"
            for resource in resources:
                assert resource != "*", f"{role} may {action} on *"
                assert _wildcard_ok(resource), f"{role}: {action} on {resource}: an ARN is known"
        managed = sam["Resources"][role]["Properties"].get("ManagedPolicyArns", [])
        assert all(_sub_text(m).endswith(":policy/AWSXrayWriteOnlyAccess") for m in managed), managed


def test_the_worker_queries_only_as_the_user_and_writes_only_charts(sam: dict[str, Any]) -> None:
    grants = _grants(sam, "WorkerRole")
    assert not [a for a in grants if a.startswith("athena:")]  # Athena runs as the user's data role
    assert grants["sts:AssumeRole"] == ["arn:${AWS::Partition}:iam::${AWS::AccountId}:role/athena-bot/${Stage}/data/*"]
    assert {"sts:TagSession", "sts:SetSourceIdentity"} <= set(grants)
    assert grants["s3:PutObject"] == ["${ResultsBucket.Arn}/charts/*"]
    assert set(grants["secretsmanager:GetSecretValue"]) == {"${SlackSecret}", "${TeamsSecret}"}
    assert grants["sqs:ReceiveMessage"] == ["${JobsQueue.Arn}"]
    assert set(grants["dynamodb:PutItem"]) == {"${IdempotencyTable.Arn}", "${PendingTable.Arn}",
                                               "${ConversationsTable.Arn}", "${DigestsTable.Arn}",
                                               "${VerifiedTable.Arn}", "${FeedbackTable.Arn}"}
    assert grants["bedrock:InvokeModel"]  # only with the planner (Fn::If), on that model


def test_the_slack_receiver_only_hands_questions_in(sam: dict[str, Any]) -> None:
    grants = _grants(sam, "SlackRole")
    assert grants["sqs:SendMessage"] == ["${JobsQueue.Arn}"] and "sqs:ReceiveMessage" not in grants
    assert not [a for a in grants if a.split(":")[0] in ("athena", "sts", "s3", "glue")]
    assert not [a for a in grants if a.startswith("lambda:")]  # no lazy listeners: it never invokes itself
    assert grants["secretsmanager:GetSecretValue"] == ["${SlackSecret}"]
    assert set(grants["dynamodb:PutItem"]) == {"${ConversationsTable.Arn}", "${DigestsTable.Arn}",
                                               "${VerifiedTable.Arn}", "${FeedbackTable.Arn}"}


def test_digests_have_a_table_and_change_only_their_own_schedules(sam: dict[str, Any]) -> None:
    table = sam["Resources"]["DigestsTable"]
    assert table["Properties"]["KeySchema"] == [{"AttributeName": "digest_id", "KeyType": "HASH"}]
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["DeletionPolicy"] == "Retain"
    schedules = ("arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:"
                 "schedule/athena-bot-${Stage}/athena-bot-digest-*")
    for role in ("WorkerRole", "SlackRole"):  # the worker creates digests, the receiver changes them
        grants = _grants(sam, role)
        for action in ("scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"):
            assert grants[action] == [schedules], role
        assert grants["iam:PassRole"] == ["${SchedulerRole.Arn}"], role
        assert "${DigestsTable.Arn}" in grants["dynamodb:Scan"], role
        passing = next(st for st in role_statements(sam, role) if "iam:PassRole" in _actions(st))
        assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}
    assert set(_grants(sam, "SchedulerRole")["sqs:SendMessage"]) == {"${JobsQueue.Arn}",
                                                                     "${DeliveryDeadLetterQueue.Arn}"}
    for function in ("WorkerFunction", "SlackFunction"):
        env = sam["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert env["ATHENA_BOT_DIGESTS_TABLE"] == {"Ref": "DigestsTable"}
        assert env["ATHENA_BOT_SCHEDULER_GROUP"] == {"Ref": "ScheduleGroup"}
        assert env["ATHENA_BOT_SCHEDULER_ROLE_ARN"] == {"Fn::GetAtt": ["SchedulerRole", "Arn"]}


def test_the_refresh_runs_one_query_in_the_workgroup_and_writes_only_the_values(sam: dict[str, Any]) -> None:
    grants = _grants(sam, "RefreshRole")
    workgroup = "arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:workgroup/${AthenaWorkGroup}"
    assert grants["athena:StartQueryExecution"] == [workgroup]
    assert set(grants["s3:PutObject"]) == {"${ResultsBucket.Arn}/athena/*", "${ConfigBucket.Arn}/values/*"}
    assert "sts:AssumeRole" not in grants and "sqs:ReceiveMessage" not in grants
    # the schedule may invoke exactly this function
    scheduler = _grants(sam, "SchedulerRole")
    assert scheduler["lambda:InvokeFunction"] == ["${RefreshValuesFunction.Arn}"]
    schedule = sam["Resources"]["ValuesRefreshSchedule"]["Properties"]
    assert schedule["Target"]["Arn"] == {"Fn::GetAtt": ["RefreshValuesFunction", "Arn"]}
    assert schedule["Target"]["RoleArn"] == {"Fn::GetAtt": ["SchedulerRole", "Arn"]}


def _trust(role: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A data role's trust: the statements always there, and those only with HasQuickSight."""
    always, quicksight = [], []
    for s in role["AssumeRolePolicyDocument"]["Statement"]:
        if "Fn::If" in s:
            condition, on, off = s["Fn::If"]
            assert condition == "HasQuickSight" and off == {"Ref": "AWS::NoValue"}, s
            quicksight.append(on)
        else:
            always.append(s)
    return always, quicksight


def _assert_quicksight_trust(statements: list[dict[str, Any]]) -> None:
    """QuickSight of this account only, and only to assume the role (no tags, no source identity)."""
    assert [(s["Principal"], s["Action"], s["Condition"]) for s in statements] == [
        ({"Service": "quicksight.amazonaws.com"}, "sts:AssumeRole",
         {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}})]


def test_the_data_role_trusts_only_the_worker_acting_for_a_tagged_user(sam: dict[str, Any]) -> None:
    role = sam["Resources"]["AnalystDataRole"]["Properties"]
    assert role["Path"] == {"Fn::Sub": "/athena-bot/${Stage}/data/"}  # what the worker may assume
    statements, quicksight = _trust(role)
    assert {json.dumps(s["Principal"]) for s in statements} == {json.dumps({"AWS": {"Fn::GetAtt": ["WorkerRole", "Arn"]}})}
    _assert_quicksight_trust(quicksight)  # besides the worker: its group's QuickSight data source, when on
    by_action = {s["Action"]: s["Condition"] for s in statements}
    assert set(by_action) == {"sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"}
    assume = by_action["sts:AssumeRole"]["StringLike"]
    assert {"sts:SourceIdentity", "aws:RequestTag/user", "aws:RequestTag/groups"} <= set(assume)
    assert by_action["sts:TagSession"]["ForAllValues:StringEquals"] == {"aws:TagKeys": ["user", "groups"]}
    grants = _grants(sam, "AnalystDataRole")
    assert "s3:PutObject" in grants and grants["s3:PutObject"] == ["${ResultsBucket.Arn}/athena/*"]
    assert not [a for a in grants if a.startswith(("s3:Delete", "glue:Create", "glue:Update", "glue:Delete"))]


def test_services_may_use_the_key_of_every_encrypted_queue_they_deliver_to(sam: dict[str, Any]) -> None:
    """A service allowed to send to a KMS-encrypted queue but not to use its key loses messages."""
    resources = sam["Resources"]
    key_services = {svc for s in resources["Key"]["Properties"]["KeyPolicy"]["Statement"]
                    if "Service" in s["Principal"] and "kms:GenerateDataKey*" in as_list(s["Action"])
                    for svc in map(_sub_text, as_list(s["Principal"]["Service"]))}
    for policy in (r["Properties"] for r in resources.values() if r["Type"] == "AWS::SQS::QueuePolicy"):
        for queue in policy["Queues"]:
            assert resources[queue["Ref"]]["Properties"]["KmsMasterKeyId"] == {"Ref": "Key"}
        for s in policy["PolicyDocument"]["Statement"]:
            if s["Effect"] == "Allow" and "Service" in s["Principal"]:
                assert set(map(_sub_text, as_list(s["Principal"]["Service"]))) <= key_services, s["Sid"]


# ---------------------------------------------------------------- settings the code reads

def _sam_env(sam: dict[str, Any], function: str, **given: str) -> dict[str, str]:
    return function_env(sam, function, {**PARAMETERS, **given})


def _ecs_env(ecs: dict[str, Any], task: str, sam: dict[str, Any]) -> dict[str, str]:
    """A container's environment with its imports resolved from the app stack's exports."""
    exports = stack_exports(sam, "athena-bot-dev", {**PARAMETERS, "TeamsAppId": "app"})
    return container_env(ecs, task, {"AppStackName": "athena-bot-dev", "TeamsAppId": "app",
                                     "IdentityStoreId": PARAMETERS["IdentityStoreId"],
                                     "SemanticModelKey": "model.yaml"}, exports)


def _runtimes(sam: dict[str, Any], ecs: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {"lambda worker": _sam_env(sam, "WorkerFunction"), "slack receiver": _sam_env(sam, "SlackFunction"),
            "values refresh": _sam_env(sam, "RefreshValuesFunction"),
            "ecs worker": _ecs_env(ecs, "WorkerTask", sam), "ecs teams": _ecs_env(ecs, "TeamsTask", sam),
            "ecs web": _ecs_env(ecs, "WebTask", sam)}


def test_every_variable_set_is_one_the_code_reads(sam: dict[str, Any], ecs: dict[str, Any]) -> None:
    known = read_by_code()
    for runtime, env in _runtimes(sam, ecs).items():
        unknown = set(env) - known - set(LIBRARY_SETTINGS)
        assert not unknown, f"{runtime} sets {sorted(unknown)}, which nothing reads (renamed?)"


def test_no_runtime_gets_a_chat_token_in_its_environment(sam: dict[str, Any], ecs: dict[str, Any]) -> None:
    tokens = {name for keys in SECRET_KEYS.values() for name in keys.values()}
    for runtime, env in _runtimes(sam, ecs).items():
        assert not tokens & set(env), runtime


def test_every_runtime_parses_its_settings(sam: dict[str, Any], ecs: dict[str, Any]) -> None:
    for runtime, env in _runtimes(sam, ecs).items():
        assert env["ATHENA_BOT_BACKEND"] == "aws", runtime
        aws = AwsSettings.from_env(env)  # raises ConfigError naming a missing required setting
        Settings.from_env(env)
        if runtime != "values refresh":  # the refresh resolves no users
            assert aws.identity_source == "identity-center" and aws.identity_store_id, runtime
        if "worker" in runtime or runtime == "values refresh":
            assert aws.workgroup != "primary" and aws.values_file, runtime
            assert aws.glue_databases == ["sales", "support"], runtime


def test_both_workers_set_every_setting_a_worker_uses(sam: dict[str, Any], ecs: dict[str, Any]) -> None:
    fields = set(AWS) - set(WORKER_DEFAULTS)
    needed = _names(AWS, *fields) - {"ATHENA_BOT_GROUP_ACCESS", "ATHENA_BOT_GROUP_ACCESS_FILE"}
    needed |= _names(LOCAL, "max_receives", "model_path", "planner", "bedrock_model_id")
    needed |= _names(TEAMS, "app_id", "tenant_id") | _names(SLACK, "quicksight_url") | {"ATHENA_BOT_CHARTS_BUCKET"}
    needed.discard("ATHENA_BOT_DATABASE")
    lambda_worker = _sam_env(sam, "WorkerFunction", SemanticModelKey="model.yaml", TeamsAppId="app")
    ecs_worker = _ecs_env(ecs, "WorkerTask", sam)
    for runtime, env in (("lambda worker", lambda_worker), ("ecs worker", ecs_worker)):
        assert not needed - set(env), f"{runtime} lacks {sorted(needed - set(env))}"
        assert "ATHENA_BOT_DATABASE" in env and "ATHENA_BOT_TEAMS_SECRET" in env
    assert ecs_worker["ATHENA_BOT_HEARTBEAT_FILE"]  # the container's HEALTHCHECK reads its age


def test_the_chat_surfaces_get_what_their_intake_needs(sam: dict[str, Any], ecs: dict[str, Any]) -> None:
    intake = _names(AWS, "queue_url", "identity_source", "identity_store_id", "group_access_parameter",
                    "conversations_table")
    slack = _sam_env(sam, "SlackFunction")
    assert intake | _names(AWS, "slack_secret") <= set(slack)
    teams = _ecs_env(ecs, "TeamsTask", sam)
    assert intake | _names(AWS, "teams_secret") | _names(TEAMS, "app_id", "tenant_id", "public_url") <= set(teams)
    web = _ecs_env(ecs, "WebTask", sam)
    assert intake | _names(AWS, "values_file") <= set(web)
    digests = _names(AWS, "digests_table", "scheduler_role_arn", "scheduler_group", "queue_arn", "scheduler_dlq_arn")
    for surface, env in (("slack", slack), ("teams", teams), ("web", web)):  # each creates and changes digests
        assert digests <= set(env), f"{surface} lacks {sorted(digests - set(env))}"
    assert web["ATHENA_BOT_HEALTH_URL"].endswith(":8501/_stcore/health")
    assert teams["ATHENA_BOT_HEALTH_URL"].endswith(":3978/healthz")


def test_the_ecs_services_run_the_cli_commands_that_exist(ecs: dict[str, Any]) -> None:
    from bot.cli import build_parser

    parser = build_parser()
    commands = {}
    for task in ("WorkerTask", "TeamsTask", "WebTask"):
        [container] = ecs["Resources"][task]["Properties"]["ContainerDefinitions"]
        assert container["Command"][0] == "athena-bot", task
        commands[task] = container["Command"][1:]
    parser.parse_args(commands["WorkerTask"])
    parser.parse_args(commands["TeamsTask"])
    parser.parse_args(commands["WebTask"])
    assert commands["WebTask"][:2] == ["serve", "web"] and commands["WebTask"][-1] == "8501"
    assert ecs["Resources"]["WorkerTask"]["Properties"]["TaskRoleArn"] == {
        "Fn::ImportValue": {"Fn::Sub": "${AppStackName}-WorkerRoleArn"}}  # the one principal data roles trust


# ---------------------------------------------------------------- operations

def test_alarms_cover_dead_letters_waiting_jobs_function_errors_and_athena_failures(sam: dict[str, Any]) -> None:
    alarms = [r["Properties"] for r in sam["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    for alarm in alarms:
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], alarm["AlarmName"]

    def watched(metric: str) -> list[str]:
        return [_sub_text(d["Value"]) for a in alarms if a["MetricName"] == metric for d in a["Dimensions"]]

    queues = watched("ApproximateNumberOfMessagesVisible")
    assert "${DeadLetterQueue.QueueName}" in queues and "${DeliveryDeadLetterQueue.QueueName}" in queues
    assert watched("ApproximateAgeOfOldestMessage") == ["${JobsQueue.QueueName}"]
    assert set(watched("Errors")) == {"${%s}" % f for f in function_roles(sam)}
    athena = [a for a in alarms if a["Namespace"] == "AWS/Athena"]
    assert athena and {"Name": "QueryState", "Value": "FAILED"} in athena[0]["Dimensions"]
    workgroup = sam["Resources"]["AthenaWorkGroup"]["Properties"]["WorkGroupConfiguration"]
    assert workgroup["PublishCloudWatchMetricsEnabled"] is True  # else the Athena alarm never sees data
    budget = next(r["Properties"] for r in sam["Resources"].values() if r["Type"] == "AWS::Budgets::Budget")
    assert budget["Budget"]["CostFilters"] == {"Service": ["Amazon Athena"]}


def test_stateful_resources_are_kept_and_recoverable(sam: dict[str, Any]) -> None:
    for name, res in sam["Resources"].items():
        if res["Type"] in ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::SecretsManager::Secret"):
            assert res.get("DeletionPolicy") == res.get("UpdateReplacePolicy") == "Retain", name
        if res["Type"] == "AWS::DynamoDB::Table":
            assert res["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        if res["Type"] == "AWS::SQS::Queue":
            assert res["Properties"]["KmsMasterKeyId"] == {"Ref": "Key"}, name


def test_lake_buckets_tier_and_the_values_file_never_expires(sam: dict[str, Any]) -> None:
    resources = sam["Resources"]
    for bucket in ("RawBucket", "LakeBucket", "ResultsBucket", "QuickSightBucket"):
        rules = resources[bucket]["Properties"]["LifecycleConfiguration"]["Rules"]
        assert {"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": 0} in \
            [t for r in rules for t in r.get("Transitions", [])], bucket
    for name in ("WorkerFunction", "RefreshValuesFunction"):  # the values file: in the config bucket
        values = resources[name]["Properties"]["Environment"]["Variables"]["ATHENA_BOT_VALUES_FILE"]
        assert values == {"Fn::Sub": "s3://${ConfigBucket}/values/values.json"}
    config_rules = resources["ConfigBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert not [r for r in config_rules if "ExpirationInDays" in r]  # only old versions expire


def test_env_example_lists_every_setting_the_code_reads() -> None:
    from tests.deploy.envvars import ROOT

    text = (ROOT / ".env.example").read_text()
    ours = {n for n in read_by_code() if n.startswith(("ATHENA_BOT_", "SLACK_", "MICROSOFT_", "TEAMS_"))
            and not n.startswith("ATHENA_BOT_TEST_")}  # hooks of the crash tests, not settings
    assert sorted(n for n in ours if n not in text) == []


def test_every_bucket_and_queue_refuses_plain_http(sam: dict[str, Any]) -> None:
    resources = sam["Resources"]
    tls_only = {"Effect": "Deny", "Principal": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    covered: set[str] = set()
    for res in resources.values():
        kind = {"AWS::S3::BucketPolicy": "s3", "AWS::SQS::QueuePolicy": "sqs"}.get(res["Type"])
        if not kind:
            continue
        props = res["Properties"]
        targets = [props["Bucket"]["Ref"]] if kind == "s3" else [q["Ref"] for q in props["Queues"]]
        for s in props["PolicyDocument"]["Statement"]:
            if all(s.get(k) == v for k, v in tls_only.items()) and s["Action"] == f"{kind}:*":
                covered |= set(targets)
    stores = {name for name, res in resources.items() if res["Type"] in ("AWS::S3::Bucket", "AWS::SQS::Queue")}
    assert stores - covered == set()
