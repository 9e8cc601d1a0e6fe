"""The interpretation accounts for every word: read by the grammar or the vocabulary, filler in
its context, or named back to the user. Never silently dropped."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.bootstrap import LocalApp
from engine.errors import BotError, NeedsClarification
from engine.language.understanding import Interpretation
from engine.semantic_query import SemanticQuery
from engine.semantic_query import ValueFilter
from tests.test_dev_set import AS_OF, DEV_SET

ROLES = {"time", "condition", "ranking", "recency", "count", "share", "growth", "breakdown",
         "comparison", "negation", "average", "restates", "metric", "dimension", "value", "entity",
         "measure", "derived", "absence"}


def _valid(role: str) -> bool:
    return role.startswith("filler:") or all(part in ROLES for part in role.split("/"))


def _interpretations(app: LocalApp) -> list[tuple[str, Interpretation]]:
    """Every answered dev-set question with its interpretation, threads followed as the bot does."""
    understanding = app.engine.understanding
    previous: dict[str, SemanticQuery] = {}
    rewrites: dict[str, dict[str, str]] = {}
    out = []
    for item in DEV_SET["questions"]:
        thread = item.get("conversation")
        question = item["question"]
        chosen = " ".join(re.findall(r"[a-z0-9&]+", question.lower()))
        for option, rewritten in rewrites.pop(thread, {}).items() if thread else ():
            if chosen == " ".join(re.findall(r"[a-z0-9&]+", option.lower())):
                question = rewritten
        try:
            interpretation = understanding.interpret(question, AS_OF, previous.get(thread) if thread else None)
        except NeedsClarification as err:
            if thread:
                rewrites[thread] = err.rewrites
            continue
        except BotError:
            continue
        if thread:
            previous[thread] = interpretation.query
            rewrites[thread] = interpretation.query.alternatives
        if item.get("expect", "answered") == "answered":
            out.append((item["question"], interpretation))
    return out


def test_every_word_of_every_answered_dev_question_is_accounted_for(app: LocalApp) -> None:
    interpretations = _interpretations(app)
    assert len(interpretations) >= 150
    problems = []
    for question, interpretation in interpretations:
        words = interpretation.words
        spoken = re.findall(r"[a-z0-9]+|&|\$|%", interpretation.reading.source)
        if len(words) != len(spoken):
            problems.append(f"{question}: {len(spoken)} words, {len(words)} accounted")
        bad = [(w, r) for w, r in words if not _valid(r)]
        if bad:
            problems.append(f"{question}: {bad}")
    assert not problems, "\n".join(problems)


def test_words_that_carry_meaning_are_never_filler(app: LocalApp) -> None:
    understanding = app.engine.understanding
    us = understanding.interpret("revenue in the US", AS_OF)
    assert us.query.filters == [ValueFilter("country", ["United States"])]
    assert ("US".lower(), "value") in us.words
    pronoun = understanding.interpret("show us revenue by channel", AS_OF)
    assert pronoun.query.filters == [] and ("us", "filler:pronoun") in pronoun.words
    assert understanding.interpret("orders from US customers", AS_OF).query.filters == [
        ValueFilter("country", ["United States"])]


@pytest.mark.parametrize("question, word", [
    ("revenue for the walrus segment", "walrus"),
    ("orders by x", "x"),
    ("revenue in 23", "23"),
    ("tickets solved by robots", "robots"),
    ("new buyers last month", "new"),
])
def test_a_word_nothing_reads_is_named_back(app: LocalApp, question: str, word: str) -> None:
    with pytest.raises(NeedsClarification) as err:
        app.engine.understanding.interpret(question, AS_OF)
    assert f'"{word}"' in str(err.value)


def test_event_verbs_are_filler_only_next_to_what_they_describe(app: LocalApp) -> None:
    understanding = app.engine.understanding
    placed = understanding.interpret("orders placed last month", AS_OF)
    assert placed.query.metrics == ["orders"] and ("placed", "filler:event verb") in placed.words
    with pytest.raises(NeedsClarification):
        understanding.interpret("what was placed last month", AS_OF)


