"""The sample lake: layout, schema, determinism and believable shape."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from adapters.local.catalog import LocalCatalog
from adapters.local.sample_lake import REGIONS, build_sample_lake


def _q(lake: Path, sql: str) -> list[tuple]:
    sql = sql.replace("{lake}", lake.as_posix())
    return duckdb.connect().execute(sql).fetchall()


def _orders(lake: Path) -> str:
    return f"read_parquet('{lake.as_posix()}/sales/orders/*/*.parquet', hive_partitioning = true)"


def test_layout_is_athena_style_with_month_partitions(lake: Path) -> None:
    for table in ("orders", "order_items"):
        months = sorted(p.name for p in (lake / "sales" / table).iterdir())
        assert months[0] == "month=2023-01" and months[-1] == "month=2025-12" and len(months) == 36
    assert len(list((lake / "support" / "tickets").iterdir())) == 36
    for table in ("customers", "products", "stores"):
        assert list((lake / "sales" / table).glob("*.parquet"))


def test_catalog_sees_tables_types_and_partitions(lake: Path) -> None:
    tables = {t.qualified_name: t for t in LocalCatalog(lake).tables()}
    assert set(tables) == {"sales.customers", "sales.products", "sales.stores", "sales.orders",
                           "sales.order_items", "support.tickets"}
    items = {c.name: c.type for c in tables["sales.order_items"].columns}
    assert items == {"order_id": "bigint", "line_number": "integer", "product_id": "bigint",
                     "quantity": "integer", "unit_price": "decimal(10,2)", "discount": "decimal(4,2)",
                     "net_amount": "decimal(12,2)", "month": "varchar"}
    assert tables["sales.orders"].partition_keys == ("month",)
    assert tables["sales.customers"].partition_keys == ()
    orders = {c.name: c.type for c in tables["sales.orders"].columns}
    assert orders["order_ts"] == "timestamp" and orders["store_id"] == "bigint"
    tickets = {c.name: c.type for c in tables["support.tickets"].columns}
    assert tickets["csat"] == "integer" and tickets["closed_ts"] == "timestamp"


def _digest(lake: Path) -> str:
    h = hashlib.sha256()
    for table in ["sales/customers", "sales/orders", "sales/order_items", "support/tickets"]:
        rows = _q(lake, f"SELECT * FROM read_parquet('{{lake}}/{table}/**/*.parquet') ORDER BY ALL")
        h.update(repr(rows).encode())
    return h.hexdigest()


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    build_sample_lake(a, scale=0.01, seed=3)
    build_sample_lake(b, scale=0.01, seed=3)
    build_sample_lake(c, scale=0.01, seed=4)
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)


def test_rebuild_replaces_tables(tmp_path: Path) -> None:
    build_sample_lake(tmp_path, scale=0.02, seed=1)
    summary = build_sample_lake(tmp_path, scale=0.01, seed=1)
    rows = _q(tmp_path, f"SELECT count(*) FROM {_orders(tmp_path)}")[0][0]
    assert rows == summary.rows["sales.orders"] == 1500


def test_row_counts_follow_scale(lake: Path) -> None:
    counts = dict(_q(lake, f"""
        SELECT 'orders', count(*) FROM {_orders(lake)} UNION ALL
        SELECT 'items', count(*) FROM read_parquet('{{lake}}/sales/order_items/*/*.parquet') UNION ALL
        SELECT 'customers', count(*) FROM read_parquet('{{lake}}/sales/customers/*.parquet') UNION ALL
        SELECT 'tickets', count(*) FROM read_parquet('{{lake}}/support/tickets/*/*.parquet') UNION ALL
        SELECT 'products', count(*) FROM read_parquet('{{lake}}/sales/products/*.parquet') UNION ALL
        SELECT 'stores', count(*) FROM read_parquet('{{lake}}/sales/stores/*.parquet')"""))
    assert counts["orders"] == 7500 and counts["customers"] == 1000 and counts["tickets"] == 1500
    assert 2.4 < counts["items"] / counts["orders"] < 2.9
    assert counts["products"] == 300 and counts["stores"] == 40


def test_values_and_invariants(lake: Path) -> None:
    customers = f"read_parquet('{lake.as_posix()}/sales/customers/*.parquet')"
    pairs = set(_q(lake, f"SELECT DISTINCT region, country FROM {customers}"))
    assert pairs == {(r, c) for r, cs in REGIONS.items() for c in cs}
    assert {r[0] for r in _q(lake, f"SELECT DISTINCT segment FROM {customers}")} == \
        {"Consumer", "Small Business", "Enterprise"}
    # store_id only for store orders; statuses and payment methods as specified
    assert _q(lake, f"SELECT count(*) FROM {_orders(lake)} WHERE (channel = 'Store') <> (store_id IS NOT NULL)")[0][0] == 0
    assert {r[0] for r in _q(lake, f"SELECT DISTINCT status FROM {_orders(lake)}")} == {"completed", "returned", "cancelled"}
    assert {r[0] for r in _q(lake, f"SELECT DISTINCT payment_method FROM {_orders(lake)}")} == {"Card", "PayPal", "Cash", "Invoice"}
    # net_amount = quantity * unit_price * (1 - discount), to the cent
    bad = _q(lake, """SELECT count(*) FROM read_parquet('{lake}/sales/order_items/*/*.parquet')
                      WHERE abs(net_amount - round(quantity * unit_price * (1 - discount), 2)) > 0.01""")[0][0]
    assert bad == 0
    tickets = f"read_parquet('{lake.as_posix()}/support/tickets/*/*.parquet')"
    assert _q(lake, f"SELECT count(*) FROM {tickets} WHERE (status = 'Solved') <> (closed_ts IS NOT NULL)")[0][0] == 0
    assert _q(lake, f"SELECT count(*) FROM {tickets} WHERE (status = 'Solved') <> (csat IS NOT NULL)")[0][0] == 0
    assert _q(lake, f"SELECT min(csat), max(csat) FROM {tickets}")[0] == (1, 5)
    # every order belongs to a customer who had signed up by then
    early = _q(lake, f"""SELECT count(*) FROM {_orders(lake)} o JOIN {customers} c USING (customer_id)
                         WHERE CAST(o.order_ts AS DATE) < c.signup_date""")[0][0]
    assert early == 0


def test_growth_seasonality_and_skew(lake: Path) -> None:
    by_year = dict(_q(lake, f"SELECT year(order_ts), count(*) FROM {_orders(lake)} GROUP BY 1"))
    assert by_year[2023] < by_year[2024] < by_year[2025]
    by_quarter = dict(_q(lake, f"SELECT quarter(order_ts), count(*) FROM {_orders(lake)} GROUP BY 1"))
    assert by_quarter[4] == max(by_quarter.values())
    shares = [r[0] for r in _q(lake, """SELECT sum(net_amount) s FROM read_parquet('{lake}/sales/order_items/*/*.parquet')
                                        GROUP BY product_id ORDER BY s DESC""")]
    top_decile = sum(shares[: len(shares) // 10]) / sum(shares)
    assert top_decile > 0.3, "the best products should sell far more than the rest"


@pytest.mark.parametrize("scale", [0, -1])
def test_bad_scale_is_refused(tmp_path: Path, scale: float) -> None:
    with pytest.raises(ValueError):
        build_sample_lake(tmp_path, scale=scale)
