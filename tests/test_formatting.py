"""Numbers and dates for people: money exact in tables and compact in sentences, periods by their
grain, and the headline of a one-value answer."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.domain import Answer, ResultTable
from engine.formatting import format_value, headline, text_table


@pytest.mark.parametrize(("value", "compact", "shown"), [
    (33_899_916.42, True, "$33.9M"), (921_098.58, True, "$921.1K"), (645.709, True, "$646"),
    (45.3, True, "$45.30"), (45.0, True, "$45"), (33_899_916.42, False, "$33,899,916.42"), (0.5, False, "$0.50"),
])
def test_money_has_the_precision_its_place_needs(value: float, compact: bool, shown: str) -> None:
    assert format_value(value, "currency", compact=compact) == shown


@pytest.mark.parametrize(("grain", "shown"), [
    ("month", "Jan 2025"), ("quarter", "Q1 2025"), ("year", "2025"), ("week", "W1 2025"), ("day", "1 Jan 2025"),
])
def test_period_starts_read_as_their_grain(grain: str, shown: str) -> None:
    assert format_value(dt.date(2025, 1, 1), grain) == shown
    assert format_value(dt.datetime(2025, 1, 1), grain) == shown
    assert format_value(dt.date(2025, 1, 1)) == "2025-01-01"  # a plain date column stays a date


def test_tables_show_months_as_people_write_them() -> None:
    table = ResultTable(["month", "revenue"], ["date", "double"], [(dt.date(2025, 1, 1), 2061909.25),
                                                                   (dt.date(2025, 2, 1), 1897291.17)])
    answer = Answer("answered", "q", "m", table=table, column_labels={"month": "Month", "revenue": "Revenue"},
                    column_formats={"month": "month", "revenue": "currency"})
    text = text_table(answer)
    assert "Jan 2025  $2,061,909.25" in text and "Feb 2025  $1,897,291.17" in text


def test_headline_for_one_value_or_one_leader_only() -> None:
    def answer(columns: list[str], rows: list[tuple], formats: dict[str, str]) -> Answer:
        types = ["double" if isinstance(v, float) else "varchar" for v in rows[0]]
        return Answer("answered", "q", "m", table=ResultTable(columns, types, rows), column_formats=formats)

    assert headline(answer(["revenue"], [(33_899_916.42,)], {"revenue": "currency"})) == "$33.9M"
    assert headline(answer(["region", "revenue"], [("EMEA", 11_358_420.0)], {"revenue": "currency"})) == "EMEA · $11.4M"
    assert headline(answer(["region", "revenue"], [("EMEA", 1.0), ("AMER", 2.0)], {})) is None
    assert headline(answer(["revenue", "orders"], [(1.0, 2.0)], {})) is None  # two numbers: the table says it
    assert headline(Answer("error", "q", "m")) is None
