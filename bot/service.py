"""Long-running services: the queue worker (`athena-bot worker`, e.g. on ECS)."""

from __future__ import annotations

import datetime as dt
import getpass
import logging
import os
import signal
import sys
import threading

from adapters.local.sqlite_store import SQLiteConversationStore, SQLiteIdempotency
from adapters.terminal.poster import ConsolePoster
from bot.bootstrap import build_local, ensure_sample_lake, local_queue
from bot.settings import Settings
from engine.domain import Principal, ReplyTarget
from engine.jobs import AskJob, encode_job
from engine.worker import Worker

log = logging.getLogger(__name__)


def backend(env: dict[str, str] | None = None) -> str:
    return (os.environ if env is None else env).get("ATHENA_BOT_BACKEND", "local").strip().lower()


def build_worker(settings: Settings) -> Worker:
    """The worker for the configured backend: SQS + Athena, or the local queue + DuckDB."""
    if backend() == "aws":
        from bot.aws_settings import AwsSettings
        from bot.bootstrap import build_aws

        # Chat adapters register their posters here; until one is configured, answers print.
        return build_aws(settings, AwsSettings.from_env(),
                         default_poster=ConsolePoster(settings.charts_dir)).worker
    ensure_sample_lake(settings)
    app = build_local(settings, conversations=SQLiteConversationStore(settings.state_path))
    return Worker(local_queue(settings), app.engine, ConsolePoster(settings.charts_dir),
                  SQLiteIdempotency(settings.state_path), max_receives=settings.max_receives,
                  default_as_of=settings.as_of)


def submit(settings: Settings, question: str, as_of: dt.date | None = None,
           thread: str | None = None) -> str:
    """Enqueue an AskJob from the command line; returns the job id."""
    target = ReplyTarget("cli", "cli", thread)
    if backend() == "aws":
        import boto3

        from adapters.aws.sqs_queue import SQSQueue
        from bot.aws_settings import AwsSettings

        queue = SQSQueue(boto3.client("sqs"), AwsSettings.from_env().queue_url)
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


def build_identity(settings: Settings):  # noqa: ANN201
    from bot.aws_settings import AwsSettings
    from bot.bootstrap import build_aws

    return build_aws(settings, AwsSettings.from_env()).identity


def run_worker(settings: Settings, idle_exit: float | None = None) -> int:
    """Long-poll the queue until SIGTERM/SIGINT (finishing the message in hand) or idle_exit."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    worker = build_worker(settings)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    log.info("worker started (backend %s)", backend())
    worker.run(should_stop=stop.is_set, wait_seconds=20 if backend() == "aws" else 1, idle_exit=idle_exit)
    log.info("worker stopped")
    return 0
