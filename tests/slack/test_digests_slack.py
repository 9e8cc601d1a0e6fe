"""Digests through Slack on loopback: a schedule phrase in a mention, the Schedule button's form
(block actions and a view submission), "my digests" and its buttons, App Home, and the posts."""

from __future__ import annotations

import json
import re
import time

from engine.digests.schedule import parse_instant
from tests.slack.conftest import SlackRig
from tests.slack.test_slack import blocks_text


def _digests(rig: SlackRig) -> list:
    return rig.stack.worker.digests.store.list()


def _buttons(call) -> dict[str, str]:  # noqa: ANN001
    return {e["action_id"]: e.get("value", "") for b in json.loads(blocks_text(call)) if b["type"] == "actions"
            for e in b["elements"]}


def test_mention_creates_a_weekly_digest_with_next_run_and_a_preview(slack_rig: SlackRig) -> None:
    slack_rig.fake.time_zones["U1"] = "Europe/Berlin"
    slack_rig.mention("every Monday at 9 post revenue by customer region last week here", "100.000001", "Ev-d1")
    [update] = slack_rig.answers()
    text = update.params["text"]
    assert 'Scheduled "revenue by customer region last week": every Monday at 09:00 (Europe/Berlin)' in text
    assert "posting in this channel" in text and "Next run: Mon " in text and re.search(r"09:00 CES?T", text)
    assert "whoever sees the post sees what you may see" in text
    # the preview: last week as of the pinned date (Sunday 15 June) is 2-8 June
    assert "Revenue (completed orders) by customer region, 2 Jun 2025 - 8 Jun 2025" in text
    [digest] = _digests(slack_rig)
    assert digest.schedule.cron == "0 9 * * 1" and digest.schedule.timezone == "Europe/Berlin"
    assert digest.target == {"platform": "slack", "channel": "C1", "kind": "channel"}
    assert digest.owner.email == "ana@example.com" and digest.query["dimensions"] == ["region"]
    assert parse_instant(digest.next_run).astimezone(digest.schedule.tz()).strftime("%a %H:%M") == "Mon 09:00"
    buttons = _buttons(update)
    assert buttons["digest_pause"] == digest.digest_id and buttons["digest_delete"] == digest.digest_id


def test_an_unreadable_schedule_offers_the_form(slack_rig: SlackRig) -> None:
    slack_rig.mention("every other tuesday post revenue by category", "150.000001", "Ev-d2")
    [offer] = slack_rig.fake.wait_for("chat.postEphemeral")
    assert "every other" in offer.params["text"] and '"digest_form"' in blocks_text(offer)
    assert slack_rig.fake.of("chat.postMessage") == []  # nothing queued
    value = _buttons(offer)["digest_form"]
    assert slack_rig.click("digest_form", value, "150.000001", "150.000001") == 200
    [opened] = slack_rig.fake.wait_for("views.open")
    view = json.loads(opened.params["view"]) if isinstance(opened.params["view"], str) else opened.params["view"]
    assert view["callback_id"] == "digest_create" and "revenue by category" in json.dumps(view)


def submit(rig: SlackRig, view: dict, values: dict, user: str = "U1") -> tuple[int, bytes]:
    payload = {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": user}, "api_app_id": "A1",
               "view": {**view, "id": "V123", "state": {"values": values}}}
    return rig.form({"payload": json.dumps(payload)})


def form_values(frequency: str = "daily", time_: str = "08:30", tz: str = "Europe/Berlin", channel: str = "C1",
                condition: str = "always") -> dict:
    return {"frequency": {"frequency": {"type": "static_select", "selected_option": {"value": frequency}}},
            "weekday": {"weekday": {"type": "static_select", "selected_option": None}},
            "month_day": {"month_day": {"type": "static_select", "selected_option": None}},
            "time": {"time": {"type": "timepicker", "selected_time": time_}},
            "timezone": {"timezone": {"type": "plain_text_input", "value": tz}},
            "channel": {"channel": {"type": "conversations_select", "selected_conversation": channel}},
            "condition": {"condition": {"type": "static_select", "selected_option": {"value": condition}}}}


def test_schedule_button_form_creates_the_digest_of_that_answer(slack_rig: SlackRig) -> None:
    slack_rig.mention("orders by channel yesterday", "200.000001", "Ev-f1")
    [answer] = slack_rig.answers()
    key = _buttons(answer)["digest_schedule"]
    assert slack_rig.click("digest_schedule", key, answer.params["ts"], "200.000001") == 200
    [opened] = slack_rig.fake.wait_for("views.open")
    view = json.loads(opened.params["view"]) if isinstance(opened.params["view"], str) else opened.params["view"]
    assert "It runs with your data access" in json.dumps(view)
    status, body = submit(slack_rig, view, form_values(tz="Mars/Olympus"))
    assert status == 200 and b"timezone" in body and b"errors" in body  # the form says what to fix
    slack_rig.fake.not_member.add("C9")
    status, body = submit(slack_rig, view, form_values(channel="C9"))
    assert b"invite me" in body.lower()
    assert submit(slack_rig, view, form_values(condition="not_empty"))[0] == 200
    _, confirmation = slack_rig.answers(2)
    assert "every day at 08:30 (Europe/Berlin)" in confirmation.params["text"]
    assert "only when there are results" in confirmation.params["text"]
    [digest] = _digests(slack_rig)
    assert digest.query["dimensions"] == ["sales_channel"] and digest.condition.kind == "not_empty"
    assert digest.periods["time_range"] == {"kind": "days_back", "days": 1}  # "yesterday" moves with each run


