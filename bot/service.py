"""Long-running services: the queue worker (`athena-bot worker`, e.g. on ECS)."""

from __future__ import annotations

import datetime as dt
import getpass
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.bootstrap import build_local, ensure_sample_lake, local_queue, local_worker, stop_on_signals
from bot.settings import Settings
from engine.domain import Principal, ReplyTarget
from engine.jobs import AskJob, encode_job
from engine.ports import ConversationStore, IdentityResolver, ReplyPoster

if TYPE_CHECKING:
    from bot.bootstrap import AwsApp
    from engine.worker import Worker

log = logging.getLogger(__name__)


def backend(env: dict[str, str] | None = None) -> str:
    return (os.environ if env is None else env).get("ATHENA_BOT_BACKEND", "local").strip().lower()


def build_aws_app(settings: Settings, default_poster: Any = None) -> AwsApp:
    """The AWS worker with its chat posters; chat tokens come from Secrets Manager at run time."""
    import boto3

    from adapters.aws.clients import LazyClient
    from adapters.aws.secrets import JsonSecrets
    from bot.aws_settings import AwsSettings, with_secrets
    from bot.bootstrap import build_aws
    from bot.slack import register_chat_posters

    aws = AwsSettings.from_env()
    session = boto3.Session()
    secrets = JsonSecrets(LazyClient(session, "secretsmanager"), aws.secret_ttl_seconds)
    env = with_secrets(dict(os.environ), secrets)
    app = register_chat_posters(build_aws(settings, aws, session=session, default_poster=default_poster, env=env),
                                env)

    def rotate() -> None:  # a rotated token reaches warm workers without a redeploy
        nonlocal env
        fresh = with_secrets(dict(os.environ), secrets)
        if fresh != env:
            env = fresh
            register_chat_posters(app, env)

    app.refresh_hooks.append(rotate)
    return app


def build_worker(settings: Settings) -> Worker:
    """The worker for the configured backend: SQS + Athena, or the local queue + DuckDB."""
    if backend() == "aws":
        from adapters.terminal.poster import ConsolePoster

        # Answers for chat platforms go to their posters; anything else prints.
        return build_aws_app(settings, ConsolePoster(settings.charts_dir)).worker
    from adapters.local.sqlite_store import SQLiteConversationStore

    ensure_sample_lake(settings)
    conversations = SQLiteConversationStore(settings.state_path)
    app = build_local(settings, conversations=conversations)
    return local_worker(settings, app.engine, local_queue(settings), local_chat_posters(conversations))


def local_chat_posters(conversations: ConversationStore) -> dict[str, ReplyPoster]:
    """A stand-alone local worker answers Slack jobs in Slack when SLACK_BOT_TOKEN is set (rather
    than printing them). Teams answers need the adapter of the serving process (`serve teams`)."""
    token = os.environ.get("SLACK_BOT_TOKEN")
    if not token:
        return {}
    from adapters.slack.poster import SlackPoster, web_client

    return {"slack": SlackPoster(web_client(token, os.environ.get("SLACK_API_URL")), conversations,
                                 os.environ.get("ATHENA_BOT_QUICKSIGHT_URL") or None)}


def submit(settings: Settings, question: str, as_of: dt.date | None = None,
           thread: str | None = None) -> str:
    """Enqueue an AskJob from the command line; returns the job id."""
    target = ReplyTarget("cli", "cli", thread)
    if backend() == "aws":
        import boto3

        from adapters.aws.sqs_queue import SQSQueue
        from bot.aws_settings import AwsSettings

        queue: Any = SQSQueue(boto3.client("sqs"), AwsSettings.from_env().queue_url)
    else:
        queue = local_queue(settings)
    principal = Principal(user_id="cli:" + getpass.getuser(), email=os.environ.get(
        "ATHENA_BOT_USER_EMAIL", f"{getpass.getuser()}@localhost"), groups=("analysts",))
    if backend() == "aws":
        principal = build_identity(settings).resolve("cli", principal.user_id, principal.email)
    job = AskJob(question=question, principal=principal, reply_to=target,
                 as_of=as_of.isoformat() if as_of else None,
                 conversation_id=f"cli:{thread}" if thread else None)
    queue.send(encode_job(job))
    return job.job_id


