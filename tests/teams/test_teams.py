"""Teams end to end on loopback: activities over real HTTP to the endpoint, proactive cards back
through an in-test fake Bot Framework connector; cards validated against the Adaptive Cards schema."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from importlib import resources

import jsonschema
import pytest

from adapters.teams.cards import answer_card
from adapters.teams.server import auth_configuration, build_adapter, build_web_app, TeamsServer
from engine.domain import Answer, ResultTable
from tests.teams.conftest import BOB, TeamsRig

SCHEMA = json.loads(resources.files("adaptive_cards").joinpath("schemas/schema-1.5.json").read_text())
# Teams' host property on the card (msteams.width "Full"): not in the official schema, whose
# AdaptiveCard allows no other properties, so it is added here exactly as Teams documents it
SCHEMA["definitions"]["AdaptiveCard"]["properties"]["msteams"] = {
    "type": "object", "properties": {"width": {"enum": ["Full"]}}, "additionalProperties": False}


def validate(card: dict) -> None:
    jsonschema.validate(card, SCHEMA)


def card_of(sent) -> dict:  # noqa: ANN001
    [attachment] = sent.activity["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


def card_text(card: dict) -> str:
    return json.dumps(card)


def test_channel_mention_gets_typing_then_a_proactive_card_in_the_conversation(teams_rig: TeamsRig) -> None:
    started = time.perf_counter()
    status, _ = teams_rig.post(teams_rig.activity("<at>Athena</at> revenue by customer region in 2024"))
    assert status in (200, 202) and time.perf_counter() - started < 3  # never answered inline
    typing = teams_rig.connector.messages("typing")
    assert typing and typing[0].conversation == "19:general@thread.tacv2;messageid=1001"
    assert teams_rig.connector.roster_calls == [("19:general@thread.tacv2;messageid=1001", "29:ana")]
    [sent] = teams_rig.connector.first_cards()
    assert sent.conversation == "19:general@thread.tacv2;messageid=1001"  # the same thread
    assert sent.authorization is None  # authentication off: anonymous proactive send
    assert not [b for b in card_of(sent)["body"] if b["type"] == "Image"]  # the number first ...
    [charted] = teams_rig.connector.first_cards(image=True)  # ... then the chart in the same card
    assert charted.activity_id == sent.activity_id
    card = card_of(charted)
    validate(card)
    body = card_text(card)
    assert "Revenue (completed orders) by customer region, 1 Jan 2024 - 31 Dec 2024" in body
    assert '"type": "Table"' in body and "EMEA" in body
    assert card["msteams"] == {"width": "Full"}
    [table] = [b for b in card["body"] if b["type"] == "Table"]
    assert table["firstRowAsHeader"] and table["rows"][0]["style"] == "accent"  # the header row styled
    cells = [[c["items"][0]["inlines"][0]["text"] for c in row["cells"]] for row in table["rows"]]
    assert [c["width"] for c in table["columns"]] == [max(len(r[i]) for r in cells) for i in range(2)]  # fit the content
    assert cells[0][0] == "Customer region" and cells[1][1].startswith("$") and "," in cells[1][1]  # exact money
    assert table["columns"][1]["horizontalCellContentAlignment"] == "Right"
    image = next(b for b in card["body"] if b["type"] == "Image")
    assert "/charts/" in image["url"] and "sig=" in image["url"] and "Expires" not in image["url"]
    with urllib.request.urlopen(image["url"], timeout=10) as response:  # served by the bot itself
        assert response.read().startswith(b"\x89PNG")
    with pytest.raises(urllib.error.HTTPError) as forged:  # a link the bot did not sign is not served
        urllib.request.urlopen(image["url"].split("?")[0] + "?sig=" + "0" * 32, timeout=10)
    assert forged.value.code == 404
    titles = [a["title"] for a in card["actions"]]
    assert titles[0] == "Show SQL" and "👍" in titles and "👎" in titles


def test_personal_chat_and_follow_up_in_the_same_conversation(teams_rig: TeamsRig) -> None:
    chat = "a:1personal-chat"
    teams_rig.post(teams_rig.activity("orders by channel in 2024", chat, "personal", activity_id="p1"))
    teams_rig.connector.first_cards()
    teams_rig.post(teams_rig.activity("and for 2023?", chat, "personal", activity_id="p2"))
    first, second = teams_rig.connector.first_cards(2)
    assert second.conversation == chat
    assert "1 Jan 2023 - 31 Dec 2023" in card_text(card_of(second)) and "sales channel" in card_text(card_of(second))


def test_card_actions_alternative_and_show_sql(teams_rig: TeamsRig) -> None:
    chat = "19:group-chat@thread.v2"
    teams_rig.post(teams_rig.activity("<at>Athena</at> revenue by region in 2024", chat, "groupChat", activity_id="g1"))
    [first] = teams_rig.connector.first_cards()
    card = card_of(first)
    validate(card)
    assert "by customer region, 1 Jan 2024 - 31 Dec 2024" in card_text(card)
    option = next(a for a in card["actions"] if a["title"] == "Store region instead")
    teams_rig.post(teams_rig.activity("", chat, "groupChat", activity_id="g2", value=option["data"]))
    _, answer = teams_rig.connector.first_cards(2)
    answer_card_json = card_of(answer)
    assert "by store region, 1 Jan 2024 - 31 Dec 2024" in card_text(answer_card_json)
    show_sql = next(a for a in answer_card_json["actions"] if a["title"] == "Show SQL")
    teams_rig.post(teams_rig.activity("", chat, "groupChat", activity_id="g3", value=show_sql["data"]))
    sql = teams_rig.connector.first_cards(3)[-1]
    validate(card_of(sql))
    assert "stores.region" in card_text(card_of(sql))
    feedback = next(a for a in answer_card_json["actions"] if a["title"] == "👎")
    teams_rig.post(teams_rig.activity("", chat, "groupChat", activity_id="g4", value=feedback["data"]))
    stored = teams_rig.stack.conversations.load(f"teams-feedback:{feedback['data']['key']}:29:ana")
    assert stored["vote"] == "down" and "SELECT" in stored["sql"]


def test_many_options_are_a_choice_set_and_choosing_one_continues(teams_rig: TeamsRig) -> None:
    chat = "a:1personal-choices"
    teams_rig.post(teams_rig.activity("status", chat, "personal", activity_id="c1"))
    [clarify] = teams_rig.connector.first_cards()
    card = card_of(clarify)
    validate(card)
    [choices] = [b for b in card["body"] if b["type"] == "Input.ChoiceSet"]
    assert len(choices["choices"]) == 15 and choices["style"] == "compact"
    assert card_text(card).count("resolution time") == 0  # the text does not list the options again
    [ask] = card["actions"]
    submitted = {**ask["data"], choices["id"]: "Tickets"}  # Teams merges the inputs into the data
    teams_rig.post(teams_rig.activity("", chat, "personal", activity_id="c2", value=submitted))
    _, answer = teams_rig.connector.first_cards(2)
    assert "Tickets" in card_text(card_of(answer))


def test_one_value_opens_with_a_bold_headline() -> None:
    answer = Answer(status="answered", question="q", message="Revenue (completed orders), 2025: $33.9M.",
                    table=ResultTable(["revenue"], ["double"], [(33_899_916.42,)]), column_formats={"revenue": "currency"})
    card = answer_card(answer, "k")
    validate(card)
    run = card["body"][0]["inlines"][0]
    assert (run["text"], run["size"], run["weight"]) == ("$33.9M", "ExtraLarge", "Bolder")


def test_unknown_user_gets_a_clear_refusal(teams_rig: TeamsRig) -> None:
    teams_rig.post(teams_rig.activity("<at>Athena</at> orders in 2024", user=BOB, activity_id="b1"))
    [note] = teams_rig.connector.wait_for(lambda s: "couldn't match" in (s.activity.get("text") or ""))
    assert "bob@example.com" in note.activity["text"]  # the UPN, from the roster call
    time.sleep(0.5)
    assert teams_rig.connector.cards() == [] and teams_rig.stack.queue.counts()["jobs"] == 0


def test_malformed_bearer_token_gets_401_even_with_authentication_off(teams_rig: TeamsRig) -> None:
    status, _ = teams_rig.post(teams_rig.activity("orders"), {"Authorization": "Bearer not-a-jwt"})
    assert status == 401 and teams_rig.connector.sent == []


def test_app_id_configured_rejects_unsigned_activities(teams_rig: TeamsRig) -> None:
    config = auth_configuration("00000000-0000-0000-0000-000000000001", "secret", "tenant-1")

    class NeverCalled:
        async def on_turn(self, _context) -> None:  # noqa: ANN001
            raise AssertionError("an unauthenticated activity reached the agent")

    server = TeamsServer(build_web_app(NeverCalled(), build_adapter(config), config), port=0).start()
    try:
        rig = TeamsRig(teams_rig.connector, teams_rig.stack)
        activity = rig.activity("orders")
        for headers in ({}, {"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."}, {"Authorization": "Basic x"}):
            request = urllib.request.Request(server.base_url + "/api/messages", data=json.dumps(activity).encode(),
                                             method="POST", headers={"Content-Type": "application/json", **headers})
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(request, timeout=10)
            assert err.value.code == 401
    finally:
        server.stop()


def test_long_tables_keep_the_card_under_the_size_limit() -> None:
    table = ResultTable(["product", "revenue"], ["varchar", "double"],
                        [("p" * 200 + str(i), float(i)) for i in range(3000)])
    answer = Answer(status="answered", question="q", message="Revenue by product.", sql="SELECT 1", table=table,
                    column_formats={"revenue": "currency"}, download_url="https://example.com/x.csv")
    card = answer_card(answer, "k", "https://example.com/c.png", "https://qs.example.com/d")
    validate(card)
    assert len(json.dumps(card).encode()) <= 24_000
    assert "more rows" in card_text(card)
    assert {a["title"] for a in card["actions"]} >= {"Download CSV", "Open in QuickSight"}
