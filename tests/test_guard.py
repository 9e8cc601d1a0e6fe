"""The SQL guard: one read-only SELECT over known tables and columns, allowed tables, LIMIT cap."""

from __future__ import annotations

import pytest

from bot.bootstrap import LocalApp
from engine.domain import LOCAL_ANALYST, Principal
from engine.errors import GuardRejected, Refused
from engine.guard import SqlGuard


@pytest.fixture(scope="module")
def guard(app: LocalApp) -> SqlGuard:
    return SqlGuard(app.engine.guard.schema, max_rows=500)


@pytest.mark.parametrize("sql", [
    "DROP TABLE sales.orders",
    "DELETE FROM sales.orders WHERE status = 'cancelled'",
    "INSERT INTO sales.orders SELECT * FROM sales.orders",
    "UPDATE sales.orders SET status = 'completed'",
    "CREATE TABLE sales.x AS SELECT * FROM sales.orders",
    "ALTER TABLE sales.orders ADD COLUMNS (x int)",
    "MSCK REPAIR TABLE sales.orders",
    "UNLOAD (SELECT * FROM sales.orders) TO 's3://bucket/x' WITH (format = 'PARQUET')",
    "SHOW TABLES",
    "EXPLAIN SELECT * FROM sales.orders",
    "SELECT 1; DROP TABLE sales.orders",
    "SELECT * FROM sales.orders; SELECT * FROM sales.customers",
    "SELECT * FROM sales.secret_salaries",
    "SELECT * FROM information_schema.tables",
    "SELECT no_such_column FROM sales.orders",
    "SELECT o.order_id FROM sales.orders o JOIN hr.people p ON p.id = o.customer_id",
    "WITH x AS (SELECT * FROM sales.nope) SELECT * FROM x",
    "SELECT * FROM (SELECT * FROM other.thing)",
    "SELEC * FRM sales.orders",
])
def test_rejects(guard: SqlGuard, sql: str) -> None:
    with pytest.raises(GuardRejected):
        guard.check(sql, LOCAL_ANALYST)


@pytest.mark.parametrize("sql", [
    "SELECT * FROM sales.orders",
    "SELECT status, count(*) FROM sales.orders GROUP BY status",
    "WITH x AS (SELECT order_id FROM sales.orders) SELECT count(*) FROM x",
    "SELECT c.region FROM sales.customers c UNION ALL SELECT s.region FROM sales.stores s",
])
def test_accepts_reads(guard: SqlGuard, sql: str) -> None:
    guard.check(sql, LOCAL_ANALYST)


def test_limit_is_added_and_capped(guard: SqlGuard) -> None:
    assert "LIMIT 500" in guard.check("SELECT * FROM sales.orders", LOCAL_ANALYST).athena_sql
    assert "LIMIT 500" in guard.check("SELECT * FROM sales.orders LIMIT 100000", LOCAL_ANALYST).athena_sql
    assert "LIMIT 20" in guard.check("SELECT * FROM sales.orders LIMIT 20", LOCAL_ANALYST).athena_sql


def test_principal_table_permissions(guard: SqlGuard) -> None:
    support_only = Principal("u1", "sam@example.com", ("support",),
                             allowed_tables=frozenset({"support.tickets"}))
    guard.check("SELECT count(*) FROM support.tickets", support_only)
    with pytest.raises(Refused) as err:
        guard.check("SELECT count(*) FROM sales.orders", support_only)
    assert "don't have access to sales.orders" in str(err.value)


def test_user_values_cannot_inject_sql(app: LocalApp) -> None:
    """Only values known to the model become literals; anything else is not understood."""
    answer = app.engine.ask("revenue for electronics' OR '1'='1", LOCAL_ANALYST)
    assert answer.status == "clarify" and answer.sql is None and '"1"' in answer.message
    answer = app.engine.ask("revenue for electronics' OR 'x'='x", LOCAL_ANALYST)
    assert answer.status == "clarify" and answer.sql is None and '"x"' in answer.message  # never dropped
    answer = app.engine.ask("revenue for electronics' OR", LOCAL_ANALYST)
    assert "products.category = 'Electronics'" in answer.sql and " OR " not in answer.sql
    answer = app.engine.ask("revenue for x'); DROP TABLE sales.orders; --", LOCAL_ANALYST)
    assert answer.status == "refused" and answer.sql is None


def test_engine_guard_follows_catalog_changes(app: LocalApp) -> None:
    """When the catalog's table list changes (Glue's cache expiring), the guard sees the new tables."""
    from engine.ports import ColumnInfo, TableInfo
    from engine.service import QueryEngine

    class ChangingCatalog:
        def __init__(self) -> None:
            self.current = list(app.catalog.tables())

        def tables(self) -> list[TableInfo]:
            return self.current

    catalog = ChangingCatalog()
    engine = QueryEngine(app.model, catalog, app.engine.executor, values={})
    with pytest.raises(GuardRejected):
        engine.guard.check("SELECT id FROM sales.returns", LOCAL_ANALYST)
    catalog.current = [*catalog.current, TableInfo("sales", "returns", (ColumnInfo("id", "bigint"),))]
    engine.guard.check("SELECT id FROM sales.returns", LOCAL_ANALYST)
