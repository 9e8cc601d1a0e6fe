"""`make demo` end to end on the test lake: every question answered through queue and worker."""

from __future__ import annotations

import io
from pathlib import Path

from bot.demo import DEMO_QUESTIONS, run_demo
from bot.settings import Settings


def test_demo_runs_every_question_through_the_queue(lake: Path, tmp_path: Path) -> None:
    settings = Settings.from_env({"ATHENA_BOT_HOME": str(tmp_path), "ATHENA_BOT_LAKE": str(lake)})
    out = io.StringIO()
    assert run_demo(settings, out=out) == 0
    text = out.getvalue()
    assert text.count("] Q: ") == len(DEMO_QUESTIONS)
    assert "Refused: " in text and "? I don't know" in text
    # "region" is the customer's, with the store's one click away
    assert "by customer region" in text and "Options: Store region instead" in text
    assert "Revenue (completed orders) by store region" in text
    # not answered: the weather and the refusal; the rest are
    assert f"{len(DEMO_QUESTIONS)} questions, {len(DEMO_QUESTIONS) - 2} answered" in text
    charts = list((tmp_path / "charts").glob("*.png"))
    assert len(charts) >= 6
