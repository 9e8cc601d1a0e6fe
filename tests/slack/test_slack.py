"""Slack end to end on loopback: signed requests to the bolt app, answers through the local worker
into an in-test fake of the Slack Web API."""

from __future__ import annotations

import json
import time

import pytest

from tests.slack.conftest import SlackRig


def blocks_text(call) -> str:  # noqa: ANN001
    blocks = call.params.get("blocks")
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks or []
    return json.dumps(blocks)


@pytest.mark.parametrize("slack_rig", ["http", "lambda"], indirect=True)
def test_mention_gets_placeholder_then_answer_and_chart_in_the_thread(slack_rig: SlackRig) -> None:
    started = time.perf_counter()
    assert slack_rig.mention("revenue by customer region in 2024", "100.000001", "Ev1") == 200
    assert time.perf_counter() - started < 3  # acked well within Slack's 3 s
    [placeholder] = slack_rig.fake.wait_for("chat.postMessage")
    assert placeholder.params["thread_ts"] == "100.000001" and "Looking into it" in placeholder.params["text"]
    [update] = slack_rig.answers()
    assert update.params["channel"] == "C1" and update.params["ts"] == "1001.000100"  # the placeholder
    assert update.params["text"].startswith("Revenue (completed orders) by customer region, 1 Jan 2024")
    assert "```Customer region" in update.params["text"]  # the fixed-width table is the text fallback
    blocks = json.loads(blocks_text(update))
    [table] = [b for b in blocks if b["type"] == "table"]
    assert table["rows"][1][0] == {"type": "raw_text", "text": "EMEA"}
    assert table["column_settings"][1] == {"align": "right"}
    assert not [b for b in blocks if b["type"] == "image"]  # the number first ...
    assert '"show_sql"' in blocks_text(update) and '"feedback_up"' in blocks_text(update)
    [charted] = slack_rig.charted()  # ... then the chart, inside the same message
    assert charted.params["ts"] == update.params["ts"] and charted.at > update.at
    [complete] = slack_rig.fake.wait_for("files.completeUploadExternal")
    [image] = [b for b in json.loads(blocks_text(charted)) if b["type"] == "image"]
    assert image["slack_file"]["id"] == json.loads(complete.params["files"])[0]["id"]
    assert "channel_id" not in complete.params  # not a file message of its own
    assert slack_rig.fake.uploads[0].startswith(b"\x89PNG")
    assert slack_rig.fake.shares("C1", "100.000001") == []
    assert [c.params["user"] for c in slack_rig.fake.of("users.info")] == ["U1"]


@pytest.mark.parametrize("slack_rig", ["http", "lambda"], indirect=True)
def test_slash_command_posts_the_question_and_answers_in_its_thread(slack_rig: SlackRig) -> None:
    status, _ = slack_rig.form({"command": "/ask", "text": "orders by channel in 2024", "user_id": "U1",
                                "channel_id": "C1", "team_id": "T1", "trigger_id": "trig-1",
                                "response_url": slack_rig.fake.url + "response"})
    assert status == 200
    root, placeholder = slack_rig.fake.wait_for("chat.postMessage", 2)
    assert root.params["text"] == "<@U1> asked: orders by channel in 2024"
    assert placeholder.params["thread_ts"] == "1001.000100"  # the root message's ts
    [update] = slack_rig.answers()
    assert update.params["text"].startswith("Orders (all statuses) by sales channel")


def test_direct_message_is_answered(slack_rig: SlackRig) -> None:
    slack_rig.event({"type": "message", "channel_type": "im", "user": "U1", "text": "tickets last month",
                     "channel": "D1", "ts": "200.000001"}, "Ev-dm")
    [update] = slack_rig.answers()
    assert update.params["channel"] == "D1" and update.params["text"].startswith("Tickets")


def test_thread_reply_is_a_follow_up(slack_rig: SlackRig) -> None:
    slack_rig.mention("revenue by customer region in 2024", "300.000001", "Ev-a")
    slack_rig.answers(1)
    slack_rig.event({"type": "message", "channel_type": "channel", "user": "U1", "text": "and for 2023?",
                     "channel": "C1", "ts": "300.000009", "thread_ts": "300.000001"}, "Ev-b")
    first, second = slack_rig.answers(2)
    assert "1 Jan 2023 - 31 Dec 2023" in second.params["text"] and "customer region" in second.params["text"]
    # a reply in a thread the bot never answered is not for the bot
    slack_rig.event({"type": "message", "channel_type": "channel", "user": "U1", "text": "lunch?",
                     "channel": "C1", "ts": "400.000002", "thread_ts": "400.000001"}, "Ev-c")
    slack_rig.charted(2)
    time.sleep(0.5)
    assert len({c.params["ts"] for c in slack_rig.fake.of("chat.update")}) == 2  # still two answers
    assert len(slack_rig.fake.of("chat.postMessage")) == 2  # and two placeholders


