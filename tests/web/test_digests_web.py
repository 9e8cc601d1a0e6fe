"""Digests from the web chat (AppTest): the Schedule form under an answer creates one through the
worker like Slack's and Teams', its posts land in the owner's feed on the page, and the sidebar
lists it with Pause / Resume / Delete."""

from __future__ import annotations

import datetime as dt
import re
import time

from streamlit.testing.v1 import AppTest

from adapters.web.feed import WebFeed, feed_channel
from bot.bootstrap import LocalIntake, local_digests
from engine.digests.scheduler import LocalScheduler
from engine.digests.schedule import parse_instant
from engine.domain import LOCAL_ANALYST
from tests.web.conftest import ask, open_page


def _schedule(page: AppTest, item: str, **values: object) -> AppTest:
    page.button(key=f"schedule-{item}").click().run()
    page.selectbox(key=f"freq-{item}").set_value(values.get("frequency", "weekly"))
    page.selectbox(key=f"weekday-{item}").set_value(values.get("weekday", "Monday"))
    page.time_input(key=f"time-{item}").set_value(dt.time(9, 0))
    page.text_input(key=f"tz-{item}").input(str(values.get("timezone", "Europe/Berlin")))
    next(b for b in page.button if b.label == "Schedule it").click().run()
    assert not page.exception, [e.value for e in page.exception]
    return page


def test_schedule_form_creates_a_digest_whose_posts_reach_the_feed(worker: LocalIntake) -> None:
    page = ask(open_page(), "revenue by category in 2024")
    item = page.session_state.history[0].item
    assert any(b.label == "Schedule" for b in page.button)
    _schedule(page, item)
    confirmation = page.session_state.history[-1]
    assert confirmation.question == "Schedule: revenue by category in 2024"
    assert confirmation.answer is not None and confirmation.answer.message.startswith(
        'Scheduled "revenue by category in 2024": every Monday at 09:00 (Europe/Berlin), posting in your '
        "digest posts in the web chat")
    service = local_digests(worker.app.settings)
    [digest] = [d for d in service.store.list() if d.question == "revenue by category in 2024"]
    assert digest.target == {"platform": "web", "channel": feed_channel(LOCAL_ANALYST.email), "kind": "feed"}
    assert digest.owner.email == LOCAL_ANALYST.email and digest.schedule.timezone == "Europe/Berlin"

    # the run at its due time posts into the owner's feed, once
    [job] = LocalScheduler(service, worker.queue).tick(parse_instant(digest.next_run))
    feed = WebFeed(worker.conversations)
    deadline = time.monotonic() + 60
    while not feed.posts(LOCAL_ANALYST.email) and time.monotonic() < deadline:
        time.sleep(0.1)
    [post] = feed.posts(LOCAL_ANALYST.email)
    assert post["answer"]["message"].startswith("Revenue (completed orders) by product category")
    assert "Digest: every Monday at 09:00 (Europe/Berlin)" in post["answer"]["footer"]

    # a new visit shows the post and lists the digest; Pause pauses it
    later = open_page()
    [posts] = [e for e in later.main.expander if e.label.startswith("Latest digest posts")]
    assert posts.label == "Latest digest posts (1)" and posts.dataframe
    assert any("revenue by category in 2024" in m.value for m in later.sidebar.markdown)
    later.button(key=f"pause-{digest.digest_id}").click().run()
    assert service.store.get(digest.digest_id).state == "paused"
    assert any(b.label == "Resume" for b in later.sidebar.button)


def test_a_schedule_the_form_cannot_keep_says_why_and_creates_nothing(worker: LocalIntake) -> None:
    page = ask(open_page(), "orders by channel in 2024")
    item = page.session_state.history[0].item
    before = len(local_digests(worker.app.settings).store.list())
    _schedule(page, item, timezone="Mars/Olympus")
    assert any("I don't know the time zone \"Mars/Olympus\"" in re.sub(r"\\(.)", r"\1", e.value)
               for e in page.main.error)  # the message as shown, markdown escapes undone
    assert len(page.session_state.history) == 1  # nothing handed in
    assert len(local_digests(worker.app.settings).store.list()) == before
