"""Digests through Teams on loopback: the Schedule action's form card, a schedule phrase in a
channel, "my digests" with its actions, and a digest's run posting a new channel post."""

from __future__ import annotations

from bot.bootstrap import local_digests
from engine.digests.scheduler import LocalScheduler
from engine.digests.schedule import parse_instant
from tests.teams.conftest import TeamsRig
from tests.teams.test_teams import card_of, card_text, validate


def cards(rig: TeamsRig, count: int) -> list:
    return rig.connector.first_cards(count)  # the first card of each activity (a chart updates it later)


def action(content: dict, title: str) -> dict:
    found = [a for a in content.get("actions", []) if a["title"] == title]
    for block in content["body"]:
        found += [a for a in block.get("actions", []) if a["title"] == title]
    return found[0]["data"]


def test_schedule_action_form_card_creates_the_digest(teams_rig: TeamsRig) -> None:
    chat = "a:1personal-chat"
    teams_rig.post(teams_rig.activity("orders by channel yesterday", chat, "personal", activity_id="p1"))
    [answer] = cards(teams_rig, 1)
    content = card_of(answer)
    validate(content)
    schedule = action(content, "Schedule")
    teams_rig.post(teams_rig.activity("", chat, "personal", activity_id="p2", value=schedule))
    form = card_of(cards(teams_rig, 2)[-1])
    validate(form)
    assert "It runs with your data access" in card_text(form)
    assert {b.get("id") for b in form["body"]} >= {"frequency", "time", "timezone", "target", "condition"}
    save = action(form, "Save")
    inputs = {"frequency": "daily", "time": "08:30", "timezone": "Europe/Berlin", "target": "here",
              "condition": "always", "weekday": "0", "month_day": "1"}
    teams_rig.post(teams_rig.activity("", chat, "personal", activity_id="p3", value={**save, **inputs}))
    confirmation = card_of(cards(teams_rig, 3)[-1])
    validate(confirmation)
    assert 'Scheduled \\"orders by channel yesterday\\": every day at 08:30 (Europe/Berlin)' in card_text(confirmation)
    [digest] = local_digests(teams_rig.stack.settings).store.list()
    assert digest.target["channel"] == chat and digest.owner.email == "ana@example.com"
    assert digest.query["dimensions"] == ["sales_channel"]
    titles = [a["title"] for a in confirmation["actions"]]
    assert "Pause" in titles and "Delete" in titles


def test_channel_phrase_then_the_run_posts_a_new_channel_post(teams_rig: TeamsRig) -> None:
    activity = teams_rig.activity("<at>Athena</at> every Monday at 9 post revenue by customer region last week here")
    activity["localTimezone"] = "Europe/Berlin"
    teams_rig.post(activity)
    confirmation = card_of(cards(teams_rig, 1)[0])
    assert "every Monday at 09:00 (Europe/Berlin)" in card_text(confirmation)
    service = local_digests(teams_rig.stack.settings)
    [digest] = service.store.list()
    assert digest.target["channel"] == "19:general@thread.tacv2"  # the channel, not the thread
    service.store.update(digest.digest_id, {"next_run": "2025-06-16T07:00:00Z"})
    [job] = LocalScheduler(service, teams_rig.stack.queue).tick(parse_instant("2025-06-16T07:00:00Z"))
    post = cards(teams_rig, 2)[-1]
    assert post.conversation == "19:general@thread.tacv2"  # a new post in the channel
    content = card_of(post)
    validate(content)
    text = card_text(content)
    assert "9 Jun 2025 - 15 Jun 2025" in text and "As of Mon 16 Jun 2025, 09:00 CEST" in text
    assert [a["title"] for a in content["actions"]][-2:] == ["Pause", "Unsubscribe"]
    assert service.store.get(digest.digest_id).last_outcome == "posted"


def test_my_digests_lists_them_with_their_actions(teams_rig: TeamsRig) -> None:
    chat = "a:1personal-chat"
    teams_rig.post(teams_rig.activity("every day at 7 send me orders yesterday", chat, "personal", activity_id="m1"))
    cards(teams_rig, 1)
    teams_rig.post(teams_rig.activity("my digests", chat, "personal", activity_id="m2"))
    listing = card_of(cards(teams_rig, 2)[-1])
    validate(listing)
    assert "orders yesterday" in card_text(listing) and "every day at 07:00" in card_text(listing)
    teams_rig.post(teams_rig.activity("", chat, "personal", activity_id="m3", value=action(listing, "Pause")))
    [said] = teams_rig.connector.wait_for(lambda s: (s.activity.get("text") or "").startswith("Paused"))
    assert 'Paused "orders yesterday"' in said.activity["text"]
    [digest] = local_digests(teams_rig.stack.settings).store.list()
    assert digest.state == "paused"