def build_identity(settings: Settings) -> IdentityResolver:
    import boto3

    from bot.aws_settings import AwsSettings
    from bot.bootstrap import build_aws_identity

    return build_aws_identity(settings, AwsSettings.from_env(), boto3.Session())


def refresh_values(settings: Settings, poll_seconds: float = 2.0, timeout_seconds: float = 900) -> str:
    """Read dimension values and time ranges with one Athena query and write ATHENA_BOT_VALUES_FILE.

    An operator's (or scheduled) batch command, run with the process's own credentials; it is
    the one place that waits on a query, which the chat worker never does.
    """
    import uuid

    import boto3

    from adapters.aws.athena import AthenaExecutor
    from bot.aws_settings import AwsSettings, ConfigError
    from bot.bootstrap import fetch_model
    from bot.values import write_values
    from engine.semantic_model import load_model
    from engine.values import collect_ranges, collect_values, declared_values, values_file_body, values_query

    aws = AwsSettings.from_env()
    if not aws.values_file:
        raise ConfigError("ATHENA_BOT_VALUES_FILE must say where to write the values")
    session = boto3.Session()
    model = load_model(fetch_model(settings, session))
    sql = values_query(model)
    values, ranges = declared_values(model), {}
    if sql:
        executor = AthenaExecutor(lambda _p, service: session.client(service), workgroup=aws.workgroup,
                                  database=aws.database,
                                  output_location=aws.output_location, reuse_max_age_minutes=0)
        system = Principal("system", "athena-bot@system")
        execution_id = executor.start(sql, system, f"values-{uuid.uuid4().hex}")
        deadline = time.monotonic() + timeout_seconds
        while not (state := executor.status(execution_id, system)).finished:
            if time.monotonic() > deadline:
                executor.stop(execution_id, system)
                raise TimeoutError(f"values query {execution_id} did not finish in {timeout_seconds} s")
            time.sleep(poll_seconds)
        if state.state != "SUCCEEDED":
            raise RuntimeError(f"values query {execution_id} {state.state}: {state.reason}")
        table, _ = executor.fetch(execution_id, system, 1_000_000, state.output_location)
        values, ranges = collect_values(model, table.rows), collect_ranges(table.rows)
    write_values(aws.values_file, values_file_body(values, ranges),
                 session.client("s3") if aws.values_file.startswith("s3://") else None)
    return aws.values_file


def run_worker(settings: Settings, idle_exit: float | None = None) -> int:
    """Long-poll the queue until SIGTERM/SIGINT (finishing the message in hand) or idle_exit.

    Between polls the AWS worker picks up a refreshed values file, and every poll touches
    ``ATHENA_BOT_HEARTBEAT_FILE`` (if set): the container's HEALTHCHECK reads its age.
    """
    stop = stop_on_signals()
    app = build_aws_app(settings, _console(settings)) if backend() == "aws" else None
    worker = app.worker if app is not None else build_worker(settings)
    if app is None:  # on AWS, EventBridge Scheduler fires the digests
        from bot.bootstrap import run_scheduler

        run_scheduler(settings, worker.queue, stop)  # type: ignore[arg-type]
    heartbeat = Path(os.environ["ATHENA_BOT_HEARTBEAT_FILE"]) if os.environ.get("ATHENA_BOT_HEARTBEAT_FILE") else None

    def should_stop() -> bool:
        if heartbeat is not None:
            heartbeat.touch()
        if app is not None:
            app.refresh()
        return stop.is_set()

    log.info("worker started (backend %s)", backend())
    wait = 20 if backend() == "aws" else 1  # SQS long polling at most 20 s
    if idle_exit is not None:  # no poll longer than the idle time that ends the worker
        wait = max(1, min(wait, int(idle_exit)))
    worker.run(should_stop=should_stop, wait_seconds=wait, idle_exit=idle_exit)
    log.info("worker stopped")
    return 0


def _console(settings: Settings) -> Any:
    from adapters.terminal.poster import ConsolePoster

    return ConsolePoster(settings.charts_dir)
