"""Verified questions in the engine: which new questions are answered from one, how the time words
of a verified question are read again, what the planner skips or receives, and what happens to a
verified question whose SQL no longer passes the guard."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from adapters.local.feedback_store import SQLiteFeedbackStore
from adapters.local.verified_file import VerifiedFile
from bot.bootstrap import LocalApp
from bot.curation import flag_notifier
from engine.answers.verified import VerifiedAnswers, VerifiedFormatError, VerifiedQuestion
from engine.domain import LOCAL_ANALYST, Answer, ReplyTarget
from engine.service import QueryEngine
from tests.test_planner import Recorded, tool_use

AS_OF = dt.date(2025, 6, 15)
STEWARD_THREAD = {"platform": "slack", "channel": "C1", "thread": "100.000001", "extra": {"user": "U1"}}


class Posts:
    def __init__(self) -> None:
        self.posts: list[tuple[ReplyTarget, Answer]] = []

    def post(self, target: ReplyTarget, answer: Answer) -> None:
        self.posts.append((target, answer))


def engine_on(app: LocalApp, catalog=None) -> QueryEngine:  # noqa: ANN001
    return QueryEngine(app.model, catalog or app.catalog, app.engine.executor, values=app.engine.values)


def verify(engine: QueryEngine, store: VerifiedFile, question: str, as_of: dt.date = AS_OF,
           **kw) -> VerifiedQuestion:  # noqa: ANN003
    prepared = engine.prepare(question, LOCAL_ANALYST, as_of)
    item = VerifiedQuestion(question, prepared.sql, "ana@example.com", prepared.query.to_dict() if prepared.query
                            else None, steward_name="Ana", as_of=as_of.isoformat(), **kw)
    store.put(item)
    return item


@pytest.fixture()
def store(tmp_path: Path) -> VerifiedFile:
    return VerifiedFile(tmp_path / "sample.verified.yaml")


@pytest.fixture()
def engine(app: LocalApp, store: VerifiedFile) -> QueryEngine:
    engine = engine_on(app)
    engine.verified = VerifiedAnswers(store, engine)
    return engine


def test_paraphrases_in_the_models_vocabulary_share_a_key(engine: QueryEngine) -> None:
    key = engine.verified.key
    assert key("revenue by customer region in 2024") == key("What's our sales per customer region in 2024?")
    assert key("revenue by customer region in 2024") == key("in 2024, turnover by customer region please")
    assert key("revenue by customer region in 2024") != key("revenue by store region in 2024")
    assert key("revenue by category in 2024") != key("revenue by category in 2023")
    assert key("orders in emea last quarter") != key("orders in apac last quarter")


def test_answered_from_a_verified_question_with_its_steward(engine: QueryEngine, store: VerifiedFile) -> None:
    item = verify(engine, store, "revenue by customer region in 2024")
    for question in ("what's our sales per customer region in 2024?",  # a paraphrase: the key
                     "turnover for each customer region in 2024"):  # read the same by the rules
        answer = engine.ask(question, LOCAL_ANALYST, AS_OF, charts=False)
        assert answer.status == "answered" and answer.verified_by == "Ana", question
        assert answer.sql == item.sql
    other = engine.ask("revenue by customer region in 2023", LOCAL_ANALYST, AS_OF, charts=False)
    assert other.status == "answered" and other.verified_by is None


def test_relative_time_words_are_read_again_for_today(engine: QueryEngine, store: VerifiedFile) -> None:
    verify(engine, store, "revenue by category last quarter", as_of=AS_OF)  # Q1 2025 then
    answer = engine.ask("revenue per category last quarter", LOCAL_ANALYST, dt.date(2025, 12, 31), charts=False)
    assert answer.verified_by == "Ana"
    assert "1 Jul 2025 - 30 Sep 2025" in answer.message and "2025-07-01" in answer.sql


def test_a_verified_follow_up_is_not_recalled_alone(engine: QueryEngine, store: VerifiedFile) -> None:
    prepared = engine.prepare("revenue by category in 2024", LOCAL_ANALYST, AS_OF)
    store.put(VerifiedQuestion("and only online?", prepared.sql, "ana@example.com", prepared.query.to_dict(),
                               as_of=AS_OF.isoformat()))
    answer = engine.ask("and only online?", LOCAL_ANALYST, AS_OF, charts=False)
    assert answer.verified_by is None and answer.status != "answered"


def test_a_planner_answer_once_verified_is_answered_without_the_planner(app: LocalApp, tmp_path: Path) -> None:
    recorded = Recorded(app)
    store = VerifiedFile(tmp_path / "v.yaml")
    recorded.engine.verified = VerifiedAnswers(store, recorded.engine)
    question = "what is the largest quantity anyone put on a single order line"
    recorded.reply(tool_use("sql_query", {"sql": "SELECT MAX(quantity) AS largest_line_quantity FROM sales.order_items"}))
    first = recorded.ask(question)
    assert "written by the AI planner" in first.message and first.verified_by is None
    store.put(VerifiedQuestion(question, first.sql, "ana@example.com", None, steward_name="Ana"))

    again = recorded.ask("The largest quantity anyone put on a single order line, please?")  # no stub: no planner
    assert again.status == "answered" and again.verified_by == "Ana"
    assert again.message.startswith("1 row from the query a data steward verified")
    assert again.table.rows == first.table.rows and len(recorded.requests) == 1

    # a question close to it but not the same goes to the planner, with the verified one as an example
    recorded.reply(tool_use("sql_query", {"sql": "SELECT MIN(quantity) AS smallest FROM sales.order_items"}))
    recorded.ask("what is the smallest quantity anyone put on a single order line")
    assert "Verified questions, checked by the data team's stewards" in recorded.prompt(1)
    assert question in recorded.prompt(1) and "MAX(quantity)" in recorded.prompt(1)


class HidingCatalog:
    """The lake's catalog after a table was dropped from it."""

    def __init__(self, inner, hidden: str) -> None:  # noqa: ANN001
        self._tables = [t for t in inner.tables() if t.qualified_name != hidden]

    def tables(self):  # noqa: ANN201
        return self._tables


