"""Verified answers in Teams on loopback: a steward's 👍 card offers Mark as verified, the worker
stores it, and someone else's paraphrase is answered from it with "✓ Verified by"; 👎 asks why;
the bot's welcome suggests the verified questions. Every card is checked against the schema."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.local.feedback_store import SQLiteFeedbackStore
from bot.curation import verified_store
from bot.settings import Settings
from bot.teams import TeamsSettings, build_local_teams
from tests.teams.conftest import ANA, TeamsRig
from tests.teams.fake_connector import FakeConnector
from tests.teams.test_teams import card_of, validate

BOB = {"id": "29:bob", "name": "Bob", "aadObjectId": "aad-bob", "userPrincipalName": "bob@example.com"}
CHAT = "a:1personal-chat"


@pytest.fixture
def rig(lake: Path, tmp_path: Path) -> Iterator[TeamsRig]:
    identity = tmp_path / "identity.yaml"
    identity.write_text("groups:\n  analysts: {tables: ['*']}\n  stewards: {tables: ['*']}\n"
                        "users:\n  ana@example.com: {groups: [analysts, stewards]}\n"
                        "  bob@example.com: {groups: [analysts]}\n")
    connector = FakeConnector({"29:ana": ANA, "29:bob": BOB}).start()
    settings = Settings.from_env({"ATHENA_BOT_HOME": str(tmp_path), "ATHENA_BOT_LAKE": str(lake),
                                  "ATHENA_BOT_AS_OF": "2025-06-15", "ATHENA_BOT_IDENTITY_FILE": str(identity),
                                  "ATHENA_BOT_STEWARD_GROUP": "stewards"})
    stack = build_local_teams(settings, TeamsSettings(), port=0)
    stop = threading.Event()
    worker = stack.run_worker(stop)
    rig = TeamsRig(connector, stack)
    rig.settings = settings  # type: ignore[attr-defined]
    yield rig
    stop.set()
    worker.join(timeout=10)
    stack.server.stop()
    connector.stop()


def cards(rig: TeamsRig, count: int) -> list[dict]:
    found = rig.connector.first_cards(count)  # each activity's first card (a chart updates answers later)
    return [card_of(s) for s in found]


def action(card: dict, title: str) -> dict:
    return next(a for a in card["actions"] if a["title"] == title)


def test_steward_verifies_in_teams_and_a_paraphrase_gets_the_badge(rig: TeamsRig) -> None:
    rig.post(rig.activity("revenue by customer region in 2024", CHAT, "personal", activity_id="a1"))
    [answer] = cards(rig, 1)
    assert "Verified" not in json.dumps(answer)
    rig.post(rig.activity("", CHAT, "personal", activity_id="a2", value=action(answer, "👍")["data"]))
    offer = cards(rig, 2)[-1]
    validate(offer)
    rig.post(rig.activity("", CHAT, "personal", activity_id="a3", value=action(offer, "Mark as verified")["data"]))
    confirm = cards(rig, 3)[-1]
    validate(confirm)
    assert "✓ Verified by Ana" in json.dumps(confirm, ensure_ascii=False)
    [item] = verified_store(rig.settings).all()  # type: ignore[attr-defined]
    assert item.steward == "ana@example.com" and item.steward_name == "Ana"

    rig.post(rig.activity("what's our sales per customer region in 2024", "a:2bob", "personal", user=BOB,
                          activity_id="b1"))
    later = cards(rig, 4)[-1]
    validate(later)
    runs = [i["text"] for b in later["body"] if b["type"] == "RichTextBlock" for i in b["inlines"]]
    assert runs[0].startswith("Revenue (completed orders) by customer region") and "✓ Verified by Ana" in runs

    rig.post(rig.activity("", "a:2bob", "personal", user=BOB, activity_id="b2", value=action(later, "👎")["data"]))
    reasons = cards(rig, 5)[-1]
    validate(reasons)
    assert [a["title"] for a in reasons["actions"]] == ["Wrong number", "Wrong breakdown", "Did not understand"]
    rig.post(rig.activity("", "a:2bob", "personal", user=BOB, activity_id="b3",
                          value=action(reasons, "Wrong number")["data"]))
    rig.connector.wait_for(lambda s: "stewards will review" in (s.activity.get("text") or ""))
    [queued] = SQLiteFeedbackStore(rig.settings.state_path).list(review_only=True)  # type: ignore[attr-defined]
    assert (queued.reason, queued.user, queued.platform) == ("wrong_number", "bob@example.com", "teams")


def test_the_welcome_suggests_the_verified_questions(rig: TeamsRig) -> None:
    from engine.answers.verified import VerifiedQuestion

    verified_store(rig.settings).put(VerifiedQuestion("orders by channel in 2024", "SELECT 1", "ana@example.com"))  # type: ignore[attr-defined]
    update = {"type": "conversationUpdate", "id": "u1", "channelId": "msteams", "serviceUrl": rig.connector.url,
              "from": {"id": "29:bob", "name": "Bob"}, "recipient": {"id": "28:athena", "name": "Athena"},
              "conversation": {"id": "a:3new", "conversationType": "personal", "tenantId": "t1"},
              "membersAdded": [{"id": "28:athena"}, {"id": "29:bob"}], "channelData": {"tenant": {"id": "t1"}}}
    assert rig.post(update)[0] in (200, 202)
    [sent] = rig.connector.wait_for(lambda s: bool(s.activity.get("suggestedActions")))
    assert [a["value"] for a in sent.activity["suggestedActions"]["actions"]] == ["orders by channel in 2024"]
    assert sent.activity["suggestedActions"]["actions"][0]["type"] == "imBack"
