"""The local executor is a sandbox: even SQL that never met the guard cannot read outside the lake,
change DuckDB's settings, write, or run past the time limit."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import duckdb
import pytest

from adapters.local.catalog import LocalCatalog
from adapters.local.duckdb_executor import DuckDBExecutor
from adapters.local.sqlite_queue import SQLiteQueue
from adapters.local.sqlite_store import SQLiteIdempotency
from bot.bootstrap import LocalApp, build_local
from bot.settings import Settings
from engine.domain import LOCAL_ANALYST, Answer, ReplyTarget
from engine.errors import ExecutionFailed, QueryTimedOut
from engine.jobs import AskJob, encode_job
from engine.planner import PlannerReply, PlanRequest
from engine.service import QueryEngine
from engine.worker import Worker

SLOW = ("SELECT count(DISTINCT a.order_id * 100000 + b.order_id + c.store_id) AS n "
        "FROM sales.orders a CROSS JOIN sales.orders b CROSS JOIN sales.stores c")


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder outside the lake holding a CSV, a JSON and a Parquet file."""
    folder = tmp_path_factory.mktemp("outside")
    (folder / "secret.csv").write_text("secret\nhunter2\n")
    (folder / "secret.json").write_text('{"secret": "hunter2"}\n')
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 'hunter2' AS secret) TO '{(folder / 'secret.parquet').as_posix()}' (FORMAT PARQUET)")
    con.close()
    return folder


@pytest.fixture(scope="module")
def executor(lake: Path) -> DuckDBExecutor:
    return DuckDBExecutor(LocalCatalog(lake))


def unguarded(executor: DuckDBExecutor, sql: str) -> list[tuple]:
    """Straight to the executor: the guard is bypassed on purpose."""
    return executor.execute(sql, LOCAL_ANALYST, 100).rows


def test_the_lake_is_readable(executor: DuckDBExecutor) -> None:
    assert unguarded(executor, "SELECT count(*) AS n FROM sales.stores")[0][0] > 0


@pytest.mark.parametrize("template", [
    "SELECT * FROM read_csv('{dir}/secret.csv')",
    "SELECT * FROM read_csv_auto('{dir}/secret.csv')",
    "SELECT * FROM '{dir}/secret.csv'",
    'SELECT * FROM "{dir}/secret.csv"',
    "SELECT * FROM read_json('{dir}/secret.json')",
    "SELECT * FROM read_parquet('{dir}/secret.parquet')",
    "SELECT * FROM read_parquet('{dir}/*.parquet')",
    "SELECT * FROM read_text('{dir}/secret.csv')",
    "SELECT * FROM read_blob('{dir}/secret.csv')",
    "SELECT * FROM glob('{dir}/*')",
    "SELECT * FROM read_csv('/etc/hostname')",
    "SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')",
    "SELECT * FROM 'https://example.com/x.parquet'",
    "SELECT * FROM read_parquet('s3://bucket/x.parquet')",
])
def test_files_outside_the_lake_cannot_be_read(executor: DuckDBExecutor, outside: Path, template: str) -> None:
    with pytest.raises(ExecutionFailed) as err:
        unguarded(executor, template.format(dir=outside.as_posix()))
    assert "hunter2" not in str(err.value)


@pytest.mark.parametrize("sql", [
    "SET enable_external_access = true",
    "SET allowed_directories = ['/']",
    "RESET lock_configuration",
    "SET memory_limit = '100GB'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "ATTACH '{lake}/x.db' AS x",
    "COPY (SELECT 1 AS a) TO '{lake}/sales/x.csv'",
    "CREATE OR REPLACE VIEW sales.stores AS SELECT 1 AS store_id",
    "CREATE TABLE t AS SELECT 1 AS a",
    "SELECT 1 AS a; SELECT 2 AS b",
    "PRAGMA version",
    "CALL pragma_version()",
])
def test_nothing_but_one_select_runs(executor: DuckDBExecutor, lake: Path, sql: str) -> None:
    before = sorted(p.as_posix() for p in lake.rglob("*"))
    with pytest.raises(ExecutionFailed):
        unguarded(executor, sql.format(lake=lake.as_posix()))
    assert sorted(p.as_posix() for p in lake.rglob("*")) == before  # the bot never writes to the lake
    assert unguarded(executor, "SELECT count(*) AS n FROM sales.stores")[0][0] > 0


