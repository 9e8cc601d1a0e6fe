"""Composition of the Teams surface: `athena-bot serve teams`.

Without AWS configuration one process serves the whole local stack: the endpoint enqueues on the
local queue and a worker thread posts proactive cards back through the same adapter. With
ATHENA_BOT_BACKEND=aws the endpoint enqueues on SQS and the worker service posts.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from adapters.local.sqlite_store import SQLiteConversationStore
from adapters.teams.agent import TeamsAgent
from adapters.teams.chart_links import ChartSigner, LocalChartStore, S3ChartStore
from adapters.teams.poster import TeamsPoster
from adapters.teams.verified import TeamsCuration
from adapters.teams.server import TeamsServer, auth_configuration, build_adapter, build_web_app
from bot.bootstrap import aws_intake, local_intake, local_worker, run_in_thread, run_scheduler, stop_on_signals
from bot.settings import Settings
from engine.ports import Queue
from engine.worker import Worker

if TYPE_CHECKING:
    from bot.bootstrap import AwsApp

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TeamsSettings:
    app_id: str | None = None  # Azure Bot registration; empty: authentication off (local only)
    app_secret: str | None = None
    tenant_id: str | None = None
    public_url: str | None = None  # how Teams reaches this server (chart images), if not the bind address
    quicksight_url: str | None = None
    chart_link_key: str | None = None  # signs chart links (the worker signs, the endpoint checks)
    charts_bucket: str | None = None  # AWS: chart images in S3, served by the endpoint re-signed

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "TeamsSettings":
        env = dict(os.environ if env is None else env)
        return cls(env.get("MICROSOFT_APP_ID") or None, env.get("MICROSOFT_APP_PASSWORD") or None,
                   env.get("MICROSOFT_APP_TENANT_ID") or None, env.get("TEAMS_PUBLIC_URL") or None,
                   env.get("ATHENA_BOT_QUICKSIGHT_URL") or None,
                   env.get("ATHENA_BOT_CHART_LINK_KEY") or env.get("MICROSOFT_APP_PASSWORD") or None,
                   env.get("ATHENA_BOT_CHARTS_BUCKET") or None)


@dataclass
class LocalTeamsStack:
    server: TeamsServer
    worker: Worker
    queue: Queue
    conversations: SQLiteConversationStore
    poster: TeamsPoster
    settings: Settings

    def run_worker(self, stop: threading.Event) -> threading.Thread:
        """The worker and, beside it, the local digest scheduler."""
        run_scheduler(self.settings, self.queue, stop)  # type: ignore[arg-type]
        return run_in_thread(self.worker, stop)


def build_local_teams(settings: Settings, teams: TeamsSettings, host: str = "127.0.0.1",
                      port: int = 3978) -> LocalTeamsStack:
    """The endpoint (started) and the worker (not started) of the local stack."""
    from bot.curation import feedback_store
    from engine.answers.actions import encode_action

    local = local_intake(settings)
    config = auth_configuration(teams.app_id, teams.app_secret, teams.tenant_id)
    adapter = build_adapter(config)
    charts = LocalChartStore(settings.home / "teams-charts")
    signer = ChartSigner(teams.chart_link_key)
    curation = TeamsCuration(feedback_store(settings), lambda job: local.queue.send(encode_action(job)),
                             settings.steward_group, getattr(local.app.engine.verified, "store", None))
    server = TeamsServer(build_web_app(TeamsAgent(local.intake, curation), adapter, config, charts, signer),
                         host, port).start()
    poster = TeamsPoster(adapter, local.conversations, teams.app_id, charts, teams.quicksight_url,
                         chart_base_url=teams.public_url or server.base_url, signer=signer)
    poster.loop = server.loop  # proactive sends run on the loop the adapter serves from
    worker = local_worker(settings, local.app.engine, local.queue, {"teams": poster})
    return LocalTeamsStack(server, worker, local.queue, local.conversations, poster, settings)


def build_aws_teams_server(settings: Settings, teams: TeamsSettings, host: str, port: int,
                           session: Any = None) -> TeamsServer:
    """The endpoint only: jobs go to SQS, references and conversations to DynamoDB."""
    import boto3

    from adapters.aws.sqs_queue import SQSQueue
    from bot.aws_settings import AwsSettings
    from bot.curation import feedback_store, verified_store
    from engine.answers.actions import encode_action

    aws, session = AwsSettings.from_env(), session or boto3.Session()
    intake = aws_intake(settings, aws, session, "Teams")
    queue = SQSQueue(session.client("sqs"), aws.queue_url)
    curation = TeamsCuration(feedback_store(settings, aws, session), lambda job: queue.send(encode_action(job)),
                             settings.steward_group, verified_store(settings, aws, session),
                             bool(os.environ.get("ATHENA_BOT_QUICKSIGHT_TEMPLATES")))
    config = auth_configuration(teams.app_id, teams.app_secret, teams.tenant_id)
    charts = S3ChartStore(session.client("s3"), teams.charts_bucket) if teams.charts_bucket else None
    return TeamsServer(build_web_app(TeamsAgent(intake, curation), build_adapter(config), config, charts,
                                     ChartSigner(teams.chart_link_key)), host, port).start()


def register_teams_poster(app: AwsApp, env: dict[str, str] | None = None) -> AwsApp:
    """The AWS worker's Teams poster when MICROSOFT_APP_ID is set; charts go to S3 and cards link to
    them through the Teams endpoint (TEAMS_PUBLIC_URL), which re-signs on every fetch."""
    env = dict(os.environ if env is None else env)
    teams = TeamsSettings.from_env(env)
    if not teams.app_id:
        return app
    from adapters.aws.clients import LazyClient

    charts = S3ChartStore(LazyClient(app.session, "s3"), teams.charts_bucket) if teams.charts_bucket else None
    if charts is not None and not teams.public_url:
        log.warning("ATHENA_BOT_CHARTS_BUCKET is set but TEAMS_PUBLIC_URL is not: Teams cards go without charts")
    config = auth_configuration(teams.app_id, teams.app_secret, teams.tenant_id)
    app.poster.register("teams", TeamsPoster(build_adapter(config), app.engine.conversations, teams.app_id,
                                             charts, teams.quicksight_url, chart_base_url=teams.public_url,
                                             signer=ChartSigner(teams.chart_link_key),
                                             dashboards=app.dashboards is not None))
    return app


def serve_teams(settings: Settings, host: str, port: int, backend: str) -> int:
    stop = stop_on_signals()
    teams = TeamsSettings.from_env()
    if not teams.app_id:
        log.warning("MICROSOFT_APP_ID is not set: authentication is OFF (local development only)")
    if backend == "aws":
        server = build_aws_teams_server(settings, teams, host, port)
    else:
        stack = build_local_teams(settings, teams, host, port)
        server = stack.server
        stack.run_worker(stop)
        log.info("local worker running (lake %s)", settings.lake)
    log.info("Teams messages at %s/api/messages", server.base_url)
    stop.wait()
    server.stop()
    return 0
