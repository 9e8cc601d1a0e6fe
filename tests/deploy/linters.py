"""cfn-lint and checkov over deploy/, run as background processes.

Both spend most of their time loading rules, so `tests/deploy/conftest.py` starts them as soon
as collection finishes (when the lint tests are selected) and they run beside the rest of the
suite; the tests then only wait for their reports. checkov comes from its own virtualenv
(.venv/checkov, made by the Makefile): it pins boto3 1.35, below the project's range.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.deploy.cfn import DEPLOY, TEMPLATES

ROOT = DEPLOY.parent
CHECKOV = Path(sys.prefix) / "checkov" / "bin" / "checkov"
CFN_LINT = [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())"]
_running: dict[str, subprocess.Popen[str]] = {}


def start() -> None:
    """Start both tools once (later calls do nothing)."""
    if _running:
        return
    def run(command: list[str]) -> subprocess.Popen[str]:
        return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _running["cfn-lint"] = run([*CFN_LINT, "--format", "json", "--append-rules", "cfn_lint_serverless.rules",
                                "--", *(f"deploy/{t}" for t in TEMPLATES)])
    if CHECKOV.exists():
        _running["checkov"] = run([str(CHECKOV), "--config-file", ".checkov.yaml", "--output", "json"])


def report(tool: str, timeout: float = 600) -> Any:
    """The tool's JSON report (waits for it)."""
    start()
    if tool == "checkov":
        assert CHECKOV.exists(), f"{CHECKOV} is missing: `make install` creates it"
    process = _running[tool]
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    # cfn-lint's exit code is a bit mask of what it found (2 errors, 4 warnings, 8 informational)
    assert process.returncode in ((0, 1) if tool == "checkov" else range(0, 16, 2)), err
    _running[tool] = _Done(out, err, process.returncode)  # type: ignore[assignment]
    return json.loads(out or "[]")


class _Done:
    """A finished process whose output can be read again."""

    def __init__(self, out: str, err: str, returncode: int) -> None:
        self._out, self._err, self.returncode = out, err, returncode

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        return self._out, self._err


def stop() -> None:
    for process in _running.values():
        if isinstance(process, subprocess.Popen) and process.poll() is None:
            process.kill()
            process.wait()
