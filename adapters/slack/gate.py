"""What a Slack request must be before bolt sees it, and before a listener does.

bolt decodes and parses a body when it builds its request, before it checks the signature, and
its signature check parses the timestamp as an integer: a non-numeric timestamp, bytes that are
not UTF-8 or a body that is not JSON were a 500. ``check_request`` runs first (on HTTP and on
Lambda): 401 for anything not signed with the secret in the last five minutes, then 400 for a
signed body bolt could not parse. ``malformed`` (a bolt middleware, so Socket Mode too) names what
a signed, parsed request lacks that its listener needs: event.user, the channel, a ts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

SIGNATURE_MAX_AGE_SECONDS = 300  # Slack's own rule: older timestamps may be replays


class Rejected(Exception):
    """A request answered before bolt sees it: ``status`` and a reason for the log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def check_request(body: bytes, headers: Mapping[str, str], signing_secret: str, now: float | None = None) -> None:
    """Raise Rejected unless ``body`` is signed with ``signing_secret`` and parses as bolt parses it.

    ``headers`` are keyed in lower case.
    """
    timestamp = headers.get("x-slack-request-timestamp") or ""
    signature = headers.get("x-slack-signature") or ""
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12) or not signature.isascii():
        raise Rejected(401, "missing or malformed signature headers")
    if abs((time.time() if now is None else now) - int(timestamp)) > SIGNATURE_MAX_AGE_SECONDS:
        raise Rejected(401, "stale timestamp")
    expected = "v0=" + hmac.new(signing_secret.encode(), f"v0:{timestamp}:".encode() + body,
                                hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise Rejected(401, "bad signature")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(400, "the body is not UTF-8") from None
    payload = _parsed(text, headers.get("content-type"))
    if not isinstance(payload, dict):
        raise Rejected(400, "the body is not an object")
    if "event" in payload and not isinstance(payload["event"], dict):
        raise Rejected(400, "event is not an object")


def _parsed(text: str, content_type: str | None) -> Any:
    """The body as bolt's ``parse_body`` reads it (JSON, a form, or a form's JSON ``payload``)."""
    try:
        if content_type == "application/json" or text.startswith("{"):
            return json.loads(text)
        form = dict(parse_qsl(text, keep_blank_values=True))
        if "payload" in form:
            return json.loads(form["payload"])
        if "command" in form or "ssl_check" in form:
            return form
    except RecursionError:
        raise Rejected(400, "the body is nested too deeply") from None
    except ValueError as err:
        raise Rejected(400, f"the body is not valid JSON ({err})") from None
    raise Rejected(400, "a form with neither a payload nor a command")


def malformed(body: dict[str, Any]) -> str | None:
    """What a request lacks that its listener needs, or None."""
    if body.get("type") == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return "event without a type"
        if event["type"] == "app_mention":
            if "user" not in event and isinstance(event.get("bot_id"), str):
                return _missing(event, "event", ("channel", "ts"), ("text", "thread_ts"))  # another bot
            return _missing(event, "event", ("user", "channel", "ts"), ("text", "thread_ts"))
        if event["type"] == "message":
            return _missing(event, "event", ("channel", "ts"), ("user", "text", "thread_ts"))
        if event["type"] in ("assistant_thread_started", "assistant_thread_context_changed"):
            thread = event.get("assistant_thread")
            if not isinstance(thread, dict):
                return f"{event['type']} without assistant_thread"
            return _missing(thread, "assistant_thread", ("channel_id", "thread_ts"), ("user_id",))
        return None
    if "command" in body:
        return _missing(body, "command", ("user_id", "channel_id"), ("text", "trigger_id"))
    if body.get("type") == "block_actions":
        user, channel, actions = body.get("user"), body.get("channel"), body.get("actions")
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            return "block_actions without user.id"
        in_view = isinstance(body.get("container"), dict) and body["container"].get("type") == "view"
        if not in_view and (not isinstance(channel, dict) or not isinstance(channel.get("id"), str)):
            return "block_actions without channel.id"  # a click in a modal or App Home has none
        if not isinstance(actions, list) or not actions or not all(
                isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
            return "block_actions without actions"
        for action in actions:
            if action.get("type") == "static_select":
                selected = action.get("selected_option")
                if not isinstance(selected, dict) or not isinstance(selected.get("value"), str):
                    return f"select {action['action_id'][:40]} without a selected option"
            elif not action["action_id"].startswith("open_url") and not isinstance(action.get("value"), str):
                return f"action {action['action_id'][:40]} without a value"
        message = body.get("message")
        if message is not None and not isinstance(message, dict):
            return "block_actions message is not an object"
    return None


def _missing(data: dict[str, Any], what: str, required: tuple[str, ...], optional: tuple[str, ...]) -> str | None:
    for name in required:
        if not isinstance(data.get(name), str) or not data[name]:
            return f"{what} without {name}"
    for name in optional:
        if data.get(name) is not None and not isinstance(data[name], str):
            return f"{what} {name} is not a string"
    return None
