"""Verified answers in the web chat (AppTest): the stewards' questions lead the examples, an
answer from one carries the badge, and 👎 asks why, into the review queue."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from adapters.local.feedback_store import SQLiteFeedbackStore
from bot.bootstrap import LocalIntake, local_intake, local_worker, run_in_thread
from bot.curation import verified_store
from bot.settings import Settings
from engine.answers.verified import VerifiedQuestion
from engine.domain import LOCAL_ANALYST
from tests.web.conftest import ask, open_page, web_environment


@pytest.fixture(scope="module")
def home(lake: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with pytest.MonkeyPatch.context() as mp:
        yield web_environment(mp, tmp_path_factory.mktemp("verified-web"), lake)


@pytest.fixture(scope="module")
def worker(home: Settings) -> Iterator[LocalIntake]:
    local = local_intake(home)
    prepared = local.app.engine.prepare("orders by channel in 2024", LOCAL_ANALYST, home.as_of)
    verified_store(home).put(VerifiedQuestion("orders by channel in 2024", prepared.sql, "ana@example.com",
                                              prepared.query.to_dict(), steward_name="Ana",
                                              as_of=home.as_of.isoformat()))
    stop = threading.Event()
    thread = run_in_thread(local_worker(home, local.app.engine, local.queue), stop)
    yield local
    stop.set()
    thread.join(timeout=10)


def test_verified_questions_lead_the_examples_and_answers_carry_the_badge(worker: LocalIntake, home: Settings) -> None:
    page = open_page()
    examples = [b for b in page.sidebar.button if b.key and b.key.startswith("example-")]
    assert examples[0].label == "orders by channel in 2024"
    ask(page, "how many orders per channel in 2024")
    captions = [re.sub(r"\\(.)", r"\1", c.value) for c in page.chat_message[-1].caption]
    assert ":material/verified: Verified by Ana" in captions

    [thumbs] = page.feedback
    thumbs.set_value(0).run()  # 👎: the page asks why
    [pills] = page.get("button_group")
    assert [o.content for o in pills.proto.options] == ["Wrong number", "Wrong breakdown", "Did not understand"]
    pills.set_value("wrong_number").run()
    assert not page.exception
    [item] = SQLiteFeedbackStore(home.state_path).list(review_only=True)
    assert (item.vote, item.reason, item.platform, item.user) == ("down", "wrong_number", "web", "analyst@localhost")
    assert item.question == "how many orders per channel in 2024" and item.sql.startswith("SELECT")
