"""The web chat on the AWS path: the page's wiring enqueues on SQS as the user Identity Center
resolved from the ALB's sign-in, the worker answers through Athena, and the Answer waits in the
session's inbox in DynamoDB."""

from __future__ import annotations

import time

import boto3
import pytest

from adapters.web.inbox import decode_answer
from adapters.web.poster import web_target
from adapters.web.signin import sign_in
from bot.aws_settings import ConfigError
from bot.settings import Settings
from bot.web import WebSettings, build_web_context
from tests.aws.conftest import ANALYST_ROLE, Stack
from tests.web.alb_keys import ALB_ARN, FakeAlb


def test_a_signed_in_question_travels_sqs_athena_and_comes_back_through_the_dynamodb_inbox(
        stack: Stack, settings: Settings) -> None:
    alb = FakeAlb().start()
    try:
        kid = alb.new_key()
        web = WebSettings(auth="alb", alb_arn=ALB_ARN, alb_key_url=alb.url)
        ctx = build_web_context(settings, web, "aws", boto3.Session(), aws=stack.app.aws)
        assert ctx.guide.examples and "Athena" in ctx.data_note  # examples checked by the rules on AWS too
        user = sign_in(ctx.auth, {"x-amzn-oidc-data": alb.token(kid)}, ctx.intake.identity, ctx.verifier)
        assert user.principal.email == "ana@example.com" and user.principal.role_arn == ANALYST_ROLE

        job = ctx.intake.job("orders in 2024", user.principal, web_target("s1", "item1", "web:s1:1"), "web:s1:1")
        ctx.intake.submit(job)
        deadline = time.monotonic() + 10
        while stack.count(stack.queue_url) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        stack.drain()  # the worker starts the query as Ana's role
        [execution] = stack.fake.started()
        assert ctx.inbox.collect("s1", "item1") is None  # nothing yet: the page keeps waiting
        stack.fake.finish(execution.execution_id)
        stack.drain()  # Athena's event: fetch, present, deliver to the inbox
        payload = ctx.inbox.collect("s1", "item1")
        assert payload is not None and ctx.inbox.collect("s2", "item1") is None  # only for its own session
        answer, rows_cut = decode_answer(payload)
        assert answer.message.startswith("Orders (all statuses), 1 Jan 2024 - 31 Dec 2024")
        assert answer.footer and answer.footer.startswith("Data scanned") and rows_cut == 0
        assert not stack.poster.posts  # the web answer went to the inbox, not the default poster
    finally:
        alb.stop()


def test_on_aws_the_web_chat_refuses_to_run_without_sign_in(stack: Stack, settings: Settings) -> None:
    with pytest.raises(ConfigError, match="ATHENA_BOT_WEB_AUTH=alb"):
        build_web_context(settings, WebSettings(auth="none"), "aws", boto3.Session(), aws=stack.app.aws)
