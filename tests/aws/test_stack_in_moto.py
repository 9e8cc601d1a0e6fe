"""The expanded app stack created in moto, then a question through it: the Lambda worker handler
runs against the stack's own queue, tables, secret and workgroup, and Athena's state-change event
reaches the queue through the stack's EventBridge rule."""

from __future__ import annotations

import json
import uuid
import warnings
from typing import Any

import boto3
import pytest

from engine.domain import Answer, Principal, ReplyTarget
from engine.jobs import AskJob, encode_job
from tests.aws.fake_athena import FakeAthena
from tests.deploy.cfn import PARAMETERS, expand

# moto's CloudFormation creates no resource of these types (it warns and goes on). Each is either
# created below from the template's own properties, because the question needs it, or checked by
# the static tests (tests/deploy/) and not needed to answer a question.
MOTO_SKIPS = {
    "AWS::SecretsManager::Secret": "created below: the worker reads the Slack token from it",
    "AWS::Athena::WorkGroup": "the fake Athena gets the workgroup, its result location and cutoff",
    "AWS::Glue::Database": "the test lake's Glue tables are registered by the glue_catalog fixture",
    "AWS::S3::BucketPolicy": "TLS-only policies: asserted statically",
    "AWS::SQS::QueuePolicy": "moto's EventBridge delivers without checking queue policies",
    "AWS::SNS::TopicPolicy": "alarm delivery: asserted statically",
    "AWS::CloudWatch::Alarm": "asserted statically (tests/deploy/test_sam.py)",
    "AWS::Scheduler::ScheduleGroup": "asserted statically",
    "AWS::Scheduler::Schedule": "asserted statically; the refresh handler is tested directly",
    "AWS::Budgets::Budget": "asserted statically",
    "AWS::CloudTrail::Trail": "asserted statically",
    "AWS::Lambda::Url": "the Slack receiver's URL; its output is dropped for moto",
}


class Recorder:
    def __init__(self) -> None:
        self.posts: list[tuple[ReplyTarget, Answer]] = []

    def post(self, target: ReplyTarget, answer: Answer) -> None:
        self.posts.append((target, answer))


# Ref of a resource moto skips resolves to nothing; CloudFormation gives its name (the workgroup)
# or its ARN (a secret, which GetSecretValue also finds by name). The stack handed to moto has
# those Refs replaced by the resource's Name, so the functions' environment is what AWS would set.
REF_BY_NAME = ("AWS::Athena::WorkGroup", "AWS::SecretsManager::Secret")


