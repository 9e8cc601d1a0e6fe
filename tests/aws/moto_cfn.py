"""CloudFormation for the resource types moto 5.2's CloudFormation skips, through moto's own APIs.

moto creates a stack's KMS, S3, SQS, DynamoDB, IAM, Lambda... resources but silently skips some
types (it warns, reports CREATE_COMPLETE, and a Ref to one resolves to nothing). For each type
below, ``install()`` registers a moto CloudFormation model that makes the same API call
CloudFormation would, with boto3 against the moto server, so the template's properties meet
moto's validation and Refs/GetAtts resolve as on AWS (a workgroup's name, a secret's ARN, a
function URL). Types left out stay on the test's allowlist, with the reason.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import boto3
from moto.core.common_models import CloudFormationModel

# type -> (create: properties -> (physical id, {attribute: value}))
Creator = Callable[[dict[str, Any], str], tuple[str, dict[str, str]]]


def _client(service: str) -> Any:
    # moto itself, also for a service a test routes elsewhere (AWS_ENDPOINT_URL_ATHENA: the fake Athena)
    return boto3.client(service, endpoint_url=os.environ["AWS_ENDPOINT_URL"])


def _secret(props: dict[str, Any], logical: str) -> tuple[str, dict[str, str]]:
    params = {k: props[k] for k in ("Name", "Description", "KmsKeyId") if k in props}
    if "SecretString" in props:
        params["SecretString"] = props["SecretString"]
    arn = _client("secretsmanager").create_secret(**params)["ARN"]
    return arn, {"Id": arn}


def _workgroup(props: dict[str, Any], logical: str) -> tuple[str, dict[str, str]]:
    _client("athena").create_work_group(Name=props["Name"], Description=props.get("Description", ""),
                                        Configuration=props.get("WorkGroupConfiguration", {}))
    return props["Name"], {}


def _glue_database(props: dict[str, Any], logical: str) -> tuple[str, dict[str, str]]:
    _client("glue").create_database(CatalogId=str(props["CatalogId"]), DatabaseInput=props["DatabaseInput"])
    return props["DatabaseInput"]["Name"], {}


def _queue_policy(props: dict[str, Any], logical: str) -> tuple[str, dict[str, str]]:
    for url in props["Queues"]:
        _client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])})
    return logical, {}


def _topic_policy(props: dict[str, Any], logical: str) -> tuple[str, dict[str, str]]:
    for arn in props["Topics"]:
        _client("sns").set_topic_attributes(TopicArn=arn, AttributeName="Policy",
                                            AttributeValue=json.dumps(props["PolicyDocument"]))
    return logical, {}


def _alarm(props: dict[str, Any], logical: str) -> tuple[str, dict[str, str]]:
    _client("cloudwatch").put_metric_alarm(**props)
    return props["AlarmName"], {}


def _schedule_group(props: dict[str, Any], logical: str) -> tuple[str, dict[str, str]]:
    arn = _client("scheduler").create_schedule_group(Name=props["Name"])["ScheduleGroupArn"]
    return props["Name"], {"Arn": arn}


def _schedule(props: dict[str, Any], logical: str) -> tuple[str, dict[str, str]]:
    arn = _client("scheduler").create_schedule(**props)["ScheduleArn"]
    return props["Name"], {"Arn": arn}


def _function_url(props: dict[str, Any], logical: str) -> tuple[str, dict[str, str]]:
    url = _client("lambda").create_function_url_config(FunctionName=props["TargetFunctionArn"],
                                                       AuthType=props["AuthType"])
    return url["FunctionArn"], {"FunctionUrl": url["FunctionUrl"], "FunctionArn": url["FunctionArn"]}


def _trail(props: dict[str, Any], logical: str) -> tuple[str, dict[str, str]]:
    cloudtrail = _client("cloudtrail")
    params = {k: props[k] for k in ("S3BucketName", "IsMultiRegionTrail", "IncludeGlobalServiceEvents",
                                    "EnableLogFileValidation", "CloudWatchLogsLogGroupArn",
                                    "CloudWatchLogsRoleArn") if k in props}
    arn = cloudtrail.create_trail(Name=props["TrailName"], KmsKeyId=props.get("KMSKeyId", ""), **params)["TrailARN"]
    if props.get("AdvancedEventSelectors"):
        cloudtrail.put_event_selectors(TrailName=props["TrailName"],
                                       AdvancedEventSelectors=props["AdvancedEventSelectors"])
    if props.get("IsLogging"):
        cloudtrail.start_logging(Name=props["TrailName"])
    return props["TrailName"], {"Arn": arn}


def _budget(props: dict[str, Any], logical: str) -> tuple[str, dict[str, str]]:
    account = _client("sts").get_caller_identity()["Account"]
    budget = dict(props["Budget"])
    budget["BudgetLimit"] = {**budget["BudgetLimit"], "Amount": str(budget["BudgetLimit"]["Amount"])}  # a string in the API
    _client("budgets").create_budget(AccountId=account, Budget=budget,
                                     NotificationsWithSubscribers=props.get("NotificationsWithSubscribers", []))
    return props["Budget"]["BudgetName"], {}


CREATORS: dict[str, Creator] = {
    "AWS::CloudTrail::Trail": _trail,
    "AWS::Budgets::Budget": _budget,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::Athena::WorkGroup": _workgroup,
    "AWS::Glue::Database": _glue_database,
    "AWS::SQS::QueuePolicy": _queue_policy,
    "AWS::SNS::TopicPolicy": _topic_policy,
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::Scheduler::ScheduleGroup": _schedule_group,
    "AWS::Scheduler::Schedule": _schedule,
    "AWS::Lambda::Url": _function_url,
}


class _Created:
    def __init__(self, physical_id: str, attributes: dict[str, str]) -> None:
        self.physical_resource_id = physical_id
        self.attributes = attributes

    def get_cfn_attribute(self, name: str) -> str:
        return self.attributes[name]

    def is_created(self) -> bool:
        return True


def _model(resource_type: str, create: Creator) -> type[CloudFormationModel]:
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],  # noqa: ANN001
                                        account_id: str, region_name: str, **kwargs: Any) -> _Created:
        return _Created(*create(cloudformation_json.get("Properties", {}), kwargs.get("LogicalId", resource_name)))

    return type(resource_type.replace(":", ""), (CloudFormationModel,), {
        "cloudformation_type": staticmethod(lambda: resource_type),
        "cloudformation_name_type": staticmethod(lambda: ""),
        "has_cfn_attr": classmethod(lambda cls, attr: True),
        "create_from_cloudformation_json": classmethod(create_from_cloudformation_json),
    })


_MODELS: list[type[CloudFormationModel]] = []


def _exports_of_created_outputs(outputs: Any) -> list[Any]:
    """moto 5.2 resolves every output's export, even one whose condition is false (CloudFormation
    skips those): an export naming a resource of that condition then fails the whole stack."""
    from moto.cloudformation import parsing

    conditions = outputs._resource_map.lazy_condition_map
    exports = []
    for value in (outputs._output_json_map or {}).values():
        if value.get("Export") and ("Condition" not in value or conditions[value["Condition"]]):
            exports.append(parsing.Export(outputs._stack_id, parsing.clean_json(value["Export"].get("Name"),
                                                                                outputs._resource_map),
                                          parsing.clean_json(value.get("Value"), outputs._resource_map)))
    return exports


def install() -> None:
    """Teach moto's CloudFormation (in this process: the threaded moto server's) the types above,
    and to skip the exports of outputs whose condition is false."""
    from moto.cloudformation import parsing

    parsing.OutputMap.exports = property(_exports_of_created_outputs)  # type: ignore[method-assign,assignment]

    if not _MODELS:
        _MODELS.extend(_model(t, c) for t, c in CREATORS.items() if t not in parsing.get_model_map())
        for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
            cached.cache_clear()
