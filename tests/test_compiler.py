"""SQL compilation: joins, filters, partition pruning, Athena dialect."""

from __future__ import annotations

import datetime as dt

from bot.bootstrap import LocalApp
from engine.compiler import to_athena_sql
from engine.domain import DateRange
from engine.semantic_query import SemanticQuery, ValueFilter


def compile_sql(app: LocalApp, query: SemanticQuery) -> str:
    return app.engine.compiler.compile(query).sql


def test_partition_predicates_on_every_partitioned_fact_table(app: LocalApp) -> None:
    rng = DateRange(dt.date(2024, 3, 5), dt.date(2024, 5, 1), "")
    sql = compile_sql(app, SemanticQuery(["revenue"], time_range=rng))
    assert "order_items.month BETWEEN '2024-03' AND '2024-05'" in sql
    assert "orders.month BETWEEN '2024-03' AND '2024-05'" in sql
    assert "orders.order_ts >= CAST('2024-03-05 00:00:00' AS TIMESTAMP)" in sql
    assert "orders.order_ts < CAST('2024-05-02 00:00:00' AS TIMESTAMP)" in sql
    tickets = compile_sql(app, SemanticQuery(["tickets"], time_range=rng))
    assert "tickets.month BETWEEN '2024-03' AND '2024-05'" in tickets


def test_date_time_column_uses_date_literals_and_no_partition(app: LocalApp) -> None:
    rng = DateRange(dt.date(2024, 1, 1), dt.date(2024, 12, 31), "")
    sql = compile_sql(app, SemanticQuery(["customers"], time_range=rng))
    assert "customers.signup_date BETWEEN CAST('2024-01-01' AS DATE) AND CAST('2024-12-31' AS DATE)" in sql
    assert "month" not in sql


def test_no_time_range_no_partition_predicate(app: LocalApp) -> None:
    assert "month" not in compile_sql(app, SemanticQuery(["orders"], dimensions=["sales_channel"]))


def test_metrics_with_different_filters_use_filter_clauses(app: LocalApp) -> None:
    compiled = app.engine.compiler.compile(SemanticQuery(["revenue", "orders"], dimensions=["region"]))
    sql = to_athena_sql(compiled.expression, pretty=False)
    assert "SUM(order_items.net_amount) FILTER(WHERE orders.status = 'completed') AS revenue" in sql
    assert "COUNT(DISTINCT orders.order_id) AS orders" in sql
    assert "WHERE" not in sql.split("FROM", 1)[1]


def test_shared_filter_goes_to_where(app: LocalApp) -> None:
    sql = compile_sql(app, SemanticQuery(["revenue", "units_sold"]))
    assert "FILTER" not in sql and "WHERE\n  orders.status = 'completed'" in sql


def test_joins_only_what_is_needed(app: LocalApp) -> None:
    sql = compile_sql(app, SemanticQuery(["orders"], dimensions=["sales_channel"]))
    assert "JOIN" not in sql and "FROM sales.orders AS orders" in sql
    sql = compile_sql(app, SemanticQuery(["orders"], dimensions=["category"]))
    assert "FROM sales.order_items AS order_items" in sql and "JOIN sales.products AS products" in sql


def test_value_filters_are_literals(app: LocalApp) -> None:
    sql = compile_sql(app, SemanticQuery(["revenue"], filters=[
        ValueFilter("category", ["Home & Kitchen", "Books"]), ValueFilter("region", ["EMEA"], True)]))
    assert "products.category IN ('Home & Kitchen', 'Books')" in sql
    assert "customers.region <> 'EMEA'" in sql


def test_ranking_order_and_limit(app: LocalApp) -> None:
    sql = compile_sql(app, SemanticQuery(["revenue"], dimensions=["product"], order="asc", limit=3))
    assert sql.endswith("ORDER BY\n  revenue ASC\nLIMIT 3")


