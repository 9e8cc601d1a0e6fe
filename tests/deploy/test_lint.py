"""Every template in deploy/ lints clean with cfn-lint (and the cfn-lint-serverless rules): no
error, no warning, no informational match; checkov finds nothing in the templates, the
Dockerfile and the GitHub workflow. Every skip of either tool sits on its resource with a reason.
Both tools run as background processes (tests/deploy/linters.py).
"""

from __future__ import annotations

import pytest
import yaml

from tests.deploy import linters
from tests.deploy.cfn import DEPLOY, TEMPLATES, load

# one xdist worker runs both tools (`--dist loadgroup`), not each worker its own copy
pytestmark = pytest.mark.xdist_group("deploy-lint")


def test_the_template_list_is_every_template_in_deploy() -> None:
    found = sorted(p.name for p in DEPLOY.glob("*.yaml") if "Resources" in (load(p.name) or {}))
    assert found == sorted(TEMPLATES)


def test_cfn_lint_finds_nothing() -> None:
    matches = [f"{m['Level']} {m['Rule']['Id']} {m['Filename']}:{m['Location']['Start']['LineNumber']} "
               f"{m['Message']}" for m in linters.report("cfn-lint")]
    assert matches == []


def test_checkov_finds_nothing_in_templates_dockerfile_and_workflow() -> None:
    report = linters.report("checkov")
    runs = report if isinstance(report, list) else [report]
    summaries = {run["check_type"]: run["summary"] for run in runs}
    assert set(summaries) == {"cloudformation", "dockerfile", "github_actions"}
    assert summaries["cloudformation"]["resource_count"] > 100  # it read the templates, not nothing
    failed = [f"{c['check_id']} {c['file_path']} {c['resource']}: {c['check_name']}"
              for run in runs for c in run["results"]["failed_checks"]]
    assert failed == [] and all(s["parsing_errors"] == 0 for s in summaries.values())


def test_every_skip_says_why() -> None:
    config = yaml.safe_load((DEPLOY.parent / ".checkov.yaml").read_text())
    assert "skip-check" not in config  # skips live on their resource
    for name in TEMPLATES:
        for logical, res in load(name)["Resources"].items():
            for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", []):
                assert len(skip.get("comment", "")) > 20, f"{name} {logical} skips {skip['id']} without a reason"
        for number, line in enumerate((DEPLOY / name).read_text().splitlines(), 1):
            if "ignore_checks" in line:
                assert "#" in line.split("ignore_checks", 1)[1], f"{name}:{number}: a cfn-lint ignore without a reason"
