"""Block Kit rendering stays inside Slack's limits, whatever the answer."""

from __future__ import annotations

from adapters.slack.blocks import MAX_BLOCKS, SECTION_CHARS, answer_blocks, fallback_text
from engine.domain import Answer, ResultTable


def _answer(rows: int, width: int = 10) -> Answer:
    table = ResultTable(["product", "revenue"], ["varchar", "double"],
                        [("p" * width + str(i), float(i) * 1000) for i in range(rows)])
    return Answer(status="answered", question="q", message="Revenue by product: p led.", sql="SELECT 1",
                  table=table, column_labels={"product": "Product", "revenue": "Revenue"},
                  column_formats={"revenue": "currency"}, download_url="https://example.com/r.csv")


def test_long_tables_are_cut_with_a_count_never_rejected() -> None:
    blocks = [b.to_dict() for b in answer_blocks(_answer(5000, width=120), "k", "https://qs.example.com/d")]
    assert len(blocks) <= MAX_BLOCKS
    table = blocks[1]["text"]["text"]
    assert len(table) <= SECTION_CHARS and table.startswith("```Product")
    assert "more rows" in table
    lines = table.strip("`").splitlines()
    assert lines[2].rstrip().endswith("$0.00") and len(lines[2]) == len(lines[3])  # numbers right-aligned
    buttons = {e["text"]["text"]: e for e in blocks[-1]["elements"]}
    assert buttons["Download CSV"]["url"] == "https://example.com/r.csv"
    assert buttons["Open in QuickSight"]["url"] == "https://qs.example.com/d"


def test_clarification_options_are_buttons_and_long_texts_are_clipped() -> None:
    answer = Answer(status="clarify", question="q", message="x" * 5000, options=["o" * 200, "Store region"])
    blocks = [b.to_dict() for b in answer_blocks(answer, "k")]
    assert len(blocks[0]["text"]["text"]) <= SECTION_CHARS
    elements = blocks[1]["elements"]
    assert len(elements[0]["text"]["text"]) <= 75 and elements[1]["value"] == "Store region"
    assert len(fallback_text(answer)) <= 3000


def test_refusals_and_errors_are_plain_messages() -> None:
    for status, icon in (("refused", ":no_entry:"), ("error", ":warning:")):
        blocks = [b.to_dict() for b in answer_blocks(Answer(status=status, question="q", message="No."), "k")]
        assert len(blocks) == 1 and blocks[0]["text"]["text"] == f"{icon} No."
