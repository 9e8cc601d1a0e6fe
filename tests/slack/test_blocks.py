"""Block Kit rendering: native table, chart image, headline, options; inside Slack's limits and
with every user text either escaped mrkdwn or plain text Slack never parses."""

from __future__ import annotations

import datetime as dt
import json

from adapters.slack.blocks import (ANSWER_ACTIONS, MAX_BLOCKS, SECTION_CHARS, TABLE_ROWS, answer_blocks,
                                   fallback_text)
from engine.domain import Answer, ResultTable


def _answer(rows: int, width: int = 10) -> Answer:
    table = ResultTable(["product", "revenue"], ["varchar", "double"],
                        [("p" * width + str(i), float(i) * 1000.5) for i in range(rows)])
    return Answer(status="answered", question="q", message="Revenue by product: p led.", sql="SELECT 1",
                  table=table, column_labels={"product": "Product", "revenue": "Revenue"},
                  column_formats={"revenue": "currency"}, download_url="https://example.com/r.csv")


def dicts(answer: Answer, **kw) -> list[dict]:  # noqa: ANN003
    return [b.to_dict() for b in answer_blocks(answer, "k", **kw)]


def of_type(blocks: list[dict], kind: str) -> list[dict]:
    return [b for b in blocks if b["type"] == kind]


def cell_text(cell: dict) -> str:
    if cell["type"] == "raw_text":
        return cell["text"]
    return "".join(e["text"] for s in cell["elements"] for e in s["elements"])


def test_the_table_is_a_native_table_block_with_numbers_right_aligned() -> None:
    blocks = dicts(_answer(5000, width=120), quicksight_url="https://qs.example.com/d")
    assert len(blocks) <= MAX_BLOCKS
    [table] = of_type(blocks, "table")
    header, first = table["rows"][0], table["rows"][1]
    assert [cell_text(c) for c in header] == ["Product", "Revenue"]
    assert header[0]["elements"][0]["elements"][0]["style"] == {"bold": True}  # the header row styled
    assert cell_text(first[1]) == "$0.00" and cell_text(table["rows"][2][1]) == "$1,000.50"  # exact money
    assert table["column_settings"][1] == {"align": "right"}
    assert table["column_settings"][0]["align"] == "left"
    assert len(table["rows"]) == TABLE_ROWS + 1 and all(len(r) <= 20 for r in table["rows"])
    [notes] = of_type(blocks, "context")
    assert "Showing 20 of 5,000 rows" in notes["elements"][0]["text"]
    [actions] = [b for b in blocks if b.get("block_id") == ANSWER_ACTIONS]
    buttons = {e["text"]["text"]: e for e in actions["elements"]}
    assert buttons["Download CSV"]["url"] == "https://example.com/r.csv"
    assert buttons["Open in QuickSight"]["url"] == "https://qs.example.com/d"


def test_the_fixed_width_table_stays_the_message_text() -> None:
    text = fallback_text(_answer(3))
    assert text.startswith("Revenue by product: p led.\n```Product") and "$2,001.00" in text
    assert len(fallback_text(_answer(5000, width=120))) <= 3000


def test_months_in_the_table_read_as_months() -> None:
    table = ResultTable(["month", "revenue"], ["date", "double"], [(dt.date(2025, m, 1), 1.0) for m in (1, 2)])
    answer = Answer(status="answered", question="q", message="m", table=table,
                    column_formats={"month": "month", "revenue": "currency"})
    [block] = of_type(dicts(answer), "table")
    assert [cell_text(r[0]) for r in block["rows"][1:]] == ["Jan 2025", "Feb 2025"]


def test_one_value_or_one_leader_gets_a_bold_headline() -> None:
    one = Answer(status="answered", question="q", message="Revenue, 2025: $33.9M.",
                 table=ResultTable(["revenue"], ["double"], [(33_899_916.42,)]), column_formats={"revenue": "currency"})
    blocks = dicts(one)
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"] == "$33.9M"
    leader = Answer(status="answered", question="q", message="...", column_formats={"revenue": "currency"},
                    table=ResultTable(["region", "revenue"], ["varchar", "double"], [("EMEA", 11_358_420.36)]))
    assert dicts(leader)[0]["text"]["text"] == "EMEA · $11.4M"
    assert of_type(dicts(_answer(3)), "header") == []  # a breakdown shows its table instead


