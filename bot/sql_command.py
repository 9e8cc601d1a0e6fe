"""`athena-bot sql check|run`: vet SQL against the guard, or run one guarded SELECT as a user.

Data teams use it before adding a verified question; the tests use it too. Both answer on the
embedded default (the local lake and identities), as `ask` does.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from adapters.terminal.render import json_value
from bot.settings import Settings
from engine.domain import Answer, Principal
from engine.errors import BotError, Refused
from engine.formatting import text_table

CLI_USER = "cli-user"


def add_sql_parser(sub: Any) -> None:  # noqa: ANN401 - argparse's subparsers action
    """Register `sql check` and `sql run` on the top-level subparsers."""
    sql = sub.add_parser("sql", help="check SQL against the guard, or run one guarded SELECT")
    sql_sub = sql.add_subparsers(dest="sql_command", required=True)
    for name, text in (("check", "print 'allowed' (exit 0) or the refusal (exit 1)"),
                       ("run", "run one guarded SELECT as the user, with the time limit")):
        command = sql_sub.add_parser(name, help=text)
        command.add_argument("sql", help="one Athena SELECT, or '-' to read it from stdin")
        command.add_argument("--user", help="the email to check or run as (default: the CLI user)")
        command.add_argument("--lake", help="lake folder (default: $ATHENA_BOT_LAKE, then .athena-bot/lake)")
        if name == "run":
            command.add_argument("--format", choices=["text", "json"], default="text")


def run_sql(args: argparse.Namespace, settings: Settings, stdin: TextIO = sys.stdin,
            stdout: TextIO = sys.stdout) -> int:
    """0: allowed / ran; 1: refused, unknown user or a failed query; 2: configuration."""
    from bot.bootstrap import build_local, ensure_sample_lake
    from bot.service import backend

    if backend() == "aws":
        print("athena-bot: `sql` checks and runs on the embedded default (the local lake)", file=sys.stderr)
        return 2
    sql = stdin.read() if args.sql == "-" else args.sql
    fmt = getattr(args, "format", "text")
    ensure_sample_lake(settings)
    app = build_local(settings, charts=False)
    try:
        principal = _principal(app.identity, args.user)
        guarded = app.engine.guard.check(sql, principal)
        if args.sql_command == "check":
            stdout.write("allowed\n")
            return 0
        table = app.engine.executor.execute(guarded, principal, settings.max_rows)  # type: ignore[union-attr]
    except BotError as err:
        status = "refused" if isinstance(err, Refused) else "error"
        if fmt == "json":
            stdout.write(json.dumps({"status": status, "message": str(err)}) + "\n")
        else:
            stdout.write(f"{status}: {err}\n")
        return 1
    if fmt == "json":
        stdout.write(json.dumps({"status": "answered", "sql": guarded.athena_sql, "columns": table.columns,
                                 "rows": [[json_value(v) for v in row] for row in table.rows],
                                 "truncated": table.truncated}) + "\n")
    else:
        answer = Answer(status="answered", question=sql, message="", table=table)
        rows = f"{table.row_count:,} row{'s' if table.row_count != 1 else ''}"
        stdout.write(text_table(answer, max_rows=table.row_count) + f"\n({rows})\n")
    return 0


def _principal(identity: Any, email: str | None) -> Principal:  # noqa: ANN401 - an IdentityResolver
    """The user by email through the configured IdentityResolver (unknown users are refused)."""
    if not email:
        return identity.resolve("cli", CLI_USER)
    return identity.resolve("cli", email, email=email)
