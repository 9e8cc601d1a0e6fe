"""What the bot tells people it can answer: example questions and prompt starters from the model,
each of them answered."""

from __future__ import annotations

import datetime as dt

from bot.bootstrap import LocalApp
from engine.domain import LOCAL_ANALYST
from engine.guide import build_guide, example_questions, prompt_starters

AS_OF = dt.date(2025, 12, 31)


def test_every_example_and_prompt_starter_of_the_sample_model_is_answered(app: LocalApp) -> None:
    examples = example_questions(app.model)
    assert len(examples) == 4
    starters = prompt_starters(app.model)
    assert starters and all(len(s["title"]) <= 32 and len(s["description"]) <= 128 for s in starters)
    for question in examples + [s["title"] for s in starters]:
        answer = app.engine.ask(question, LOCAL_ANALYST, AS_OF, charts=False)
        assert answer.status == "answered", (question, answer.message)


def test_verified_questions_come_first_and_the_guide_lists_measures_and_breakdowns(app: LocalApp) -> None:
    examples = example_questions(app.model, verified=["revenue by brand in 2024"])
    assert examples[0] == "revenue by brand in 2024" and len(examples) == 4
    guide = build_guide(app.model)
    assert ("Revenue", "completed orders") in guide.metrics and "Customer region" in guide.dimensions
