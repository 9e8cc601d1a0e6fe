"""Phrasing the way employees type: conditions, spelling, casual forms, listings, follow-ups."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.bootstrap import LocalApp
from engine.language.conditions import find_conditions
from engine.domain import LOCAL_ANALYST
from engine.errors import NeedsClarification
from engine.semantic_query import Condition, SemanticQuery, ValueFilter
from engine.language.spelling import SpellingCorrector, edit_distance
from engine.language.text import expand_casual

AS_OF = dt.date(2025, 6, 15)


def understand(app: LocalApp, question: str, previous: SemanticQuery | None = None) -> SemanticQuery:
    return app.engine.understanding.understand(question, AS_OF, previous)


@pytest.mark.parametrize("text, op, value, high", [
    ("categories with more than 1 million in revenue", ">", 1e6, None),
    ("orders over $1,000", ">", 1000, None),
    ("at least 2.5k orders", ">=", 2500, None),
    ("return rate above 10%", ">", 0.10, None),
    ("priced between $100 and $200", "between", 100, 200),
    ("customers with 5+ orders", ">=", 5, None),
    ("no more than 3 tickets", "<=", 3, None),
    ("revenue under 1.5m", "<", 1.5e6, None),
])
def test_numeric_conditions(text: str, op: str, value: float, high: float | None) -> None:
    [found], rest = find_conditions(text)
    assert (found.op, found.high) == (op, high) and found.value == pytest.approx(value)
    assert len(rest) == len(text) and text[found.start:found.end].strip() not in rest


@pytest.mark.parametrize("text", ["revenue over time", "revenue between 2023 and 2024",
                                  "orders over the last 30 days", "top 10 products"])
def test_words_that_are_not_conditions(text: str) -> None:
    assert find_conditions(text) == ([], text)


def test_spelling_corrects_only_when_one_word_is_clearly_closest() -> None:
    assert edit_distance("reveune", "revenue", 2) == 1  # a transposition is one edit
    speller = SpellingCorrector({"revenue", "category", "order", "over", "by"},
                                {"revenue", "category", "order", "over", "cat", "bat"})
    assert speller.fix("reveune by categroy") == "revenue by category"
    assert speller.fix("oders") == "order"  # closer to "order" than to "over"
    assert speller.fix("weather") == "weather"  # nothing close: left for the clarification
    assert expand_casual("hw many custs r there pls") == "how many custs are there please"


def test_abbreviations_are_derived_from_the_model_words(app: LocalApp) -> None:
    from engine.language.abbreviations import Abbreviations
    words = {"product", "category", "quantity", "payment", "department", "customer", "revenue",
             "priority", "price"}
    abbreviations = Abbreviations(words, known=set(words))
    assert [abbreviations.expand(w) for w in ("prods", "cats", "qty", "pmt", "dept", "cust", "rev")] == \
        ["products", "categorys", "quantity", "payment", "department", "customer", "revenue"]
    assert abbreviations.expand("pri") is None  # priority or price: never a guess
    assert abbreviations.expand("xyz") is None
    q = understand(app, "top 5 prods by rev in 2024")
    assert (q.metrics, q.dimensions, q.limit) == (["revenue"], ["product"], 5)
    assert understand(app, "qty by cats").dimensions == ["category"]
    assert understand(app, "orders by pmt method").dimensions == ["payment_method"]


def test_misspelt_values_are_asked_about(app: LocalApp) -> None:
    with pytest.raises(NeedsClarification) as err:
        understand(app, "revenue from electornics")
    assert "Did you mean Electronics" in str(err.value)
    answer = app.engine.ask("revenue from electornics", LOCAL_ANALYST, AS_OF, "thread-typo", charts=False)
    assert answer.status == "clarify" and answer.options == ["Electronics"]
    second = app.engine.ask("Electronics", LOCAL_ANALYST, AS_OF, "thread-typo", charts=False)
    assert second.status == "answered" and "product category is Electronics" in second.message


def test_metric_conditions_become_having(app: LocalApp) -> None:
    q = understand(app, "categories with more than 1 million in revenue")
    assert q.dimensions == ["category"] and q.conditions == [Condition("revenue", ">", 1e6)]
    q = understand(app, "customers with at least 8 orders")
    assert q.metrics == ["orders"] and q.dimensions == ["customer"]
    assert q.conditions == [Condition("orders", ">=", 8)]
    q = understand(app, "subcategories with a return rate above 10")  # a rate: 10 means 10%
    assert q.conditions == [Condition("return_rate", ">", 0.1)]
    sql = app.engine.compiler.compile(understand(app, "brands with revenue over 100k")).sql
    assert "HAVING\n  SUM(order_items.net_amount) > 100000" in sql


def test_listings(app: LocalApp) -> None:
    q = understand(app, "completed orders over $1000 last month")
    assert (q.entity, q.sort, q.order) == ("order", "time", "desc")
    assert q.conditions == [Condition("order_value", ">", 1000)]
    assert q.filters == [ValueFilter("order_status", ["completed"])]
    q = understand(app, "list the stores in EMEA")
    assert q.entity == "store" and q.filters == [ValueFilter("store_region", ["EMEA"])]
    q = understand(app, "the 3 biggest orders last week")
    assert (q.entity, q.sort, q.limit) == ("order", "order_value", 3)
    q = understand(app, "how many products cost less than $20")
    assert q.entity == "product" and q.count and q.conditions == [Condition("price", "<", 20)]
    # with a measure or a breakdown it is an aggregate, not a listing
    assert understand(app, "orders by channel").entity is None
    assert understand(app, "top 5 customers by revenue").entity is None


def test_listing_sql_sums_lines_per_order(app: LocalApp) -> None:
    answer = app.engine.ask("orders over $1000 in 2024", LOCAL_ANALYST, AS_OF, charts=False)
    assert answer.status == "answered", answer.message
    assert "HAVING\n  SUM(order_items.net_amount) > 1000" in answer.sql
    assert answer.table.columns[:2] == ["order_id", "order_ts"]
    assert all(v > 1000 for v in answer.table.column("order_value"))
    assert answer.column_formats["order_id"] == "id"
    assert answer.message.startswith("Orders, order value over $1,000, 1 Jan 2024 - 31 Dec 2024")


def test_period_comparison_answers_with_a_period_column(app: LocalApp) -> None:
    answer = app.engine.ask("revenue 2024 vs 2025", LOCAL_ANALYST, AS_OF, charts=False)
    assert answer.table.columns == ["period", "revenue"]
    assert [r[0] for r in answer.table.rows] == ["2024", "2025"]
    assert "2024 vs 2025: 2024 $" in answer.message and "% 2025 vs 2024)" in answer.message


def test_an_unqualified_word_takes_the_default_with_the_other_sense_one_click_away(app: LocalApp) -> None:
    first = app.engine.ask("revenue by region in 2024", LOCAL_ANALYST, AS_OF, "thread-region", charts=False)
    assert first.status == "answered" and first.table.columns == ["region", "revenue"]
    assert first.message.startswith("Revenue (completed orders) by customer region")
    assert first.options == ["Store region instead"]
    second = app.engine.ask("Store region instead", LOCAL_ANALYST, AS_OF, "thread-region", charts=False)
    assert second.status == "answered" and second.table.columns == ["store_region", "revenue"]
    assert second.message.startswith("Revenue (completed orders) by store region, 1 Jan 2024 - 31 Dec 2024")
    third = app.engine.ask("and for 2023?", LOCAL_ANALYST, AS_OF, "thread-region", charts=False)
    assert third.status == "answered" and "1 Jan 2023 - 31 Dec 2023" in third.message


def test_follow_ups_change_measure_ranking_and_filters(app: LocalApp) -> None:
    first = understand(app, "revenue by category in 2024")
    second = understand(app, "now by units", first)
    assert second.metrics == ["units_sold"] and second.dimensions == ["category"]
    third = understand(app, "top 3 instead", second)
    assert (third.order, third.limit) == ("desc", 3)
    fourth = understand(app, "what about EMEA?", third)
    assert ValueFilter("region", ["EMEA"]) in fourth.filters and fourth.limit == 3
    fifth = understand(app, "break it down by month", fourth)
    assert fifth.grain == "month" and fifth.metrics == ["units_sold"]


def test_average_of_a_total_asks_per_what(app: LocalApp) -> None:
    with pytest.raises(NeedsClarification) as err:
        understand(app, "average revenue by category")
    assert "per what" in str(err.value) and "Average order value" in err.value.options
    assert understand(app, "average csat by topic").metrics == ["csat"]  # already an average


def test_values_of_a_dimension_are_listed(app: LocalApp) -> None:
    answer = app.engine.ask("what subcategories are there in electronics", LOCAL_ANALYST, AS_OF, charts=False)
    assert answer.status == "answered" and answer.table.columns == ["subcategory"]
    assert [r[0] for r in answer.table.rows] == sorted(r[0] for r in answer.table.rows)
    assert "Laptops" in answer.message and "product category is Electronics" in answer.message
    assert understand(app, "which payment methods do we offer").dimensions == ["payment_method"]


def test_numbers_and_percent_nobody_understood_are_not_ignored(app: LocalApp) -> None:
    for question in ("revenue for 23", "% by category", "orders %"):
        with pytest.raises(NeedsClarification):
            understand(app, question)


def test_more_phrasing(app: LocalApp) -> None:
    assert understand(app, "what's the csat for phone support").filters == [ValueFilter("ticket_channel", ["Phone"])]
    q = understand(app, "revenue for enterprise customers in the usa")
    assert q.dimensions == [] and ValueFilter("country", ["United States"]) in q.filters
    q = understand(app, "which customers spent more than $5000 last year")
    assert q.metrics == ["revenue"] and q.dimensions == ["customer"] and q.conditions[0].value == 5000
    q = understand(app, "which day had the most orders last month")
    assert (q.grain, q.order, q.limit) == ("day", "desc", 1)
    assert understand(app, "which stores had the highest revenue").limit is None  # plural: a ranking
    assert understand(app, "revenue by channel and month").grain == "month"
    q = understand(app, "revenue for week 23")
    assert (q.time_range.start, q.time_range.end) == (dt.date(2025, 6, 2), dt.date(2025, 6, 8))


def test_time_words_nobody_understood_are_not_ignored(app: LocalApp) -> None:
    with pytest.raises(NeedsClarification) as err:
        understand(app, "revenue in the fifth quarter")  # not a quarter: ask, never all time
    assert '"quarter"' in str(err.value)


def test_negation_reaches_back_and_nouns_after_from_are_not_breakdowns(app: LocalApp) -> None:
    assert understand(app, "orders not paid by card").filters == [ValueFilter("payment_method", ["Card"], True)]
    assert understand(app, "revenue apart from books").filters == [ValueFilter("category", ["Books"], True)]
    q = understand(app, "revenue from customers not in emea")
    assert q.dimensions == [] and q.filters == [ValueFilter("region", ["EMEA"], True)]
    with pytest.raises(NeedsClarification):
        understand(app, "revenue from returning customers")  # not silently all customers


def test_past_forms_are_dropped_only_for_whole_terms(app: LocalApp) -> None:
    assert understand(app, "customers signed up in 2024").metrics == ["customers"]
    with pytest.raises(NeedsClarification):  # "closed" is not "time to close": ask, never guess
        understand(app, "tickets opened vs closed last month")


def test_a_breakdown_named_for_other_data_uses_the_one_that_fits(app: LocalApp) -> None:
    assert understand(app, "count of stores by country").dimensions == ["store_country"]


def test_nouns_that_only_say_whose_data(app: LocalApp) -> None:
    q = understand(app, "whats the total margin for home and kitchen products ytd")
    assert q.dimensions == [] and q.filters == [ValueFilter("category", ["Home & Kitchen"])]
    q = understand(app, "which payment method do customers use most")
    assert q.dimensions == ["payment_method"] and q.order == "desc"
    assert understand(app, "revenue numbers for q2 2025 broken down by category").dimensions == ["category"]


def test_status_words_used_as_verbs_are_not_filters(app: LocalApp) -> None:
    q = understand(app, "how many tickets did enterprise customers open in 2024")
    assert q.filters == [ValueFilter("segment", ["Enterprise"])]
    assert understand(app, "open tickets by priority").filters == [ValueFilter("ticket_status", ["Open"])]
    assert understand(app, "ticket volume trend").metrics == ["tickets"]


def test_listing_follow_ups_and_from_a_day(app: LocalApp) -> None:
    first = understand(app, "show me orders from yesterday")
    assert first.entity == "order" and first.time_range.start == first.time_range.end == dt.date(2025, 6, 14)
    second = understand(app, "only those over $500", first)
    assert second.conditions == [Condition("order_value", ">", 500)] and second.time_range == first.time_range
    third = understand(app, "sort by value", second)
    assert (third.sort, third.order) == ("order_value", "desc") and third.filters == []


def test_share_questions_group_by_the_named_value(app: LocalApp) -> None:
    answer = app.engine.ask("What share of revenue comes from online?", LOCAL_ANALYST, AS_OF, charts=False)
    assert answer.table.columns == ["sales_channel", "revenue", "share_of_total"]
    # the named value's row, its share of every channel's revenue
    [(channel, revenue, share)] = answer.table.rows
    everything = app.engine.ask("revenue", LOCAL_ANALYST, AS_OF, charts=False).table.rows[0][0]
    assert channel == "Online" and abs(share - float(revenue) / float(everything)) < 1e-9
    assert answer.column_formats["share_of_total"] == "percent"
    assert ", share of total, all time: Online " in answer.message and "% ($" in answer.message
    with pytest.raises(NeedsClarification):
        understand(app, "share of csat")  # an average has no shares
    with pytest.raises(NeedsClarification):
        understand(app, "share of revenue")  # of what?


def test_growth_is_the_change_on_the_previous_period(app: LocalApp) -> None:
    answer = app.engine.ask("revenue growth by month in 2024", LOCAL_ANALYST, AS_OF, charts=False)
    assert answer.table.columns == ["month", "revenue", "change_vs_previous"]
    changes = answer.table.column("change_vs_previous")
    revenue = answer.table.column("revenue")
    # the first month too has its change, against the month before the range
    assert len(changes) == 12 and changes[0] is not None
    assert abs(changes[1] - (float(revenue[1]) / float(revenue[0]) - 1)) < 1e-9
    assert answer.message.endswith("on Nov 2024.") and "change vs previous month" in answer.message
    assert understand(app, "revenue growth").grain == "year"


def test_growth_of_one_period_compares_with_the_one_before(app: LocalApp) -> None:
    q = understand(app, "did orders increase last month")
    assert q.growth and q.grain == "month"
    assert (q.time_range.start, q.time_range.end) == (dt.date(2025, 5, 1), dt.date(2025, 5, 31))
    answer = app.engine.ask("did orders increase last month", LOCAL_ANALYST, AS_OF, charts=False)
    assert answer.table.row_count == 1 and answer.table.column("change_vs_previous")[0] is not None
    assert "'2025-04-01 00:00:00'" in answer.sql  # April is read, to compare May with
    q = understand(app, "what fraction of orders are returned")  # never corrected to "fiction"
    assert q.share and q.highlight == ["returned"] and q.dimensions == ["order_status"]
