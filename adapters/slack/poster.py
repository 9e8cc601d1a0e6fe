"""The worker's ReplyPoster for Slack: the placeholder becomes the answer, the chart joins the thread.

Rate limits are honoured by slack_sdk's retry handler (Retry-After). Errors that no retry can fix
(a revoked token, a missing or archived channel) are logged and the job ends, so it is not retried
forever; anything else raises and the queue retries the job.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from adapters.slack.blocks import answer_blocks, fallback_text
from engine.domain import Answer, ReplyTarget
from engine.ports import ConversationStore

log = logging.getLogger(__name__)

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
                 quicksight_url: str | None = None) -> None:
        self.client = client
        self.conversations = conversations
        self.quicksight_url = quicksight_url

    def post(self, target: ReplyTarget, answer: Answer) -> None:
        key = uuid.uuid4().hex
        if self.conversations is not None:  # what the buttons need later: the SQL, the question
            self.conversations.save(answer_state_key(key), {
                "question": answer.question, "sql": answer.sql, "status": answer.status,
                "channel": target.channel, "thread": target.thread})
        blocks = [b.to_dict() for b in answer_blocks(answer, key, self.quicksight_url)]
        try:
            self._message(target, fallback_text(answer), blocks)
            if answer.chart_png:
                self.client.files_upload_v2(
                    channel=target.channel, thread_ts=target.thread, file=answer.chart_png,
                    filename=f"{_slug(answer.question)}.png", title=answer.message[:250])
        except SlackApiError as err:
            error = str(err.response.get("error", ""))
            if error in FINAL_ERRORS:
                log.error("slack refused the answer for %s (%s); not retrying", target.channel, error)
                return
            raise

    def _message(self, target: ReplyTarget, text: str, blocks: list[dict[str, Any]]) -> None:
        placeholder = target.extra.get("placeholder")
        if placeholder:
            try:
                self.client.chat_update(channel=target.channel, ts=placeholder, text=text, blocks=blocks)
                return
            except SlackApiError as err:
                if err.response.get("error") not in ("message_not_found", "cant_update_message"):
                    raise  # the placeholder is gone: post the answer as a new reply instead
        self.client.chat_postMessage(channel=target.channel, thread_ts=target.thread, text=text,
                                     blocks=blocks)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "chart"
