"""The Slack poster is idempotent at Slack: a repeated answer updates the job's one message and never
uploads its chart twice; the chart shows inside the answer (an image block naming the uploaded
file), posted after the text. Over real HTTP to the fake Slack Web API."""

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


def image_files(blocks: str | list | None) -> list[str]:
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks or []
    return [b["slack_file"]["id"] for b in blocks if b["type"] == "image"]


def button_key(blocks: str | list) -> str:
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    return next(e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == "show_sql")


def poster(fake: FakeSlack) -> SlackPoster:
    return SlackPoster(web_client("xoxb-test", fake.url), SQLiteConversationStore(":memory:"))


def test_a_repeated_answer_updates_the_placeholder_and_uploads_the_chart_once(fake: FakeSlack) -> None:
    target = thread_with_placeholder(fake)
    slack = poster(fake)
    slack.post(target, answer())
    slack.post(target, answer())  # the step taken over after it had posted
    [message] = fake.thread_messages("C1", target.thread)
    assert message.ts == target.extra["placeholder"] and message.updates == 2
    assert message.text.startswith("Revenue by category")
    [upload] = fake.of("files.getUploadURLExternal")
    assert image_files(message.blocks) == [upload.result["file_id"]]  # the chart inside the answer
    assert fake.shares("C1", target.thread) == []  # not a file message of its own
    [complete] = fake.of("files.completeUploadExternal")
    assert "channel_id" not in complete.params
    keys = {button_key(call.params["blocks"]) for call in fake.of("chat.update")}
    assert len(keys) == 1  # the same button key both times: the stored SQL stays reachable


def test_an_upload_cut_off_before_completing_is_redone_once(fake: FakeSlack) -> None:
    target = thread_with_placeholder(fake)
    slack = poster(fake)
    fake.errors["files.completeUploadExternal"] = "internal_error"  # the worker dies about here
    with pytest.raises(Exception):
        slack.post(target, answer())
    del fake.errors["files.completeUploadExternal"]
    slack.post(target, answer())
    slack.post(target, answer())
    assert len(fake.of("files.getUploadURLExternal")) == 2  # the uncompleted first upload was redone
    assert len(fake.of("files.info")) == 1  # asked once whether the recorded file was completed
    [message] = fake.thread_messages("C1", target.thread)
    assert image_files(message.blocks) == [fake.of("files.getUploadURLExternal")[1].result["file_id"]]


def test_text_first_then_the_chart_into_the_same_message(fake: FakeSlack) -> None:
    target = thread_with_placeholder(fake)
    slack = poster(fake)
    text_only = answer()
    text_only.chart_png = None
    slack.post(target, text_only)  # the rows are back: the number first
    first = fake.messages[target.extra["placeholder"]]
    assert first.text.startswith("Revenue by category") and image_files(first.blocks) == []
    slack.post_chart(target, answer())  # then the chart
    [message] = fake.thread_messages("C1", target.thread)
    assert message.updates == 2 and len(image_files(message.blocks)) == 1


def test_an_upload_still_being_processed_is_waited_for(fake: FakeSlack) -> None:
    fake.processing_seconds = 0.6  # Slack refuses the image block until the file is processed
    target = thread_with_placeholder(fake)
    poster(fake).post(target, answer())
    [message] = fake.thread_messages("C1", target.thread)
    assert len(image_files(message.blocks)) == 1 and fake.shares("C1", target.thread) == []
    assert [c.result["ok"] for c in fake.of("chat.update")] == [False, True]


def test_an_image_slack_keeps_refusing_is_shared_into_the_thread_once(fake: FakeSlack) -> None:
    fake.processing_seconds = 3600
    target = thread_with_placeholder(fake)
    slack = SlackPoster(web_client("xoxb-test", fake.url), SQLiteConversationStore(":memory:"), processing_wait=0.3)
    slack.post(target, answer())
    slack.post(target, answer())
    [message] = fake.thread_messages("C1", target.thread)
    assert message.text.startswith("Revenue by category") and image_files(message.blocks) == []
    assert len(fake.shares("C1", target.thread)) == 1  # the chart still reaches the thread, once


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
    assert [len(image_files(m.blocks)) for m in messages] == [1, 1]
    assert len(fake.of("files.getUploadURLExternal")) == 2
