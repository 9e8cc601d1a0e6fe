"""Time ranges and grains against an as-of date (Sunday 15 June 2025)."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.language.timeparse import parse_time

AS_OF = dt.date(2025, 6, 15)
D = dt.date


@pytest.mark.parametrize("text, start, end", [
    ("today", D(2025, 6, 15), D(2025, 6, 15)),
    ("yesterday", D(2025, 6, 14), D(2025, 6, 14)),
    ("last 7 days", D(2025, 6, 9), D(2025, 6, 15)),
    ("past 30 days", D(2025, 5, 17), D(2025, 6, 15)),
    ("last two weeks", D(2025, 6, 2), D(2025, 6, 15)),
    ("last 3 months", D(2025, 3, 16), D(2025, 6, 15)),
    ("this week", D(2025, 6, 9), D(2025, 6, 15)),
    ("this month", D(2025, 6, 1), D(2025, 6, 15)),
    ("this quarter", D(2025, 4, 1), D(2025, 6, 15)),
    ("this year", D(2025, 1, 1), D(2025, 6, 15)),
    ("last week", D(2025, 6, 2), D(2025, 6, 8)),
    ("last month", D(2025, 5, 1), D(2025, 5, 31)),
    ("last quarter", D(2025, 1, 1), D(2025, 3, 31)),
    ("last year", D(2024, 1, 1), D(2024, 12, 31)),
    ("ytd", D(2025, 1, 1), D(2025, 6, 15)),
    ("year to date", D(2025, 1, 1), D(2025, 6, 15)),
    ("so far this year", D(2025, 1, 1), D(2025, 6, 15)),
    ("qtd", D(2025, 4, 1), D(2025, 6, 15)),
    ("mtd", D(2025, 6, 1), D(2025, 6, 15)),
    ("in 2024", D(2024, 1, 1), D(2024, 12, 31)),
    ("in march", D(2025, 3, 1), D(2025, 3, 31)),
    ("in june", D(2025, 6, 1), D(2025, 6, 30)),
    ("in july", D(2024, 7, 1), D(2024, 7, 31)),  # latest July not after the as-of date
    ("in dec", D(2024, 12, 1), D(2024, 12, 31)),
    ("march 2024", D(2024, 3, 1), D(2024, 3, 31)),
    ("in q3 2024", D(2024, 7, 1), D(2024, 9, 30)),
    ("2023 q4", D(2023, 10, 1), D(2023, 12, 31)),
    ("in q2", D(2025, 4, 1), D(2025, 6, 30)),
    ("in q3", D(2024, 7, 1), D(2024, 9, 30)),
    ("since 2025-03-01", D(2025, 3, 1), D(2025, 6, 15)),
    ("since february", D(2025, 2, 1), D(2025, 6, 15)),
    ("between jan 2024 and mar 2024", D(2024, 1, 1), D(2024, 3, 31)),
    ("from 2023 to 2024", D(2023, 1, 1), D(2024, 12, 31)),
    ("on 2024-02-29", D(2024, 2, 29), D(2024, 2, 29)),
])
def test_ranges(text: str, start: dt.date, end: dt.date) -> None:
    found = parse_time(f"revenue {text} by region", AS_OF).range
    assert found is not None and (found.start, found.end) == (start, end)


def test_last_week_on_a_monday_is_the_previous_full_week() -> None:
    found = parse_time("orders last week", dt.date(2025, 6, 16)).range
    assert (found.start, found.end) == (D(2025, 6, 9), D(2025, 6, 15))


def test_last_month_in_january_is_previous_december() -> None:
    found = parse_time("orders last month", dt.date(2025, 1, 10)).range
    assert (found.start, found.end) == (D(2024, 12, 1), D(2024, 12, 31))


@pytest.mark.parametrize("text, grain", [
    ("daily revenue", "day"), ("revenue per week", "week"), ("monthly orders", "month"),
    ("revenue by month", "month"), ("quarterly sales", "quarter"), ("revenue by year", "year"),
    ("revenue trend", "month"), ("revenue", None),
])
def test_grains(text: str, grain: str | None) -> None:
    assert parse_time(text, AS_OF).grain == grain


def test_trend_grain_follows_range_length() -> None:
    assert parse_time("revenue trend last 30 days", AS_OF).grain == "day"
    assert parse_time("revenue trend last quarter", AS_OF).grain == "week"


def test_numbers_that_are_not_years_are_left_alone() -> None:
    parsed = parse_time("orders over 1000 in 2024", AS_OF)
    assert parsed.range.start == D(2024, 1, 1)
    assert "1000" in parsed.text and "2024" not in parsed.text


def test_no_time_words_no_range() -> None:
    parsed = parse_time("revenue by region", AS_OF)
    assert parsed.range is None and parsed.grain is None


@pytest.mark.parametrize("text, periods", [
    ("revenue 2024 vs 2025", [(D(2024, 1, 1), D(2024, 12, 31)), (D(2025, 1, 1), D(2025, 12, 31))]),
    ("revenue this year compared to last year", [(D(2024, 1, 1), D(2024, 6, 15)), (D(2025, 1, 1), D(2025, 6, 15))]),
    ("revenue by region compared to last year", [(D(2024, 1, 1), D(2024, 6, 15)), (D(2025, 1, 1), D(2025, 6, 15))]),
    ("orders q1 2025 vs the same period last year", [(D(2024, 1, 1), D(2024, 3, 31)), (D(2025, 1, 1), D(2025, 3, 31))]),
    ("orders last week vs the week before", [(D(2025, 5, 26), D(2025, 6, 1)), (D(2025, 6, 2), D(2025, 6, 8))]),
    ("revenue last 30 days vs the previous period", [(D(2025, 4, 17), D(2025, 5, 16)), (D(2025, 5, 17), D(2025, 6, 15))]),
    ("tickets in q1 vs q2", [(D(2025, 1, 1), D(2025, 3, 31)), (D(2025, 4, 1), D(2025, 6, 30))]),
])
def test_compared_periods(text: str, periods: list) -> None:
    parsed = parse_time(text, AS_OF)
    assert [(p.start, p.end) for p in parsed.compare] == periods
    assert (parsed.range.start, parsed.range.end) == (periods[0][0], max(p[1] for p in periods))


def test_range_labels() -> None:
    from engine.domain import DateRange
    from engine.language.timeparse import range_label

    assert range_label(DateRange(D(2024, 1, 1), D(2024, 12, 31), "")) == "2024"
    assert range_label(DateRange(D(2024, 7, 1), D(2024, 9, 30), "")) == "Q3 2024"
    assert range_label(DateRange(D(2025, 3, 1), D(2025, 3, 31), "")) == "Mar 2025"
    assert range_label(DateRange(D(2025, 1, 1), D(2025, 6, 15), "")) == "1 Jan 2025 - 15 Jun 2025"


@pytest.mark.parametrize("text, start, end", [
    ("revenue jan-mar 2025", D(2025, 1, 1), D(2025, 3, 31)),
    ("revenue in the first quarter of 2024", D(2024, 1, 1), D(2024, 3, 31)),
    ("revenue in the third quarter", D(2024, 7, 1), D(2024, 9, 30)),  # its latest start before as-of
    ("revenue in h1 2025", D(2025, 1, 1), D(2025, 6, 30)),
    ("revenue in the second half of 2024", D(2024, 7, 1), D(2024, 12, 31)),
    ("orders over the past year", D(2024, 6, 16), D(2025, 6, 15)),  # rolling, unlike "last year"
    ("orders in the past month", D(2025, 5, 16), D(2025, 6, 15)),
    ("orders between 1 march and 31 march 2025", D(2025, 3, 1), D(2025, 3, 31)),
    ("revenue for week 23", D(2025, 6, 2), D(2025, 6, 8)),
])
def test_more_ranges(text: str, start: dt.date, end: dt.date) -> None:
    found = parse_time(text, AS_OF).range
    assert (found.start, found.end) == (start, end)