@pytest.mark.parametrize("slack_rig", ["http", "lambda"], indirect=True)
def test_clarification_buttons_continue_the_conversation(slack_rig: SlackRig) -> None:
    slack_rig.mention("revenue from electornics in 2024", "500.000001", "Ev-r")
    [clarify] = slack_rig.answers(1)
    assert clarify.params["text"].endswith('Did you mean Electronics (product category) for "electornics"?')
    assert '"clarify_option_0"' in blocks_text(clarify) and '"Electronics"' in blocks_text(clarify)
    assert slack_rig.click("clarify_option_0", "Electronics", clarify.params["ts"], "500.000001") == 200
    _, answer = slack_rig.answers(2)
    assert answer.params["text"].startswith("Revenue (completed orders), product category is Electronics")


def test_an_assumption_comes_with_its_alternative_as_a_button(slack_rig: SlackRig) -> None:
    slack_rig.mention("revenue by region in 2024", "550.000001", "Ev-alt")
    [first] = slack_rig.answers(1)
    assert first.params["text"].startswith("Revenue (completed orders) by customer region, 1 Jan 2024")
    assert '"clarify_option_0"' in blocks_text(first) and '"Store region instead"' in blocks_text(first)
    assert slack_rig.click("clarify_option_0", "Store region instead", first.params["ts"], "550.000001") == 200
    _, answer = slack_rig.answers(2)
    assert answer.params["text"].startswith("Revenue (completed orders) by store region, 1 Jan 2024")


def test_show_sql_and_feedback_buttons(slack_rig: SlackRig) -> None:
    slack_rig.mention("orders in 2024", "600.000001", "Ev-s")
    [update] = slack_rig.answers()
    key = next(e["value"] for b in json.loads(blocks_text(update)) if b["type"] == "actions"
               for e in b["elements"] if e["action_id"] == "show_sql")
    slack_rig.click("show_sql", key, update.params["ts"], "600.000001")
    [sql] = slack_rig.fake.wait_for("chat.postEphemeral")
    assert sql.params["user"] == "U1" and "COUNT(DISTINCT orders.order_id)" in sql.params["text"]
    slack_rig.click("feedback_down", key, update.params["ts"], "600.000001")
    slack_rig.fake.wait_for("chat.postEphemeral", 2)
    stored = slack_rig.stack.conversations.load(f"slack-feedback:{key}:U1")
    assert stored["vote"] == "down" and stored["question"] == "orders in 2024" and "SELECT" in stored["sql"]


def test_bad_or_stale_signature_gets_401_and_nothing_happens(slack_rig: SlackRig) -> None:
    body = json.dumps({"type": "event_callback", "event_id": "Ev-x", "event": {
        "type": "app_mention", "user": "U1", "text": "<@UBOT> orders", "channel": "C1", "ts": "1.1"}}).encode()
    assert slack_rig.post(body, "application/json", secret="wrong-secret")[0] == 401
    assert slack_rig.post(body, "application/json", timestamp=int(time.time()) - 600)[0] == 401
    time.sleep(0.3)
    assert slack_rig.fake.calls == []


def test_slack_retries_never_create_a_second_job(slack_rig: SlackRig) -> None:
    slack_rig.mention("orders in 2024", "700.000001", "Ev-retry")
    event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> orders in 2024", "channel": "C1",
             "ts": "700.000001"}
    assert slack_rig.event(event, "Ev-retry", {"X-Slack-Retry-Num": "1",
                                               "X-Slack-Retry-Reason": "http_timeout"}) == 200
    slack_rig.answers(1)
    time.sleep(0.5)
    assert len(slack_rig.fake.of("chat.postMessage")) == 1 and len(slack_rig.fake.of("chat.update")) == 1


def test_unknown_user_gets_an_ephemeral_explanation(slack_rig: SlackRig) -> None:
    slack_rig.mention("orders in 2024", "800.000001", "Ev-u", user="U2")
    [note] = slack_rig.fake.wait_for("chat.postEphemeral")
    assert note.params["user"] == "U2" and "bob@example.com" in note.params["text"]
    assert "analytics group" in note.params["text"]
    assert slack_rig.fake.of("chat.postMessage") == []  # no placeholder, no job


def test_rate_limited_update_is_retried_after_retry_after(slack_rig: SlackRig) -> None:
    slack_rig.fake.throttled["chat.update"] = 1
    slack_rig.mention("orders in 2024", "900.000001", "Ev-429")
    first, second = slack_rig.fake.wait_for("chat.update", 2)
    assert second.at - first.at >= 0.9  # waited for Retry-After: 1
    assert second.params["text"].startswith("Orders (all statuses)")


def test_revoked_token_is_logged_not_retried_forever(slack_rig: SlackRig) -> None:
    slack_rig.fake.errors["chat.update"] = "token_revoked"
    slack_rig.mention("orders in 2024", "950.000001", "Ev-revoked")
    slack_rig.answers(1)
    time.sleep(1.5)
    # the worker logged it and finished the job: no second attempt, nothing left for the DLQ
    assert len(slack_rig.fake.of("chat.update")) == 1
    assert slack_rig.stack.queue.counts() == {k: 0 for k in slack_rig.stack.queue.counts()}
    assert slack_rig.stack.queue.dead_letters() == []
