"""Lambda handler for Slack's requests (a function URL or API Gateway in front).

The same checks as the HTTP server run first (a body cap, the signature, a readable body:
adapters/slack/gate.py), then bolt. The intake runs before the response, as on HTTP: a
Slack API outage is a 503 Slack retries, not a lost question. Tokens come from the environment
(in the SAM template, Secrets Manager dynamic references).
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

from slack_bolt.adapter.aws_lambda import SlackRequestHandler

from adapters.slack.app import SlackApp
from adapters.slack.gate import Rejected, check_request
from adapters.slack.server import MAX_BODY_BYTES
from bot.settings import Settings
from bot.slack import SlackSettings, build_aws_slack_app

log = logging.getLogger(__name__)
_app: SlackApp | None = None
_handler: SlackRequestHandler | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _app, _handler
    if _handler is None:  # once per container
        _app = build_aws_slack_app(Settings.from_env(), SlackSettings.from_env())
        _handler = SlackRequestHandler(_app)
    assert _app is not None
    return handle(_app, _handler, event, context)


def handle(app: SlackApp, bolt: SlackRequestHandler, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One function-URL / API Gateway event: refused here, or handed to bolt."""
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    body = event.get("body") or ""
    try:
        raw = base64.b64decode(body, validate=True) if event.get("isBase64Encoded") else \
            body.encode("utf-8", "surrogateescape")
    except (binascii.Error, ValueError):
        return _refused(400, "the body is not valid base64")
    if len(raw) > MAX_BODY_BYTES:
        return _refused(413, "body too large")
    try:
        check_request(raw, headers, app.signing_secret)
    except Rejected as err:
        return _refused(err.status, err.reason)
    return bolt.handle(event, context)


def _refused(status: int, reason: str) -> dict[str, Any]:
    (log.info if status == 401 else log.warning)("rejected a Slack request: %s (%s)", reason, status)
    return {"statusCode": status, "headers": {"content-type": "text/plain; charset=utf-8"}, "body": reason}
