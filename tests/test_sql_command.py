"""`athena-bot sql check|run`, run as a real process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import cli

IDENTITIES = """
groups:
  analysts: {tables: ["*"]}
  support: {tables: [support.tickets]}
users:
  ana@example.com: {groups: [analysts]}
  sam@example.com: {groups: [support]}
"""


@pytest.fixture(scope="module")
def identity_env(lake: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("sqlhome")
    path = home / "identities.yaml"
    path.write_text(IDENTITIES)
    return {"ATHENA_BOT_HOME": str(home), "ATHENA_BOT_LAKE": str(lake), "ATHENA_BOT_IDENTITY_FILE": str(path)}


def test_check_allowed_and_refused(lake: Path, tmp_path: Path) -> None:
    env = {"ATHENA_BOT_HOME": str(tmp_path)}
    ok = cli("sql", "check", "--lake", str(lake), "SELECT status, count(*) FROM sales.orders GROUP BY status", env=env)
    assert (ok.returncode, ok.stdout) == (0, "allowed\n"), ok.stderr
    bypass = ('SELECT y.* FROM (WITH "/etc/hostname" AS (SELECT 1 AS a) SELECT a FROM "/etc/hostname") x '
              'CROSS JOIN "/etc/hostname" AS y')
    refused = cli("sql", "check", "--lake", str(lake), bypass, env=env)
    assert refused.returncode == 1 and refused.stdout.startswith("refused: ")
    assert "not a table in the data catalog" in refused.stdout and not refused.stderr.strip()


def test_check_reads_stdin_and_never_crashes(lake: Path, tmp_path: Path) -> None:
    """A PIVOT made sqlglot raise AssertionError: now a refusal like any other."""
    result = cli("sql", "check", "--lake", str(lake), "-",
                 stdin="SELECT * FROM sales.orders PIVOT (count(*) FOR status IN ('x'))",
                 env={"ATHENA_BOT_HOME": str(tmp_path)})
    assert result.returncode == 1 and "PIVOT" in result.stdout and "Traceback" not in result.stderr


def test_check_as_a_restricted_user(identity_env: dict[str, str]) -> None:
    sam = cli("sql", "check", "--user", "sam@example.com", "SELECT count(*) FROM sales.orders", env=identity_env)
    assert sam.returncode == 1 and "don't have access to sales.orders" in sam.stdout
    nobody = cli("sql", "check", "--user", "eve@example.com", "SELECT 1", env=identity_env)
    assert nobody.returncode == 1 and "I don't know you yet" in nobody.stdout and "Traceback" not in nobody.stderr


def test_run_text_and_json(identity_env: dict[str, str]) -> None:
    sql = "SELECT store_id, city FROM sales.stores ORDER BY store_id LIMIT 3"
    text = cli("sql", "run", "--user", "ANA@example.com", sql, env=identity_env)
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[0].split() == ["store_id", "city"] and "(3 rows)" in text.stdout
    record = json.loads(cli("sql", "run", "--format", "json", sql, env=identity_env | {"ATHENA_BOT_IDENTITY_FILE": ""}).stdout)
    assert record["status"] == "answered" and record["columns"] == ["store_id", "city"]
    assert [row[0] for row in record["rows"]] == [1, 2, 3] and "LIMIT 3" in record["sql"]


def test_run_refusal_exits_1(identity_env: dict[str, str]) -> None:
    refused = cli("sql", "run", "--user", "sam@example.com", "--format", "json", "SELECT * FROM sales.orders",
                  env=identity_env)
    assert refused.returncode == 1 and json.loads(refused.stdout)["status"] == "refused"


def test_run_stops_at_the_time_limit(identity_env: dict[str, str]) -> None:
    slow = ("SELECT count(DISTINCT a.order_id * 100000 + b.order_id + c.store_id) AS n FROM sales.orders a "
            "CROSS JOIN sales.orders b CROSS JOIN sales.stores c")
    result = cli("sql", "run", "--user", "ana@example.com", slow,
                 env=identity_env | {"ATHENA_BOT_QUERY_TIMEOUT_SECONDS": "0.5"})
    assert result.returncode == 1 and result.stdout.startswith("error: This question took longer than 0.5 s")
