"""Property: no generated hostile statement passes the guard, for a full-access and a restricted user.

Statements combine a forbidden source or function (quoted paths, globs, URLs, table functions,
system catalogs, DuckDB-only functions, for the restricted user also tables it may not read)
with the places it can hide: FROM, JOIN, LATERAL, derived tables, subqueries in SELECT, WHERE
and HAVING, set operations, CTEs, nested CTEs and a CTE defined in an inner scope shadowing the
same name in an outer one (the reported bypass), nested a few levels deep.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.bootstrap import LocalApp
from engine.domain import LOCAL_ANALYST, Principal
from engine.errors import Refused
from engine.guard import SqlGuard

RESTRICTED = Principal("u3", "sam@example.com", ("support",), allowed_tables=frozenset({"support.tickets"}))
FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])

PATHS = ["/etc/hostname", "/etc/passwd", "/tmp/*.csv", "/root/.aws/credentials", "secret.csv", "../x.json",
         "/work/lake/sales/orders/**/*.parquet", "http://127.0.0.1:9/x.csv", "https://example.com/a.parquet",
         "s3://bucket/key.parquet", "gs://b/x.csv", "file:///etc/hostname", "x.db"]
TABLE_FUNCTIONS = ["read_csv", "read_csv_auto", "read_parquet", "parquet_scan", "read_json", "read_json_auto",
                   "read_ndjson", "read_text", "read_blob", "glob", "sniff_csv", "query", "query_table",
                   "duckdb_settings", "duckdb_views", "duckdb_tables", "duckdb_columns", "duckdb_functions",
                   "duckdb_secrets", "pragma_table_info", "range", "generate_series", "iceberg_scan", "delta_scan"]
SYSTEM_TABLES = ["information_schema.tables", "information_schema.columns", "information_schema.schemata",
                 "pg_catalog.pg_tables", "pg_catalog.pg_class", "system.runtime.queries", "system.main.duckdb_views",
                 "duckdb_views", "duckdb_tables", "sqlite_master", "memory.sales.orders", "main.sales.orders",
                 "temp.main.t", "awsdatacatalog.information_schema.tables", "hive.sales.orders"]
SCALAR_FUNCTIONS = ["getenv('HOME')", "current_setting('allowed_directories')", "read_text('/etc/hostname')",
                    "read_blob('/etc/hostname')", "length(getenv('PATH'))", "query('SELECT 1')",
                    "version()", "pragma_version()", "duckdb_extensions()", "current_user()", "to_file('x')"]
FORBIDDEN_FOR_RESTRICTED = ["sales.orders", "sales.customers", "sales.order_items", "SALES.Orders",
                            '"sales"."orders"', "awsdatacatalog.sales.stores"]

SAFE_TABLE = {"full": "sales.stores", "restricted": "support.tickets"}


def cased(name: str) -> st.SearchStrategy[str]:
    """The name in mixed case (SQL names are case-insensitive)."""
    return st.lists(st.booleans(), min_size=len(name), max_size=len(name)).map(
        lambda flips: "".join(c.upper() if f else c for c, f in zip(name, flips)))


def quoted_path() -> st.SearchStrategy[str]:
    return st.sampled_from(PATHS).flatmap(lambda p: st.sampled_from([f'"{p}"', f"'{p}'"]))


def table_function() -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from(TABLE_FUNCTIONS).flatmap(cased), st.sampled_from(PATHS),
                     st.booleans()).map(lambda t: f"{t[0]}('{t[1]}')" if t[2] else f"TABLE({t[0]}('{t[1]}'))")


def forbidden_source(user: str) -> st.SearchStrategy[str]:
    """A FROM item the user may not read."""
    options = [quoted_path(), table_function(), st.sampled_from(SYSTEM_TABLES)]
    if user == "restricted":
        options.append(st.sampled_from(FORBIDDEN_FOR_RESTRICTED))
    return st.one_of(*options)


# carriers: (FROM item the payload hides in, safe table) -> a complete query
Carrier = Callable[[str, str], str]
CARRIERS: list[Carrier] = [
    lambda src, safe: f"SELECT * FROM {src} AS p",
    lambda src, safe: f"SELECT s.* FROM {safe} s JOIN {src} AS p ON true",
    lambda src, safe: f"SELECT s.* FROM {safe} s LEFT JOIN {src} AS p ON 1 = 1",
    lambda src, safe: f"SELECT s.* FROM {safe} s, {src} AS p",
    lambda src, safe: f"SELECT * FROM {safe} s CROSS JOIN LATERAL (SELECT * FROM {src} AS p) l",
    lambda src, safe: f"SELECT (SELECT count(*) FROM {src} AS p) AS n FROM {safe}",
    lambda src, safe: f"SELECT count(*) FROM {safe} WHERE EXISTS (SELECT 1 FROM {src} AS p)",
    lambda src, safe: f"SELECT count(*) FROM {safe} WHERE 1 IN (SELECT 1 FROM {src} AS p)",
    lambda src, safe: f"SELECT count(*) AS n FROM {safe} HAVING count(*) > (SELECT count(*) FROM {src} AS p)",
    lambda src, safe: f"SELECT 1 AS a FROM {safe} UNION ALL SELECT 1 AS a FROM {src} AS p",
    lambda src, safe: f"SELECT 1 AS a FROM {src} AS p INTERSECT SELECT 1 AS a FROM {safe}",
    lambda src, safe: f"SELECT 1 AS a FROM {safe} EXCEPT SELECT 1 AS a FROM {src} AS p",
    lambda src, safe: f"WITH c AS (SELECT * FROM {src} AS p) SELECT * FROM c",
    lambda src, safe: f"WITH c AS (SELECT 1 AS a FROM {safe}), d AS (SELECT * FROM {src} AS p) SELECT * FROM c",
    lambda src, safe: f"WITH c AS (WITH d AS (SELECT * FROM {src} AS p) SELECT * FROM d) SELECT * FROM c",
    lambda src, safe: f"SELECT * FROM (SELECT * FROM {src} AS p) AS t",
    lambda src, safe: f"SELECT * FROM {safe} WHERE 1 = (SELECT 1 FROM (SELECT * FROM {src} AS p) q)",
]


def shadowed(name: str, safe: str) -> list[str]:
    """A CTE of that name visible only in an inner scope (or only later, or only to itself)."""
    return [
        f'SELECT y.* FROM (WITH {name} AS (SELECT 1 AS a) SELECT a FROM {name}) x CROSS JOIN {name} AS y',
        f'SELECT * FROM {safe} WHERE EXISTS (WITH {name} AS (SELECT 1 AS a) SELECT * FROM {name}) '
        f'AND 1 IN (SELECT 1 FROM {name})',
        f'SELECT 1 AS a FROM (WITH {name} AS (SELECT 1 AS a) SELECT * FROM {name}) i '
        f'UNION ALL SELECT 1 AS a FROM {name}',
        f'WITH c AS (SELECT * FROM {name}), {name} AS (SELECT 1 AS a) SELECT * FROM c',
        f'WITH {name} AS (SELECT * FROM {name}) SELECT * FROM {name}',
        f'SELECT (SELECT count(*) FROM (WITH {name} AS (SELECT 1 AS a) SELECT * FROM {name}) i) FROM {name}',
        f'WITH c AS (WITH {name} AS (SELECT 1 AS a) SELECT * FROM {name}) SELECT * FROM c, {name}',
    ]


def expression_payloads(safe: str) -> list[Callable[[str], str]]:
    return [
        lambda f: f"SELECT {f} AS x FROM {safe}",
        lambda f: f"SELECT count(*) FROM {safe} WHERE CAST({f} AS varchar) = 'x'",
        lambda f: f"SELECT 1 AS a FROM {safe} ORDER BY {f}",
        lambda f: f"SELECT count(*) AS n FROM {safe} GROUP BY {f}",
        lambda f: f"SELECT count(*) OVER (PARTITION BY {f}) AS n FROM {safe}",
        lambda f: f"SELECT coalesce(NULL, {f}) AS x FROM {safe}",
        lambda f: f"SELECT CASE WHEN 1 = 1 THEN {f} END AS x FROM {safe}",
        lambda f: f"SELECT * FROM UNNEST(ARRAY[{f}]) AS u(x)",
        lambda f: f"SELECT * FROM (VALUES ({f})) AS v(x)",
    ]


@st.composite
def hostile(draw: st.DrawFn, user: str) -> str:
    safe = SAFE_TABLE[user]
    kind = draw(st.sampled_from(["source", "shadow", "function"]))
    if kind == "function":
        function = draw(st.sampled_from(SCALAR_FUNCTIONS).flatmap(
            lambda f: cased(f.split("(")[0]).map(lambda n: n + "(" + f.split("(", 1)[1])))
        sql = draw(st.sampled_from(expression_payloads(safe)))(function)
    elif kind == "shadow":
        name = draw(st.sampled_from(PATHS + (["orders", "customers"] if user == "restricted" else [])))
        name = f'"{name}"' if not name.isidentifier() else name
        sql = draw(st.sampled_from(shadowed(name, safe)))
        if user == "restricted" and name in ("orders", "customers"):
            sql = sql.replace(f"CROSS JOIN {name} AS y", f"CROSS JOIN sales.{name} AS y")
    else:
        sql = draw(st.sampled_from(CARRIERS))(draw(forbidden_source(user)), safe)
    for _ in range(draw(st.integers(0, 2))):  # hide it deeper: the hostile query as a derived table
        sql = draw(st.sampled_from(CARRIERS))(f"({sql})", safe)
    return sql


@pytest.fixture(scope="module")
def guard(app: LocalApp) -> SqlGuard:
    return SqlGuard(app.engine.guard.schema, max_rows=500)


def refused(guard: SqlGuard, sql: str, principal: Principal) -> None:
    try:
        guard.check(sql, principal)
    except Refused:
        return
    raise AssertionError(f"the guard allowed: {sql}")


@FUZZ
@given(sql=hostile("full"))
def test_nothing_hostile_passes_for_a_full_access_user(guard: SqlGuard, sql: str) -> None:
    refused(guard, sql, LOCAL_ANALYST)


@FUZZ
@given(sql=hostile("restricted"))
def test_nothing_hostile_passes_for_a_restricted_user(guard: SqlGuard, sql: str) -> None:
    refused(guard, sql, RESTRICTED)


def test_the_carriers_themselves_are_allowed(guard: SqlGuard) -> None:
    """The property means something only if the same shapes pass with a readable table inside."""
    for user, principal in (("full", LOCAL_ANALYST), ("restricted", RESTRICTED)):
        safe = SAFE_TABLE[user]
        for carrier in CARRIERS:
            guard.check(carrier(safe, safe), principal)
            guard.check(carrier(f"({carrier(safe, safe)})", safe), principal)
        for expression in expression_payloads(safe):
            guard.check(expression("abs(-1)"), principal)