def _refs_by_name(node: Any, names: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if set(node) == {"Ref"} and node["Ref"] in names:
            return names[node["Ref"]]
        return {k: _refs_by_name(v, names) for k, v in node.items()}
    if isinstance(node, list):
        return [_refs_by_name(v, names) for v in node]
    return node


def _create_stack(name: str, parameters: dict[str, str]) -> dict[str, Any]:
    template = expand(parameters)
    template["Outputs"].pop("SlackEventsUrl")  # GetAtt of AWS::Lambda::Url, which moto lacks
    names = {logical: res["Properties"]["Name"] for logical, res in template["Resources"].items()
             if res["Type"] in REF_BY_NAME}
    moto_template = _refs_by_name(template, names)
    cfn = boto3.client("cloudformation")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cfn.create_stack(StackName=name, TemplateBody=json.dumps(moto_template),
                         Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
                         Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    physical = {r.get("LogicalResourceId"): r.get("PhysicalResourceId")
                for r in cfn.describe_stack_resources(StackName=name)["StackResources"]}
    return {"template": template, "outputs": {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]},
            "physical": physical, "warnings": [str(w.message) for w in caught]}


@pytest.fixture(scope="module")
def moto_stack(moto_server: str, aws_env: dict[str, str], glue_catalog: list[str]) -> dict[str, Any]:
    # GlueDatabases given explicitly: moto does not split a CommaDelimitedList parameter's default
    parameters = {**PARAMETERS, "GlueDatabases": ",".join(glue_catalog)}
    return _create_stack(f"athena-bot-dev-{uuid.uuid4().hex[:6]}", parameters)


def test_moto_creates_every_resource_outside_the_allowlist(moto_stack: dict[str, Any]) -> None:
    from moto.cloudformation.parsing import get_model_map

    types = {r["Type"] for r in moto_stack["template"]["Resources"].values() if "Condition" not in r}
    skipped = {t for t in types if t not in get_model_map()}
    assert skipped <= set(MOTO_SKIPS), f"moto skips {sorted(skipped - set(MOTO_SKIPS))}: allowlist or fix"
    for logical, res in moto_stack["template"]["Resources"].items():
        # a Lambda permission is a statement in the function's policy: moto gives it no physical id
        if res["Type"] not in MOTO_SKIPS and "Condition" not in res and res["Type"] != "AWS::Lambda::Permission":
            assert moto_stack["physical"].get(logical), f"{logical} ({res['Type']}) was not created"
    for key in ("WorkerRoleArn", "ResultsBucketName", "JobsQueueUrl", "GroupAccessParameterName",
                "KmsKeyArn", "DataRolePath", "AnalystDataRoleArn", "ConfigBucketName", "WorkGroup", "SlackSecretArn"):
        assert moto_stack["outputs"].get(key), key


def test_a_question_through_the_stack(moto_stack: dict[str, Any], fake_athena: FakeAthena,
                                      glue_catalog: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.lambda_handler as handler

    outputs = moto_stack["outputs"]
    lam = boto3.client("lambda")
    env = lam.get_function_configuration(FunctionName="athena-bot-dev-worker")["Environment"]["Variables"]
    assert env["ATHENA_BOT_QUEUE_URL"] == outputs["JobsQueueUrl"]
    assert env["ATHENA_BOT_WORKGROUP"] == outputs["WorkGroup"] == "athena-bot-dev"
    assert env["ATHENA_BOT_GLUE_DATABASES"] == ",".join(glue_catalog)
    for name, value in env.items():  # the worker runs with the function's own environment
        monkeypatch.setenv(name, str(value))
    monkeypatch.setenv("ATHENA_BOT_RECHECK_SECONDS", "1")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")  # never called: answers are recorded
    # the secret moto could not create, under the stack's name; its value is set by the operator
    boto3.client("secretsmanager").create_secret(
        Name=env["ATHENA_BOT_SLACK_SECRET"],
        SecretString=json.dumps({"bot_token": "xoxb-from-the-secret", "signing_secret": "s"}))
    results = outputs["ResultsBucketName"]
    fake_athena.workgroups["athena-bot-dev"] = {"output": f"s3://{results}/athena/", "cutoff": None}
    fake_athena.on_state_change = None  # the stack's EventBridge rule routes it instead
    fake_athena.executions.clear()

    monkeypatch.setattr(handler, "_app", None)
    app = handler.app()
    assert app.values_file is not None and app.values_file.location.endswith("/values/values.json")
    recorder = Recorder()
    app.poster.register("slack", recorder)
    assert "slack" in app.poster.posters  # the Slack poster was built from the secret's token

    # The test is the event source: moto would invoke the function itself (in Docker) on every send
    # while the stack's mapping is enabled (deleting it does not detach it from moto's queue), so it
    # is disabled, as an operator pauses one.
    [mapping] = lam.list_event_source_mappings(FunctionName="athena-bot-dev-worker")["EventSourceMappings"]
    assert mapping["EventSourceArn"].endswith(":" + outputs["JobsQueueUrl"].rsplit("/", 1)[1])
    lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    sqs = boto3.client("sqs")
    principal = Principal("slack:U1", "ana@example.com", ("Data Analysts",), role_arn=outputs["AnalystDataRoleArn"])
    target = ReplyTarget("slack", "C1", "1700000000.000100")
    sqs.send_message(QueueUrl=outputs["JobsQueueUrl"], MessageBody=encode_job(
        AskJob(question="orders by channel in 2024", principal=principal, reply_to=target, as_of="2025-06-15")))

    def deliver() -> dict[str, Any]:
        messages = sqs.receive_message(QueueUrl=outputs["JobsQueueUrl"], MaxNumberOfMessages=10,
                                       MessageSystemAttributeNames=["ApproximateReceiveCount"])["Messages"]
        event = {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                              "attributes": {"ApproximateReceiveCount": m["Attributes"]["ApproximateReceiveCount"]},
                              "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                              "eventSourceARN": "arn", "awsRegion": "us-east-1"} for m in messages]}
        response = handler.handler(event, None)
        for m in messages:
            sqs.delete_message(QueueUrl=outputs["JobsQueueUrl"], ReceiptHandle=m["ReceiptHandle"])
        return response

    assert deliver() == {"batchItemFailures": []}  # a fresh stack: no values file, and the worker runs
    [execution] = fake_athena.started()
    assert execution.workgroup == "athena-bot-dev" and recorder.posts == []
    finished = fake_athena.finish(execution.execution_id)
    detail = {"currentState": finished.state, "previousState": "RUNNING", "queryExecutionId": finished.execution_id,
              "statementType": "DML", "workgroupName": finished.workgroup}
    sent = boto3.client("events").put_events(Entries=[{"Source": "aws.athena", "DetailType": "Athena Query State Change",
                                                       "Detail": json.dumps(detail)}])
    assert sent["FailedEntryCount"] == 0
    deliver()  # the event (and the delayed re-check, if visible) through the same handler
    [(posted_to, answer)] = recorder.posts
    assert posted_to == target and answer.status == "answered", answer.message
    assert answer.table is not None and answer.table.row_count == 3
