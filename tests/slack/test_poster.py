"""The Slack poster is idempotent at Slack: a repeated answer updates the job's one message and never
shares its chart twice, over real HTTP to the fake Slack Web API."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from adapters.local.sqlite_store import SQLiteConversationStore
from adapters.slack.poster import SlackPoster, web_client
from engine.domain import Answer, ReplyTarget
from tests.slack.fake_slack import FakeSlack

PNG = b"\x89PNG\r\n\x1a\n-chart"


@pytest.fixture()
def fake() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def thread_with_placeholder(fake: FakeSlack) -> ReplyTarget:
    client = WebClient(token="xoxb-test", base_url=fake.url)
    root = str(client.chat_postMessage(channel="C1", text="question")["ts"])
    placeholder = str(client.chat_postMessage(channel="C1", thread_ts=root, text="Looking into it...")["ts"])
    return ReplyTarget("slack", "C1", root, {"placeholder": placeholder})


def answer(job: str = "job-1") -> Answer:
    return Answer(status="answered", question="revenue by category", message="Revenue by category: ...",
                  sql="SELECT 1", chart_png=PNG, answer_id=job)


def button_key(blocks: str | list) -> str:
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    return next(e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == "show_sql")


def poster(fake: FakeSlack) -> SlackPoster:
    return SlackPoster(web_client("xoxb-test", fake.url), SQLiteConversationStore(":memory:"))


def test_a_repeated_answer_updates_the_placeholder_and_shares_the_chart_once(fake: FakeSlack) -> None:
    target = thread_with_placeholder(fake)
    slack = poster(fake)
    slack.post(target, answer())
    slack.post(target, answer())  # the step taken over after it had posted
    [message] = fake.thread_messages("C1", target.thread)
    assert message.ts == target.extra["placeholder"] and message.updates == 2
    assert message.text.startswith("Revenue by category")
    assert len(fake.shares("C1", target.thread)) == 1 and len(fake.of("files.getUploadURLExternal")) == 1
    keys = {button_key(call.params["blocks"]) for call in fake.of("chat.update")}
    assert len(keys) == 1  # the same button key both times: the stored SQL stays reachable


def test_an_upload_cut_off_before_sharing_is_redone_once(fake: FakeSlack) -> None:
    target = thread_with_placeholder(fake)
    slack = poster(fake)
    fake.errors["files.completeUploadExternal"] = "internal_error"  # the worker dies about here
    with pytest.raises(Exception):
        slack.post(target, answer())
    del fake.errors["files.completeUploadExternal"]
    slack.post(target, answer())
    slack.post(target, answer())
    assert len(fake.shares("C1", target.thread)) == 1
    assert len(fake.of("files.getUploadURLExternal")) == 2  # the unshared first upload was redone
    assert len(fake.of("files.info")) == 1  # asked once where the recorded file went; then it was known


def test_a_deleted_placeholder_gets_one_stand_in_that_repeats_update(fake: FakeSlack) -> None:
    target = thread_with_placeholder(fake)
    del fake.messages[target.extra["placeholder"]]  # someone deleted the placeholder
    slack = poster(fake)
    slack.post(target, answer())
    slack.post(target, answer())
    [message] = fake.thread_messages("C1", target.thread)
    assert message.ts != target.extra["placeholder"] and message.updates == 2
    assert message.text.startswith("Revenue by category")
    assert len(fake.of("chat.postMessage")) == 3  # root, placeholder, one stand-in


def test_a_target_without_placeholder_keeps_one_answer_per_job(fake: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake.url)
    root = str(client.chat_postMessage(channel="C1", text="question")["ts"])
    target = ReplyTarget("slack", "C1", root)
    slack = poster(fake)
    for job in ("job-1", "job-1", "job-2"):
        slack.post(target, answer(job))
    messages = fake.thread_messages("C1", root)
    assert len(messages) == 2 and [m.updates for m in messages] == [2, 1]  # job-1 twice, job-2 once
    assert len(fake.shares("C1", root)) == 2