def test_compiled_sql_passes_the_guard(app: LocalApp) -> None:
    from engine.domain import LOCAL_ANALYST

    for metric in app.model.metrics:
        sql = compile_sql(app, SemanticQuery([metric], grain="month"))
        app.engine.guard.check(sql, LOCAL_ANALYST)


def _listing_both_ways(app: LocalApp, query: SemanticQuery) -> tuple[str, list, list]:
    from engine.compiler import Compiler
    from engine.domain import LOCAL_ANALYST

    fast = app.engine.compiler.compile(query).sql
    plain = Compiler(app.model, app.engine.compiler.column_types, pick_listing_keys_first=False).compile(query).sql
    run = app.engine.executor.execute
    return fast, run(fast, LOCAL_ANALYST, 100).rows, run(plain, LOCAL_ANALYST, 100).rows


def test_listings_sorted_by_time_pick_their_rows_before_joining_lines(app: LocalApp) -> None:
    from engine.semantic_query import Condition

    may = DateRange(dt.date(2025, 5, 1), dt.date(2025, 5, 31), "")
    for query in [SemanticQuery([], entity="order", sort="time", limit=5),
                  SemanticQuery([], entity="order", sort="time", order="asc", limit=3, time_range=may,
                                filters=[ValueFilter("segment", ["Consumer"])])]:
        sql, rows, plain = _listing_both_ways(app, query)
        assert "orders.order_id IN (" in sql and sql.count("LIMIT") == 2
        assert rows == plain and len(rows) == query.limit
    # the pick needs the lines: a sort or a condition on the order's value, a product filter
    for query in [SemanticQuery([], entity="order", sort="order_value", limit=5),
                  SemanticQuery([], entity="order", sort="time", limit=5,
                                conditions=[Condition("order_value", ">", 1000)]),
                  SemanticQuery([], entity="order", sort="time", limit=5,
                                filters=[ValueFilter("category", ["Books"])])]:
        sql, rows, plain = _listing_both_ways(app, query)
        assert " IN (" not in sql and rows == plain


def test_anti_join_is_a_guarded_not_exists_with_the_window_inside(app: LocalApp) -> None:
    from engine.domain import LOCAL_ANALYST

    query = SemanticQuery(metrics=[], entity="store", filters=[ValueFilter("store_country", ["Germany"])],
                          absent="revenue", absent_range=DateRange(dt.date(2025, 5, 1), dt.date(2025, 5, 31), "May"))
    guarded = app.engine.guard.check_expression(app.engine.compiler.compile(query).expression, LOCAL_ANALYST)
    sql = " ".join(guarded.athena_sql.split())
    outer, inner = sql.split("NOT EXISTS", 1)
    assert "stores.country = 'Germany'" in outer and "opened_date BETWEEN" not in outer
    assert "orders.store_id = stores.store_id" in inner and "orders.status = 'completed'" in inner
    assert "orders.order_ts >=" in inner and "order_items.month BETWEEN '2025-05' AND '2025-05'" in inner
    rows = app.engine.executor.execute(guarded.athena_sql, LOCAL_ANALYST, 1000).rows
    every = app.engine.executor.execute("SELECT store_name FROM sales.stores WHERE country = 'Germany'",
                                        LOCAL_ANALYST, 1000).rows
    assert 0 < len(rows) <= len(every)


def test_counted_anti_join(app: LocalApp) -> None:
    from engine.domain import LOCAL_ANALYST

    query = SemanticQuery(metrics=[], entity="customer", absent="orders", count=True)
    guarded = app.engine.guard.check_expression(app.engine.compiler.compile(query).expression, LOCAL_ANALYST)
    (count,), = app.engine.executor.execute(guarded.athena_sql, LOCAL_ANALYST, 10).rows
    (gold,), = app.engine.executor.execute(
        "SELECT COUNT(*) FROM sales.customers c WHERE NOT EXISTS "
        "(SELECT 1 FROM sales.orders o WHERE o.customer_id = c.customer_id)", LOCAL_ANALYST, 10).rows
    assert count == gold > 0
