"""The grammar elements of issue 11: superlatives, qualifiers, follow-ups that extend, business
shorthand, derived measures, and the honesty rules (never a silent guess)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.bootstrap import LocalApp
from engine.domain import LOCAL_ANALYST
from engine.errors import NeedsClarification, Refused
from engine.semantic_query import Condition, SemanticQuery, ValueFilter

AS_OF = dt.date(2025, 6, 15)


def understand(app: LocalApp, question: str, previous: SemanticQuery | None = None) -> SemanticQuery:
    return app.engine.understanding.understand(question, AS_OF, previous)


def ask(app: LocalApp, question: str, thread: str | None = None):  # noqa: ANN201
    return app.engine.ask(question, LOCAL_ANALYST, AS_OF, thread, charts=False)


@pytest.mark.parametrize("question, order, limit", [
    ("the best-selling brand in 2024", "desc", 1),
    ("the least popular category", "asc", 1),
    ("what was the busiest week in 2024", "desc", 1),
    ("top brand in sports", "desc", 1),
    ("top brands in sports", "desc", 10),
    ("which 4 stores had the most orders", "desc", 4),
    ("worst 3 sports products by revenue", "asc", 3),
    ("the 2 biggest consumer customers", "desc", 2),
    ("top ticket topics this year", "desc", 10),
])
def test_superlatives_read_their_number(app: LocalApp, question: str, order: str, limit: int) -> None:
    q = understand(app, question)
    assert (q.order, q.limit) == (order, limit)


def test_fastest_on_a_duration_is_the_lowest(app: LocalApp) -> None:
    assert understand(app, "fastest ticket channel to resolve").order == "asc"
    assert understand(app, "slowest topic to resolve").order == "desc"
    assert understand(app, "the slowest day for orders last month").order == "asc"  # fewest orders


def test_qualifiers_bind_to_what_they_qualify(app: LocalApp) -> None:
    assert understand(app, "revenue at stores in germany").filters[-1] == ValueFilter("store_country", ["Germany"])
    assert ValueFilter("store_region", ["EMEA"]) in understand(app, "revenue from EMEA stores").filters
    q = understand(app, "the latest 20 orders from consumer customers")
    assert q.entity == "order" and q.limit == 20 and q.filters == [ValueFilter("segment", ["Consumer"])]
    q = understand(app, "orders above $3,000 from france")
    assert q.entity == "order" and q.conditions == [Condition("order_value", ">", 3000)]
    q = understand(app, "what share of books revenue each brand has")
    assert q.share and q.dimensions == ["brand"] and q.filters == [ValueFilter("category", ["Books"])]
    with pytest.raises(NeedsClarification) as err:  # customers have no city: never the store's, silently
        understand(app, "orders from berlin customers")
    assert "store city" in str(err.value)


def test_follow_ups_extend_or_compare(app: LocalApp) -> None:
    first = understand(app, "orders by channel in 2025")
    second = understand(app, "and split by segment as well", first)
    assert second.dimensions == ["sales_channel", "segment"]
    third = understand(app, "how's that vs the year before?", second)
    assert [r.start.year for r in third.compare] == [2024, 2025] and third.dimensions == second.dimensions
    with pytest.raises(NeedsClarification):
        understand(app, "revenue vs the year before")  # before which period? asked, not all time


@pytest.mark.parametrize("question, expected", [
    ("orders w/o paypal in 2024", ValueFilter("payment_method", ["PayPal"], True)),
    ("apparel + beauty revenue", ValueFilter("category", ["Apparel", "Beauty"])),
    ("revenue @ online", ValueFilter("sales_channel", ["Online"])),
])
def test_shorthand(app: LocalApp, question: str, expected: ValueFilter) -> None:
    assert expected in understand(app, question).filters


def test_period_over_period_is_a_change_column(app: LocalApp) -> None:
    q = understand(app, "revenue qoq")
    assert q.growth and q.grain == "quarter"
    q = understand(app, "revenue yoy by quarter in 2025")
    assert q.growth and q.grain == "quarter" and q.growth_over == "year"
    answer = ask(app, "revenue yoy by quarter in 2024")
    assert "LAG(SUM(order_items.net_amount), 4)" in answer.sql and answer.table.row_count == 4
    q = understand(app, "revenue this quarter vs prior period")
    assert len(q.compare) == 2 and q.compare[0].end < q.compare[1].start


def test_ratios_of_model_metrics(app: LocalApp) -> None:
    q = understand(app, "revenue per buyer in 2024")
    assert q.ratio == ["revenue", "buyers"]
    q = understand(app, "margin % by category")
    assert q.ratio == ["gross_margin", "revenue"] and q.ratio_kind == "percent"
    assert understand(app, "return % for electronics").metrics == ["return_rate"]  # the model's own rate
    answer = ask(app, "units per order in 2024")
    units, orders, ratio = answer.table.rows[0]
    assert abs(ratio - units / orders) < 1e-9 and "Units sold per order (completed orders)" in answer.message
    assert "orders.status = 'completed'" in answer.sql  # orders counted within units' completed orders


def test_percentiles(app: LocalApp) -> None:
    answer = ask(app, "median order value in 2024")
    assert "APPROX_PERCENTILE(" in answer.sql and answer.message.startswith("Median order value (completed orders)")
    answer = ask(app, "p90 resolution time by priority")
    assert "APPROX_PERCENTILE(" in answer.sql and "0.9" in answer.sql and answer.table.row_count == 4
    with pytest.raises(NeedsClarification):
        understand(app, "median revenue")  # the median of what per what?


def test_counts_over_a_condition(app: LocalApp) -> None:
    q = understand(app, "how many customers ordered 3+ times in 2024")
    assert q.count_of == "customer" and q.conditions == [Condition("orders", ">=", 3)]
    q = understand(app, "how many repeat customers in 2024")
    assert q.count_of == "customer" and q.scope == "buyers" and q.conditions == [Condition("orders", ">=", 2)]
    answer = ask(app, "what share of 2024 buyers bought more than once")
    part, whole, share = answer.table.rows[0]
    assert share == pytest.approx(part / whole) and "HAVING" not in answer.sql
    with pytest.raises(NeedsClarification):
        understand(app, "revenue from repeat customers")  # not a count, and no such filter


def test_growth_rankings_and_named_days(app: LocalApp) -> None:
    q = understand(app, "which category grew fastest in 2024")
    assert q.growth and q.order == "desc" and [r.start.year for r in q.compare] == [2023, 2024]
    answer = ask(app, "top growing brands in 2024")
    assert answer.table.columns[-1] == "change_vs_previous" and "grew most" in answer.message
    q = understand(app, "black friday 2024 revenue")
    assert q.time_range.start == q.time_range.end == dt.date(2024, 11, 29)
    assert understand(app, "orders on cyber monday 2024").time_range.start == dt.date(2024, 12, 2)
    assert understand(app, "orders on christmas day 2024").time_range.start == dt.date(2024, 12, 25)


def test_ranked_within_each_group(app: LocalApp) -> None:
    answer = ask(app, "top product in each category in 2024")
    assert "ROW_NUMBER() OVER (PARTITION BY products.category" in answer.sql
    assert answer.table.row_count == 6  # one per category


def test_rates_of_a_value(app: LocalApp) -> None:
    answer = ask(app, "online % by region in 2024")
    shares = answer.table.column("share_of_total")
    assert set(answer.table.column("sales_channel")) == {"Online"} and len(shares) == 3
    assert all(0.3 < s < 0.8 for s in shares)  # online's part of each region, not of everything


def test_what_did_not_happen_is_an_anti_join_or_asked(app: LocalApp) -> None:
    query = understand(app, "which customers haven't ordered this year")
    assert query.entity == "customer" and query.absent == "orders" and query.time_range is None
    with pytest.raises(NeedsClarification):  # a "not" of something the model has no rows of
        understand(app, "which customers haven't complained this year")
    assert understand(app, "orders that weren't cancelled").filters == [
        ValueFilter("order_status", ["cancelled"], True)]


def test_a_money_condition_binds_to_money(app: LocalApp) -> None:
    q = understand(app, "products that cost more than $500")
    assert q.conditions == [Condition("price", ">", 500)]


def test_changing_a_record_is_refused_but_a_drop_in_revenue_is_a_question(app: LocalApp) -> None:
    for question in ("mark order 1234 as returned", "close ticket 55", "cancel all pending orders"):
        with pytest.raises(Refused):
            understand(app, question)
    assert understand(app, "did revenue drop last month").growth


def test_assumptions_and_corrections_are_said(app: LocalApp) -> None:
    answer = ask(app, "reveune by region in 2024")
    assert answer.message.startswith("Revenue (completed orders) by customer region")
    assert '(Read "reveune" as revenue.)' in answer.message and answer.options == ["Store region instead"]