def test_the_chart_is_an_image_block_of_the_uploaded_file() -> None:
    blocks = dicts(_answer(3), chart_file="F0000001")
    [image] = of_type(blocks, "image")
    assert image["slack_file"] == {"id": "F0000001"} and image["alt_text"].startswith("Revenue by product")
    kinds = [b["type"] for b in blocks]
    assert kinds.index("table") < kinds.index("image") < kinds.index("actions")


def test_feedback_buttons_in_ai_threads_thumbs_elsewhere_and_room_for_more_actions() -> None:
    from slack_sdk.models.blocks import ButtonElement

    blocks = dicts(_answer(3), feedback_buttons=True,
                   extra_actions=[ButtonElement(text="Schedule", action_id="digest_new", value="k")])
    [feedback] = of_type(blocks, "context_actions")
    element = feedback["elements"][0]
    assert element["type"] == "feedback_buttons" and element["action_id"] == "feedback"
    assert (element["positive_button"]["value"], element["negative_button"]["value"]) == ("up:k", "down:k")
    [actions] = of_type(blocks, "actions")
    assert [e["action_id"] for e in actions["elements"]] == ["show_sql", "open_url_csv", "digest_new"]
    plain = json.dumps(dicts(_answer(3)))
    assert '"feedback_up"' in plain and '"feedback_down"' in plain and "context_actions" not in plain


def test_a_few_options_are_buttons_many_are_a_select_and_the_text_does_not_list_them() -> None:
    few = Answer(status="clarify", question="q", message="x" * 5000, options=["o" * 200, "Store region"])
    blocks = dicts(few)
    assert len(blocks[0]["text"]["text"]) <= SECTION_CHARS
    elements = blocks[1]["elements"]
    assert len(elements[0]["text"]["text"]) <= 75 and elements[1]["value"] == "Store region"
    assert len(fallback_text(few)) <= 3000
    options = ["Revenue", "Units sold", "Gross margin", "Average order value", "Orders", "Buyers", "Customers",
               "Returned orders", "Cancelled orders", "Return rate", "Cancellation rate", "Stores", "Tickets",
               "CSAT", "Resolution time (hours)"]
    many = Answer(status="clarify", question="status", options=options,
                  message="Which measure do you want? I can answer about: " + ", ".join(o.lower() for o in options) + ".")
    blocks = dicts(many)
    assert blocks[0]["text"]["text"] == ":thinking_face: Which measure do you want?"
    [select] = blocks[1]["elements"]
    assert select["type"] == "static_select" and [o["value"] for o in select["options"]] == options


def test_user_text_is_escaped_in_mrkdwn_and_plain_in_table_cells() -> None:
    table = ResultTable(["name", "revenue"], ["varchar", "double"], [("<!channel> & <@U1>", 1.0), ("b", 2.0)])
    answer = Answer(status="answered", question="q", message="Top: <!channel> led", table=table)
    blocks = dicts(answer)
    summary = next(b for b in blocks if b["type"] == "section")
    assert summary["text"]["text"] == "Top: &lt;!channel&gt; led"
    [block] = of_type(blocks, "table")
    assert block["rows"][1][0] == {"type": "raw_text", "text": "<!channel> & <@U1>"}  # never parsed as markup
    assert "<!channel>" not in fallback_text(answer) and "&lt;!channel&gt; &amp; &lt;@U1&gt;" in fallback_text(answer)


def test_refusals_and_errors_are_plain_messages() -> None:
    for status, icon in (("refused", ":no_entry:"), ("error", ":warning:")):
        blocks = [b.to_dict() for b in answer_blocks(Answer(status=status, question="q", message="No."), "k")]
        assert len(blocks) == 1 and blocks[0]["text"]["text"] == f"{icon} No."
