"""Which environment variables the code reads, derived from its source, for the deploy tests.

``settings_env(cls)`` maps each field of a settings class to the variables its ``from_env`` reads
for it (read from the method's syntax tree), so a renamed variable or a new field shows up as a
difference against the templates. ``read_by_code()`` is every upper-case name the code uses as a
string literal (``env.get("X")``, ``os.environ["X"]``). ``runtime_env`` resolves a function's or
container's environment into plain strings the settings classes can parse.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


def _constants(node: ast.AST, assigned: dict[str, list[ast.AST]], seen: set[str]) -> set[str]:
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and _NAME.match(sub.value):
            names.add(sub.value)
        elif isinstance(sub, ast.Name) and sub.id in assigned and sub.id not in seen:
            for value in assigned[sub.id]:
                names |= _constants(value, assigned, seen | {sub.id})
    return names


def settings_env(cls: type) -> dict[str, set[str]]:
    """Field -> environment variables ``cls.from_env`` reads for it (keyword or positional)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls.from_env)))
    assigned: dict[str, list[ast.AST]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node.value)
    [call] = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
              and n.func.id == "cls"]
    fields = list(cls.__dataclass_fields__)
    pairs = [(fields[i], arg) for i, arg in enumerate(call.args)]
    pairs += [(kw.arg, kw.value) for kw in call.keywords if kw.arg]
    return {field: _constants(value, assigned, set()) for field, value in pairs}


def read_by_code() -> set[str]:
    """Every variable-like string literal in the shipped code (bot, adapters, engine, charts, deploy)."""
    names: set[str] = set()
    files = [p for d in ("bot", "adapters", "engine", "charts") for p in (ROOT / d).rglob("*.py")]
    for path in [*files, *(ROOT / "deploy").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _NAME.match(node.value):
                names.add(node.value)
    return names


def resolve(value: Any, parameters: dict[str, Any], exports: dict[str, str] | None = None) -> str | None:
    """A template value as the string the process would see; None when it is left out (NoValue).

    Parameters resolve to their given or default value, imports to the exporting stack's output
    (``exports``; an import nobody exports fails), other Refs and GetAtts to a placeholder
    naming them, Fn::If to its first branch (the feature switched on).
    """
    def again(v: Any, params: dict[str, Any] = parameters) -> str | None:
        return resolve(v, params, exports)

    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, list):
        parts = [again(v) for v in value]
        return ",".join(p for p in parts if p is not None)
    [(fn, arg)] = value.items()
    if fn == "Ref":
        if arg == "AWS::NoValue":
            return None
        return str(parameters[arg]) if arg in parameters else f"<{arg}>"
    if fn == "Fn::If":
        return again(arg[1])
    if fn == "Fn::Join":
        parts = [again(v) for v in (arg[1] if isinstance(arg[1], list) else [arg[1]])]
        return arg[0].join(p for p in parts if p is not None)
    if fn == "Fn::Sub":
        text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        local = {**parameters, **{k: again(v) for k, v in extra.items()}}
        return re.sub(r"\$\{([^}]+)\}", lambda m: str(local.get(m.group(1), f"<{m.group(1)}>")), text)
    if fn == "Fn::GetAtt":
        return f"<{'.'.join(arg) if isinstance(arg, list) else arg}>"
    if fn == "Fn::ImportValue":
        name = again(arg)
        if exports is None:
            return f"<import {name}>"
        assert name in exports, f"imports {name}, which the app stack does not export"
        return exports[name]
    raise AssertionError(f"unexpected intrinsic {fn} in an environment")


def parameter_values(template: dict[str, Any], given: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, spec in template.get("Parameters", {}).items():
        value = given.get(name, spec.get("Default"))
        if value is not None:
            values[name] = value
    return values


def stack_exports(template: dict[str, Any], stack_name: str, given: dict[str, str]) -> dict[str, str]:
    """Export name -> value of a stack's outputs (conditional outputs included)."""
    params = {**parameter_values(template, given), "AWS::StackName": stack_name}
    exports = {}
    for output in template.get("Outputs", {}).values():
        if "Export" in output:
            exports[str(resolve(output["Export"]["Name"], params))] = str(resolve(output["Value"], params))
    return exports


def function_env(template: dict[str, Any], logical: str, given: dict[str, str]) -> dict[str, str]:
    """A Lambda function's environment (the SAM-expanded template has Globals merged in)."""
    params = parameter_values(template, given)
    variables = template["Resources"][logical]["Properties"].get("Environment", {}).get("Variables", {})
    env = {k: resolve(v, params) for k, v in variables.items()}
    return {k: v for k, v in env.items() if v is not None}


def container_env(template: dict[str, Any], task: str, given: dict[str, str],
                  exports: dict[str, str] | None = None) -> dict[str, str]:
    """The (single) container's environment of an ECS task definition (conditional items: on)."""
    params = parameter_values(template, given)
    [container] = template["Resources"][task]["Properties"]["ContainerDefinitions"]
    items = [e["Fn::If"][1] if "Fn::If" in e else e for e in container.get("Environment", [])]
    env = {e["Name"]: resolve(e["Value"], params, exports) for e in items}
    return {k: v for k, v in env.items() if v is not None}
