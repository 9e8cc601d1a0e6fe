"""Understanding: metrics, dimensions, values, rankings, honesty (clarify and refuse)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.bootstrap import LocalApp
from engine.domain import ResultTable
from engine.errors import NeedsClarification, Refused
from engine.presenter import summarize
from engine.semantic_query import SemanticQuery, ValueFilter

AS_OF = dt.date(2025, 6, 15)


def understand(app: LocalApp, question: str, previous: SemanticQuery | None = None) -> SemanticQuery:
    return app.engine.understanding.understand(question, AS_OF, previous)


def test_synonyms_and_plurals(app: LocalApp) -> None:
    assert understand(app, "turnover by categories").metrics == ["revenue"]
    assert understand(app, "net sales per country").dimensions == ["country"]
    assert understand(app, "profit by brand").metrics == ["gross_margin"]
    assert understand(app, "aov").metrics == ["average_order_value"]


def test_values_match_case_insensitively_and_multiword(app: LocalApp) -> None:
    q = understand(app, "revenue for HOME AND KITCHEN and paypal")
    assert ValueFilter("category", ["Home & Kitchen"]) in q.filters
    assert ValueFilter("payment_method", ["PayPal"]) in q.filters


def test_exclusion(app: LocalApp) -> None:
    q = understand(app, "revenue by category excluding books")
    assert q.filters == [ValueFilter("category", ["Books"], negate=True)]
    assert q.dimensions == ["category"]


def test_channel_resolves_by_what_is_measured(app: LocalApp) -> None:
    assert understand(app, "revenue by channel").dimensions == ["sales_channel"]
    assert understand(app, "tickets by channel").dimensions == ["ticket_channel"]
    assert understand(app, "orders by status").dimensions == ["order_status"]
    assert understand(app, "tickets by status").dimensions == ["ticket_status"]


def test_phone_value_depends_on_metric(app: LocalApp) -> None:
    assert understand(app, "tickets by phone").filters == [ValueFilter("ticket_channel", ["Phone"])]
    assert understand(app, "revenue from phones").filters == [ValueFilter("subcategory", ["Phones"])]


def test_region_values_mean_customer_region(app: LocalApp) -> None:
    assert understand(app, "revenue in emea").filters == [ValueFilter("region", ["EMEA"])]
    q = understand(app, "orders by store region")
    assert q.dimensions == ["store_region"]


def test_store_word_as_dimension_or_channel_value(app: LocalApp) -> None:
    assert understand(app, "revenue by store").dimensions == ["store"]
    q = understand(app, "revenue in store channel")
    assert q.filters == [ValueFilter("sales_channel", ["Store"])] and q.dimensions == []


def test_rankings(app: LocalApp) -> None:
    q = understand(app, "top 5 products by revenue")
    assert (q.dimensions, q.order, q.limit) == (["product"], "desc", 5)
    q = understand(app, "bottom three brands by units sold")
    assert (q.dimensions, q.order, q.limit) == (["brand"], "asc", 3)
    q = understand(app, "which country has the lowest return rate")
    assert (q.metrics, q.dimensions, q.order, q.limit) == (["return_rate"], ["country"], "asc", 1)
    q = understand(app, "best selling categories")
    assert (q.metrics, q.dimensions, q.order) == (["revenue"], ["category"], "desc")


def test_customers_is_a_metric_or_a_dimension(app: LocalApp) -> None:
    assert understand(app, "how many customers in emea").metrics == ["customers"]
    q = understand(app, "top 10 customers by revenue")
    assert q.metrics == ["revenue"] and q.dimensions == ["customer"]


@pytest.mark.parametrize("question", [
    "delete all cancelled orders", "DROP TABLE sales.orders", "truncate support.tickets",
    "update orders set status = 'completed'", "insert into sales.orders values (1)",
    "revenue by region; drop table sales.orders", "please remove the test customers",
    "select * from sales.orders", "show tables",
    "alter table sales.orders add column x int", "create table x as select 1",
])
def test_requests_to_change_data_are_refused(app: LocalApp, question: str) -> None:
    with pytest.raises(Refused):
        understand(app, question)


def test_misspellings_are_corrected_against_the_vocabulary(app: LocalApp) -> None:
    q = understand(app, "reveune by categroy in 2024")
    assert q.metrics == ["revenue"] and q.dimensions == ["category"]
    q = understand(app, "hw many custmers in germany")
    assert q.metrics == ["customers"] and q.filters == [ValueFilter("country", ["Germany"])]
    assert q.notes == ['read "custmers" as customer']


def test_a_misspelt_value_is_asked_about_never_filtered(app: LocalApp) -> None:
    with pytest.raises(NeedsClarification) as err:
        understand(app, "hw many custmers in germnay")
    assert str(err.value).startswith("Did you mean Germany") and err.value.options == ["Germany"]
    assert err.value.rewrites["Germany"].endswith("in germany")


def test_unknown_words_are_named_with_suggestions(app: LocalApp) -> None:
    with pytest.raises(NeedsClarification) as err:
        understand(app, "revenue by brandz colour")
    assert '"colour"' in str(err.value)


def test_no_metric_asks_which(app: LocalApp) -> None:
    with pytest.raises(NeedsClarification) as err:
        understand(app, "by region")
    assert "Which measure" in str(err.value) and "Revenue" in err.value.options


def test_incompatible_combinations_ask(app: LocalApp) -> None:
    with pytest.raises(NeedsClarification):
        understand(app, "revenue and tickets")
    with pytest.raises(NeedsClarification) as err:
        understand(app, "tickets by brand")
    assert "can't be broken down by brand" in str(err.value)


def test_follow_up_refines_previous(app: LocalApp) -> None:
    first = understand(app, "revenue by customer region in 2024")
    second = understand(app, "and for 2023?", first)
    assert second.metrics == ["revenue"] and second.dimensions == ["region"]
    assert second.time_range.start == dt.date(2023, 1, 1)
    third = understand(app, "only mobile", second)
    assert third.filters == [ValueFilter("sales_channel", ["Mobile"])]
    assert third.time_range == second.time_range
    fourth = understand(app, "by month", third)
    assert fourth.grain == "month"


# --- entity nouns qualified by a clause, and anti-joins ------------------------------------------

@pytest.mark.parametrize("question", ["customers in singapore who signed up this year",
                                      "new stores opened since 2024", "stores in germany",
                                      "customers from the APAC region", "stores located in france"])
def test_entity_noun_with_a_clause_lists_its_rows(app: LocalApp, question: str) -> None:
    query = understand(app, question)
    assert query.entity in ("customer", "store") and not query.metrics and not query.count


@pytest.mark.parametrize("question", ["how many stores opened since 2024", "online orders last month",
                                      "high priority tickets about billing in 2024"])
def test_counting_words_and_event_rows_still_count(app: LocalApp, question: str) -> None:
    query = understand(app, question)
    assert query.metrics and query.entity is None


def test_after_a_year_starts_the_day_past_it(app: LocalApp) -> None:
    query = understand(app, "stores in the emea region which opened after 2022")
    assert query.entity == "store" and query.time_range.start == dt.date(2023, 1, 1)


def test_anti_join_puts_the_window_on_the_event(app: LocalApp) -> None:
    query = understand(app, "stores with zero sales last month")
    assert query.entity == "store" and query.absent == "revenue" and query.time_range is None
    assert query.absent_range.start == dt.date(2025, 5, 1) and query.absent_range.end == dt.date(2025, 5, 31)
    assert any("no revenue (completed orders)" in n for n in query.notes)


@pytest.mark.parametrize("question, metric", [("customers with no orders", "orders"),
                                              ("products that never sold", "revenue"),
                                              ("products nobody bought in january", "revenue"),
                                              ("which customers bought nothing this year", "revenue"),
                                              ("customers that didn't buy anything last quarter", "revenue"),
                                              ("customers without any tickets", "tickets"),
                                              ("customers who never placed an order", "orders")])
def test_anti_join_cues_and_events(app: LocalApp, question: str, metric: str) -> None:
    query = understand(app, question)
    assert query.entity in ("customer", "product") and query.absent == metric


def test_anti_join_filters_split_between_entity_and_event(app: LocalApp) -> None:
    query = understand(app, "enterprise customers with no online orders in 2025")
    assert query.filters == [ValueFilter("segment", ["Enterprise"])]
    assert query.absent_filters == [ValueFilter("sales_channel", ["Online"])]


def test_anti_join_window_of_the_entity_own_date(app: LocalApp) -> None:
    query = understand(app, "customers who signed up this year and never ordered")
    assert query.absent == "orders" and query.absent_range is None
    assert query.time_range.start == dt.date(2025, 1, 1)


def test_haven_t_since_says_it_includes_those_with_none_before(app: LocalApp) -> None:
    query = understand(app, "customers who haven't ordered since march")
    assert query.absent == "orders" and query.absent_range.start == dt.date(2025, 3, 1)
    assert any("including those with none before either" in n for n in query.notes)


def test_a_no_that_finds_no_rows_to_list_asks(app: LocalApp) -> None:
    with pytest.raises(NeedsClarification):
        understand(app, "revenue with no returns")


def test_exclusions_are_not_anti_joins(app: LocalApp) -> None:
    assert understand(app, "revenue without books").filters == [ValueFilter("category", ["Books"], negate=True)]
    assert understand(app, "orders not paid by card").absent is None


@pytest.mark.parametrize("rows, truncated, said", [(3, False, ": 3 customers."),
                                                   (1000, False, ": at least 1,000 customers (the first 1,000 shown"),
                                                   (200, True, ": at least 200 customers (the first 200 shown")])
def test_a_listing_cut_at_its_limit_says_its_count_is_a_floor(app: LocalApp, rows: int, truncated: bool,
                                                              said: str) -> None:
    # the compiled LIMIT (1000, no limit asked) or the answer's row cap cut the rows: the count that
    # matched is unknown, so "1,000 customers" would be a wrong number said with confidence
    query = understand(app, "customers with no orders")
    table = ResultTable(["customer_name"], ["varchar"], [(f"c{i}",) for i in range(rows)], truncated=truncated)
    assert said in summarize(query, app.model, table)
