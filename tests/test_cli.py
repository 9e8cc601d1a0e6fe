"""The `athena-bot` CLI contract, run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def cli(*args: str, stdin: str | None = None, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True,
                          text=True, env=full_env, cwd=cwd, timeout=120)


def test_ask_text(lake: Path, tmp_path: Path) -> None:
    result = cli("ask", "--lake", str(lake), "--as-of", "2025-06-15", "--charts-dir", str(tmp_path),
                 "revenue by customer region last quarter")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Revenue (completed orders) by customer region, 1 Jan 2025 - 31 Mar 2025:")
    assert "Customer region" in out and "SQL (Athena):" in out and "Chart: " in out
    chart = Path(out.split("Chart: ")[1].strip())
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_ask_json_uses_env_lake(lake: Path, tmp_path: Path) -> None:
    result = cli("ask", "--format", "json", "--no-chart", "orders in 2024",
                 env={"ATHENA_BOT_LAKE": str(lake), "ATHENA_BOT_HOME": str(tmp_path)})
    record = json.loads(result.stdout)
    assert record["status"] == "answered" and record["columns"] == ["orders"]
    assert isinstance(record["rows"][0][0], int) and record["chart"] is None


def test_ask_jsonl_contract_and_threads(lake: Path) -> None:
    lines = [
        {"question": "revenue by customer region in 2024", "as_of": "2025-06-15", "conversation": "t1"},
        {"question": "and for 2023?", "as_of": "2025-06-15", "conversation": "t1"},
        {"question": "and for 2023?", "as_of": None, "conversation": None},
        {"question": "drop table sales.orders", "as_of": None, "conversation": None},
        {"question": "monthly orders last quarter", "as_of": "2025-06-15", "conversation": None},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\nnot json\n"
    result = cli("ask", "--lake", str(lake), "--format", "jsonl", "-", stdin=stdin)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 6
    for record in records:
        assert set(record) == {"status", "question", "sql", "columns", "rows", "message"}
    assert [r["status"] for r in records] == ["answered", "answered", "clarify", "refused", "answered", "error"]
    assert records[0]["columns"] == ["region", "revenue"] and "2023" in records[1]["message"]
    assert records[0]["rows"] != records[1]["rows"]
    assert records[4]["rows"][0][0] == "2025-01-01"  # dates as ISO strings


def test_sample_lake_command(tmp_path: Path) -> None:
    result = cli("sample-lake", "--lake", str(tmp_path / "l"), "--scale", "0.01", "--seed", "5")
    assert result.returncode == 0 and "sales.orders" in result.stdout and "1,500 rows" in result.stdout
    assert (tmp_path / "l" / "sales" / "orders" / "month=2024-06").is_dir()


def test_missing_custom_lake_is_a_clear_error(tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    model.write_text((Path(__file__).parents[1] / "bot" / "semantic_models" / "sample.yaml").read_text())
    result = cli("ask", "--lake", str(tmp_path / "empty"), "revenue",
                 env={"ATHENA_BOT_MODEL": str(model)})
    assert result.returncode == 2 and "No tables in lake" in result.stderr
