"""Every right a role of the stacks is granted names a resource the action is authorized on.

A grant on the wrong resource type is silently useless (AccessDenied at run time, in a real
account, on the first click): CreateDataSet, say, is authorized on the data source, not only on
the dataset. The resource types of each action and their ARN formats come from AWS's policy data
as cfn-lint ships it (cfnlint/data/AdditionalSpecs/Policies.json). For each role and action, the
ARNs granted (as written, stack references filled with sample values) must match at least one
resource type of the action; an action with no resource-level permissions must be granted on "*".
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import cfnlint
import pytest

from tests.deploy.cfn import PARAMETERS, as_list, deployed, expand, load, role_statements
from tests.deploy.test_sam import _sub_text

EMBED = {"QuickSightTemplates": "stack", "QuickSightEmbedUrl": "https://abc.lambda-url.us-east-1.on.aws/quicksight/open"}
SAMPLES = {"${AWS::Partition}": "aws", "${AWS::Region}": "us-east-1", "${AWS::AccountId}": "123456789012"}


@functools.lru_cache(maxsize=1)
def _policies() -> dict[str, Any]:
    path = Path(cfnlint.__file__).parent / "data" / "AdditionalSpecs" / "Policies.json"
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _stacks() -> dict[str, dict[str, Any]]:
    app = {**PARAMETERS, **EMBED, "TeamsAppId": "app", "Planner": "bedrock", "BedrockModelId": "m"}
    group = {"AppStackName": "athena-bot-dev", "Stage": "dev", "GroupName": "Support", "Database": "support",
             "DataPrefixArns": "arn:aws:s3:::lake/support/*", "DataBucketArns": "arn:aws:s3:::lake", "QuickSight": "true"}
    ecs = {"AppStackName": "athena-bot-dev", "TeamsAppId": "app", "IdentityStoreId": PARAMETERS["IdentityStoreId"]}
    return {"template.yaml": deployed(expand(app), app), "data-role.yaml": deployed(load("data-role.yaml"), group),
            "ecs.yaml": deployed(load("ecs.yaml"), ecs)}


def _formats(service: str, action: str) -> list[str] | None:
    """The ARN formats (regular expressions) `service:action` is authorized on; None when unknown."""
    spec = _policies().get(service, {})
    entry = {k.lower(): v for k, v in spec.get("Actions", {}).items()}.get(action.lower())
    if entry is None:
        return None
    types = {k.lower(): v for k, v in spec.get("Resources", {}).items()}
    return [f for t in entry.get("Resources") or [] for f in types.get(t.lower(), {}).get("ARNFormats", [])]


def _matches(arn: str, formats: list[str]) -> bool:
    concrete = arn
    for name, sample in SAMPLES.items():
        concrete = concrete.replace(name, sample)
    concrete = re.sub(r"\$\{[^}]+\}", "x", concrete).replace("*", "x")
    for fmt in formats:
        pattern = re.sub(r"\$\{[^}]+\}", "[^:]*", fmt.replace("${Partition}", "[^:]+"))
        if re.fullmatch(pattern, concrete):
            return True
    return False


def _grants(template: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    grants: dict[tuple[str, str], list[str]] = {}
    roles = [n for n, r in template["Resources"].items() if r["Type"] == "AWS::IAM::Role"]
    for role in roles:
        for statement in role_statements(template, role):
            for action in as_list(statement["Action"]):
                grants.setdefault((role, action), []).extend(_sub_text(r) for r in as_list(statement["Resource"]))
    return grants


@pytest.mark.parametrize("stack", ["template.yaml", "data-role.yaml", "ecs.yaml"])
def test_every_grant_names_a_resource_its_action_is_authorized_on(stack: str) -> None:
    template = _stacks()[stack]
    checked, wrong = 0, []
    for (role, action), resources in sorted(_grants(template).items()):
        service, _, name = action.partition(":")
        if "*" in name:
            continue  # a wildcard action is test_sam's business (none on a function's role)
        formats = _formats(service, name)
        assert formats is not None, f"{role}: {action} is not an IAM action AWS knows"
        if not formats:
            if resources != ["*"]:
                wrong.append(f"{role}: {action} has no resource-level permissions, so needs '*', not {resources}")
            continue
        arns = [r for r in resources if r.startswith("arn:") or r == "*"]
        if not arns:
            continue  # only the stack's own resources by reference (${Queue.Arn}): the type is the resource's
        checked += 1
        if "*" not in arns and not any(_matches(r, formats) for r in arns):
            wrong.append(f"{role}: {action} on {arns}, but it is authorized on {formats}")
    assert not wrong, "\n".join(wrong)
    assert checked >= 3, checked  # the check ran on real grants


def test_the_check_sees_a_grant_on_the_wrong_resource_type() -> None:
    dataset_only = ["arn:${AWS::Partition}:quicksight:${AWS::Region}:${AWS::AccountId}:dataset/*"]
    formats = _formats("quicksight", "PassDataSource")
    assert formats and not any(_matches(r, formats) for r in dataset_only)
    assert _matches("arn:${AWS::Partition}:quicksight:${AWS::Region}:${AWS::AccountId}:datasource/athena-bot-*", formats)
    stream = _formats("athena", "GetQueryResultsStream")  # how QuickSight reads Athena results
    assert stream and _matches("arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:workgroup/${AthenaWorkGroup}",
                               stream)
