"""The Teams poster is idempotent at Teams: the card replaces the receiver's placeholder activity, and a
repeated answer updates that same activity instead of adding one (real HTTP to the fake connector)."""

from __future__ import annotations

from adapters.teams.agent import PLACEHOLDER
from engine.domain import Answer, ReplyTarget
from tests.teams.conftest import TeamsRig

CHAT = "a:1personal-chat"


def answer(job: str) -> Answer:
    return Answer(status="answered", question="orders by channel", message="Orders by sales channel: ...",
                  sql="SELECT 1", answer_id=job)


def bot_activities(rig: TeamsRig) -> dict[str, dict]:
    return {i: a for i, a in rig.connector.shown().items() if a["conversation"] == CHAT and a.get("type") == "message"}


def test_the_card_replaces_the_placeholder_and_a_repeat_updates_it(teams_rig: TeamsRig) -> None:
    teams_rig.post(teams_rig.activity("orders by channel in 2024", CHAT, "personal", activity_id="r1"))
    [card] = teams_rig.connector.first_cards()
    [charted] = teams_rig.connector.first_cards(image=True)  # the text first, then the same card with its chart
    [placeholder] = [s for s in teams_rig.connector.messages() if s.activity.get("text") == PLACEHOLDER]
    assert card.updates == charted.updates == placeholder.activity_id and placeholder.conversation == CHAT
    target = ReplyTarget("teams", CHAT, "r1", {"placeholder": placeholder.activity_id})
    teams_rig.stack.poster.post(target, answer("job-r1"))  # the answer step taken over after it had posted
    updates = [s for s in teams_rig.connector.sent if s.updates]
    assert [u.updates for u in updates] == [placeholder.activity_id] * 3
    [shown] = bot_activities(teams_rig).values()  # one message in the chat, showing the card
    assert shown["attachments"] and "Orders by sales channel" in str(shown)


def test_a_deleted_placeholder_gets_one_stand_in_that_repeats_update(teams_rig: TeamsRig) -> None:
    teams_rig.post(teams_rig.activity("orders by channel in 2024", CHAT, "personal", activity_id="r2"))
    teams_rig.connector.first_cards(image=True)  # that answer done, its chart too: no update of it comes later
    before = set(bot_activities(teams_rig))
    target = ReplyTarget("teams", CHAT, "r3", {"placeholder": "act-gone"})  # Teams no longer has it
    poster = teams_rig.stack.poster
    poster.post(target, answer("job-r3"))
    poster.post(target, answer("job-r3"))
    [stand_in] = set(bot_activities(teams_rig)) - before
    assert [s.updates for s in teams_rig.connector.sent if s.updates][-2:] == [stand_in, stand_in]
    assert bot_activities(teams_rig)[stand_in]["attachments"]
