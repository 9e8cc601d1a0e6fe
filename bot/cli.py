"""The `athena-bot` command line."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import io
import json
import sys
from pathlib import Path
from typing import TextIO

import yaml

from adapters.local.sqlite_store import SQLiteConversationStore
from adapters.terminal.poster import chart_file_name
from adapters.terminal.render import answer_record, render_text
from bot.aws_settings import ConfigError
from bot.batch import answer_lines
from bot.bootstrap import LakeMissing, LocalApp, build_local, ensure_sample_lake
from bot.settings import Settings
from bot.sql_command import add_sql_parser, run_sql
from engine.domain import Answer, Principal, ReplyTarget
from engine.errors import ModelError, Refused
from engine.service import failure_answer

CLI_USER = "cli-user"  # the user id `ask` resolves through the IdentityResolver


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from err


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="athena-bot", description="Ask questions about company data.")
    sub = parser.add_subparsers(dest="command", required=True)

    lake = sub.add_parser("sample-lake", help="build the deterministic sample lake")
    lake.add_argument("--lake", required=True, help="folder to write the lake to")
    lake.add_argument("--scale", type=float, default=1.0, help="1 = ~150k orders (default)")
    lake.add_argument("--seed", type=int, default=42)

    ask = sub.add_parser("ask", help="answer a question (or jsonl questions from stdin with '-')")
    ask.add_argument("question", help="the question, or '-' to read jsonl from stdin")
    ask.add_argument("--lake", help="lake folder (default: $ATHENA_BOT_LAKE, then .athena-bot/lake)")
    ask.add_argument("--model", help="semantic model YAML (default: $ATHENA_BOT_MODEL, then the sample's)")
    ask.add_argument("--as-of", type=_date, help="the date 'today' means (default: today)")
    ask.add_argument("--format", choices=["text", "json", "jsonl"], default="text")
    ask.add_argument("--charts-dir", type=Path, help="where chart PNGs go (default .athena-bot/charts)")
    ask.add_argument("--no-chart", action="store_true", help="do not render charts")

    demo = sub.add_parser("demo", help="build the sample lake if needed and run example questions")
    demo.add_argument("--lake")
    demo.add_argument("--scale", type=float, default=1.0)

    catalog = sub.add_parser("catalog", help="list the lake's tables and columns")
    catalog.add_argument("--lake")

    submit = sub.add_parser("submit", help="put a question on the queue for the worker to answer")
    submit.add_argument("question")
    submit.add_argument("--as-of", type=_date)
    submit.add_argument("--thread", help="conversation thread id (follow-ups share one)")

    sub.add_parser("refresh-values", help="AWS: read dimension values with Athena into ATHENA_BOT_VALUES_FILE")

    serve = sub.add_parser("serve", help="serve a chat surface (with the local worker when not on AWS)")
    serve_sub = serve.add_subparsers(dest="surface", required=True)
    slack = serve_sub.add_parser("slack", help="the Slack app: HTTP events endpoint or Socket Mode")
    slack.add_argument("--port", type=int, default=3000)
    slack.add_argument("--host", default="127.0.0.1", help="interface to bind (0.0.0.0 behind a load balancer)")
    slack.add_argument("--socket", action="store_true", help="Socket Mode (needs SLACK_APP_TOKEN)")
    slack.add_argument("--lake", help="local backend: the lake folder")
    teams = serve_sub.add_parser("teams", help="the Teams endpoint at /api/messages (Microsoft 365 Agents SDK)")
    teams.add_argument("--port", type=int, default=3978)
    teams.add_argument("--host", default="127.0.0.1", help="interface to bind (0.0.0.0 behind a load balancer)")
    teams.add_argument("--lake", help="local backend: the lake folder")
    web = serve_sub.add_parser("web", help="the web chat (Streamlit); on the embedded default with the local worker")
    web.add_argument("--port", type=int, default=8501)
    web.add_argument("--host", default="127.0.0.1", help="interface to bind (0.0.0.0 behind a load balancer)")
    web.add_argument("--lake", help="local backend: the lake folder")

    model = sub.add_parser("semantic-model", help="work with semantic models")
    model_sub = model.add_subparsers(dest="model_command", required=True)
    init = model_sub.add_parser("init", help="draft a semantic model YAML for a lake")
    init.add_argument("--lake", required=True, help="lake folder (database/table/*.parquet)")
    init.add_argument("--out", type=Path, help="write the YAML here (default: print it)")
    init.add_argument("--name", default="drafted", help="model name")

    from bot.curation import add_parsers

    add_parsers(sub)  # verified list|add|remove, feedback list

    digests = sub.add_parser("digests", help="list, pause, resume, delete scheduled digests; run the due ones")
    digests.add_argument("action", choices=["list", "pause", "resume", "delete", "run-due"])
    digests.add_argument("digest_id", nargs="?", help="the digest (pause, resume, delete)")
    digests.add_argument("--now", help="run-due: the instant to run what is due at (ISO date-time; default now)")
    digests.add_argument("--lake", help="local backend: the lake folder")

    teams_manifest = sub.add_parser("teams-manifest",
                                    help="write the Teams app manifest's prompt starters from the semantic model")
    teams_manifest.add_argument("--model", help="semantic model YAML (default: ATHENA_BOT_MODEL or the sample)")
    teams_manifest.add_argument("--manifest", type=Path, default=Path("deploy/teams/manifest.json"))
    teams_manifest.add_argument("--out", type=Path, help="write here (default: rewrite --manifest)")

    worker = sub.add_parser("worker", help="run the queue worker (SQS when ATHENA_BOT_BACKEND=aws)")
    worker.add_argument("--lake", help="local backend: the lake folder")
    worker.add_argument("--idle-exit", type=float, help="stop after this many seconds without work")

    add_sql_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env().with_lake(getattr(args, "lake", None))
        if getattr(args, "model", None):
            settings = dataclasses.replace(settings, model_path=Path(args.model))
    except ValueError as err:
        print(f"athena-bot: bad configuration: {err}", file=sys.stderr)
        return 2
    try:
        if args.command == "sample-lake":
            from adapters.local.sample_lake import build_sample_lake  # numpy/pandas: only here

            summary = build_sample_lake(Path(args.lake), scale=args.scale, seed=args.seed)
            for table, rows in summary.rows.items():
                print(f"{table:22} {rows:>9,} rows")
            print(f"Sample lake written to {summary.path}")
            return 0
        if args.command == "serve":
            from bot.service import backend

            if args.surface == "teams":
                from bot.teams import serve_teams

                return serve_teams(settings, args.host, args.port, backend())
            if args.surface == "web":
                from bot.web import serve_web

                return serve_web(settings, args.host, args.port, backend())
            from bot.slack import serve_slack

            return serve_slack(settings, args.host, args.port, args.socket, backend())
        if args.command == "semantic-model":
            return _init_model(Path(args.lake), args.out, args.name)
        if args.command == "teams-manifest":
            from adapters.teams.manifest import write_manifest
            from engine.semantic_model import load_model

            print(f"Prompt starters written to {write_manifest(args.manifest, load_model(settings.model_path), args.out)}")
            return 0
        if args.command == "demo":
            from bot.demo import run_demo

            return run_demo(settings, scale=args.scale)
        if args.command == "catalog":
            return _catalog(settings)
        if args.command == "sql":
            return run_sql(args, settings)
        if args.command == "submit":
            from bot.service import submit

            print(submit(settings, args.question, args.as_of, args.thread))
            return 0
        if args.command == "refresh-values":
            from bot.service import refresh_values

            print(f"Dimension values written to {refresh_values(settings)}")
            return 0
        if args.command in ("verified", "feedback"):
            from bot.curation import run_feedback, run_verified

            return run_verified(args, settings) if args.command == "verified" else run_feedback(args, settings)
        if args.command == "digests":
            from bot.digests import run as digests

            return digests(settings, args.action, args.digest_id, args.now)
        if args.command == "worker":
            from bot.service import run_worker

            return run_worker(settings, idle_exit=args.idle_exit)
        return _ask(args, settings, sys.stdin, sys.stdout)
    except (LakeMissing, ModelError, ConfigError) as err:
        print(f"athena-bot: {err}", file=sys.stderr)
        return 2


def _init_model(lake: Path, out: Path | None, name: str) -> int:
    from adapters.local.profile import profile_lake
    from engine.model_draft import draft_model, render_model

    profiles = profile_lake(lake)
    if not profiles:
        print(f"athena-bot: no tables under {lake} (expected database/table/*.parquet)", file=sys.stderr)
        return 2
    text = render_model(draft_model(profiles, name), f"athena-bot semantic-model init --lake {lake}")
    if out is None:
        sys.stdout.write(text)
        return 0
    out.write_text(text, encoding="utf-8")
    drafted = yaml.safe_load(text)
    print(f"Drafted {out}: {len(drafted['tables'])} tables, {len(drafted['joins'])} joins, "
          f"{len(drafted['metrics'])} metrics, {len(drafted['dimensions'])} dimensions, "
          f"{len(drafted['entities'])} entities. Review it, then point ATHENA_BOT_MODEL at it.")
    return 0


def _catalog(settings: Settings) -> int:
    ensure_sample_lake(settings)
    app = build_local(settings, charts=False)
    for table in app.catalog.tables():
        parts = f"  partitioned by {', '.join(table.partition_keys)}" if table.partition_keys else ""
        print(f"{table.qualified_name}{parts}")
        for column in table.columns:
            print(f"    {column.name:16} {column.type}")
    return 0


def _ask(args: argparse.Namespace, settings: Settings, stdin: TextIO, stdout: TextIO) -> int:
    from bot.service import backend

    if backend() == "aws":
        print("athena-bot: `ask` answers on the embedded default; with ATHENA_BOT_BACKEND=aws use "
              "`athena-bot submit` and a running worker", file=sys.stderr)
        return 2
    ensure_sample_lake(settings)
    as_of = args.as_of or settings.as_of
    charts = not args.no_chart and args.format != "jsonl"
    app = build_local(settings, conversations=SQLiteConversationStore(":memory:"), charts=charts)
    principal = _cli_principal(app, settings)
    charts_dir = args.charts_dir or settings.charts_dir

    if args.format == "jsonl":
        if args.question != "-":
            print("athena-bot: --format jsonl reads questions from stdin; pass '-'", file=sys.stderr)
            return 2
        lines = getattr(stdin, "buffer", None) or io.BytesIO(stdin.read().encode("utf-8", "surrogateescape"))
        answer_lines(app, principal, lines, stdout, as_of)
        return 1 if isinstance(principal, Refused) else 0

    question = _read_question(stdin) if args.question == "-" else args.question
    if isinstance(principal, Refused):
        answer = failure_answer(question, principal)
    else:
        answer = app.engine.ask(question, principal, as_of, charts=charts)
    chart_path = _save_chart(answer, charts_dir)
    if args.format == "json":
        record = answer_record(answer)
        record.update({"summary": answer.message if answer.status == "answered" else None,
                       "chart": chart_path, "options": answer.options,
                       "elapsed_ms": round(answer.elapsed_ms or 0, 1), "verified_by": answer.verified_by})
        stdout.write(json.dumps(record, indent=2) + "\n")
    else:
        stdout.write(render_text(answer, chart_path) + "\n")
    return 0 if answer.status in ("answered", "clarify") else 1


def _read_question(stdin: TextIO) -> str:
    """The question from stdin; bytes that are not UTF-8 become U+FFFD rather than a traceback."""
    buffer = getattr(stdin, "buffer", None)
    return (buffer.read().decode("utf-8", "replace") if buffer is not None else stdin.read()).strip()


def _cli_principal(app: LocalApp, settings: Settings) -> Principal | Refused:
    """Who the command line asks as (user id "cli-user"), or the identity file's refusal."""
    try:
        return app.identity.resolve("cli", CLI_USER)
    except Refused as err:
        where = settings.identity_file or "ATHENA_BOT_IDENTITY_FILE"
        return Refused(f"{err} (The command line asks as user id \"{CLI_USER}\": add it to a user's "
                       f"aliases in {where}.)")


def _save_chart(answer: Answer, charts_dir: Path) -> str | None:
    if not answer.chart_png:
        return None
    charts_dir.mkdir(parents=True, exist_ok=True)
    path = charts_dir / chart_file_name(ReplyTarget("cli", "cli"), answer)
    path.write_bytes(answer.chart_png)
    return str(path)


if __name__ == "__main__":
    sys.exit(main())
