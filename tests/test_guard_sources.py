"""Attacks on the guard: every source in every scope is a readable catalog table, a CTE visible
in that scope, or a derived table; no table functions, paths, URLs, system catalogs or functions
outside the allowlist, anywhere. Every input gets allowed or a typed refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bootstrap import LocalApp
from engine.domain import LOCAL_ANALYST, Principal
from engine.errors import GuardRejected, Refused
from engine.guard import SqlGuard

SUPPORT_ONLY = Principal("u2", "sam@example.com", ("support",), allowed_tables=frozenset({"support.tickets"}))


@pytest.fixture(scope="module")
def guard(app: LocalApp) -> SqlGuard:
    return SqlGuard(app.engine.guard.schema, max_rows=500)


@pytest.fixture(scope="module")
def secret_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("outside") / "secret.csv"
    path.write_text("secret\nhunter2\n")
    return path


def bypass(path: str) -> str:
    """The issue's shape: a CTE in an inner scope makes its name look safe in the outer one."""
    return (f'SELECT y.* FROM (WITH "{path}" AS (SELECT 1 AS a) SELECT a FROM "{path}") x '
            f'CROSS JOIN "{path}" AS y')


def test_the_reported_cte_bypass_is_refused(app: LocalApp, guard: SqlGuard, secret_csv: Path) -> None:
    with pytest.raises(GuardRejected, match="is not a table in the data catalog"):
        guard.check(bypass(secret_csv.as_posix()), LOCAL_ANALYST)
    answer_sql = bypass(secret_csv.as_posix())
    with pytest.raises(GuardRejected):
        app.engine.guard.check(answer_sql, LOCAL_ANALYST)


def test_a_glob_over_another_database_is_refused_for_a_restricted_user(app: LocalApp, guard: SqlGuard) -> None:
    glob = (Path(app.settings.lake) / "sales" / "orders" / "**" / "*.parquet").as_posix()
    for principal in (SUPPORT_ONLY, LOCAL_ANALYST):
        with pytest.raises(GuardRejected):
            guard.check(bypass(glob), principal)


