"""Lambda handler for Slack's requests (a function URL or API Gateway in front).

Listeners are lazy: Slack gets its ack from this invocation, and bolt runs the work (users.info,
the placeholder, the SQS job) in a second, asynchronous invocation of the same function, which
therefore needs lambda:InvokeFunction on itself. Tokens are read at run time from the Secrets
Manager secret ``ATHENA_BOT_SLACK_SECRET`` names (cached; a rotated token rebuilds the app), or
from the environment when it holds them (local runs).

Only the receiver is imported: no pandas, DuckDB, matplotlib, sqlglot or Teams SDK, and boto3
clients are created when first used, so a cold start stays far inside Slack's 3 s.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slack_bolt.adapter.aws_lambda import SlackRequestHandler

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
    global _handler, _built_with
    from bot.slack import SlackSettings

    slack = SlackSettings.from_env(_slack_env())
    if _handler is None or _built_with != (slack.bot_token, slack.signing_secret):  # cold, or rotated
        from slack_bolt.adapter.aws_lambda import SlackRequestHandler

        from bot.settings import Settings
        from bot.slack import build_aws_slack_app

        _handler = SlackRequestHandler(build_aws_slack_app(Settings.from_env(), slack, lazy=True))
        _built_with = (slack.bot_token, slack.signing_secret)
    return _handler.handle(event, context)
