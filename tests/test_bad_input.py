"""Bad input never crashes a process: the batch CLI, the time grammar and numeric conditions.

Every jsonl line gets exactly one output line; a line that is not a usable request is an
`error` record naming the problem, and the batch goes on.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from adapters.local.sqlite_store import SQLiteConversationStore
from bot.bootstrap import LocalApp, build_local
from bot.batch import MAX_LINE_BYTES, answer_lines
from bot.cli import main as cli_main
from engine.language.conditions import NumberOutOfRange, find_conditions
from engine.domain import LOCAL_ANALYST
from engine.service import MAX_QUESTION_CHARS
from bot.settings import Settings
from engine.language.timeparse import CalendarError, parse_time

RECORD_KEYS = {"status", "question", "sql", "columns", "rows", "message"}


def strict_json(line: str) -> dict:
    """A JSON record as a strict reader sees it: NaN and Infinity are not JSON."""
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")
    return json.loads(line, parse_constant=refuse)


@pytest.fixture(scope="module")
def batch_app(settings: Settings) -> LocalApp:
    """An app of its own, so generated conversation ids never meet other tests' threads."""
    return build_local(settings, conversations=SQLiteConversationStore(":memory:"), charts=False)


def run_cli(*args: str, stdin: bytes, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def jsonl(*requests: object) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in requests)


BIG = "1" + "0" * 400

BAD_LINES: list[tuple[bytes, str]] = [  # (line, words the error message must contain)
    (json.dumps({"question": "orders in 2024", "as_of": 123}).encode(), "as_of"),
    (json.dumps({"question": "orders in 2024", "as_of": True}).encode(), "as_of"),
    (json.dumps({"question": "orders in 2024", "as_of": {}}).encode(), "as_of"),
    (json.dumps({"question": "orders in 2024", "as_of": "15/06/2025"}).encode(), "as_of"),
    (json.dumps({"question": "orders this year", "as_of": "9999-12-31"}).encode(), "calendar"),
    (json.dumps({"question": "orders last year", "as_of": "0001-01-01"}).encode(), "calendar"),
    (json.dumps({"question": "orders in 2024", "conversation": {"id": 1}}).encode(), "conversation"),
    (json.dumps({"question": 42}).encode(), "question"),
    (json.dumps(["orders in 2024"]).encode(), "object"),
    (b"[" * 100_000, "bytes long"),  # past the line cap before JSON sees it
    (b"[" * 50_000, "nested too deeply"),
    (b'{"q": ' * 5_000 + b'1' + b"}" * 5_000, "nested too deeply"),
    (b"not json", "not valid JSON"),
    (b'{"question": "orders \xff\xfe in 2024"}', "UTF-8"),
    (json.dumps({"question": f"categories with more than {BIG} in revenue"}).encode(), "too large"),
    (json.dumps({"question": "categories with more than 1e400 revenue"}).encode(), "too large"),
    (json.dumps({"question": "orders on 2024-13-45"}).encode(), "2024-13-45"),
]


def test_one_bad_line_never_ends_the_batch(lake: Path) -> None:
    good = {"question": "orders in 2024", "as_of": "2025-06-15"}
    stdin = jsonl(good, *[line for line, _ in BAD_LINES], good)
    result = run_cli("ask", "--lake", str(lake), "--format", "jsonl", "-", stdin=stdin)
    assert result.returncode == 0, result.stderr.decode()
    assert b"Traceback" not in result.stderr
    records = [strict_json(line) for line in result.stdout.decode().splitlines()]
    assert len(records) == len(BAD_LINES) + 2
    assert all(set(r) == RECORD_KEYS for r in records)
    assert records[0]["status"] == records[-1]["status"] == "answered"
    assert records[0]["rows"] == records[-1]["rows"]
    for record, (line, words) in zip(records[1:-1], BAD_LINES):
        assert record["status"] == "error", (line[:80], record)
        assert words.lower() in record["message"].lower(), (line[:80], record["message"])
        assert record["sql"] is None and record["rows"] == []


def test_numbers_too_large_never_reach_the_sql(app: LocalApp) -> None:
    for question in (f"categories with more than {BIG} in revenue", "orders over $1e400",
                     "categories with more than 1e400 revenue", "revenue between 1e400 and 1e500"):
        answer = app.engine.ask(question, LOCAL_ANALYST, dt.date(2025, 6, 15), charts=False)
        assert answer.status == "error" and answer.sql is None, (question, answer.message)
        assert "too large" in answer.message and "inf" not in answer.message.lower()
    # scientific notation a person would write still works
    answer = app.engine.ask("categories with more than 1e5 in revenue in 2024", LOCAL_ANALYST,
                            dt.date(2025, 6, 15), charts=False)
    assert answer.status == "answered" and "> 100000" in answer.sql


def test_number_out_of_range_is_a_typed_error() -> None:
    with pytest.raises(NumberOutOfRange, match="too large"):
        find_conditions(f"more than {BIG} revenue")
    conditions, _ = find_conditions("more than 2.5e6 revenue")
    assert conditions[0].value == 2_500_000


