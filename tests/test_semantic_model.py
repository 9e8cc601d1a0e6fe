"""The sample semantic model holds the agreed metric definitions, and bad models fail early."""

from __future__ import annotations

import pytest
import yaml

from bot.settings import SAMPLE_MODEL
from engine.errors import ModelError
from engine.semantic_model import load_model, model_from_dict


def test_metric_definitions_are_the_agreed_ones() -> None:
    model = load_model(SAMPLE_MODEL)
    m = model.metrics
    assert m["revenue"].sql == "SUM(order_items.net_amount)"
    assert m["revenue"].filter_sql == "orders.status = 'completed'"
    assert {"sales", "net sales", "turnover"} <= set(m["revenue"].synonyms)
    assert m["units_sold"].sql == "SUM(order_items.quantity)"
    assert m["gross_margin"].sql == "SUM(order_items.net_amount - order_items.quantity * products.unit_cost)"
    assert m["average_order_value"].sql == "SUM(order_items.net_amount) / COUNT(DISTINCT order_items.order_id)"
    assert m["orders"].sql == "COUNT(DISTINCT orders.order_id)" and m["orders"].filter_sql is None
    assert m["buyers"].sql == "COUNT(DISTINCT orders.customer_id)"
    assert m["customers"].time.column == "signup_date"
    assert "'returned'" in m["return_rate"].sql and "('completed', 'returned')" in m["return_rate"].sql
    assert "'cancelled'" in m["cancellation_rate"].sql
    assert m["tickets"].time.column == "created_ts" and m["csat"].sql == "AVG(tickets.csat)"
    assert "3600" in m["resolution_time"].sql and m["resolution_time"].filter_sql == "tickets.status = 'Solved'"
    for name in ("revenue", "units_sold", "gross_margin", "average_order_value", "buyers"):
        assert m[name].filter_sql == "orders.status = 'completed'"


def test_dimensions_cover_the_agreed_list() -> None:
    dims = load_model(SAMPLE_MODEL).dimensions
    assert dims["region"].column.table == "customers" and dims["store_region"].column.table == "stores"
    for name in ("segment", "category", "subcategory", "brand", "product", "sales_channel",
                 "payment_method", "order_status", "store", "ticket_priority", "ticket_status",
                 "ticket_channel", "topic", "country"):
        assert name in dims


def _raw() -> dict:
    return yaml.safe_load(SAMPLE_MODEL.read_text())


@pytest.mark.parametrize("breakage, message", [
    (lambda r: r["metrics"]["revenue"].update(sql="SUM(order_items.net_amount"), "cannot parse"),
    (lambda r: r["metrics"]["revenue"].update(sql="SUM(nowhere.x)"), "unknown tables"),
    (lambda r: r["joins"].pop(0), "no root reaches"),
    (lambda r: r["dimensions"]["brand"].update(column="brand"), "alias.column"),
    (lambda r: r["metrics"]["revenue"].update(roots=[]), "root"),
])
def test_broken_models_fail_at_load(breakage, message: str) -> None:  # noqa: ANN001
    raw = _raw()
    breakage(raw)
    with pytest.raises(ModelError, match=message):
        model_from_dict(raw)
