"""Slack's AI-app surfaces over real HTTP: assistant threads (greeting, suggested prompts from the
model, title, "is thinking…" status, answers with feedback_buttons), App Home, the select for many
options; and the same bot in a workspace without the AI-app features."""

from __future__ import annotations

import json
import time

from engine.guide import example_questions
from tests.slack.conftest import SlackRig

DM = "D1"
THREAD = "1730000000.000100"


def blocks_of(call) -> list[dict]:  # noqa: ANN001
    blocks = call.params.get("blocks")
    return json.loads(blocks) if isinstance(blocks, str) else blocks or []


def start_thread(rig: SlackRig, thread: str = THREAD) -> int:
    return rig.event({"type": "assistant_thread_started", "assistant_thread": {
        "user_id": "U1", "channel_id": DM, "thread_ts": thread,
        "context": {"channel_id": "C9", "team_id": "T1"}}, "event_ts": thread}, f"Ev-start-{thread}")


def dm(rig: SlackRig, text: str, ts: str, thread: str | None = THREAD, event_id: str | None = None) -> int:
    event = {"type": "message", "channel_type": "im", "user": "U1", "text": text, "channel": DM, "ts": ts}
    if thread:
        event["thread_ts"] = thread
    return rig.event(event, event_id or f"Ev-{ts}")


def click(rig: SlackRig, action: dict, message_ts: str, thread_ts: str, channel: str = DM) -> int:
    payload = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U1"}, "api_app_id": "A1",
               "trigger_id": f"trig-{time.time()}", "channel": {"id": channel},
               "container": {"type": "message", "message_ts": message_ts},
               "message": {"ts": message_ts, "thread_ts": thread_ts, "type": "message"},
               "actions": [{"block_id": "b", **action}]}
    return rig.form({"payload": json.dumps(payload)})[0]


def test_a_new_assistant_thread_is_greeted_with_prompts_from_the_model(slack_rig: SlackRig) -> None:
    assert start_thread(slack_rig) == 200
    [greeting] = slack_rig.fake.wait_for("chat.postMessage")
    assert greeting.params["channel"] == DM and greeting.params["thread_ts"] == THREAD
    assert "Ask me about the company's data" in greeting.params["text"]
    [prompts] = slack_rig.fake.wait_for("assistant.threads.setSuggestedPrompts")
    assert prompts.params["channel_id"] == DM and prompts.params["thread_ts"] == THREAD
    offered = prompts.params["prompts"]
    assert [p["message"] for p in offered] == example_questions(slack_rig.stack.worker.engine.model)
    assert all(p["title"] for p in offered) and len(offered) <= 4


def test_a_question_in_an_assistant_thread_gets_a_title_the_status_then_the_answer(slack_rig: SlackRig) -> None:
    start_thread(slack_rig)
    slack_rig.fake.wait_for("assistant.threads.setSuggestedPrompts")
    started = time.perf_counter()
    assert dm(slack_rig, "revenue by customer region in 2024", "1730000001.000100") == 200
    assert time.perf_counter() - started < 3
    [title] = slack_rig.fake.wait_for("assistant.threads.setTitle")
    assert title.params["title"] == "revenue by customer region in 2024" and title.params["thread_ts"] == THREAD
    [status] = slack_rig.fake.wait_for("assistant.threads.setStatus")
    assert status.params["status"] == "is thinking…" and status.params["channel_id"] == DM
    [answer] = slack_rig.answers()
    assert answer.params["channel"] == DM and answer.params["text"].startswith("Revenue (completed orders)")
    greeting, stand_in = slack_rig.fake.of("chat.postMessage")  # no "Looking into it" placeholder first:
    assert stand_in.at > status.at and answer.params["ts"] == stand_in.result["ts"]  # the answer ends the status
    kinds = [b["type"] for b in blocks_of(answer)]
    assert "table" in kinds and "context_actions" in kinds  # feedback_buttons in AI threads
    [charted] = slack_rig.charted()
    assert charted.params["ts"] == answer.params["ts"]
    # a follow-up in the same thread: no new title, the status again
    dm(slack_rig, "and for 2023?", "1730000002.000100")
    slack_rig.answers(2)
    assert len(slack_rig.fake.of("assistant.threads.setTitle")) == 1
    assert len(slack_rig.fake.of("assistant.threads.setStatus")) == 2


