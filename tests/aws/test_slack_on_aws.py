"""Slack on the AWS path: the receiver enqueues on SQS with the user's Identity Center identity,
the worker answers through Athena, and the SlackPoster replaces the placeholder."""

from __future__ import annotations

import json
import time

import boto3

from adapters.slack.poster import SlackPoster, web_client
from adapters.slack.server import HttpServer
from bot.settings import Settings
from bot.slack import SlackSettings, build_aws_slack_app
from tests.aws.conftest import Stack
from tests.slack.conftest import SECRET, SlackRig, sign
from tests.slack.fake_slack import FakeSlack


def test_mention_to_answer_through_sqs_and_athena(stack: Stack, settings: Settings) -> None:
    fake = FakeSlack({"U1": "ana@example.com", "U9": "nobody@example.com"}).start()
    app = build_aws_slack_app(settings, SlackSettings("xoxb-test", SECRET, api_url=fake.url),
                              aws=stack.app.aws, session=boto3.Session())
    server = HttpServer(app, port=0).start()
    stack.app.poster.register("slack", SlackPoster(web_client("xoxb-test", fake.url), stack.app.engine.conversations))
    rig = SlackRig(fake, None, server)  # type: ignore[arg-type]
    try:
        assert rig.mention("orders in 2024", "100.000001", "EvAws") == 200
        [placeholder] = fake.wait_for("chat.postMessage")
        assert placeholder.params["thread_ts"] == "100.000001"
        deadline = time.monotonic() + 10  # the job follows the placeholder onto the queue
        while stack.count(stack.queue_url) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        stack.drain()  # the worker takes the job from SQS and starts the query as the user's role
        [execution] = stack.fake.started()
        stack.fake.finish(execution.execution_id)
        stack.drain()  # Athena's event brings the job back: fetch, present, post to Slack
        [update] = fake.wait_for("chat.update")
        assert update.params["ts"] == "1001.000100"  # the placeholder's ts, as the fake answered it
        assert update.params["text"].startswith("Orders (all statuses), 1 Jan 2024 - 31 Dec 2024: ")
        blocks = json.dumps(update.params["blocks"])
        assert "Data scanned" in blocks  # the cost footer from Athena's statistics

        # someone Identity Center does not know is told how to get access; nothing is queued
        rig.mention("orders in 2024", "200.000001", "EvAws2", user="U9")
        [note] = fake.wait_for("chat.postEphemeral")
        assert "nobody@example.com" in note.params["text"]
        time.sleep(0.3)
        assert len(fake.of("chat.postMessage")) == 1  # no placeholder: the job was never made
    finally:
        server.stop()
        fake.stop()


def test_lambda_handler_rejects_bad_signatures(stack: Stack, monkeypatch) -> None:  # noqa: ANN001
    import bot.slack_lambda as slack_lambda

    for key, value in {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
                       "ATHENA_BOT_QUEUE_URL": stack.queue_url, "ATHENA_BOT_DATABASE": "sales",
                       "ATHENA_BOT_IDENTITY_SOURCE": "open", "ATHENA_BOT_IDEMPOTENCY_TABLE": "t",
                       "ATHENA_BOT_PENDING_TABLE": "t", "ATHENA_BOT_CONVERSATIONS_TABLE": "t"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(slack_lambda, "_handler", None)
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "x"})
    ts = str(int(time.time()))

    def event(signature: str) -> dict:
        return {"version": "2.0", "rawPath": "/slack/events", "body": body, "isBase64Encoded": False,
                "headers": {"content-type": "application/json", "x-slack-request-timestamp": ts,
                            "x-slack-signature": signature},
                "requestContext": {"http": {"method": "POST"}}}

    class Context:
        function_name = "athena-bot-slack"
        aws_request_id = "req-1"
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:athena-bot-slack"

    assert slack_lambda.handler(event("v0=bad"), Context())["statusCode"] == 401
    good = slack_lambda.handler(event(sign(body.encode(), int(ts))), Context())
    assert good["statusCode"] == 200 and "c-123" in good["body"]
