"""How an Answer is drawn: an Athena answer's footer, downloads and QuickSight link, column formats,
and the non-answers (refusal, error) without table or buttons."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from streamlit.testing.v1 import AppTest

from engine.domain import Answer, ResultTable

QUICKSIGHT = "https://eu-west-1.quicksight.aws.amazon.com/sn/dashboards/sales"
DOWNLOAD = "https://athena-results.s3.amazonaws.com/queries/abc.csv?X-Amz-Signature=x"


def athena_answer() -> Answer:
    table = ResultTable(["month", "store_id", "revenue", "share_of_total"],
                        ["date", "bigint", "decimal(18,2)", "double"],
                        [(dt.date(2025, 1, 1), 1001, Decimal("1234.50"), 0.25),
                         (dt.date(2025, 2, 1), 1002, Decimal("99.99"), 0.75)], truncated=True)
    return Answer(status="answered", question="revenue by month", message="Revenue by month: $1.3K in all.",
                  sql="SELECT 1", table=table, column_labels={"month": "Month", "revenue": "Revenue"},
                  column_formats={"store_id": "id", "revenue": "currency", "share_of_total": "percent"},
                  footer="Data scanned: 12.4 MB (about $0.0001) in 1.2 s", download_url=DOWNLOAD)


def _answer_page() -> None:
    from adapters.web.render import render_answer
    from tests.web.test_render import QUICKSIGHT, athena_answer

    render_answer(athena_answer(), "k1", rows_cut=5, quicksight_url=QUICKSIGHT)


def _refusal_page() -> None:
    from adapters.web.render import render_answer
    from engine.domain import Answer

    render_answer(Answer(status="refused", question="drop table", message="I only read data."), "k2")
    render_answer(Answer(status="error", question="x", message="Athena failed: the table is gone.",
                         sql="SELECT 2"), "k3")


def test_an_athena_answer_shows_its_cost_footer_downloads_and_quicksight_link() -> None:
    page = AppTest.from_function(_answer_page).run()
    assert not page.exception
    captions = [c.value for c in page.caption]
    assert r"Data scanned\: 12\.4 MB \(about \$0\.0001\) in 1\.2 s" in captions
    assert any("5 more rows are in the CSV download" in c for c in captions)
    assert any("cut at the row limit" in c for c in captions)
    links = {b.value: b.proto.url for b in page.get("link_button")}
    assert links == {"Full result (CSV)": DOWNLOAD, "Open in QuickSight": QUICKSIGHT}
    [csv] = page.download_button
    assert csv.proto.label == "Download CSV"
    columns = json.loads(page.dataframe[0].proto.columns)
    assert columns["month"]["label"] == "Month" and columns["month"]["type_config"]["type"] == "date"
    assert columns["store_id"]["type_config"]["type"] == "text"  # ids are not numbers to format
    assert columns["revenue"]["type_config"]["format"] == "dollar"
    assert columns["share_of_total"]["type_config"]["format"] == "percent"
    frame = page.dataframe[0].value
    assert frame["revenue"].tolist() == [1234.5, 99.99]  # decimals as numbers, so the table sorts them


def test_refusals_and_errors_are_messages_without_table_or_feedback() -> None:
    page = AppTest.from_function(_refusal_page).run()
    assert not page.exception
    assert [w.value for w in page.warning] == [r"I only read data\."]
    assert [e.value for e in page.error] == [r"Athena failed\: the table is gone\."]
    assert not page.dataframe and not page.feedback and not page.download_button
    assert page.expander[0].code[0].value == "SELECT 2"  # the SQL that failed stays inspectable
