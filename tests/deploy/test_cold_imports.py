"""What each Lambda entry point loads before its first request (a fresh interpreter each, with the
environment bench/cold.py uses): never the heavy libraries it does not need. Timing is
bench/cold.py's job; this holds the import graph that the timing depends on."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench.cold import ENV, ROOT, SCRIPTS

HEAVY = ("pandas", "duckdb", "matplotlib", "numpy", "pyarrow", "streamlit", "microsoft_agents", "aiohttp")
# the receiver needs none of these; the worker needs sqlglot (it compiles) but none of the rest
FORBIDDEN = {"slack ready": HEAVY + ("sqlglot", "aws_xray_sdk"), "worker ready": HEAVY + ("aws_xray_sdk",)}
BUILT = {"slack ready": {"boto3", "slack_bolt"}, "worker ready": {"boto3", "aws_lambda_powertools", "sqlglot"}}


def _loaded(script: str) -> set[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ATHENA_BOT_", "SLACK_"))}, **ENV,
           "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
    probe = script + "\nimport json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


@pytest.mark.parametrize("entry", sorted(FORBIDDEN))
def test_an_entry_point_built_and_ready_loads_nothing_heavy(entry: str) -> None:
    loaded = _loaded(SCRIPTS[entry])
    assert BUILT[entry] <= loaded  # it was really built
    assert not loaded & set(FORBIDDEN[entry]), f"{entry} loads {sorted(loaded & set(FORBIDDEN[entry]))}"
