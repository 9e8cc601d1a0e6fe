"""Verified answers in Slack, end to end on loopback: a steward's 👍 offers "Mark as verified", the
click goes through the worker into the verified questions, and a later paraphrase by someone
else is answered from it with the badge; 👎 asks why and feeds the review queue, the App Home
and the stewards' channel; assistant threads start with the verified questions."""

from __future__ import annotations

import argparse
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.server import HttpServer
from bot.curation import run_feedback, verified_store
from bot.settings import Settings
from bot.slack import SlackSettings, build_local_slack
from tests.slack.conftest import SECRET, SlackRig
from tests.slack.fake_slack import FakeSlack


class CurationSlack(FakeSlack):
    """The fake Slack with the methods these flows add: names in profiles, the App Home, prompts."""

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        if method in ("views.publish", "assistant.threads.setSuggestedPrompts"):
            return 200, {"ok": True}, {}
        status, payload, headers = super()._answer(method, params)
        if method == "users.info" and payload.get("ok") and params.get("user") == "U1":
            payload["user"]["profile"]["real_name"] = "Ana Steward"
        return status, payload, headers


def blocks_of(call: Any) -> list[dict[str, Any]]:
    blocks = call.params.get("blocks")
    return json.loads(blocks) if isinstance(blocks, str) else blocks or []


def button(call: Any, action_id: str) -> dict[str, Any]:
    return next(e for b in blocks_of(call) if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == action_id)


@pytest.fixture()
def rig(lake: Path, tmp_path: Path) -> Iterator[SlackRig]:
    identity = tmp_path / "identity.yaml"
    identity.write_text("groups:\n  analysts: {tables: ['*']}\n  stewards: {tables: ['*']}\n"
                        "users:\n  ana@example.com: {groups: [analysts, stewards]}\n"
                        "  bob@example.com: {groups: [analysts]}\n")
    fake = CurationSlack({"U1": "ana@example.com", "U2": "bob@example.com"}).start()
    settings = Settings.from_env({"ATHENA_BOT_HOME": str(tmp_path), "ATHENA_BOT_LAKE": str(lake),
                                  "ATHENA_BOT_AS_OF": "2025-06-15", "ATHENA_BOT_IDENTITY_FILE": str(identity),
                                  "ATHENA_BOT_STEWARD_GROUP": "stewards"})
    stack = build_local_slack(settings, SlackSettings("xoxb-test", SECRET, api_url=fake.url,
                                                      review_channel="CREVIEW"))
    server = HttpServer(stack.app, "127.0.0.1", 0).start()
    stop = threading.Event()
    worker = stack.run_worker(stop)
    rig = SlackRig(fake, stack, server)
    rig.settings = settings  # type: ignore[attr-defined]
    yield rig
    stop.set()
    worker.join(timeout=10)
    server.stop()
    fake.stop()


def test_steward_verifies_and_a_later_paraphrase_is_answered_from_it_with_the_badge(rig: SlackRig) -> None:
    fake = rig.fake
    rig.mention("revenue by customer region in 2024", "100.000001", "Ev1")
    [answer] = rig.answers(1)
    assert "Verified" not in json.dumps(blocks_of(answer))
    key = button(answer, "feedback_up")["value"]

    # a steward's 👍 offers Mark as verified, to them alone
    rig.click("feedback_up", key, answer.params["ts"], "100.000001")
    [offer] = fake.wait_for("chat.postEphemeral")
    assert offer.params["user"] == "U1" and "Mark this answer as verified" in offer.params["text"]
    verify = button(offer, "verify_answer")

    # the click is a job for the worker: it checks the SQL with the guard, stores it, says so in the thread
    rig.click("verify_answer", verify["value"], answer.params["ts"], "100.000001")
    confirm = rig.answers(2)[-1]  # the first update of the next message in the thread (the chart is another)
    assert "Verified by Ana Steward" in confirm.params["text"]
    assert fake.messages[confirm.params["ts"]].thread_ts == "100.000001"
    [item] = verified_store(rig.settings).all()  # type: ignore[attr-defined]
    assert (item.question, item.steward, item.steward_name) == ("revenue by customer region in 2024",
                                                                "ana@example.com", "Ana Steward")
    assert item.query["dimensions"] == ["region"] and "SUM(order_items.net_amount)" in item.sql

    # someone else, in another thread, in other words: answered from it, with the badge
    rig.mention("what's our sales per customer region in 2024?", "200.000001", "Ev2", user="U2")
    later = rig.answers(3)[-1]
    assert later.params["text"].startswith("Revenue (completed orders) by customer region, 1 Jan 2024")
    badge = [b for b in blocks_of(later) if b["type"] == "context" and "Verified" in json.dumps(b)]
    assert badge and "Ana Steward" in json.dumps(badge)

    # a question that means something else is answered the normal way, without it
    rig.mention("revenue by store region in 2024", "300.000001", "Ev3", user="U2")
    other = rig.answers(4)[-1]
    assert "Verified" not in json.dumps(blocks_of(other))

    # 👍 from someone who is not a steward is just thanks
    rig.click("feedback_up", button(later, "feedback_up")["value"], later.params["ts"], "200.000001", user="U2")
    thanks = fake.wait_for("chat.postEphemeral", 2)[-1]
    assert thanks.params["user"] == "U2" and thanks.params["text"] == "Thanks for the feedback!"


