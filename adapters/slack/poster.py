"""The worker's ReplyPoster for Slack: the placeholder becomes the answer, the chart shows inside it.

The chart is uploaded first (files_upload_v2's three steps, completed without a channel, so it is
not a message of its own) and then shown by an ``image`` block that names the file. The worker
posts the text as soon as the rows are back and calls ``post_chart`` with the drawn chart right
after: the same message is updated, now with the image.

Posting is idempotent at Slack, so a repeated answer (a worker that crashed after posting, its
step taken over) changes nothing a person can see twice: the answer always goes into one message
per job, updated with chat.update (the receiver's placeholder, or a stand-in this poster posts
and records first when the placeholder is gone), and the chart upload is recorded in steps: the
file id before the upload is completed, "complete" after; a repeat that finds a file id asks
files.info whether it was completed before uploading again. Slack may refuse an image block for
a moment after the upload (``invalid_blocks`` until the file is processed): the poster waits for
files.info to show the file processed and updates again; if Slack still refuses, the answer goes
out without the image and the chart is shared into the thread instead (once, recorded).

Rate limits are honoured by slack_sdk's retry handler (Retry-After). Errors that no retry can fix
(a revoked token, a missing or archived channel) are logged and the job ends, so it is not retried
forever; anything else raises and the queue retries the job.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from adapters.slack.blocks import PLACEHOLDER_TEXT, answer_blocks, fallback_text
from adapters.slack.digests import dm_channel, remember_thread, with_digest_buttons
from engine.digests.delivery import Undeliverable
from engine.domain import Answer, ReplyTarget
from engine.ports import ConversationStore

log = logging.getLogger(__name__)

GONE = ("message_not_found", "cant_update_message")
FINAL_ERRORS = {"token_revoked", "invalid_auth", "account_inactive", "not_authed", "channel_not_found",
                "not_in_channel", "is_archived", "missing_scope", "team_access_not_granted",
                "message_not_found", "cant_update_message", "restricted_action"}


def web_client(token: str, base_url: str | None = None) -> WebClient:
    """A WebClient that waits out rate limits (Retry-After) and retries dropped connections."""
    client = WebClient(token=token, base_url=_slashed(base_url) if base_url else WebClient.BASE_URL)
    client.retry_handlers.extend([RateLimitErrorRetryHandler(max_retry_count=3),
                                  ConnectionErrorRetryHandler(max_retry_count=2)])
    return client


def _slashed(url: str) -> str:
    return url if url.endswith("/") else url + "/"  # WebClient joins method names onto it


def answer_state_key(key: str) -> str:
    return f"slack-answer:{key}"


class SlackPoster:
    """Posts Answers into Slack threads (chat.update of the placeholder, files_upload_v2)."""

    def __init__(self, client: WebClient, conversations: ConversationStore | None = None,
                 quicksight_url: str | None = None, processing_wait: float = 5.0, dashboards: bool = False) -> None:
        self.client = client
        self.conversations = conversations
        self.quicksight_url = quicksight_url
        self.processing_wait = processing_wait  # how long an upload may take to become showable
        self._refused: set[str] = set()  # answers Slack refused for good: their chart is not tried
        self.dashboards = dashboards  # "Open in QuickSight" makes each answer's own dashboard

    def post(self, target: ReplyTarget, answer: Answer) -> None:
        target = dm_channel(self.client, target)  # a digest's direct message: the user's IM channel
        ident = answer.answer_id or target.extra.get("placeholder")  # which answer this is, across repeats
        key = uuid.uuid5(uuid.NAMESPACE_URL, f"slack:{target.channel}:{ident}").hex if ident else uuid.uuid4().hex
        if self.conversations is not None:  # what the buttons need later: the SQL, the question
            self.conversations.save(answer_state_key(key), {
                "question": answer.question, "sql": answer.sql, "status": answer.status,
                "channel": target.channel, "thread": target.thread, "saved": answer.saved,
                "answer_id": answer.answer_id})
        if answer.private_to:  # a link that signs its holder in: for the asker's eyes only
            self.client.chat_postEphemeral(channel=target.channel, user=answer.private_to, thread_ts=target.thread,
                                           text=fallback_text(answer), blocks=self._blocks(target, answer, key, None))
            return
        try:
            chart = self._upload(target, ident, answer) if answer.chart_png else None
            text = fallback_text(answer)
            try:
                ts = self._message(target, ident, text, self._blocks(target, answer, key, chart))
            except SlackApiError as err:
                if chart is None or err.response.get("error") != "invalid_blocks":
                    raise
                ts = self._without_image(target, ident, answer, key, chart, text)
            remember_thread(self.conversations, target, ts)
        except SlackApiError as err:
            error = str(err.response.get("error", ""))
            if error in FINAL_ERRORS and target.extra.get("buttons") == "post":
                raise Undeliverable(f"Slack: {error}") from err  # a digest run: counted as failed
            if error in FINAL_ERRORS:
                log.error("slack refused the answer for %s (%s); not retrying", target.channel, error)
                if ident:
                    self._refused.add(ident)
                return
            raise

    def post_chart(self, target: ReplyTarget, answer: Answer) -> None:
        """The answer again, now with its chart: the job's message is updated with the image."""
        ident = answer.answer_id or target.extra.get("placeholder")
        if ident in self._refused:
            return
        self.post(target, answer)

    def _blocks(self, target: ReplyTarget, answer: Answer, key: str, chart: str | None) -> list[dict[str, Any]]:
        blocks = [b.to_dict() for b in answer_blocks(answer, key, self.quicksight_url, chart_file=chart,
                                                     feedback_buttons=target.extra.get("assistant") == "1",
                                                     dashboards=self.dashboards)]
        return with_digest_buttons(blocks, answer, target, key)  # Schedule, or a digest's own buttons

    def _without_image(self, target: ReplyTarget, ident: str | None, answer: Answer, key: str, chart: str,
                       text: str) -> str | None:
        """Slack refused the image block: wait until the upload is processed and try again; failing
        that, the answer without the image and the chart shared into the thread. The message's ts."""
        if self._processed(chart):
            try:
                return self._message(target, ident, text, self._blocks(target, answer, key, chart))
            except SlackApiError as err:
                if err.response.get("error") != "invalid_blocks":
                    raise
        log.warning("slack would not show chart %s in the answer; sharing it into the thread", chart)
        ts = self._message(target, ident, text, self._blocks(target, answer, key, None))
        self._share(target, ident, answer)
        return ts

    def _record(self, kind: str, target: ReplyTarget, ident: str | None) -> str | None:
        return f"slack-{kind}:{target.channel}:{ident}" if ident and self.conversations is not None else None

    def _message(self, target: ReplyTarget, ident: str | None, text: str, blocks: list[dict[str, Any]]) -> str | None:
        """The answer into the job's one message: the placeholder, or a recorded stand-in; its ts."""
        placeholder = target.extra.get("placeholder")
        if placeholder and self._update(target.channel, placeholder, text, blocks):
            return placeholder
        record = self._record("reply", target, ident)
        if record is None:  # nothing to remember a message by: a plain reply
            return str(self.client.chat_postMessage(channel=target.channel, thread_ts=target.thread, text=text,
                                                    blocks=blocks).get("ts") or "") or None
        assert self.conversations is not None
        stand_in = (self.conversations.load(record) or {}).get("ts")
        if stand_in and self._update(target.channel, stand_in, text, blocks):
            return stand_in
        # the placeholder is gone: post a stand-in and record it before the answer goes into it,
        # so a repeat finds it and updates it instead of adding a second answer
        stand_in = str(self.client.chat_postMessage(channel=target.channel, thread_ts=target.thread,
                                                    text=PLACEHOLDER_TEXT)["ts"])
        self.conversations.save(record, {"ts": stand_in})
        self.client.chat_update(channel=target.channel, ts=stand_in, text=text, blocks=blocks)
        return stand_in

    def _update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> bool:
        try:
            self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as err:
            if err.response.get("error") in GONE:
                return False
            raise
        return True

    def _upload(self, target: ReplyTarget, ident: str | None, answer: Answer) -> str:
        """The chart uploaded to Slack (not shared anywhere): its file id, for the image block.

        Recorded in steps, so a repeat uploads nothing twice: the file id before the upload is
        completed, "complete" after."""
        png = answer.chart_png or b""
        record = self._record("chart", target, ident)
        state = (self.conversations.load(record) or {}) if record and self.conversations else {}
        if state.get("complete"):
            return str(state["file_id"])
        if state.get("file_id") and self._completed(state["file_id"]):
            self._save(record, {"file_id": state["file_id"], "complete": True})
            return str(state["file_id"])
        upload = self.client.files_getUploadURLExternal(filename=f"{_slug(answer.question)}.png", length=len(png))
        file_id = str(upload["file_id"])
        self._save(record, {"file_id": file_id})
        # the raw upload as files_upload_v2 sends it (the client's proxy, SSL and timeout)
        sent = self.client._upload_file(url=str(upload["upload_url"]), data=png, logger=self.client.logger,
                                        timeout=self.client.timeout, proxy=self.client.proxy, ssl=self.client.ssl)
        if sent.status != 200:
            raise SlackRequestError(f"chart upload failed (status {sent.status})")
        # no channel: the file is the bot's own until the image block shows it in the answer
        self.client.files_completeUploadExternal(files=[{"id": file_id, "title": answer.message[:250]}])
        self._save(record, {"file_id": file_id, "complete": True})
        return file_id

    def _file(self, file_id: str) -> dict[str, Any] | None:
        try:
            return dict(self.client.files_info(file=file_id)["file"])
        except SlackApiError as err:
            if err.response.get("error") in ("file_not_found", "file_deleted"):
                return None  # never completed
            raise

    def _completed(self, file_id: str) -> bool:
        """Whether an earlier upload was completed (files.info knows completed files only)."""
        return self._file(file_id) is not None

    def _processed(self, file_id: str) -> bool:
        """Wait (up to ``processing_wait`` s) until Slack has processed the upload: it has a type."""
        deadline = time.monotonic() + self.processing_wait
        while True:
            file = self._file(file_id)
            if file is not None and file.get("mimetype"):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.25)

    def _share(self, target: ReplyTarget, ident: str | None, answer: Answer) -> None:
        """The fallback: the chart as a file in the thread, once."""
        record = self._record("chart-share", target, ident)
        if record and self.conversations is not None and (self.conversations.load(record) or {}).get("shared"):
            return
        self.client.files_upload_v2(channel=target.channel, thread_ts=target.thread, file=answer.chart_png,
                                    filename=f"{_slug(answer.question)}.png", title=answer.message[:250])
        self._save(record, {"shared": True})

    def _save(self, record: str | None, state: dict[str, Any]) -> None:
        if record and self.conversations is not None:
            self.conversations.save(record, state)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "chart"
