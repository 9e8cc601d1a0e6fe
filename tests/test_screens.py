"""The README's pictures come from the real blocks and card: the HTML renderer shows every block
and element type the adapters produce for an answer."""

from __future__ import annotations

from adapters.slack.blocks import answer_blocks
from adapters.teams.cards import answer_card
from bench.screens import slack_html, teams_html
from engine.domain import Answer, ResultTable

ANSWER = Answer(status="answered", question="q", message="Revenue by category: *Electronics* led <b>.",
                table=ResultTable(["category", "revenue"], ["varchar", "double"], [("Electronics", 1.5), ("Books", 0.5)]),
                column_labels={"category": "Product category", "revenue": "Revenue"},
                column_formats={"revenue": "currency"}, chart_png=b"\x89PNG")


def test_the_slack_page_shows_the_table_chart_and_actions() -> None:
    page = slack_html([b.to_dict() for b in answer_blocks(ANSWER, "k", chart_file="F1", feedback_buttons=True)],
                      ANSWER.chart_png)
    assert page.count("<tr>") == 3 and "text-align:right" in page and "data:image/png;base64," in page
    assert "Show SQL" in page and "class='feedback'" in page
    assert "&lt;b&gt;" in page and "<b>.</b>" not in page  # the answer's text stays text


def test_the_teams_page_shows_the_card() -> None:
    page = teams_html(answer_card(ANSWER, "k", chart_url="https://x/charts/c.png?sig=s"), ANSWER.chart_png)
    assert page.count("<tr") == 3 and "class='chart'" in page and "Show SQL" in page
    assert "&lt;b&gt;" in page
