"""Chart choice from the result's shape, and real PNG rendering."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from matplotlib.image import imread

from charts import make_chart
from charts.choose import choose_chart
from charts.render import render_png
from engine.domain import ResultTable

MONTHS = [dt.date(2024, m, 1) for m in range(1, 13)]


def test_single_value_has_no_chart() -> None:
    assert choose_chart(ResultTable(["revenue"], ["double"], [(12.5,)])) is None
    assert make_chart(ResultTable(["revenue"], ["double"], [(12.5,)]), "", {}, {}) is None


def test_time_series_is_a_line() -> None:
    table = ResultTable(["month", "revenue"], ["date", "double"], [(m, float(i)) for i, m in enumerate(MONTHS)])
    spec = choose_chart(table, "Revenue by month")
    assert (spec.kind, spec.x, spec.y, spec.series) == ("line", "month", "revenue", None)


def test_time_series_by_category_is_a_multi_line() -> None:
    rows = [(m, c, 1.0) for m in MONTHS for c in ("A", "B")]
    spec = choose_chart(ResultTable(["month", "category", "revenue"], ["date", "varchar", "double"], rows))
    assert spec.kind == "line" and spec.series == "category"


def test_few_categories_are_bars_many_are_horizontal() -> None:
    few = ResultTable(["region", "revenue"], ["varchar", "decimal(12,2)"], [("EMEA", 3.0), ("AMER", 2.0)])
    assert choose_chart(few).kind == "bar"
    many = ResultTable(["product", "revenue"], ["varchar", "double"], [(f"P{i}", float(i)) for i in range(30)])
    assert choose_chart(many).kind == "hbar"


def test_no_measure_no_chart() -> None:
    assert choose_chart(ResultTable(["name"], ["varchar"], [("a",), ("b",)])) is None


@pytest.mark.parametrize("table", [
    ResultTable(["month", "revenue"], ["date", "double"], [(m, float(i * 1000)) for i, m in enumerate(MONTHS)]),
    ResultTable(["month", "c", "revenue"], ["date", "varchar", "double"], [(m, c, 1.0) for m in MONTHS for c in "xyz"]),
    ResultTable(["region", "rate"], ["varchar", "double"], [("EMEA", 0.1), ("AMER", None)]),
    ResultTable(["product", "revenue"], ["varchar", "double"], [(f"Product {i}", float(i)) for i in range(40)]),
])
def test_renders_a_readable_png(table: ResultTable) -> None:
    spec = choose_chart(table, "A title that is long enough to need wrapping " * 3, formats={"revenue": "currency"})
    png = render_png(spec, table)
    image = imread(io.BytesIO(png), format="png")
    assert png.startswith(b"\x89PNG") and image.shape[0] >= 400 and image.shape[1] >= 700
    assert image[..., :3].std() > 0.05  # not a blank canvas


def test_compared_periods_by_category_are_grouped_bars() -> None:
    rows = [(p, c, v) for c in ("Mobile", "Online", "Store") for p, v in (("2024", 1.0), ("2025", 1.5))]
    table = ResultTable(["period", "sales_channel", "revenue"], ["varchar", "varchar", "double"], rows)
    spec = choose_chart(table, "Revenue by channel, 2024 vs 2025")
    assert (spec.kind, spec.x, spec.series) == ("bar", "sales_channel", "period")
    image = imread(io.BytesIO(render_png(spec, table)), format="png")
    assert image.shape[1] == 800


def test_repeating_names_are_told_apart_by_their_key() -> None:
    table = ResultTable(["customer", "customer_id", "revenue"], ["varchar", "bigint", "double"],
                        [("Globex BV", 1, 9.0), ("Globex BV", 7, 8.0), ("Stark Ltd", 3, 5.0)])
    spec = choose_chart(table, formats={"customer_id": "id"})
    assert (spec.x, spec.y, spec.x_key) == ("customer", "revenue", "customer_id")
    assert choose_chart(table).y == "customer_id"  # without the format the key looks like a measure
    assert render_png(spec, table).startswith(b"\x89PNG")
