"""Templates of deploy/ loaded and expanded the way CloudFormation would, for the deploy tests."""

from __future__ import annotations

import copy
import functools
import os
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
TEMPLATES = ["template.yaml", "ecs.yaml", "data-role.yaml", "account-baseline.yaml", "pipeline.yaml"]
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/athena-query-bot:test"
PARAMETERS = {"Stage": "dev", "ImageUri": IMAGE, "IdentityStoreId": "d-1234567890", "CreateTrail": "true"}


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML with CloudFormation's short-form tags (!Ref, !GetAtt a.b, !Sub ...) as their long form."""


def _intrinsic(loader: yaml.SafeLoader, tag: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag == "Ref":
        return {"Ref": value}
    if tag == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag}": value}


_Loader.add_multi_constructor("!", _intrinsic)


def load(name: str) -> dict[str, Any]:
    """A template as CloudFormation reads it (short-form intrinsics in their long form)."""
    return yaml.load((DEPLOY / name).read_text(), Loader=_Loader)  # noqa: S506 - a safe loader with tags


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


def expand(parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """deploy/template.yaml with the SAM transform applied (aws-sam-translator); a fresh copy."""
    return copy.deepcopy(_expanded(tuple(sorted({**PARAMETERS, **(parameters or {})}.items()))))


@functools.lru_cache(maxsize=8)
def _expanded(parameters: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    from samtranslator.translator.transform import transform

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return transform(load("template.yaml"), dict(parameters), _NoManagedPolicies())


def role_statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    """Every statement a role grants: inline policies and AWS::IAM::Policy resources naming it."""
    resources = template["Resources"]
    statements = [s for p in resources[role]["Properties"].get("Policies", [])
                  for s in p["PolicyDocument"]["Statement"]]
    for res in resources.values():
        if res["Type"] == "AWS::IAM::Policy" and {"Ref": role} in res["Properties"]["Roles"]:
            statements += res["Properties"]["PolicyDocument"]["Statement"]
    return [s for s in _unfold(statements)]


def _unfold(statements: list[Any]) -> list[dict[str, Any]]:
    out = []
    for s in statements:
        if isinstance(s, dict) and "Fn::If" in s:  # both branches count
            out += _unfold([b for b in s["Fn::If"][1:] if b != {"Ref": "AWS::NoValue"}])
        else:
            out.append(s)
    return out


def as_list(value: Any) -> list[Any]:
    if isinstance(value, dict) and "Fn::If" in value:
        return [x for branch in value["Fn::If"][1:] for x in as_list(branch)]
    return value if isinstance(value, list) else [value]


def function_roles(template: dict[str, Any]) -> dict[str, str]:
    return {name: res["Properties"]["Role"]["Fn::GetAtt"][0] for name, res in template["Resources"].items()
            if res["Type"] == "AWS::Lambda::Function"}


def deployed(template: dict[str, Any], given: dict[str, str]) -> dict[str, Any]:
    """The template as CloudFormation would create it with these parameters: conditions decided,
    resources and outputs of false conditions gone, Fn::If resolved and AWS::NoValue dropped."""
    values = {name: given.get(name, spec.get("Default")) for name, spec in template.get("Parameters", {}).items()}
    conditions: dict[str, bool] = {}

    def value(v: Any) -> Any:
        if isinstance(v, dict) and "Ref" in v:
            return values[v["Ref"]]
        return v

    def decide(c: Any) -> bool:
        [(fn, arg)] = c.items()
        if fn == "Fn::Equals":
            return str(value(arg[0])) == str(value(arg[1]))
        if fn == "Fn::Not":
            return not decide(arg[0])
        if fn == "Fn::And":
            return all(decide(a) for a in arg)
        if fn == "Fn::Or":
            return any(decide(a) for a in arg)
        if fn == "Condition":
            return condition(arg)
        raise AssertionError(f"unexpected condition function {fn}")

    def condition(name: str) -> bool:
        if name not in conditions:
            conditions[name] = decide(template["Conditions"][name])
        return conditions[name]

    gone = object()

    def prune(v: Any) -> Any:
        if isinstance(v, dict):
            if v == {"Ref": "AWS::NoValue"}:
                return gone
            if set(v) == {"Fn::If"}:
                name, on, off = v["Fn::If"]
                return prune(on if condition(name) else off)
            out = {k: prune(x) for k, x in v.items()}
            return {k: x for k, x in out.items() if x is not gone}
        if isinstance(v, list):
            return [x for x in map(prune, v) if x is not gone]
        return v

    out = copy.deepcopy(template)
    for section in ("Resources", "Outputs"):
        out[section] = {name: prune(body) for name, body in out.get(section, {}).items()
                        if "Condition" not in body or condition(body["Condition"])}
    return out
