"""Composition of verified answers and feedback, and their commands:
`athena-bot verified list|add|remove` and `athena-bot feedback list`.

Locally verified questions live in a YAML file beside the semantic model (the shipped sample
model's in ATHENA_BOT_HOME, so nothing is written into the package) and feedback in the state
file; on AWS both live in DynamoDB (ATHENA_BOT_VERIFIED_TABLE, ATHENA_BOT_FEEDBACK_TABLE).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from adapters.local.feedback_store import SQLiteFeedbackStore
from adapters.local.verified_file import VerifiedFile, beside_model
from bot.aws_settings import AwsSettings
from bot.settings import SAMPLE_MODEL, Settings
from engine.answers.actions import ActionRunner
from engine.answers.feedback import Feedback, FeedbackStore, review_line
from engine.answers.records import AnswerLog
from engine.answers.verified import VerifiedAnswers, VerifiedFormatError, VerifiedQuestion, VerifiedStore
from engine.domain import Answer, ReplyTarget
from engine.errors import BotError, Refused
from engine.ports import ReplyPoster

if TYPE_CHECKING:  # the Slack receiver wires the stores from here and must not load the engine
    from engine.service import QueryEngine


def verified_path(settings: Settings) -> Path:
    if settings.verified_file is not None:
        return settings.verified_file
    if settings.model_path.resolve() == SAMPLE_MODEL.resolve():
        return settings.home / "sample.verified.yaml"
    return beside_model(settings.model_path)


def verified_store(settings: Settings, aws: AwsSettings | None = None, session: Any = None) -> VerifiedStore:
    """DynamoDB when the AWS settings name ATHENA_BOT_VERIFIED_TABLE, else the YAML file."""
    if aws is not None and aws.verified_table:
        from adapters.aws.curation import DynamoVerifiedStore

        return DynamoVerifiedStore(_client(session, "dynamodb"), aws.verified_table)
    return VerifiedFile(verified_path(settings))


def feedback_store(settings: Settings, aws: AwsSettings | None = None, session: Any = None) -> FeedbackStore:
    """DynamoDB when the AWS settings name ATHENA_BOT_FEEDBACK_TABLE, else the local state file."""
    if aws is not None and aws.feedback_table:
        from adapters.aws.curation import DynamoFeedbackStore

        return DynamoFeedbackStore(_client(session, "dynamodb"), aws.feedback_table)
    return SQLiteFeedbackStore(settings.state_path)


def _aws_settings() -> AwsSettings | None:
    """The AWS settings when the commands run against the AWS backend."""
    if os.environ.get("ATHENA_BOT_BACKEND", "local").strip().lower() != "aws":
        return None
    return AwsSettings.from_env()


def _client(session: Any, service: str) -> Any:
    import boto3

    return (session or boto3.Session()).client(service)


def attach_verified(engine: QueryEngine, store: VerifiedStore) -> VerifiedAnswers:
    engine.verified = VerifiedAnswers(store, engine)
    return engine.verified


def equip_worker(worker: Any, settings: Settings, feedback: FeedbackStore, *, dashboards: Any = None,
                 cleanup: Any = None) -> Any:
    """The worker's clicks (Mark as verified, Open in QuickSight), its answer records, and flags
    of broken verified questions told to their stewards."""
    engine: QueryEngine = worker.engine
    worker.answer_log = AnswerLog(engine.conversations) if engine.conversations is not None else None
    if worker.answer_log is not None:
        worker.actions = ActionRunner(engine, worker.answer_log, verified=engine.verified,
                                      steward_group=settings.steward_group, dashboards=dashboards,
                                      cleanup=cleanup)
    if engine.verified is not None:
        engine.verified.on_flag = flag_notifier(worker.poster, feedback)
    return worker


def flag_notifier(poster: ReplyPoster, feedback: FeedbackStore) -> Any:
    """Tells the steward where they verified a question that it is not used any more, and puts it
    in the review queue."""
    def notify(item: VerifiedQuestion, reason: str) -> None:
        feedback.add(Feedback(item.id, "down", item.steward, item.question, item.sql, kind="flagged",
                              note=reason))
        if item.notify:
            target = ReplyTarget(str(item.notify["platform"]), str(item.notify["channel"]),
                                 item.notify.get("thread"), dict(item.notify.get("extra") or {}))
            poster.post(target, Answer(
                status="error", question=item.question,
                answer_id=uuid.uuid5(uuid.NAMESPACE_URL, f"flag:{item.id}:{item.verified_at}").hex,
                message=f"The verified question \"{item.question}\" is not used any more: {reason}. "
                        f"Questions like it are answered the normal way until you verify it again or "
                        f"remove it (athena-bot verified remove {item.id})."))
    return notify


# -- the commands -----------------------------------------------------------------------------
def add_parsers(sub: Any) -> None:
    verified = sub.add_parser("verified", help="list, add or remove verified questions")
    vsub = verified.add_subparsers(dest="verified_command", required=True)
    vlist = vsub.add_parser("list", help="the verified questions, each checked with the guard")
    vlist.add_argument("--format", choices=["text", "json"], default="text")
    vadd = vsub.add_parser("add", help="verify a question: its semantic query (or --sql) is stored")
    vadd.add_argument("question")
    vadd.add_argument("--steward", required=True, help="the steward's email")
    vadd.add_argument("--name", default="", help="the steward's name, shown in the badge")
    vadd.add_argument("--sql", help="the Athena SQL, for a question outside the model")
    vadd.add_argument("--as-of", type=dt.date.fromisoformat, help="the date 'today' means for its time words")
    vadd.add_argument("--lake")
    vremove = vsub.add_parser("remove", help="remove a verified question by id")
    vremove.add_argument("id")
    feedback = sub.add_parser("feedback", help="feedback on answers and the stewards' review queue")
    fsub = feedback.add_subparsers(dest="feedback_command", required=True)
    flist = fsub.add_parser("list", help="votes and flags, newest first")
    flist.add_argument("--review", action="store_true", help="only what stewards review: 👎 and flags")
    flist.add_argument("--format", choices=["text", "json"], default="text")
    flist.add_argument("--limit", type=int, default=100)


def run_verified(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    store = verified_store(settings, _aws_settings())
    try:
        if args.verified_command == "remove":
            if store.remove(args.id):
                print(f"Removed verified question {args.id}.", file=out)
                return 0
            print(f"athena-bot: no verified question {args.id} (see `athena-bot verified list`)", file=sys.stderr)
            return 1
        if args.verified_command == "add":
            return _add(args, settings, store, out)
        return _list(args, settings, store, out)
    except VerifiedFormatError as err:
        print(f"athena-bot: {err}", file=sys.stderr)
        return 2


def _engine(settings: Settings, store: VerifiedStore) -> QueryEngine:
    from bot.bootstrap import build_local, ensure_sample_lake

    ensure_sample_lake(settings)
    engine = build_local(settings, charts=False).engine
    engine.verified = VerifiedAnswers(store, engine)
    return engine


def _list(args: argparse.Namespace, settings: Settings, store: VerifiedStore, out: TextIO) -> int:
    items = store.all()
    checked = _engine(settings, store).verified if items else None
    rows = []
    for item in items:
        problem = checked.problem(item) if checked else None
        status = f"flagged: {item.flagged}" if item.flagged else f"broken: {problem}" if problem else "ok"
        rows.append({**item.to_dict(), "status": status})
    if args.format == "json":
        out.write(json.dumps(rows, indent=2) + "\n")
        return 0
    if not rows:
        print(f"No verified questions yet ({store.path if isinstance(store, VerifiedFile) else 'DynamoDB'}).", file=out)
    for row in rows:
        print(f"{row['id']}  {row['question']}\n    verified by {row.get('steward_name') or row['steward']} "
              f"on {row['verified_at'][:10]}; {row['status']}", file=out)
    return 0


def _add(args: argparse.Namespace, settings: Settings, store: VerifiedStore, out: TextIO) -> int:
    if settings.steward_group and settings.identity_file:
        from adapters.local.identity import FileIdentity

        try:
            steward = FileIdentity(settings.identity_file).resolve("cli", args.steward, args.steward)
        except Refused as err:
            print(f"athena-bot: {args.steward}: {err}", file=sys.stderr)
            return 1
        if settings.steward_group not in steward.groups:
            print(f"athena-bot: {args.steward} is not in the steward group {settings.steward_group!r}",
                  file=sys.stderr)
            return 1
    engine = _engine(settings, store)
    as_of = args.as_of or settings.as_of or dt.date.today()
    try:
        if args.sql:
            from engine.compiler import to_athena_sql

            checked = engine.guard.check(args.sql, engine.system_principal)
            query, sql = None, getattr(checked, "athena_sql", None) or to_athena_sql(checked)
        else:
            prepared = engine.prepare(args.question, engine.system_principal, as_of)
            query, sql = prepared.query, prepared.sql
    except BotError as err:
        print(f"athena-bot: not verified: {err}", file=sys.stderr)
        return 1
    item = VerifiedQuestion(args.question, sql, args.steward, query.to_dict() if query else None,
                            steward_name=args.name, as_of=as_of.isoformat())
    store.put(item)
    print(f"Verified {item.id}: \"{item.question}\" (by {item.badge}).", file=out)
    return 0


def run_feedback(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    items = feedback_store(settings, _aws_settings()).list(review_only=args.review, limit=args.limit)
    if args.format == "json":
        out.write(json.dumps([i.to_dict() for i in items], indent=2, ensure_ascii=False) + "\n")
        return 0
    if not items:
        print("No feedback yet.", file=out)
    for item in items:
        print(review_line(item), file=out)
    return 0
