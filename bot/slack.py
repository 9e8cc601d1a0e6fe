"""Composition of the Slack surface: `athena-bot serve slack`.

With no AWS configuration one process serves the whole local stack: the bolt app (HTTP or Socket
Mode) enqueues on the local queue and a worker thread answers into Slack. With
ATHENA_BOT_BACKEND=aws the app enqueues on SQS and the worker service posts the answers.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from adapters.local.sqlite_store import SQLiteConversationStore
from adapters.slack.app import SlackApp, build_slack_app
from adapters.slack.poster import SlackPoster, web_client
from adapters.slack.verified import SlackCuration
from bot.aws_settings import AwsSettings, ConfigError
from bot.bootstrap import aws_intake, local_intake, local_worker, run_in_thread, run_scheduler, stop_on_signals
from bot.settings import Settings

if TYPE_CHECKING:  # the receiver on Lambda loads neither the local stack nor the worker
    from bot.bootstrap import AwsApp
    from engine.guide import Guide
    from engine.semantic_model import SemanticModel
    from engine.ports import Queue
    from engine.worker import Worker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str
    signing_secret: str
    app_token: str | None = None  # Socket Mode
    api_url: str | None = None  # Web API base URL (proxies, tests)
    quicksight_url: str | None = None
    review_channel: str | None = None  # where 👎 with a reason is posted for the stewards

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, socket: bool = False) -> "SlackSettings":
        env = dict(os.environ if env is None else env)
        missing = [n for n in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET") if not env.get(n)]
        if socket and not env.get("SLACK_APP_TOKEN"):
            missing.append("SLACK_APP_TOKEN")
        if missing:
            raise ConfigError(f"set {', '.join(missing)} to serve Slack (see the README's Slack section)")
        return cls(env["SLACK_BOT_TOKEN"], env["SLACK_SIGNING_SECRET"], env.get("SLACK_APP_TOKEN") or None,
                   env.get("SLACK_API_URL") or None, env.get("ATHENA_BOT_QUICKSIGHT_URL") or None,
                   env.get("ATHENA_BOT_REVIEW_CHANNEL") or None)


@dataclass
class LocalSlackStack:
    """Everything `serve slack` runs locally, exposed so tests and benchmarks drive the same wiring."""

    app: SlackApp
    worker: Worker
    queue: Queue
    conversations: SQLiteConversationStore
    poster: SlackPoster
    settings: Settings

    def run_worker(self, stop: threading.Event) -> threading.Thread:
        """The worker and, beside it, the local digest scheduler."""
        run_scheduler(self.settings, self.queue, stop)  # type: ignore[arg-type]
        return run_in_thread(self.worker, stop)


def build_local_slack(settings: Settings, slack: SlackSettings, dashboards: Any = None) -> LocalSlackStack:
    """The local stack: the receiver, the local queue and worker, the poster.

    ``dashboards``: a DashboardPublisher for "Open in QuickSight" (tests; QuickSight is on AWS)."""
    from bot.curation import equip_worker, feedback_store
    from engine.answers.actions import encode_action

    local = local_intake(settings)
    client = web_client(slack.bot_token, slack.api_url)
    poster = SlackPoster(client, local.conversations, slack.quicksight_url, dashboards=dashboards is not None)
    worker = local_worker(settings, local.app.engine, local.queue, {"slack": poster})
    if dashboards is not None:
        equip_worker(worker, settings, feedback_store(settings), dashboards=dashboards)
    curation = SlackCuration(feedback_store(settings), lambda job: local.queue.send(encode_action(job)),
                             settings.steward_group, getattr(local.app.engine.verified, "store", None),
                             slack.review_channel, dashboards is not None)
    guide = guide_source(lambda: local.app.model, curation.suggestions)
    return LocalSlackStack(build_slack_app(local.intake, client, slack.signing_secret, guide, curation),
                           worker, local.queue, local.conversations, poster, settings)


def build_aws_slack_app(settings: Settings, slack: SlackSettings, aws: AwsSettings | None = None,
                        session: Any = None) -> SlackApp:
    """The receiver only: jobs go to SQS, conversations to DynamoDB; the worker service answers."""
    if session is None:
        import boto3

        session = boto3.Session()
    from adapters.aws.sqs_queue import SQSQueue
    from adapters.aws.clients import LazyClient
    from bot.curation import feedback_store, verified_store
    from engine.answers.actions import encode_action

    aws = aws or AwsSettings.from_env()
    intake = aws_intake(settings, aws, session, "Slack")
    queue = SQSQueue(LazyClient(session, "sqs"), aws.queue_url)
    curation = SlackCuration(feedback_store(settings, aws, session), lambda job: queue.send(encode_action(job)),
                             settings.steward_group, verified_store(settings, aws, session), slack.review_channel,
                             bool(os.environ.get("ATHENA_BOT_QUICKSIGHT_TEMPLATES")))
    guide = guide_source(functools.cache(lambda: _load_model(settings.model_path)), curation.suggestions)
    return build_slack_app(intake, web_client(slack.bot_token, slack.api_url), slack.signing_secret, guide, curation)


def guide_source(model: Callable[[], SemanticModel], verified: Callable[[], list[str]]) -> Callable[[], Guide]:
    """What the model answers, for the assistant's prompts and the App Home, with the verified
    questions first: built on first use (on Lambda not at cold start: it loads sqlglot and the
    rules) and again only when the verified questions change."""
    built: dict[tuple[str, ...], Guide] = {}

    def guide() -> Guide:
        from engine.guide import build_guide

        questions = tuple(verified())
        if questions not in built:
            built.clear()
            built[questions] = build_guide(model(), questions)
        return built[questions]

    return guide


def _load_model(path: str) -> SemanticModel:
    from engine.semantic_model import load_model

    return load_model(path)


def register_chat_posters(app: AwsApp, env: dict[str, str] | None = None) -> AwsApp:
    """The AWS worker's posters for the chat platforms configured (Slack, Teams).

    ``env`` is the environment with the chat secrets filled in (``bot.aws_settings.with_secrets``).
    The Teams SDK is imported only when Teams is configured.
    """
    env = dict(os.environ if env is None else env)
    if env.get("MICROSOFT_APP_ID"):
        from bot.teams import register_teams_poster

        register_teams_poster(app, env)
    token = env.get("SLACK_BOT_TOKEN")
    if token:
        app.poster.register("slack", SlackPoster(web_client(token, env.get("SLACK_API_URL")),
                                                 app.engine.conversations,
                                                 env.get("ATHENA_BOT_QUICKSIGHT_URL") or None,
                                                 dashboards=app.dashboards is not None))
    return app


def embed_routes(backend: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The QuickSight embed route beside the Slack endpoint, when embedding is configured (AWS)."""
    from adapters.aws.quicksight import QuickSightSettings

    quicksight = QuickSightSettings.from_env(dict(os.environ if env is None else env)) if backend == "aws" else None
    if quicksight is None or not quicksight.embed_url or not quicksight.embed_secret:
        return {}
    import boto3

    from adapters.aws.quicksight_embed import ROUTE, EmbedRoute

    client = boto3.client("quicksight", region_name=quicksight.region)
    return {ROUTE: EmbedRoute(client, quicksight.account_id, quicksight.embed_secret)}


def serve_slack(settings: Settings, host: str, port: int, socket: bool, backend: str) -> int:
    from adapters.slack.server import HttpServer, socket_mode_handler

    slack = SlackSettings.from_env(socket=socket)
    stop = stop_on_signals()
    if backend == "aws":
        app = build_aws_slack_app(settings, slack)
    else:
        stack = build_local_slack(settings, slack)
        app = stack.app
        stack.run_worker(stop)
        log.info("local worker running (lake %s)", settings.lake)
    if socket:
        handler = socket_mode_handler(app, slack.app_token or "")
        handler.connect()
        log.info("connected to Slack in Socket Mode")
        stop.wait()
        handler.close()
        return 0
    server = HttpServer(app, host, port, routes=embed_routes(backend)).start()
    log.info("Slack events at %s", server.url)
    stop.wait()
    server.stop()
    return 0