@pytest.mark.parametrize("question,as_of", [
    ("orders this year", "9999-12-31"), ("orders today", "9999-12-31"), ("orders ytd", "9999-12-31"),
    ("orders last 7 days", "9999-12-31"), ("orders last 7 days", "0001-01-03"),
    ("orders last year", "0001-01-01"), ("orders last quarter", "0001-02-01"),
    ("orders last 999 months", "0050-06-15"), ("orders yesterday", "0001-01-01"),
    ("orders this year vs last year", "0001-06-01"), ("orders compared to last year", "0001-06-01"),
    ("orders since march", "0001-01-15"), ("orders in h2", "0001-03-01"), ("orders in q4", "0001-03-01"),
    ("orders in december", "0001-03-01"), ("orders week 52", "0001-01-02"),
    ("orders in the past year", "0001-03-01"), ("orders last week vs the week before", "0001-01-09"),
    ("orders in jan-mar", "0001-02-01"),
])
def test_relative_ranges_outside_the_calendar_are_a_typed_error(question: str, as_of: str) -> None:
    with pytest.raises(CalendarError) as raised:
        parse_time(question, dt.date.fromisoformat(as_of))
    assert "calendar" in str(raised.value)


@pytest.mark.parametrize("question,words", [
    ("orders on 2024-13-45", "2024-13-45"), ("orders in 2024-13", "2024-13"),
    ("orders on march 45 2024", "march 45 2024"), ("orders between 2024-02-30 and 2024-03-01", "2024-02-30"),
    ("orders since 2024-00-10", "2024-00-10"),
])
def test_dates_that_do_not_exist_are_named(question: str, words: str) -> None:
    with pytest.raises(CalendarError) as raised:
        parse_time(question, dt.date(2025, 6, 15))
    assert words in str(raised.value)


def test_the_engine_answers_calendar_errors_and_keeps_going(app: LocalApp) -> None:
    for question, as_of in (("did orders increase this month", dt.date(1, 1, 15)),
                            ("orders this year", dt.date(9999, 12, 31))):
        answer = app.engine.ask(question, LOCAL_ANALYST, as_of, charts=False)
        assert answer.status == "error" and "calendar" in answer.message and answer.sql is None


def test_long_questions_are_refused_before_anything_reads_them(app: LocalApp) -> None:
    answer = app.engine.ask("orders " + "xqzzy " * 50_000, LOCAL_ANALYST, dt.date(2025, 6, 15), charts=False)
    assert answer.status == "error" and f"{MAX_QUESTION_CHARS:,}" in answer.message


def test_very_long_lines_and_bad_bytes_each_get_one_error(batch_app: LocalApp) -> None:
    long_line = json.dumps({"question": "orders " * (MAX_LINE_BYTES // 4)}).encode()
    stdin = jsonl(long_line, b"\xff\xfe\xfd", b"\x00\x01", {"question": "orders in 2024", "as_of": "2025-06-15"})
    out = io.StringIO()
    assert answer_lines(batch_app, LOCAL_ANALYST, io.BytesIO(stdin), out, None) == 4
    records = [strict_json(line) for line in out.getvalue().splitlines()]
    assert [r["status"] for r in records] == ["error", "error", "error", "answered"]
    assert f"{MAX_LINE_BYTES:,} bytes" in records[0]["message"] and "Line 1" in records[0]["message"]
    assert "UTF-8" in records[1]["message"] and "Line 2" in records[1]["message"]


IDENTITY = "groups:\n  analysts: {tables: ['*']}\nusers:\n  ana@example.com: {groups: [analysts]}\n"


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl"])
def test_a_cli_user_the_identity_file_does_not_know_is_refused(lake: Path, tmp_path: Path, fmt: str,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    identity = tmp_path / "identity.yaml"
    identity.write_text(IDENTITY)
    monkeypatch.setenv("ATHENA_BOT_IDENTITY_FILE", str(identity))
    monkeypatch.delenv("ATHENA_BOT_BACKEND", raising=False)
    stdin = jsonl({"question": "orders in 2024"}, {"question": "orders in 2023"}) if fmt == "jsonl" else b""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    question = "-" if fmt == "jsonl" else "orders in 2024"
    assert cli_main(["ask", "--lake", str(lake), "--format", fmt, "--no-chart", question]) == 1
    out = capsys.readouterr().out
    if fmt == "text":
        assert out.startswith("Refused: ") and "identity file" in out and "cli-user" in out
        return
    records = [json.loads(out)] if fmt == "json" else [json.loads(line) for line in out.splitlines()]
    assert len(records) == (2 if fmt == "jsonl" else 1)
    assert all(r["status"] == "refused" and "identity file" in r["message"] and r["sql"] is None
               for r in records)


# -- the jsonl loop on arbitrary input ---------------------------------------------------------

_json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                            max_leaves=8)
_requests = st.fixed_dictionaries({"question": st.text(max_size=60) | _json_values},
                                  optional={"as_of": _json_values | st.dates().map(str),
                                            "conversation": _json_values}).map(lambda d: json.dumps(d).encode())
_lines = st.lists(st.binary(max_size=200).map(lambda b: b.replace(b"\n", b"")) | _requests
                  | st.sampled_from([line for line, _ in BAD_LINES]), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(lines=_lines)
def test_every_line_gets_exactly_one_json_line(batch_app: LocalApp, lines: list[bytes]) -> None:
    out = io.StringIO()
    answer_lines(batch_app, LOCAL_ANALYST, io.BytesIO(b"\n".join(lines)), out, dt.date(2025, 6, 15))
    records = [strict_json(line) for line in out.getvalue().splitlines()]
    assert len(records) == sum(1 for line in lines if line.strip())
    for record in records:
        assert set(record) == RECORD_KEYS and record["status"] in ("answered", "clarify", "refused", "error")
        assert isinstance(record["message"], str) and record["message"]
