"""Execution accuracy on the dev set: the bot's rows must equal the gold SQL's rows."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.bootstrap import LocalApp
from engine.domain import LOCAL_ANALYST

DEV_SET = yaml.safe_load((Path(__file__).parent / "dev_set" / "questions.yaml").read_text())
AS_OF = dt.date.fromisoformat(DEV_SET["as_of"])
MIN_ACCURACY = 0.98


def _norm(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and math.isnan(value):
            return None
        return round(float(value), 4 if abs(value) < 10 else 2)
    return value


def _rows(table, ordered: bool) -> list[tuple]:  # noqa: ANN001
    rows = [tuple(_norm(v) for v in row) for row in table.rows]
    return rows if ordered else sorted(rows, key=repr)


def evaluate(app: LocalApp) -> list[tuple[str, bool, str]]:
    """(question, correct, detail) for every dev-set entry, in order."""
    results = []
    for item in DEV_SET["questions"]:
        question = item["question"]
        conversation = f"dev:{item['conversation']}" if item.get("conversation") else None
        answer = app.engine.ask(question, LOCAL_ANALYST, AS_OF, conversation_id=conversation, charts=False)
        expected_status = item.get("expect", "answered")
        if answer.status != expected_status:
            results.append((question, False, f"status {answer.status}: {answer.message}"))
            continue
        if expected_status != "answered":
            results.append((question, answer.table is None, "ran a query" if answer.table else ""))
            continue
        gold = app.engine.executor.execute(item["gold"], LOCAL_ANALYST, 10_000)
        ordered = bool(item.get("ordered"))
        ok = _rows(answer.table, ordered) == _rows(gold, ordered)
        results.append((question, ok, "" if ok else
                        f"got {_rows(answer.table, ordered)[:3]} expected {_rows(gold, ordered)[:3]}\n{answer.sql}"))
    return results


def test_dev_set_is_large_enough() -> None:
    assert len(DEV_SET["questions"]) >= 150
    answered = [q for q in DEV_SET["questions"] if q.get("expect", "answered") == "answered"]
    assert len(answered) >= 150
    kinds = {q.get("expect", "answered") for q in DEV_SET["questions"]}
    assert kinds == {"answered", "clarify", "refused"}
    assert len({q["conversation"] for q in DEV_SET["questions"] if q.get("conversation")}) >= 5


def test_execution_accuracy(dev_results: list[tuple[str, bool, str]]) -> None:
    results = dev_results
    wrong = [(q, detail) for q, ok, detail in results if not ok]
    accuracy = 1 - len(wrong) / len(results)
    report = "\n".join(f"- {q}: {d}" for q, d in wrong)
    assert accuracy >= MIN_ACCURACY, f"accuracy {accuracy:.1%}; wrong:\n{report}"


@pytest.mark.parametrize("item", [q for q in DEV_SET["questions"] if "gold" in q],
                         ids=lambda q: q["question"][:40])
def test_gold_sql_is_valid_athena(app: LocalApp, item: dict) -> None:
    """Gold SQL itself passes the guard: the dev set is held to the bot's own rules."""
    app.engine.guard.check(item["gold"], LOCAL_ANALYST)
