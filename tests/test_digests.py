"""The digest engine without chat: the schedule-phrase grammar (tested like the time grammar),
schedules across daylight saving, periods that move with each run, conditions, DigestJob, and
the SQLite store's due query."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from adapters.local.digest_store import SQLiteDigestStore
from engine.digests.conditions import Condition, after_post, evaluate
from engine.digests.model import Digest, Owner
from engine.digests.periods import rebase, resolve, spec_of, specs_of
from engine.digests.phrases import NeedsForm, SchedulePhrase, read_phrase
from engine.digests.schedule import Schedule, ScheduleError, iso_utc, parse_instant
from engine.domain import DateRange, Principal, ReplyTarget, ResultTable
from engine.jobs import AskJob, DigestJob, JobFormatError, decode_job, decode_message, encode_digest_job, encode_job
from engine.language.timeparse import parse_time
from engine.semantic_query import SemanticQuery

# (message, question, preset, hour:minute, weekday or month day, target, condition)
PHRASES = [
    ("every Monday at 9 post revenue by region last week here", "revenue by region last week", "weekly", "09:00",
     0, "here", "always"),
    ("each morning at 8 send me yesterday's orders by channel", "yesterday's orders by channel", "daily", "08:00",
     None, "me", "always"),
    ("every morning send me orders yesterday", "orders yesterday", "daily", "08:00", None, "me", "always"),
    ("alert me when the return rate this month goes above 10 %", "the return rate this month", "hourly", None,
     None, "me", "threshold above 10"),
    ("tell #support when urgent open tickets exceed 20", "urgent open tickets", "hourly", None, None,
     "channel support", "threshold above 20"),
    ("let me know if revenue this week drops by 20 %", "revenue this week", "hourly", None, None, "me",
     "threshold decreased_by 20%"),
    ("notify me when orders today fall below 1.5k", "orders today", "hourly", None, None, "me", "threshold below 1500"),
    ("every weekday at 8:30am post orders yesterday only if not empty", "orders yesterday", "weekdays", "08:30",
     None, "here", "not_empty"),
    ("post revenue by category this month every Friday at 5 pm in #sales", "revenue by category this month",
     "weekly", "17:00", 4, "channel sales", "always"),
    ("on Fridays at noon post top 5 products this week", "top 5 products this week", "weekly", "12:00", 4, "here",
     "always"),
    ("monthly on the 15th at 10:00 Europe/Berlin send me revenue last month", "revenue last month", "monthly",
     "10:00", 15, "me", "always"),
    ("on the 1st of every month at 7 post revenue by store last month here", "revenue by store last month",
     "monthly", "07:00", 1, "here", "always"),
    ("every monday at 9 Berlin time post tickets last week", "tickets last week", "weekly", "09:00", 0, "here",
     "always"),
    ("every day at 18:45 post cancellations today only when it changed", "cancellations today", "daily", "18:45",
     None, "here", "changed"),
    ("every hour post urgent open tickets here", "urgent open tickets", "hourly", None, None, "here", "always"),
    ("daily at 9 post revenue yesterday", "revenue yesterday", "daily", "09:00", None, "here", "always"),
    ("send me weekly revenue by category last week", "revenue by category last week", "weekly", "09:00", 0, "me",
     "always"),
]


@pytest.mark.parametrize("text,question,preset,at,day,target,condition", PHRASES)
def test_schedule_phrases(text: str, question: str, preset: str, at: str | None, day: int | None, target: str,
                          condition: str) -> None:
    read = read_phrase(text)
    assert isinstance(read, SchedulePhrase), read
    assert read.question == question and read.preset == preset
    if at:
        assert f"{read.hour:02d}:{read.minute:02d}" == at
    if day is not None:
        assert (read.weekday if preset == "weekly" else read.month_day) == day
    assert (f"channel {read.channel}" if read.target == "channel" else read.target) == target
    c = read.condition
    said = c.kind if c.kind != "threshold" else f"threshold {c.op} {c.value:g}{'%' if c.percent else ''}"
    assert said == condition


def test_a_threshold_said_in_percent_is_marked_for_the_measure_format() -> None:
    read = read_phrase("alert me when the return rate this month goes above 10 %")
    assert read.value_in_percent and not read.condition.percent  # 10 % of a rate, not a 10 % change
    assert read.schedule("Europe/Berlin").timezone == "Europe/Berlin"
    assert read_phrase("every monday at 9 Europe/Lisbon post orders").schedule("UTC").timezone == "Europe/Lisbon"


@pytest.mark.parametrize("text", [
    "revenue by category last quarter", "revenue for each month in 2024", "daily revenue last week",
    "weekly orders this quarter", "orders every day last week by channel", "what is the return rate",
    "customers with more than 60 orders in 2024", "monthly revenue in 2024",
])
def test_plain_questions_are_not_schedules(text: str) -> None:
    assert read_phrase(text) is None


@pytest.mark.parametrize("text,reason", [
    ("every other tuesday post revenue", "every other"),
    ("biweekly post revenue here", "biweekly"),
    ("every quarter post revenue here", "every quarter"),
    ("every day at 25 post revenue", "not a time of day"),
    ("every monday", "not what to post"),
    ("on the 31st of every month post revenue here", "day 1 to 28"),
    ("alert me when revenue does something odd", "condition"),
])
def test_what_the_grammar_cannot_read_gets_the_form(text: str, reason: str) -> None:
    read = read_phrase(text)
    assert isinstance(read, NeedsForm) and reason in read.reason


def test_schedules_keep_wall_time_across_daylight_saving() -> None:
    daily = Schedule("daily", "Europe/Berlin", 9)
    runs, at = [], parse_instant("2025-03-28T12:00:00Z")
    for _ in range(4):
        at = daily.next_after(at)
        runs.append(iso_utc(at))
    assert runs == ["2025-03-29T08:00:00Z", "2025-03-30T07:00:00Z", "2025-03-31T07:00:00Z", "2025-04-01T07:00:00Z"]
    night = Schedule("daily", "Europe/Berlin", 2, 30)  # 02:30 does not exist on 30 March, twice on 26 October
    assert iso_utc(night.next_after(parse_instant("2025-03-29T12:00:00Z"))) == "2025-03-30T01:00:00Z"  # 03:00 CEST
    at, runs = parse_instant("2025-10-25T12:00:00Z"), []
    for _ in range(2):
        at = night.next_after(at)
        runs.append(iso_utc(at))
    assert runs == ["2025-10-26T00:30:00Z", "2025-10-27T01:30:00Z"]  # once on the day it repeats
    weekly = Schedule("weekly", "America/New_York", 9, 0, 0)
    assert iso_utc(weekly.latest_at_or_before(parse_instant("2025-06-16T13:00:00Z"))) == "2025-06-16T13:00:00Z"
    assert iso_utc(weekly.latest_at_or_before(parse_instant("2025-06-16T12:59:59Z"))) == "2025-06-09T13:00:00Z"


def test_eventbridge_expressions_and_bad_schedules() -> None:
    assert Schedule("weekly", "UTC", 9, 0, 6).eventbridge_expression() == "cron(0 9 ? * SUN *)"
    assert Schedule("weekdays", "UTC", 8, 30).eventbridge_expression() == "cron(30 8 ? * MON-FRI *)"
    assert Schedule("monthly", "UTC", 7, month_day=15).eventbridge_expression() == "cron(0 7 15 * ? *)"
    assert Schedule("daily", "UTC", 7).eventbridge_expression() == "cron(0 7 * * ? *)"
    assert Schedule("hourly", "UTC", minute=5).eventbridge_expression() == "cron(5 * * * ? *)"
    with pytest.raises(ScheduleError, match="time zone"):
        Schedule("daily", "Mars/Olympus")
    with pytest.raises(ScheduleError, match="1 to 28"):
        Schedule("monthly", "UTC", month_day=31)
    with pytest.raises(ScheduleError, match="ISO"):
        parse_instant("next tuesday")


@pytest.mark.parametrize("words,run_on,start,end", [
    ("last week", "2025-06-23", "2025-06-16", "2025-06-22"),
    ("yesterday", "2025-07-01", "2025-06-30", "2025-06-30"),
    ("this month", "2025-07-03", "2025-07-01", "2025-07-03"),
    ("last 7 days", "2025-07-01", "2025-06-25", "2025-07-01"),
    ("ytd", "2026-02-01", "2026-01-01", "2026-02-01"),
    ("last quarter", "2025-07-01", "2025-04-01", "2025-06-30"),
    ("the past month", "2025-07-01", "2025-06-02", "2025-07-01"),
    ("in 2024", "2026-01-01", "2024-01-01", "2024-12-31"),  # named periods stay put
    ("q3 2024", "2026-01-01", "2024-07-01", "2024-09-30"),
    ("since march", "2025-07-01", "2025-03-01", "2025-06-16"),
])
def test_periods_move_with_the_run(words: str, run_on: str, start: str, end: str) -> None:
    read_on = dt.date(2025, 6, 16)
    period = parse_time(f"revenue {words}", read_on).range
    moved = resolve(spec_of(period, read_on), dt.date.fromisoformat(run_on))
    assert (moved.start.isoformat(), moved.end.isoformat()) == (start, end)


def test_compared_periods_move_together() -> None:
    read_on = dt.date(2025, 6, 16)
    parsed = parse_time("revenue this year vs last year", read_on)
    query = SemanticQuery(["revenue"], time_range=parsed.range, compare=parsed.compare)
    moved = rebase(query, specs_of(query, read_on), dt.date(2026, 3, 1))
    assert [(p.start.isoformat(), p.end.isoformat()) for p in moved.compare] == [
        ("2025-01-01", "2025-03-01"), ("2026-01-01", "2026-03-01")]
    assert moved.time_range == DateRange(dt.date(2025, 1, 1), dt.date(2026, 3, 1), "compared periods")
    assert query.compare[0].start == dt.date(2024, 1, 1)  # the frozen query itself is untouched


def table(rows: list[tuple]) -> ResultTable:
    return ResultTable(["region", "orders"], ["varchar", "bigint"], rows)


def test_threshold_on_any_row_fires_per_row_once_and_re_arms() -> None:
    rule = Condition("threshold", "above", 10, measure="orders")
    memory: dict = {}
    seen = []
    for rows in ([("EMEA", 12), ("APAC", 5)], [("EMEA", 15), ("APAC", 6)], [("EMEA", 15), ("APAC", 11)],
                 [("EMEA", 9), ("APAC", 20)], [("EMEA", 11), ("APAC", 20)]):
        verdict = evaluate(rule, table(rows), memory, ["orders"])
        seen.append(verdict.rows if verdict.post else [])
        memory = after_post(verdict) if verdict.post else verdict.memory
    assert seen == [["EMEA"], [], ["APAC"], [], ["EMEA"]]


def test_changes_against_the_previous_run_and_changed_since_the_last_post() -> None:
    rule = Condition("threshold", "increased_by", 50, percent=True)
    single = lambda n: ResultTable(["orders"], ["bigint"], [(n,)])  # noqa: E731
    first = evaluate(rule, single(10), {}, ["orders"])
    assert not first.post  # nothing to compare with yet
    jump = evaluate(rule, single(16), first.memory, ["orders"])
    assert jump.post and jump.reason.startswith("Alert: orders increased by 50 %: 16 (from 10)")
    changed = Condition("changed")
    a = evaluate(changed, single(3), {}, ["orders"])
    assert a.post
    again = evaluate(changed, single(3), after_post(a), ["orders"])
    assert not again.post and "same" in again.reason
    assert evaluate(changed, single(4), after_post(a), ["orders"]).post
    assert not evaluate(Condition("not_empty"), ResultTable(["orders"], ["bigint"], []), {}, []).post


def test_digest_jobs_are_one_job_per_digest_and_slot() -> None:
    a = decode_message(json.dumps({"type": "digest", "version": 1, "digest_id": "d1",
                                   "scheduled_for": "2025-06-16T07:00:00Z"}))
    b = decode_message(encode_digest_job(DigestJob("d1", "2025-06-16T07:00:00+00:00")))
    assert isinstance(a, DigestJob) and a.scheduled_for == "2025-06-16T07:00:00Z"
    assert decode_message(encode_digest_job(b)).job_id == a.job_id
    assert DigestJob("d1", "2025-06-23T07:00:00Z").job_id != a.job_id
    for bad in ({"type": "digest", "version": 2, "digest_id": "d1", "scheduled_for": "x"},
                {"type": "digest", "version": 1, "scheduled_for": "2025-06-16T07:00:00Z"},
                {"type": "digest", "version": 1, "digest_id": "d1", "scheduled_for": "<aws.scheduler.scheduled-time>"}):
        with pytest.raises(JobFormatError):
            decode_message(json.dumps(bad))
    job = AskJob("q", Principal("slack:U1", "a@x"), ReplyTarget("slack", "C1"), digest={"id": "d1"},
                 schedule={"schedule": {"preset": "daily"}})
    again = decode_job(encode_job(job))
    assert again.digest == {"id": "d1"} and again.schedule == {"schedule": {"preset": "daily"}}


def _digest(n: int, next_run: str | None, state: str = "active") -> Digest:
    return Digest(f"d{n:05d}", Owner("slack", "U1", "Ana@Example.com"), "orders", {"metrics": ["orders"]}, {},
                  {"platform": "slack", "channel": "C1"}, Schedule("daily", "UTC"), state=state, next_run=next_run)


def test_the_sqlite_store_finds_due_digests_in_order_and_advances_once(tmp_path) -> None:  # noqa: ANN001
    store = SQLiteDigestStore(tmp_path / "state.sqlite")
    store.put(_digest(1, "2025-06-16T09:00:00Z"))
    store.put(_digest(2, "2025-06-16T07:00:00Z"))
    store.put(_digest(3, "2025-06-17T07:00:00Z"))
    store.put(_digest(4, None, "paused"))
    now = parse_instant("2025-06-16T09:00:00Z")
    assert [d.digest_id for d in store.due(now)] == ["d00002", "d00001"]
    assert store.advance("d00002", "2025-06-16T07:00:00Z", "2025-06-17T07:00:00Z")
    assert not store.advance("d00002", "2025-06-16T07:00:00Z", "2025-06-18T07:00:00Z")  # someone else did
    assert [d.digest_id for d in store.due(now)] == ["d00001"]
    assert [d.digest_id for d in store.list("ana@example.com")] and store.update("nope", {"state": "x"}) is None
