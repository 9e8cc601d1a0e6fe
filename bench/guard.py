"""Guard + transpile time per dev-set question: compiled tree -> checked -> Athena and DuckDB SQL.

One pass (what the engine does): the guard checks the compiler's tree, qualifies and annotates
it once against a schema built once, prints Athena SQL; the executor prints the same tree for
DuckDB. The reference line repeats the old two-pass pipeline in the same run (print, parse and
qualify in the guard, then parse, qualify and annotate again for DuckDB, schema as a dict), so
the two can be compared as a ratio on a noisy machine. CPU time (this thread's) is printed too:
on a shared machine it moves far less than wall time.

    .venv/bin/python -m bench.guard [--rounds N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from sqlglot.optimizer.qualify import qualify

from adapters.local.duckdb_executor import duckdb_sql, to_duckdb_sql
from engine.compiler import to_athena_sql
from engine.domain import LOCAL_ANALYST
from engine.ports import schema_of

ROOT = Path(__file__).resolve().parent.parent


def dev_queries(app: Any) -> list[Any]:  # noqa: ANN401 - a LocalApp
    """The semantic queries of the dev set's answerable questions (understood once, untimed)."""
    dev = yaml.safe_load((ROOT / "tests" / "dev_set" / "questions.yaml").read_text())
    as_of = dt.date.fromisoformat(dev["as_of"])
    return [app.engine.plan(q["question"], as_of).query for q in dev["questions"]
            if q.get("expect", "answered") == "answered" and not q.get("conversation")]


Timings = tuple[list[float], list[float]]  # wall ms, CPU ms


def _timed(step: Any, trees: list[Any]) -> Timings:  # noqa: ANN401
    wall, cpu = [], []
    for tree in trees:
        started, started_cpu = time.perf_counter(), time.thread_time()
        step(tree)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    return wall, cpu


def one_pass(app: Any, queries: list[Any], rounds: int) -> Timings:  # noqa: ANN401
    guard, compiler = app.engine.guard, app.engine.compiler
    trees = [compiler.compile(query).expression for _ in range(rounds) for query in queries]
    return _timed(lambda tree: duckdb_sql(guard.check_expression(tree, LOCAL_ANALYST)), trees)


def two_passes(app: Any, queries: list[Any], rounds: int) -> Timings:  # noqa: ANN401
    schema = schema_of(app.catalog)
    compiler = app.engine.compiler

    def step(tree: Any) -> None:  # noqa: ANN401
        checked = sqlglot.parse_one(to_athena_sql(tree), read="athena")
        qualify(checked.copy(), schema=schema, dialect="athena", validate_qualify_columns=True)
        to_duckdb_sql(to_athena_sql(checked), schema)

    return _timed(step, [compiler.compile(query).expression for _ in range(rounds) for query in queries])


def run(app: Any, rounds: int = 5) -> None:  # noqa: ANN401
    from bench.__main__ import line

    queries = dev_queries(app)
    one_pass(app, queries, 1)  # warm-up
    wall, cpu = one_pass(app, queries, rounds)
    print(line("guard + transpile, one pass (per question)", wall))
    print(line("  the same, CPU time", cpu))
    wall, cpu = two_passes(app, queries, rounds)
    print(line("  reference: the old two-pass pipeline", wall))
    print(line("  the same, CPU time", cpu))


def main(argv: list[str] | None = None) -> int:
    from adapters.local.sqlite_store import SQLiteConversationStore
    from bot.bootstrap import build_local, ensure_sample_lake
    from bot.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m bench.guard")
    parser.add_argument("--lake")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    settings = Settings.from_env().with_lake(args.lake)
    ensure_sample_lake(settings)
    run(build_local(settings, conversations=SQLiteConversationStore(":memory:"), charts=False), args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
