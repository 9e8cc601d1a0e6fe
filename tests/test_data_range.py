"""An answer about a period without data says what the data covers; on the sample lake "today"
is the data's last day, so the README's questions have answers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.bootstrap import LocalApp
from bot.settings import SAMPLE_AS_OF, Settings
from engine.domain import LOCAL_ANALYST
from engine.service import QueryEngine
from engine.values import split_values_file, values_file_body, values_query
from tests.conftest import AS_OF

ORDERS = "orders run from 1 Jan 2023 to 31 Dec 2025"


def ask(app: LocalApp, question: str, as_of: dt.date = AS_OF):  # noqa: ANN201
    return app.engine.ask(question, LOCAL_ANALYST, as_of, charts=False)


def test_ranges_come_from_the_data_with_the_values(app: LocalApp) -> None:
    ranges = app.engine.time_ranges
    first, last = app.engine.executor.execute(
        "SELECT CAST(MIN(order_ts) AS DATE), CAST(MAX(order_ts) AS DATE) FROM sales.orders", LOCAL_ANALYST, 1).rows[0]
    assert ranges["orders.order_ts"] == (first, last) == (dt.date(2023, 1, 1), dt.date(2025, 12, 31))
    assert set(ranges) == {"orders.order_ts", "customers.signup_date", "stores.opened_date", "tickets.created_ts"}
    assert values_query(app.model).count("UNION ALL") == values_query(app.model, ranges=False).count("UNION ALL") + 4


def test_an_empty_breakdown_outside_the_data_says_its_range(app: LocalApp) -> None:
    answer = ask(app, "revenue by customer region last quarter", dt.date(2026, 7, 15))
    assert answer.status == "answered" and answer.table.row_count == 0
    assert answer.message == ("Revenue (completed orders) by customer region, 1 Apr 2026 - 30 Jun 2026: "
                              f"no data matched; {ORDERS}.")


def test_totals_counts_and_listings_outside_the_data_say_it_too(app: LocalApp) -> None:
    assert ask(app, "revenue in 2027").message.endswith(f"2027: no data matched; {ORDERS}.")
    assert ask(app, "how many orders in 2022").message.endswith(f": 0; {ORDERS}.")
    assert ask(app, "the 5 most recent orders in 2022").message.endswith(f"0 orders; {ORDERS}.")
    tickets = ask(app, "tickets by priority in 2027").message
    assert tickets.endswith("tickets run from 1 Jan 2023 to 31 Dec 2025.")


def test_a_compared_period_without_data_is_named(app: LocalApp) -> None:
    answer = ask(app, "revenue 2025 vs 2026", dt.date(2026, 3, 1))
    assert answer.message.endswith(f"; 2026 has no data: {ORDERS}.")


def test_an_empty_answer_inside_the_range_adds_nothing(app: LocalApp) -> None:
    answer = ask(app, "categories with more than 1 billion in revenue in 2024")
    assert answer.table.row_count == 0 and answer.message.endswith("no data matched.")
    assert "run from" not in ask(app, "revenue by channel in 2024").message


def test_the_values_file_carries_the_ranges_and_old_files_still_load(app: LocalApp) -> None:
    body = values_file_body(app.engine.values, app.engine.time_ranges)
    assert body["@time_ranges"]["orders.order_ts"] == ["2023-01-01", "2025-12-31"]
    values, ranges = split_values_file(body)
    assert values == app.engine.values and ranges == app.engine.time_ranges
    assert split_values_file({"category": ["Books"]}) == ({"category": ["Books"]}, {})
    engine = QueryEngine(app.model, app.catalog, app.engine.executor, values=values)
    assert engine.time_ranges == {}  # given values without ranges: no note, and no query to find them
    raw = QueryEngine(app.model, app.catalog, app.engine.executor, values=body)  # a file's contents as is
    assert raw.values == values and raw.time_ranges == ranges and "@time_ranges" not in raw.values


def test_the_sample_model_pins_today_to_the_last_day_of_its_data(tmp_path: Path) -> None:
    assert Settings.from_env({"ATHENA_BOT_HOME": str(tmp_path)}).as_of == SAMPLE_AS_OF
    assert Settings.from_env({"ATHENA_BOT_AS_OF": "2024-02-01"}).as_of == dt.date(2024, 2, 1)
    own = tmp_path / "own.yaml"
    own.write_text("name: own\n")
    assert Settings.from_env({"ATHENA_BOT_MODEL": str(own)}).as_of is None


def test_the_readme_first_example_has_an_answer(lake: Path, tmp_path: Path, monkeypatch, capsys) -> None:  # noqa: ANN001
    from bot.cli import main

    monkeypatch.setenv("ATHENA_BOT_HOME", str(tmp_path))
    monkeypatch.delenv("ATHENA_BOT_AS_OF", raising=False)
    assert main(["ask", "--lake", str(lake), "--no-chart", "revenue by customer region last quarter"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Revenue (completed orders) by customer region, 1 Jul 2025 - 30 Sep 2025: ")
    assert "no data matched" not in out