def test_a_broken_verified_question_is_flagged_to_its_steward_and_not_used(app: LocalApp, store: VerifiedFile,
                                                                         tmp_path: Path) -> None:
    before = engine_on(app)
    before.verified = VerifiedAnswers(store, before)
    item = verify(before, store, "tickets by priority in 2024", notify=STEWARD_THREAD)

    after = engine_on(app, HidingCatalog(app.catalog, "support.tickets"))  # the table is gone now
    posts, feedback = Posts(), SQLiteFeedbackStore(tmp_path / "state.sqlite")
    after.verified = VerifiedAnswers(store, after, on_flag=flag_notifier(posts, feedback))
    answer = after.ask("tickets per priority in 2024", LOCAL_ANALYST, AS_OF, charts=False)
    assert answer.verified_by is None and answer.status == "refused"  # the normal path, and its refusal
    assert "support.tickets" in answer.message

    [flagged] = store.all()
    assert flagged.id == item.id and "no longer passes the guard" in flagged.flagged
    [(target, notice)] = posts.posts
    assert (target.platform, target.channel, target.thread) == ("slack", "C1", "100.000001")
    assert notice.status == "error" and "tickets by priority in 2024" in notice.message
    assert f"athena-bot verified remove {item.id}" in notice.message
    [queued] = feedback.list(review_only=True)
    assert queued.kind == "flagged" and queued.question == "tickets by priority in 2024"

    after.ask("tickets per priority in 2024", LOCAL_ANALYST, AS_OF, charts=False)
    assert len(posts.posts) == 1  # flagged once: never tried again until verified again


def test_a_file_that_cannot_be_read_is_named_and_the_bot_answers_normally(engine: QueryEngine,
                                                                         store: VerifiedFile) -> None:
    store.path.write_text("verified:\n  - question: revenue\n    steward: [not, an, email]\n")
    with pytest.raises(VerifiedFormatError, match=r"sample\.verified\.yaml.*no sql, steward"):
        store.all()
    answer = engine.ask("revenue by category in 2024", LOCAL_ANALYST, AS_OF, charts=False)
    assert answer.status == "answered" and answer.verified_by is None


def test_the_file_is_what_a_person_would_write(engine: QueryEngine, store: VerifiedFile) -> None:
    item = verify(engine, store, "orders by channel in 2024")
    text = store.path.read_text()
    assert text.startswith("# Verified questions") and "  sql: |-\n    SELECT\n" in text
    assert VerifiedFile(store.path).all()[0].to_dict() == item.to_dict()
    assert store.remove(item.id) and not store.remove(item.id) and store.all() == []
