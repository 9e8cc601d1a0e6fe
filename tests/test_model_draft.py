"""`athena-bot semantic-model init` on a lake of another domain, answered with the draft unedited."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from adapters.local.sqlite_store import SQLiteConversationStore
from bot.bootstrap import LocalApp, build_local
from bot.settings import Settings
from engine.domain import LOCAL_ANALYST
from engine.model_draft import ColumnProfile, TableProfile, draft_model, singular
from engine.semantic_model import load_model
from tests.hr_lake import build_hr_lake
from tests.test_cli import cli
from tests.test_dev_set import _rows

HR_SET = yaml.safe_load((Path(__file__).parent / "dev_set" / "hr_questions.yaml").read_text())
MIN_HR_ACCURACY = 0.95


@pytest.fixture(scope="module")
def hr_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hr_lake")
    build_hr_lake(path)
    return path


@pytest.fixture(scope="module")
def drafted(hr_lake: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model") / "hr.yaml"
    result = cli("semantic-model", "init", "--lake", str(hr_lake), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "Drafted" in result.stdout and "4 tables" in result.stdout
    return out


@pytest.fixture(scope="module")
def hr_app(hr_lake: Path, drafted: Path, tmp_path_factory: pytest.TempPathFactory) -> LocalApp:
    home = tmp_path_factory.mktemp("hr_home")
    settings = Settings.from_env({"ATHENA_BOT_HOME": str(home), "ATHENA_BOT_LAKE": str(hr_lake),
                                  "ATHENA_BOT_MODEL": str(drafted)})
    return build_local(settings, conversations=SQLiteConversationStore(":memory:"), charts=False)


def test_draft_finds_keys_joins_time_partitions_and_values(drafted: Path) -> None:
    raw = yaml.safe_load(drafted.read_text())
    assert drafted.read_text().startswith("# Drafted by `athena-bot semantic-model init")
    joins = {(j["from"], j["to"], tuple(j["keys"])) for j in raw["joins"]}
    assert joins == {("employees", "departments", ("department_id", "department_id")),
                     ("hires", "employees", ("employee_id", "employee_id")),
                     ("salaries", "employees", ("employee_id", "employee_id"))}
    # the year partition is checked against the data before it is used for pruning
    assert raw["tables"]["salaries"]["partition"] == {"column": "year", "format": "%Y",
                                                      "follows": "salaries.effective_date"}
    assert raw["metrics"]["average_salary"]["sql"] == "AVG(salaries.salary)"
    assert raw["metrics"]["employees"]["time"] == "employees.hire_date"
    assert "headcount" in raw["metrics"]["employees"]["synonyms"]
    assert raw["dimensions"]["department"]["column"] == "departments.department_name"
    assert raw["dimensions"]["location"]["values"] == "data"
    assert "values" not in raw["dimensions"]["employee"]  # 600 names: not a value list
    assert raw["entities"]["hire"]["default_measure"] == "hiring_cost"
    load_model(drafted)  # the draft is a valid model as it stands


def test_draft_prints_yaml_without_out(hr_lake: Path) -> None:
    result = cli("semantic-model", "init", "--lake", str(hr_lake))
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout)["tables"]["departments"] == {"source": "hr.departments"}


def test_draft_of_an_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = cli("semantic-model", "init", "--lake", str(tmp_path))
    assert result.returncode == 2 and "no tables" in result.stderr


def test_shared_column_names_are_kept_apart() -> None:
    def table(name: str, *columns: ColumnProfile) -> TableProfile:
        return TableProfile("db", name, 10, list(columns))

    profiles = [
        table("accounts", ColumnProfile("id", "bigint", 10), ColumnProfile("status", "varchar", 2, 0, ["a", "b"]),
              ColumnProfile("amount", "decimal(10,2)", 10)),
        table("invoices", ColumnProfile("invoice_id", "bigint", 10), ColumnProfile("account_id", "bigint", 4),
              ColumnProfile("status", "varchar", 3, 0, ["x", "y", "z"]), ColumnProfile("amount", "double", 9),
              ColumnProfile("issued_at", "timestamp", 10)),
    ]
    model = draft_model(profiles)
    assert model["joins"] == [{"from": "invoices", "to": "accounts", "keys": ["account_id", "id"]}]
    assert {"account_status", "invoice_status"} <= set(model["dimensions"])
    assert {"total_account_amount", "total_invoice_amount"} <= set(model["metrics"])
    assert model["metrics"]["invoices"]["time"] == "invoices.issued_at"
    assert "time" not in model["metrics"]["accounts"]
    assert singular("salaries") == "salary" and singular("addresses") == "address"


def test_drafted_model_answers_hr_questions_unedited(hr_app: LocalApp) -> None:
    as_of = dt.date.fromisoformat(HR_SET["as_of"])
    wrong = []
    for item in HR_SET["questions"]:
        answer = hr_app.engine.ask(item["question"], LOCAL_ANALYST, as_of, charts=False)
        expected = item.get("expect", "answered")
        if answer.status != expected:
            wrong.append(f"{item['question']}: {answer.status}: {answer.message}")
        elif expected == "answered":
            gold = hr_app.engine.executor.execute(item["gold"], LOCAL_ANALYST, 10_000)
            ordered = bool(item.get("ordered"))
            if _rows(answer.table, ordered) != _rows(gold, ordered):
                wrong.append(f"{item['question']}: rows differ\n{answer.sql}")
    accuracy = 1 - len(wrong) / len(HR_SET["questions"])
    assert len(HR_SET["questions"]) >= 25
    assert accuracy >= MIN_HR_ACCURACY, f"{accuracy:.0%}:\n" + "\n".join(wrong)


def test_jsonl_cli_with_the_drafted_model(hr_lake: Path, drafted: Path) -> None:
    result = cli("ask", "-", "--format", "jsonl", "--lake", str(hr_lake), "--model", str(drafted),
                 "--as-of", "2025-06-30", stdin=json.dumps({"question": "headcount by division"}) + "\n")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["status"] == "answered" and record["columns"] == ["division", "employees"]


def test_a_drafted_model_gets_example_questions_it_answers(hr_app: LocalApp) -> None:
    from engine.guide import example_questions

    examples = example_questions(hr_app.model)
    assert len(examples) >= 2
    for question in examples:
        answer = hr_app.engine.ask(question, LOCAL_ANALYST, dt.date(2025, 12, 31), charts=False)
        assert answer.status == "answered", (question, answer.message)
