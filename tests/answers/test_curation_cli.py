"""`athena-bot verified list|add|remove` and `athena-bot feedback list`, in process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.local.feedback_store import SQLiteFeedbackStore
from adapters.local.verified_file import VerifiedFile
from bot.cli import main
from engine.answers.feedback import Feedback
from engine.answers.verified import VerifiedQuestion


@pytest.fixture()
def home(lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    identity = tmp_path / "identity.yaml"
    identity.write_text("groups:\n  stewards: {tables: ['*']}\n  analysts: {tables: ['*']}\n"
                        "users:\n  ana@example.com: {groups: [stewards]}\n  bob@example.com: {groups: [analysts]}\n"
                        "  cli@example.com: {groups: [analysts], aliases: [cli-user]}\n")
    for key, value in {"ATHENA_BOT_HOME": str(tmp_path), "ATHENA_BOT_LAKE": str(lake),
                       "ATHENA_BOT_AS_OF": "2025-06-15", "ATHENA_BOT_STEWARD_GROUP": "stewards",
                       "ATHENA_BOT_IDENTITY_FILE": str(identity)}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("ATHENA_BOT_VERIFIED_FILE", raising=False)
    monkeypatch.delenv("ATHENA_BOT_MODEL", raising=False)
    return tmp_path


def test_add_list_ask_remove(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verified", "add", "orders by channel in 2024", "--steward", "ana@example.com", "--name", "Ana"]) == 0
    added = capsys.readouterr().out
    assert added.startswith("Verified ") and "(by Ana)" in added
    [item] = VerifiedFile(home / "sample.verified.yaml").all()  # the shipped model's, kept in the home folder
    assert item.query["metrics"] == ["orders"] and item.as_of == "2025-06-15"

    assert main(["ask", "--format", "json", "--no-chart", "how many orders per channel in 2024"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["verified_by"] == "Ana" and record["status"] == "answered"

    assert main(["verified", "list"]) == 0
    listed = capsys.readouterr().out
    assert f"{item.id}  orders by channel in 2024" in listed and "verified by Ana on " in listed and "; ok" in listed

    assert main(["verified", "remove", item.id]) == 0
    assert main(["verified", "remove", item.id]) == 1
    assert "no verified question" in capsys.readouterr().err


def test_add_checks_the_question_the_sql_and_the_steward(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verified", "add", "revenue by flavour", "--steward", "ana@example.com"]) == 1
    assert "not verified: I don't know \"flavour\"" in capsys.readouterr().err  # nothing to verify
    assert main(["verified", "add", "tidy up", "--steward", "ana@example.com",
                 "--sql", "DELETE FROM sales.orders"]) == 1
    assert "not verified: " in capsys.readouterr().err
    assert main(["verified", "add", "orders in 2024", "--steward", "bob@example.com"]) == 1
    assert "not in the steward group 'stewards'" in capsys.readouterr().err
    assert main(["verified", "add", "biggest line", "--steward", "ana@example.com",
                 "--sql", "SELECT MAX(quantity) AS q FROM sales.order_items"]) == 0
    [item] = VerifiedFile(home / "sample.verified.yaml").all()
    assert item.query is None and "LIMIT" in item.sql  # guarded: the cap is part of what is stored


def test_list_shows_what_no_longer_passes_the_guard(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = VerifiedFile(home / "sample.verified.yaml")
    store.put(VerifiedQuestion("loyalty by tier", "SELECT tier FROM sales.loyalty", "ana@example.com"))
    store.put(VerifiedQuestion("old one", "SELECT 1 AS x", "ana@example.com", flagged="the table was dropped"))
    assert main(["verified", "list", "--format", "json"]) == 0
    rows = {r["question"]: r["status"] for r in json.loads(capsys.readouterr().out)}
    assert rows["loyalty by tier"].startswith("broken: ") and "sales.loyalty" in rows["loyalty by tier"]
    assert rows["old one"] == "flagged: the table was dropped"
    store.path.write_text("verified: {not: a list}\n")
    assert main(["verified", "list"]) == 2
    assert "'verified' must be a list" in capsys.readouterr().err


def test_feedback_list(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["feedback", "list"]) == 0
    assert capsys.readouterr().out == "No feedback yet.\n"
    store = SQLiteFeedbackStore(home / "state.sqlite")
    store.add(Feedback("job1", "up", "ana@example.com", "orders in 2024", at=1.0))
    store.add(Feedback("job2", "down", "bob@example.com", "revenue by channel", reason="wrong_number", at=2.0))
    store.add(Feedback("job2", "down", "bob@example.com", "revenue by channel", reason="not_understood", at=3.0))
    assert main(["feedback", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and "👎 (Did not understand)  \"revenue by channel\"  by bob@example.com" in lines[0]
    assert main(["feedback", "list", "--review"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1
