"""`athena-bot digests list|pause ID|resume ID|delete ID|run-due [--now ISO-DATETIME]`: the
operator's view of the digest store (local SQLite, or DynamoDB with the AWS backend)."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TextIO

from bot.settings import Settings
from engine.digests.model import Digest
from engine.digests.schedule import ScheduleError, local_text, parse_instant
from engine.digests.service import DigestNotFound, DigestService, status_line


def digest_service(settings: Settings) -> DigestService:
    from bot.service import backend

    if backend() == "aws":
        from bot.aws_digests import aws_digest_service

        return aws_digest_service(settings)
    from bot.bootstrap import local_digests

    return local_digests(settings)


def run(settings: Settings, action: str, digest_id: str | None, now: str | None,
        out: TextIO = sys.stdout) -> int:
    try:
        instant = parse_instant(now) if now else None
    except ScheduleError as err:
        print(f"athena-bot: {err}", file=sys.stderr)
        return 2
    service = digest_service(settings)
    if action == "list":
        digests = sorted(service.store.list(), key=lambda d: d.created_at)
        for digest in digests:
            out.write(_line(digest) + "\n")
        if not digests:
            out.write("No digests.\n")
        return 0
    if action == "run-due":
        return run_due(settings, service, instant, out)
    if not digest_id:
        print(f"athena-bot: digests {action} needs a digest id (see `athena-bot digests list`)", file=sys.stderr)
        return 2
    try:
        if action == "pause":
            digest = service.pause(digest_id, None, reason="paused by an operator")
        elif action == "resume":
            digest = service.resume(digest_id, None)
        else:
            digest = service.delete(digest_id, None)
            out.write(f"Deleted digest {digest.digest_id}: {digest.question}\n")
            return 0
    except DigestNotFound as err:
        print(f"athena-bot: {err}", file=sys.stderr)
        return 1
    out.write(_line(digest) + "\n")
    return 0


def _line(digest: Digest) -> str:
    return (f"{digest.digest_id}  {digest.state:7}  {digest.owner.email}  -> {digest.target.get('platform')}:"
            f"{digest.target.get('channel')}  \"{digest.question}\"\n    {status_line(digest)}")


def run_due(settings: Settings, service: DigestService, now: dt.datetime | None, out: TextIO) -> int:
    """Enqueue what is due at ``now`` once; locally, also run the worker until those jobs are done."""
    from bot.service import backend
    from engine.digests.scheduler import LocalScheduler

    if backend() == "aws":
        from adapters.aws.sqs_queue import SQSQueue
        from bot.aws_settings import AwsSettings

        import boto3

        queue = SQSQueue(boto3.client("sqs"), AwsSettings.from_env().queue_url)
        jobs = LocalScheduler(service, queue).tick(now)
        for job in jobs:
            out.write(f"enqueued digest {job.digest_id} for {job.scheduled_for} (job {job.job_id})\n")
        out.write(f"{len(jobs)} digest run(s) enqueued on SQS; the worker service posts them.\n")
        return 0
    from adapters.local.sqlite_store import SQLiteConversationStore
    from bot.bootstrap import build_local, ensure_sample_lake, local_queue, local_worker
    from bot.service import local_chat_posters

    queue = local_queue(settings)
    jobs = LocalScheduler(service, queue).tick(now)
    for job in jobs:
        digest = service.store.get(job.digest_id)
        when = local_text(parse_instant(job.scheduled_for), digest.schedule.timezone) if digest else job.scheduled_for
        out.write(f"running digest {job.digest_id} for {when} (job {job.job_id})\n")
    if jobs:
        ensure_sample_lake(settings)
        conversations = SQLiteConversationStore(settings.state_path)
        app = build_local(settings, conversations=conversations)
        worker = local_worker(settings, app.engine, queue, local_chat_posters(conversations))
        while worker.run_once(wait_seconds=0, max_messages=10):
            pass
        for job in jobs:
            digest = service.store.get(job.digest_id)
            if digest is not None:
                out.write(f"  {digest.digest_id}: {digest.last_outcome or 'not run'} ({digest.state})\n")
    out.write(f"{len(jobs)} digest run(s) due.\n")
    return 0
