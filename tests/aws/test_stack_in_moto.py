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
from tests.aws.moto_cfn import install as install_moto_types
from tests.deploy.cfn import PARAMETERS, expand

# Resource types left uncreated in moto although the stack declares them: tests/aws/moto_cfn.py
# makes the other types moto's CloudFormation skips, through moto's own APIs. Each with its reason.
MOTO_SKIPS = {
    # moto 5.2 evaluates a Deny statement whose condition does not hold as a deny
    # (moto/iam/access_control.py), so the TLS-only policy would refuse the tests' plain-HTTP
    # requests; the policies are asserted statically (tests/deploy/test_sam.py)
    "AWS::S3::BucketPolicy": "TLS-only deny; moto misreads its condition",
}


class LambdaContext:
    """What Lambda passes the worker's handler: its deadline bounds each step's lease."""
    function_name = "athena-bot-dev-worker"
    memory_limit_in_mb = 1536
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:athena-bot-dev-worker"
    aws_request_id = "req-1"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 120_000  # the function's timeout


class Recorder:
    def __init__(self) -> None:
        self.posts: list[tuple[ReplyTarget, Answer]] = []

    def post(self, target: ReplyTarget, answer: Answer) -> None:
        self.posts.append((target, answer))


def _create_stack(name: str, parameters: dict[str, str]) -> dict[str, Any]:
    install_moto_types()
    template = expand(parameters)
    cfn = boto3.client("cloudformation")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cfn.create_stack(StackName=name, TemplateBody=json.dumps(template),
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
    # The test lake's Glue databases exist already (registered as a data team would), so the stack
    # makes none (CreateLakeDatabase=false, as on AWS). GlueDatabases given explicitly: moto does
    # not split a CommaDelimitedList parameter's default.
    parameters = {**PARAMETERS, "GlueDatabases": ",".join(glue_catalog), "CreateLakeDatabase": "false"}
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
    # the stack made the secret empty; its value is the operator's (README, step 8)
    assert env["ATHENA_BOT_SLACK_SECRET"] == outputs["SlackSecretArn"]
    boto3.client("secretsmanager").put_secret_value(
        SecretId=outputs["SlackSecretArn"],
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
        response = handler.handler(event, LambdaContext())
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