def test_feedback_buttons_store_the_vote(slack_rig: SlackRig) -> None:
    start_thread(slack_rig)
    dm(slack_rig, "orders in 2024", "1730000003.000100")
    [answer] = slack_rig.answers()
    [feedback] = [b for b in blocks_of(answer) if b["type"] == "context_actions"]
    negative = feedback["elements"][0]["negative_button"]["value"]
    assert click(slack_rig, {"type": "feedback_buttons", "action_id": "feedback", "value": negative},
                 answer.params["ts"], THREAD) == 200
    key = negative.split(":", 1)[1]
    deadline = time.monotonic() + 10
    while slack_rig.stack.conversations.load(f"slack-feedback:{key}:U1") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    stored = slack_rig.stack.conversations.load(f"slack-feedback:{key}:U1")
    assert stored["vote"] == "down" and stored["question"] == "orders in 2024"


def test_many_options_are_a_select_and_choosing_one_continues(slack_rig: SlackRig) -> None:
    dm(slack_rig, "status", "1730000004.000100", thread=None)  # a plain DM (no AI-app thread)
    [clarify] = slack_rig.answers()
    assert clarify.params["text"].endswith("Which measure do you want?")  # the options are not listed again
    [select] = [e for b in blocks_of(clarify) if b["type"] == "actions" for e in b["elements"]]
    assert select["type"] == "static_select" and len(select["options"]) == 15
    chosen = next(o for o in select["options"] if o["value"] == "Tickets")
    assert click(slack_rig, {"type": "static_select", "action_id": "clarify_select", "selected_option": chosen},
                 clarify.params["ts"], "1730000004.000100") == 200
    _, answer = slack_rig.answers(2)
    assert answer.params["text"].startswith("Tickets")


def test_without_ai_app_features_a_dm_thread_is_a_dm_with_a_placeholder(slack_rig: SlackRig) -> None:
    dm(slack_rig, "orders in 2024", "1730000005.000100", thread="1730000004.999999")  # never started
    [answer] = slack_rig.answers()
    [placeholder] = slack_rig.fake.of("chat.postMessage")
    assert "Looking into it" in placeholder.params["text"] and answer.params["ts"] == placeholder.result["ts"]
    assert slack_rig.fake.of("assistant.threads.setStatus") == []
    assert '"feedback_up"' in json.dumps(blocks_of(answer))  # thumbs where feedback_buttons are not shown


def test_a_token_without_the_assistant_scope_still_answers(slack_rig: SlackRig) -> None:
    slack_rig.fake.errors["assistant.threads.setStatus"] = "missing_scope"
    slack_rig.fake.errors["assistant.threads.setTitle"] = "missing_scope"
    start_thread(slack_rig)
    dm(slack_rig, "orders in 2024", "1730000006.000100")
    [answer] = slack_rig.answers()
    assert answer.params["text"].startswith("Orders (all statuses)")


def test_app_home_shows_what_the_bot_answers_and_the_users_recent_questions(slack_rig: SlackRig) -> None:
    home = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home", "event_ts": "1.1"}
    assert slack_rig.event(home, "Ev-home-1") == 200
    [first] = slack_rig.fake.wait_for("views.publish")
    assert first.params["user_id"] == "U1"
    text = json.dumps(slack_rig.fake.views["U1"])
    assert "Try asking" in text and "revenue by customer region last quarter" in text
    assert "Average order value" in text and "Customer region" in text and "None yet" in text
    dm(slack_rig, "orders in 2024 <!channel>", "1730000007.000100", thread=None)
    slack_rig.answers()
    slack_rig.event({**home, "event_ts": "1.2"}, "Ev-home-2")
    slack_rig.fake.wait_for("views.publish", 2)
    text = json.dumps(slack_rig.fake.views["U1"])
    assert "orders in 2024 @channel" in text and "<!channel>" not in text  # the user's question, as plain text


def test_a_malformed_assistant_event_is_400(slack_rig: SlackRig) -> None:
    assert slack_rig.event({"type": "assistant_thread_started", "assistant_thread": {"user_id": "U1"}},
                           "Ev-bad") == 400
    time.sleep(0.2)
    assert slack_rig.fake.of("chat.postMessage") == []
