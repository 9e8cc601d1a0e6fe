"""Lambda handler for Slack's requests (a function URL or API Gateway in front).

Listeners are lazy: Slack gets its ack from this invocation, and bolt runs the work (users.info,
the placeholder, the SQS job) in a second, asynchronous invocation of the same function, which
therefore needs lambda:InvokeFunction on itself. Tokens come from the environment (in the SAM
template, Secrets Manager dynamic references).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.adapter.aws_lambda import SlackRequestHandler

from bot.settings import Settings
from bot.slack import SlackSettings, build_aws_slack_app

_handler: SlackRequestHandler | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _handler
    if _handler is None:  # once per container
        app = build_aws_slack_app(Settings.from_env(), SlackSettings.from_env(), lazy=True)
        _handler = SlackRequestHandler(app)
    return _handler.handle(event, context)
