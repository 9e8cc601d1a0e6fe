"""Breakdowns that keep their rows apart and keep every row: entities grouped by their key when
names repeat, and dimensions behind a nullable join shown with an explicit "(no store)" group."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from bot.bootstrap import LocalApp
from bot.settings import SAMPLE_MODEL
from charts.choose import choose_chart
from engine.domain import LOCAL_ANALYST, DateRange, ResultTable
from engine.errors import ModelError
from engine.presenter import column_formats, column_labels, summarize
from engine.semantic_model import model_from_dict
from engine.semantic_query import Condition, SemanticQuery, ValueFilter
from tests.conftest import AS_OF

YEAR = DateRange(dt.date(2024, 1, 1), dt.date(2024, 12, 31), "2024")


def run(app: LocalApp, query: SemanticQuery) -> ResultTable:
    sql = app.engine.compiler.compile(query).sql
    app.engine.guard.check(sql, LOCAL_ANALYST)
    return app.engine.executor.execute(sql, LOCAL_ANALYST, 10_000)


def scalar(app: LocalApp, sql: str) -> object:
    return app.engine.executor.execute(sql, LOCAL_ANALYST, 1).rows[0][0]


def test_customers_with_the_same_name_stay_apart(app: LocalApp) -> None:
    table = run(app, SemanticQuery(["revenue"], dimensions=["customer"]))
    assert table.columns == ["customer", "customer_id", "revenue"]
    names = table.column("customer")
    assert len(names) > len(set(names))  # some names repeat, each customer is its own row
    assert len(table.column("customer_id")) == len(set(table.column("customer_id")))
    buyers = scalar(app, "SELECT COUNT(DISTINCT o.customer_id) FROM sales.orders o WHERE o.status = 'completed'")
    assert table.row_count == buyers


def test_the_top_customer_is_one_customer(app: LocalApp) -> None:
    answer = app.engine.ask("top 3 customers by revenue in 2024", LOCAL_ANALYST, AS_OF, charts=False)
    name, key, value = answer.table.rows[0]
    own = scalar(app, f"""SELECT SUM(oi.net_amount) FROM sales.order_items oi JOIN sales.orders o
        ON o.order_id = oi.order_id WHERE o.status = 'completed' AND year(o.order_ts) = 2024
        AND o.customer_id = {int(key)}""")
    assert value == pytest.approx(own)
    assert f"{name} (ID {key}) led with" in answer.message
    assert answer.column_labels["customer_id"] == "Customer ID" and answer.column_formats["customer_id"] == "id"


def test_store_region_keeps_the_orders_without_a_store(app: LocalApp) -> None:
    table = run(app, SemanticQuery(["revenue"], dimensions=["store_region"], time_range=YEAR))
    by_region = dict(zip(table.column("store_region"), table.column("revenue")))
    assert "(no store)" in by_region and {"EMEA", "AMER", "APAC"} <= set(by_region)
    total = scalar(app, """SELECT SUM(oi.net_amount) FROM sales.order_items oi JOIN sales.orders o
        ON o.order_id = oi.order_id WHERE o.status = 'completed' AND year(o.order_ts) = 2024""")
    assert sum(by_region.values()) == pytest.approx(total)  # no order is dropped
    online = scalar(app, """SELECT SUM(oi.net_amount) FROM sales.order_items oi JOIN sales.orders o
        ON o.order_id = oi.order_id WHERE o.status = 'completed' AND year(o.order_ts) = 2024
        AND o.store_id IS NULL""")
    assert by_region["(no store)"] == pytest.approx(online)


def test_shares_are_of_all_revenue_and_the_missing_group_never_leads(app: LocalApp) -> None:
    query = SemanticQuery(["revenue"], dimensions=["store_region"], time_range=YEAR, share=True)
    table = run(app, query)
    assert sum(table.column("share_of_total")) == pytest.approx(1.0)
    summary = summarize(query, app.model, table)
    members = [r for r in table.rows if r[0] != "(no store)"]
    assert f": {members[0][0]} " in summary and "(no store)" in summary
    plain = SemanticQuery(["revenue"], dimensions=["store_region"], time_range=YEAR)
    text = summarize(plain, app.model, run(app, plain))
    assert not text.split(": ", 1)[1].startswith("(no store)") and "; (no store) $" in text


def test_rankings_and_conditions_rank_members_only(app: LocalApp) -> None:
    top = run(app, SemanticQuery(["orders"], dimensions=["store"], order="desc", limit=3))
    assert "(no store)" not in top.column("store") and top.row_count == 3
    bottom = run(app, SemanticQuery(["orders"], dimensions=["store"], order="asc", limit=50))
    assert bottom.column("store")[-1] == "(no store)"  # 40 stores first, then the rest
    over = run(app, SemanticQuery(["orders"], dimensions=["store_region"],
                                  conditions=[Condition("orders", ">", 1)]))
    assert over.row_count == 3 and "(no store)" not in over.column("store_region")


def test_an_exclusion_behind_a_nullable_join_keeps_unmatched_rows(app: LocalApp) -> None:
    table = run(app, SemanticQuery(["orders"], filters=[ValueFilter("store_region", ["EMEA"], negate=True)]))
    emea = scalar(app, """SELECT COUNT(*) FROM sales.orders o JOIN sales.stores s ON s.store_id = o.store_id
        WHERE s.region = 'EMEA'""")
    assert table.rows[0][0] == scalar(app, "SELECT COUNT(*) FROM sales.orders") - emea


def test_left_joined_tables_get_no_partition_predicate(app: LocalApp) -> None:
    sql = app.engine.compiler.compile(SemanticQuery(["revenue"], dimensions=["store_region"],
                                                    time_range=YEAR)).sql
    assert "LEFT JOIN sales.stores AS stores" in sql and "INNER JOIN sales.orders" in sql
    assert "stores.month" not in sql


def test_key_columns_are_labelled_and_not_charted(app: LocalApp) -> None:
    query = SemanticQuery(["revenue"], dimensions=["customer"], order="desc", limit=5)
    table = ResultTable(["customer", "customer_id", "revenue"], ["varchar", "bigint", "double"],
                        [("Globex BV", 1, 9.0), ("Globex BV", 7, 8.0), ("Stark Ltd", 3, 5.0)])
    formats = column_formats(query, app.model)
    spec = choose_chart(table, "", column_labels(query, app.model), formats)
    assert (spec.x, spec.y, spec.x_key) == ("customer", "revenue", "customer_id")
    assert summarize(query, app.model, table).endswith("Globex BV (ID 1) led with $9.")


def test_a_key_must_belong_to_the_table_of_its_name() -> None:
    raw = yaml.safe_load(SAMPLE_MODEL.read_text())
    raw["dimensions"]["customer"]["key"] = "orders.customer_id"
    with pytest.raises(ModelError, match="key orders.customer_id must be a column of customers"):
        model_from_dict(raw)


def test_missing_label_defaults_to_the_table_singular() -> None:
    raw = yaml.safe_load(SAMPLE_MODEL.read_text())
    for join in raw["joins"]:
        join.pop("missing_label", None)
    model = model_from_dict(raw)
    assert model.missing_labels("stores") == {"(no store)"} and model.missing_labels("customers") == set()
