"""Lambda handler for Slack's requests (a function URL or API Gateway in front).

The same checks as the HTTP server run first (a body cap, the signature, a readable body:
adapters/slack/gate.py), then bolt. The intake runs before the response, as on HTTP: a
Slack API outage is a 503 Slack retries, not a lost question. Tokens are read at run time from
the Secrets Manager secret ``ATHENA_BOT_SLACK_SECRET`` names (cached; a rotated token rebuilds
the app), or from the environment when it holds them (local runs).

Only the receiver is imported, on the first request: no pandas, DuckDB, matplotlib, sqlglot or
Teams SDK, and boto3 clients are created when first used, so a cold start stays far inside
Slack's 3 s.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slack_bolt.adapter.aws_lambda import SlackRequestHandler

    from adapters.slack.app import SlackApp

log = logging.getLogger(__name__)
_app: SlackApp | None = None
_handler: SlackRequestHandler | None = None
_built_with: tuple[str, str] | None = None
_secrets: Any = None


def _slack_env() -> dict[str, str]:
    """The environment with the Slack tokens filled from Secrets Manager (cached for a TTL)."""
    global _secrets
    env = dict(os.environ)
    if not env.get("ATHENA_BOT_SLACK_SECRET"):
        return env
    from bot.aws_settings import with_secrets

    if _secrets is None:
        import boto3

        from adapters.aws.secrets import JsonSecrets

        _secrets = JsonSecrets(boto3.Session().client("secretsmanager"),
                               int(env.get("ATHENA_BOT_SECRET_TTL_SECONDS") or 300))
    return with_secrets(env, _secrets)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _app, _handler, _built_with
    if event.get("rawPath") == "/quicksight/open":  # the QuickSight embed route, when configured
        return embed(event)
    from bot.slack import SlackSettings

    slack = SlackSettings.from_env(_slack_env())
    if _handler is None or _built_with != (slack.bot_token, slack.signing_secret):  # cold, or rotated
        from slack_bolt.adapter.aws_lambda import SlackRequestHandler

        from bot.settings import Settings
        from bot.slack import build_aws_slack_app

        _app = build_aws_slack_app(Settings.from_env(), slack)
        _handler = SlackRequestHandler(_app)
        _built_with = (slack.bot_token, slack.signing_secret)
    assert _app is not None
    return handle(_app, _handler, event, context)


def handle(app: SlackApp, bolt: SlackRequestHandler, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One function-URL / API Gateway event: refused here, or handed to bolt."""
    from adapters.slack.gate import Rejected, check_request
    from adapters.slack.server import MAX_BODY_BYTES

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


def embed(event: dict[str, Any], routes: dict[str, Any] | None = None) -> dict[str, Any]:
    """A function-URL GET of the embed route, through its WSGI app (404 when embedding is off)."""
    from bot.slack import embed_routes

    route = (embed_routes("aws", _slack_env()) if routes is None else routes).get(str(event.get("rawPath")))
    if route is None:
        return _refused(404, "not found")
    method = ((event.get("requestContext") or {}).get("http") or {}).get("method", "GET")
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer.update(statusCode=int(status.split()[0]), headers={k.lower(): v for k, v in headers})

    body = b"".join(route({"REQUEST_METHOD": method, "PATH_INFO": event.get("rawPath"),
                           "QUERY_STRING": event.get("rawQueryString") or ""}, start_response))
    return {**answer, "body": body.decode("utf-8", "replace")}


def _refused(status: int, reason: str) -> dict[str, Any]:
    (log.info if status == 401 else log.warning)("rejected a Slack request: %s (%s)", reason, status)
    return {"statusCode": status, "headers": {"content-type": "text/plain; charset=utf-8"}, "body": reason}