HOSTILE = [
    # table functions, in FROM, JOIN, LATERAL, subqueries, CTEs, set operations
    "SELECT * FROM read_csv('/etc/hostname')",
    "SELECT * FROM read_csv_auto('/etc/hostname')",
    "SELECT * FROM read_parquet('/tmp/x/*.parquet')",
    "SELECT * FROM read_json('/tmp/x.json')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM read_blob('/etc/hostname')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM query('SELECT 42')",
    "SELECT * FROM query_table('sales.orders')",
    "SELECT * FROM TABLE(read_csv('/etc/hostname'))",
    "SELECT * FROM duckdb_settings()",
    "SELECT * FROM duckdb_views()",
    "SELECT o.order_id FROM sales.orders o JOIN read_csv('/etc/hostname') r ON true",
    "SELECT * FROM sales.orders CROSS JOIN LATERAL (SELECT * FROM read_csv('/etc/hostname'))",
    "SELECT (SELECT count(*) FROM read_csv('/etc/hostname')) AS n FROM sales.orders",
    "SELECT order_id FROM sales.orders WHERE EXISTS (SELECT 1 FROM read_csv('/etc/hostname'))",
    "SELECT status FROM sales.orders GROUP BY status HAVING count(*) > (SELECT count(*) FROM glob('/*'))",
    "SELECT status FROM sales.orders UNION ALL SELECT * FROM read_csv('/etc/hostname')",
    "WITH a AS (SELECT * FROM read_csv('/etc/hostname')) SELECT * FROM a",
    "WITH a AS (WITH b AS (SELECT * FROM read_csv('/etc/hostname')) SELECT * FROM b) SELECT * FROM a",
    # quoted paths, globs and URLs as table names
    'SELECT * FROM "/etc/hostname"',
    "SELECT * FROM '/etc/hostname'",
    'SELECT * FROM "/tmp/*.csv"',
    'SELECT * FROM "http://example.com/x.csv"',
    'SELECT * FROM "s3://bucket/x.parquet"',
    'SELECT * FROM sales."/etc/hostname"',
    'SELECT * FROM sales.orders o JOIN "/etc/hostname" o ON true',
    'SELECT * FROM sales.orders WHERE order_id IN (SELECT * FROM "/etc/hostname")',
    # CTE visibility: inner, sibling, forward and self references do not make a name safe
    'SELECT * FROM (WITH "/etc/hostname" AS (SELECT 1 AS a) SELECT * FROM "/etc/hostname") s, "/etc/hostname" t',
    'WITH a AS (SELECT * FROM "/x.csv"), "/x.csv" AS (SELECT 1 AS z) SELECT * FROM a',
    'WITH "/x.csv" AS (SELECT * FROM "/x.csv") SELECT * FROM "/x.csv"',
    'SELECT 1 AS a UNION ALL (WITH "/x.csv" AS (SELECT 1 AS a) SELECT * FROM "/x.csv") UNION ALL SELECT * FROM "/x.csv"',
    'SELECT (SELECT 1 FROM (WITH "/x.csv" AS (SELECT 1) SELECT 1 FROM "/x.csv") i) FROM "/x.csv"',
    "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r) SELECT * FROM r",
    # system catalogs
    "SELECT * FROM information_schema.tables",
    "SELECT * FROM information_schema.columns",
    "SELECT * FROM pg_catalog.pg_tables",
    "SELECT * FROM duckdb_views",
    "SELECT * FROM duckdb_tables",
    "SELECT * FROM sqlite_master",
    "SELECT * FROM system.runtime.queries",
    "SELECT * FROM system.main.duckdb_views",
    "SELECT * FROM memory.sales.orders",
    "SELECT * FROM main.sales.orders",
    "SELECT * FROM temp.main.x",
    # functions outside the allowlist (DuckDB would run them)
    "SELECT getenv('HOME') AS h FROM sales.stores",
    "SELECT current_setting('allowed_directories') AS s FROM sales.stores",
    "SELECT read_text('/etc/hostname') AS t",
    "SELECT length(read_blob('/etc/hostname')) AS n FROM sales.stores",
    "SELECT order_id FROM sales.orders WHERE status = getenv('USER')",
    "SELECT order_id FROM sales.orders ORDER BY current_setting('threads')",
    "SELECT status, count(*) FROM sales.orders GROUP BY status HAVING count(*) > length(getenv('PATH'))",
    "SELECT sum(order_id) OVER (PARTITION BY getenv('HOME')) FROM sales.orders",
    "SELECT * FROM sales.orders WHERE order_id IN (SELECT length(getenv('HOME')))",
    "SELECT to_file('x') FROM sales.stores",
    # not Athena, or not a plain query
    "SELECT * FROM sales.orders PIVOT (sum(order_id) FOR status IN ('completed'))",
    "SELECT * FROM (SELECT status, order_id FROM sales.orders) PIVOT (count(order_id) FOR status IN ('completed'))",
    "SELECT * FROM sales.orders UNPIVOT (v FOR k IN (status, channel))",
    "PIVOT sales.orders ON status USING count(*)",
    "SET enable_external_access = true",
    "SELECT 1; SET lock_configuration = false",
    "ATTACH '/tmp/x.db' AS x",
    "COPY (SELECT 1) TO '/tmp/x.csv'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "CALL pragma_version()",
    "PRAGMA version",
    "SELECT * FROM sales.orders WHERE order_id = ?",
    "SELECT $1",
    "",
    "   ",
    ";",
    "-- only a comment",
]


@pytest.mark.parametrize("sql", HOSTILE)
@pytest.mark.parametrize("principal", [LOCAL_ANALYST, SUPPORT_ONLY], ids=["full", "restricted"])
def test_hostile_sql_is_refused(guard: SqlGuard, sql: str, principal: Principal) -> None:
    with pytest.raises(Refused):
        guard.check(sql, principal)


@pytest.mark.parametrize("sql", [
    "SELECT " + "(" * 5000 + "1" + ")" * 5000,
    "SELECT 1 FROM sales.orders WHERE " + " AND ".join(["order_id = 1"] * 3000),
    "SELECT '" + "x" * 300_000 + "'",
    "SELECT \x00 FROM sales.orders",
    "SELECT * FROM sales.orders MATCH_RECOGNIZE (ORDER BY order_ts MEASURES 1 AS x PATTERN (a) DEFINE a AS true)",
    "SELECT * FROM sales.orders FOR SYSTEM_TIME AS OF '2020-01-01'",
    "SELECT * FROM sales.orders TABLESAMPLE BERNOULLI (10)",
    "SELECT * FROM sales.orders, LATERAL (SELECT 1) AS l",
    "SELECT x FROM UNNEST(ARRAY[1, 2]) AS t(x) CROSS JOIN UNNEST(ARRAY[3]) AS u(y)",
])
def test_every_input_gets_an_answer(guard: SqlGuard, sql: str) -> None:
    """Allowed or a typed refusal: never an internal sqlglot error (PIVOT raised AssertionError)."""
    try:
        guard.check(sql, LOCAL_ANALYST)
    except Refused as err:
        assert str(err)


