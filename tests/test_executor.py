"""DuckDB runs Athena SQL with Athena's meaning."""

from __future__ import annotations

import datetime as dt

from bot.bootstrap import LocalApp
from engine.domain import LOCAL_ANALYST


def run(app: LocalApp, sql: str) -> list[tuple]:
    return app.engine.executor.execute(sql, LOCAL_ANALYST, 100).rows


def test_integer_division_stays_integer(app: LocalApp) -> None:
    assert run(app, "SELECT 7 / 2 AS a, 7 / 2.0 AS b FROM sales.stores LIMIT 1") == [(3, 3.5)]


def test_date_diff_counts_whole_units_like_athena(app: LocalApp) -> None:
    rows = run(app, """SELECT date_diff('month', TIMESTAMP '2024-01-31 00:00:00', TIMESTAMP '2024-02-01 00:00:00') AS m,
                       date_diff('day', TIMESTAMP '2024-01-01 23:00:00', TIMESTAMP '2024-01-02 01:00:00') AS d,
                       date_diff('hour', TIMESTAMP '2024-01-01 10:59:00', TIMESTAMP '2024-01-01 11:01:00') AS h
                       FROM sales.stores LIMIT 1""")
    assert rows == [(0, 0, 0)]


def test_partition_column_is_a_string(app: LocalApp) -> None:
    result = app.engine.executor.execute("SELECT month FROM sales.orders LIMIT 1", LOCAL_ANALYST, 10)
    assert result.types == ["varchar"] and isinstance(result.rows[0][0], str)


def test_types_and_values_come_back_plain(app: LocalApp) -> None:
    result = app.engine.executor.execute(
        "SELECT order_ts, CAST(order_ts AS DATE) d, unit_price FROM sales.orders o "
        "JOIN sales.order_items i ON i.order_id = o.order_id LIMIT 1", LOCAL_ANALYST, 10)
    assert result.types == ["timestamp", "date", "decimal(10,2)"]
    ts, day, price = result.rows[0]
    assert isinstance(ts, dt.datetime) and isinstance(day, dt.date) and isinstance(price, float)


def test_truncation_is_reported(app: LocalApp) -> None:
    result = app.engine.executor.execute("SELECT order_id FROM sales.orders", LOCAL_ANALYST, 5)
    assert result.row_count == 5 and result.truncated


def test_failures_are_typed(app: LocalApp) -> None:
    from engine.errors import ExecutionFailed
    import pytest

    with pytest.raises(ExecutionFailed):
        run(app, "SELECT CAST('x' AS INTEGER) FROM sales.stores")