def test_my_digests_lists_them_and_only_the_owner_or_an_admin_changes_one(slack_rig: SlackRig, tmp_path) -> None:  # noqa: ANN001
    slack_rig.mention("every day at 7 post orders yesterday here", "300.000001", "Ev-l1")
    slack_rig.answers()
    [digest] = _digests(slack_rig)
    slack_rig.mention("my digests", "300.000005", "Ev-l2")
    [listing] = slack_rig.fake.wait_for("chat.postEphemeral")
    assert "orders yesterday" in blocks_text(listing) and "every day at 07:00" in blocks_text(listing)
    assert set(_buttons(listing)) >= {"digest_pause", "digest_edit", "digest_delete"}
    identity = slack_rig.stack.settings.identity_file
    time.sleep(0.01)
    identity.write_text(identity.read_text() + "  bob@example.com: {groups: [analysts]}\n")
    slack_rig.click("digest_pause", digest.digest_id, "300.000005", "300.000001", user="U2")
    refusal = slack_rig.fake.wait_for("chat.postEphemeral", 2)[-1]
    assert refusal.params["user"] == "U2" and "Only the digest's owner (ana@example.com)" in refusal.params["text"]
    assert slack_rig.stack.worker.digests.store.get(digest.digest_id).state == "active"
    slack_rig.click("digest_pause", digest.digest_id, "300.000005", "300.000001")
    slack_rig.fake.wait_for("chat.postEphemeral", 3)
    paused = slack_rig.stack.worker.digests.store.get(digest.digest_id)
    assert paused.state == "paused" and paused.next_run is None
    slack_rig.click("digest_resume", digest.digest_id, "300.000005", "300.000001")
    slack_rig.fake.wait_for("chat.postEphemeral", 4)
    assert slack_rig.stack.worker.digests.store.get(digest.digest_id).state == "active"
    # Edit time: a modal with the schedule, its submission reschedules
    slack_rig.click("digest_edit", digest.digest_id, "300.000005", "300.000001")
    [opened] = slack_rig.fake.wait_for("views.open")
    view = json.loads(opened.params["view"]) if isinstance(opened.params["view"], str) else opened.params["view"]
    assert view["callback_id"] == "digest_edit_time"
    assert submit(slack_rig, view, form_values("weekly", "10:15", "UTC"))[0] == 200
    assert slack_rig.stack.worker.digests.store.get(digest.digest_id).schedule.describe() == \
        "every Monday at 10:15 (UTC)"
    slack_rig.click("digest_delete", digest.digest_id, "300.000005", "300.000001")
    slack_rig.fake.wait_for("chat.postEphemeral", 5)
    assert _digests(slack_rig) == []


def test_app_home_shows_the_digests(slack_rig: SlackRig) -> None:
    slack_rig.mention("every day at 7 post orders yesterday here", "400.000001", "Ev-h1")
    slack_rig.answers()
    assert slack_rig.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}, "Ev-h2") == 200
    [published] = slack_rig.fake.wait_for("views.publish")
    view = published.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["type"] == "home" and "orders yesterday" in json.dumps(view) and "digest_pause" in json.dumps(view)
    ids = [b.get("block_id") for b in view["blocks"]]
    assert "examples" in ids and "recent" in ids  # one App Home: what to ask, recent questions, then the digests
    assert len(slack_rig.fake.of("views.publish")) == 1


def test_a_channel_named_in_words_must_be_one_the_bot_is_in(slack_rig: SlackRig) -> None:
    slack_rig.fake.not_member.add("C77")
    slack_rig.mention("every Monday at 9 post orders last week in <#C77|finance>", "500.000001", "Ev-c1")
    [offer] = slack_rig.fake.wait_for("chat.postEphemeral")
    assert "#finance" in offer.params["text"] and "invite me" in offer.params["text"].lower()
    assert _digests(slack_rig) == []
    slack_rig.mention("every Monday at 9 post orders last week in <#C78|sales>", "600.000001", "Ev-c2")
    [confirmation] = slack_rig.answers()
    assert "posting in #sales" in confirmation.params["text"]
    [digest] = _digests(slack_rig)
    assert digest.target == {"platform": "slack", "channel": "C78", "kind": "channel", "name": "sales"}