@pytest.mark.parametrize("sql", [
    "SELECT x FROM UNNEST(ARRAY[1, 2, 3]) AS t(x)",
    "SELECT status, tag FROM sales.orders CROSS JOIN UNNEST(ARRAY['a', 'b']) AS t(tag)",
    "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS v(n, s)",
    "WITH a AS (SELECT order_id FROM sales.orders), b AS (SELECT order_id FROM a) SELECT count(*) FROM b",
    "WITH a AS (SELECT 1 AS x) SELECT * FROM (SELECT x FROM a) s",
    "WITH a AS (SELECT 1 AS x) SELECT order_id FROM sales.orders WHERE EXISTS (SELECT x FROM a)",
    "SELECT s.region FROM (WITH r AS (SELECT region FROM sales.stores) SELECT region FROM r) s",
    "SELECT order_id FROM awsdatacatalog.sales.orders",
    "WITH Big AS (SELECT 1 AS x) SELECT * FROM BIG",
    'WITH "A" AS (SELECT 1 AS x) SELECT * FROM a',
    'SELECT count(*) FROM "SALES"."Orders"',
    "SELECT CAST(ROW(1, 'a') AS ROW(n INTEGER, s VARCHAR)) AS r, transform(ARRAY[1, 2], x -> x * 2) AS t",
    "SELECT o.order_id, l.n FROM sales.orders o CROSS JOIN LATERAL (SELECT count(*) AS n FROM sales.order_items i "
    "WHERE i.order_id = o.order_id) l",
    "SELECT date_trunc('month', order_ts) AS m, count_if(status = 'completed') AS c, "
    "approx_distinct(customer_id) AS d, lag(count(*)) OVER (ORDER BY date_trunc('month', order_ts)) AS p "
    "FROM sales.orders GROUP BY 1",
    "SELECT date_format(order_ts, '%Y-%m') AS m, date_diff('day', order_ts, current_timestamp) AS d, "
    "regexp_like(status, '^c') AS r, coalesce(store_id, 0) AS s FROM sales.orders",
])
def test_safe_shapes_are_allowed(guard: SqlGuard, sql: str) -> None:
    guard.check(sql, LOCAL_ANALYST)


def test_restricted_user_cannot_reach_other_tables_through_any_scope(guard: SqlGuard) -> None:
    guard.check("SELECT count(*) FROM support.tickets", SUPPORT_ONLY)
    for sql in [
        "WITH t AS (SELECT * FROM sales.orders) SELECT count(*) FROM t",
        "SELECT count(*) FROM support.tickets WHERE EXISTS (SELECT 1 FROM sales.orders)",
        "SELECT (SELECT max(order_id) FROM sales.orders) FROM support.tickets",
        "SELECT ticket_id FROM support.tickets UNION ALL SELECT order_id FROM sales.orders",
        "SELECT * FROM support.tickets CROSS JOIN LATERAL (SELECT order_id FROM sales.orders) o",
        "SELECT * FROM (SELECT * FROM (SELECT * FROM sales.customers) a) b",
        "WITH tickets AS (SELECT * FROM sales.orders) SELECT * FROM tickets",
    ]:
        with pytest.raises(Refused, match="access to sales"):
            guard.check(sql, SUPPORT_ONLY)


def test_a_cte_may_shadow_a_table_name_in_its_own_scope(guard: SqlGuard) -> None:
    """A CTE named like a catalog table is the CTE where it is visible (standard SQL)."""
    guard.check("WITH orders AS (SELECT 1 AS order_id) SELECT order_id FROM orders", SUPPORT_ONLY)


def test_sql_read_back_from_storage_is_guarded_again(app: LocalApp, secret_csv: Path) -> None:
    """Only a tree checked in this process runs: a Prepared rebuilt from text meets the guard again."""
    from engine.service import Prepared

    prepared = app.engine.prepare("orders in 2024", LOCAL_ANALYST, as_of=None)
    assert prepared.guarded is not None and prepared.guarded.athena_sql == prepared.sql
    stored = prepared.to_dict()
    assert "guarded" not in stored
    stored["sql"] = bypass(secret_csv.as_posix())
    with pytest.raises(GuardRejected):
        app.engine.execute_prepared(Prepared.from_dict(stored), LOCAL_ANALYST, None)
    restored = Prepared.from_dict(prepared.to_dict())
    _, table = app.engine.execute_prepared(restored, LOCAL_ANALYST, None)
    assert table.rows