def test_a_non_steward_cannot_verify_even_by_forging_the_click(rig: SlackRig) -> None:
    rig.mention("orders in 2024", "400.000001", "Ev4", user="U2")
    [answer] = rig.answers(1)
    key = button(answer, "feedback_up")["value"]
    rig.click("verify_answer", json.dumps({"k": key, "t": "400.000001"}), answer.params["ts"], "400.000001", user="U2")
    [refusal] = rig.fake.wait_for("chat.postEphemeral")
    assert "Only data stewards" in refusal.params["text"]
    assert verified_store(rig.settings).all() == []  # type: ignore[attr-defined]


def test_thumbs_down_asks_why_and_reaches_the_review_queue(rig: SlackRig) -> None:
    fake = rig.fake
    rig.mention("orders by channel in 2024", "500.000001", "Ev5", user="U2")
    [answer] = rig.answers(1)
    rig.click("feedback_down", button(answer, "feedback_down")["value"], answer.params["ts"], "500.000001", user="U2")
    [ask] = fake.wait_for("chat.postEphemeral")
    labels = [e["text"]["text"] for b in blocks_of(ask) if b["type"] == "actions" for e in b["elements"]]
    assert labels == ["Wrong number", "Wrong breakdown", "Did not understand"]
    reason = button(ask, "feedback_reason_wrong_breakdown")
    rig.click("feedback_reason_wrong_breakdown", reason["value"], answer.params["ts"], "500.000001", user="U2")
    [post] = fake.wait_for("chat.postMessage", 2)[1:]  # the placeholder, then the stewards' channel
    assert post.params["channel"] == "CREVIEW"
    assert "Wrong breakdown" in json.dumps(blocks_of(post)) and "orders by channel in 2024" in post.params["text"]

    out = io.StringIO()
    assert run_feedback(argparse.Namespace(review=True, limit=10, format="json"), rig.settings, out) == 0  # type: ignore[attr-defined]
    [item] = json.loads(out.getvalue())
    assert (item["vote"], item["reason"], item["user"], item["question"]) == (
        "down", "wrong_breakdown", "bob@example.com", "orders by channel in 2024")

    # the steward's App Home shows the review queue; someone else's does not
    rig.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}, "Ev-home1")
    rig.event({"type": "app_home_opened", "user": "U2", "channel": "D2", "tab": "home"}, "Ev-home2")
    homes = {c.params["user_id"]: json.dumps(c.params["view"]) for c in fake.wait_for("views.publish", 2)}
    assert "Review queue" in homes["U1"] and "Wrong breakdown" in homes["U1"]
    assert "Review queue" not in homes["U2"]


def test_assistant_threads_start_with_the_verified_questions(rig: SlackRig, tmp_path: Path) -> None:
    from engine.answers.verified import VerifiedQuestion

    store = verified_store(rig.settings)  # type: ignore[attr-defined]
    store.put(VerifiedQuestion("revenue by category in 2024", "SELECT 1", "ana@example.com"))
    rig.event({"type": "assistant_thread_started", "assistant_thread": {
        "user_id": "U2", "channel_id": "D9", "thread_ts": "900.000001"}}, "Ev-assist")
    [prompts] = rig.fake.wait_for("assistant.threads.setSuggestedPrompts")
    assert prompts.params["channel_id"] == "D9" and prompts.params["thread_ts"] == "900.000001"
    first, *rest = prompts.params["prompts"]  # the verified question first, then the model's examples
    assert first == {"title": "Revenue by category in 2024", "message": "revenue by category in 2024"}
    assert rest and "revenue by category in 2024" not in [p["message"] for p in rest]


class HidingCatalog:
    """The lake's catalog after a table was dropped from it."""

    def __init__(self, inner: Any, hidden: str) -> None:
        self._tables = [t for t in inner.tables() if t.qualified_name != hidden]

    def tables(self) -> list[Any]:
        return self._tables


def test_a_verified_question_broken_by_the_catalog_is_flagged_to_its_steward(rig: SlackRig) -> None:
    fake = rig.fake
    rig.mention("revenue by customer region in 2024", "100.000001", "Ev1")
    [answer] = rig.answers(1)
    rig.click("feedback_up", button(answer, "feedback_up")["value"], answer.params["ts"], "100.000001")
    [offer] = fake.wait_for("chat.postEphemeral")
    rig.click("verify_answer", button(offer, "verify_answer")["value"], answer.params["ts"], "100.000001")
    rig.answers(2)

    engine = rig.stack.worker.engine
    engine.catalog = HidingCatalog(engine.catalog, "sales.customers")  # the table is dropped from the lake
    rig.mention("sales per customer region in 2024", "200.000001", "Ev2", user="U2")
    updates = rig.answers(4)
    by_thread = {fake.messages[u.params["ts"]].thread_ts: u for u in updates[2:]}
    notice, normal = by_thread["100.000001"], by_thread["200.000001"]  # the steward's thread; the asker's
    assert "is not used any more" in notice.params["text"] and "revenue by customer region in 2024" in notice.params["text"]
    assert "Verified" not in json.dumps(blocks_of(normal))  # answered the normal way (the table is gone)
    assert "sales.customers" in normal.params["text"]
    [item] = verified_store(rig.settings).all()  # type: ignore[attr-defined]
    assert item.flagged and "sales.customers" in item.flagged