def test_the_connection_itself_is_locked_and_fenced(executor: DuckDBExecutor, outside: Path) -> None:
    """Below the executor's one-SELECT check: DuckDB's own settings refuse (defence in depth)."""
    con = executor._con  # noqa: SLF001 - the raw connection, on purpose
    for statement in ("SET enable_external_access = true", "SET allowed_directories = ['/']",
                      "SET lock_configuration = false", "SET autoload_known_extensions = true"):
        with pytest.raises(duckdb.Error, match="locked"):
            con.execute(statement)
    for statement in (f"SELECT * FROM read_csv('{outside.as_posix()}/secret.csv')",
                      "SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')"):
        with pytest.raises(duckdb.PermissionException):
            con.execute(statement)
    settings = dict(con.execute("SELECT name, value FROM duckdb_settings() WHERE name IN "
                                "('enable_external_access', 'lock_configuration', "
                                "'autoinstall_known_extensions', 'autoload_known_extensions')").fetchall())
    assert settings == {"enable_external_access": "false", "lock_configuration": "true",
                        "autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}


def test_queries_spill_to_disk_inside_the_sandbox(lake: Path, tmp_path: Path) -> None:
    """A sort larger than the memory limit still runs: spilling is not file access DuckDB fences."""
    small = DuckDBExecutor(LocalCatalog(lake), threads=1, memory_limit="24MB", temp_directory=tmp_path / "spill")
    rows = small.execute("SELECT count(*) AS n, max(r) AS m FROM (SELECT range AS i, random() AS r "
                         "FROM range(3000000) ORDER BY r) t", LOCAL_ANALYST, 1).rows
    assert rows[0][0] == 3_000_000


def test_a_long_query_is_stopped_at_the_time_limit(lake: Path) -> None:
    limited = DuckDBExecutor(LocalCatalog(lake), timeout_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(QueryTimedOut, match="longer than 0.5 s"):
        limited.execute(SLOW, LOCAL_ANALYST, 10)
    assert time.monotonic() - started < 30  # interrupted, not run to the end
    assert limited.execute("SELECT count(*) AS n FROM sales.stores", LOCAL_ANALYST, 1).rows[0][0] > 0


def test_settings_size_duckdb_and_set_the_time_limit(lake: Path, tmp_path: Path) -> None:
    settings = Settings.from_env({"ATHENA_BOT_HOME": str(tmp_path), "ATHENA_BOT_LAKE": str(lake),
                                  "ATHENA_BOT_QUERY_TIMEOUT_SECONDS": "7",
                                  "ATHENA_BOT_DUCKDB_MEMORY_LIMIT": "300MB",
                                  "ATHENA_BOT_DUCKDB_THREADS": "1"})
    app = build_local(settings, charts=False)
    executor: DuckDBExecutor = app.engine.executor  # type: ignore[assignment]
    assert executor.timeout_seconds == 7
    rows = dict(executor._con.execute(  # noqa: SLF001
        "SELECT name, value FROM duckdb_settings() WHERE name IN ('threads', 'memory_limit')").fetchall())
    assert rows["threads"] == "1" and rows["memory_limit"].startswith("286")  # 300 MB = 286.1 MiB
    for name, bad in [("ATHENA_BOT_QUERY_TIMEOUT_SECONDS", "soon"), ("ATHENA_BOT_QUERY_TIMEOUT_SECONDS", "-1"),
                      ("ATHENA_BOT_DUCKDB_THREADS", "0"), ("ATHENA_BOT_DUCKDB_MEMORY_LIMIT", "lots")]:
        with pytest.raises(ValueError, match=name):
            Settings.from_env({name: bad})


class SlowPlanner:
    """An LLM planner that answers every question with the same slow (but guarded) SQL."""

    def __init__(self) -> None:
        self.requests: list[PlanRequest] = []

    def plan(self, request: PlanRequest) -> PlannerReply:
        self.requests.append(request)
        return PlannerReply(kind="sql", sql=SLOW)


class RecordingPoster:
    def __init__(self) -> None:
        self.posts: list[Answer] = []

    def post(self, target: ReplyTarget, answer: Answer) -> None:
        self.posts.append(answer)


def test_the_user_is_told_in_the_thread_when_the_time_limit_stops_a_query(app: LocalApp, lake: Path,
                                                                         tmp_path: Path) -> None:
    """Through the worker, as `serve slack` runs it locally: the timeout is a posted answer."""
    planner = SlowPlanner()
    engine = QueryEngine(app.model, app.catalog, DuckDBExecutor(LocalCatalog(lake), timeout_seconds=0.3),
                         values=app.engine.values, planner=planner)
    queue = SQLiteQueue(tmp_path / "state.sqlite", visibility_timeout=0, max_receives=3)
    poster = RecordingPoster()
    worker = Worker(queue, engine, poster, SQLiteIdempotency(tmp_path / "state.sqlite"),
                    default_as_of=dt.date(2025, 6, 15), visibility_timeout=0)
    queue.send(encode_job(AskJob("zorblax the frobnicators", LOCAL_ANALYST, ReplyTarget("slack", "C1", "1.1"))))
    assert worker.run_once() == 1
    assert [a.status for a in poster.posts] == ["error"]
    assert "took longer than 0.3 s" in poster.posts[0].message
    assert len(planner.requests) == 3  # the planner's own query: two repairs were asked for, then the user told
    assert queue.receive() == []  # answered, not retried
