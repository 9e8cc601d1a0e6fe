"""The web chat page with Streamlit's AppTest: questions travel as AskJobs through the local queue
and worker, and come back through the session's inbox."""

from __future__ import annotations

import json
import re

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bot.bootstrap import LocalIntake, local_intake, local_worker
from tests.web.conftest import ask, open_page, web_environment


def plain(markdown: str) -> str:
    """Markdown as a person reads it: backslash escapes undone."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("  \n", "\n")


def said(page: AppTest) -> list[str]:
    """Everything the main area says in text: markdown, alerts, captions."""
    main = page.main
    return [plain(e.value) for e in [*main.markdown, *main.info, *main.warning, *main.error, *main.caption]]


def column_settings(page: AppTest, index: int = 0) -> dict:
    return json.loads(page.dataframe[index].proto.columns)


def test_a_question_is_answered_with_summary_table_chart_sql_and_downloads(page: AppTest) -> None:
    ask(page, "revenue by category in 2024")
    [user, assistant] = page.chat_message
    assert plain(user.markdown[0].value) == "revenue by category in 2024"
    summary = plain(assistant.markdown[0].value)
    assert summary.startswith("Revenue (completed orders) by product category, 1 Jan 2024 - 31 Dec 2024: ")
    [table] = assistant.dataframe
    frame = table.value
    assert list(frame.columns) == ["category", "revenue"] and len(frame) == 6
    assert frame["revenue"].is_monotonic_decreasing
    settings = column_settings(page)  # labels and number formats come from the answer
    assert settings["revenue"]["label"] == "Revenue"
    assert settings["revenue"]["type_config"]["format"] == "dollar"
    assert settings["category"]["label"] == "Product category"
    [chart] = assistant.image
    assert "/media/" in chart.value[0] and chart.value[0].endswith(".png")  # served by Streamlit
    assert page.session_state.history[0].answer.chart_png.startswith(b"\x89PNG")
    [sql] = assistant.expander
    assert sql.label == "SQL (Athena)" and sql.code[0].value.startswith("SELECT")
    assert sql.code[0].language == "sql"
    [csv] = page.download_button
    assert csv.label == "Download CSV"
    assert len(page.feedback) == 1 and not page.status  # nothing is still waiting


def test_a_follow_up_refines_the_previous_question(page: AppTest) -> None:
    ask(page, "revenue by category in 2024")
    ask(page, "and for 2023?")
    answers = [plain(m.markdown[0].value) for m in page.chat_message[1::2]]
    assert answers[1].startswith("Revenue (completed orders) by product category, 1 Jan 2023 - 31 Dec 2023: ")
    assert len(page.dataframe) == 2


def test_an_assumption_offers_its_alternative_and_a_click_continues_the_question(page: AppTest) -> None:
    # unqualified "region" is the customer's (the model's default), the store's one click away
    ask(page, "revenue by region last quarter")
    first = page.chat_message[-1]
    assert plain(first.markdown[0].value).startswith("Revenue (completed orders) by customer region")
    options = [b for b in page.button if b.key and b.key.startswith("option-")]
    assert [b.label for b in options] == ["Store region instead"]
    options[0].click().run()
    assert not page.exception
    last = page.chat_message[-1]
    assert plain(page.chat_message[-2].markdown[0].value) == "Store region instead"
    assert plain(last.markdown[0].value).startswith("Revenue (completed orders) by store region")
    assert list(last.dataframe[0].value.columns)[0] == "store_region"
    # the question is answered: its options can no longer be chosen
    assert all(b.disabled for b in page.button if b.key and b.key.startswith("option-"))


def test_refusals_and_unknown_words_are_readable_messages(page: AppTest) -> None:
    ask(page, "delete all cancelled orders")
    [refusal] = page.warning
    assert plain(refusal.value).startswith("I only read data, so I can't delete anything.")
    ask(page, "what's the weather in Paris?")
    messages = said(page)
    assert any("weather" in m for m in messages), messages
    assert not page.dataframe and not page.image


def test_feedback_is_stored_with_the_question_and_sql(page: AppTest, worker: LocalIntake) -> None:
    ask(page, "orders by channel in 2024")
    [thumbs] = page.feedback
    thumbs.set_value(0).run()  # thumbs down
    item = page.session_state.history[0].item
    stored = worker.conversations.load(f"web-feedback:{item}:web:analyst")
    assert stored["vote"] == "down" and stored["question"] == "orders by channel in 2024"
    assert stored["sql"].startswith("SELECT")
    assert any("data team will look" in t.value for t in page.toast)


def test_sidebar_says_who_you_are_and_what_to_ask_and_its_examples_answer(page: AppTest) -> None:
    sidebar = page.sidebar
    assert sidebar.subheader[0].value == "Local analyst"
    assert "analyst@localhost" in plain(sidebar.caption[0].value)
    assert "No sign-in on the embedded default" in plain(sidebar.caption[0].value)
    measures = plain(sidebar.expander[0].markdown[0].value)
    assert "Revenue" in measures and "Return rate" in measures
    breakdowns = plain(sidebar.expander[1].markdown[0].value)
    assert "**Product category**: Apparel, Beauty, Books" in breakdowns
    examples = [b for b in sidebar.button if b.key and b.key.startswith("example-")]
    assert len(examples) >= 4
    examples[0].click().run()
    assert not page.exception
    assert plain(page.chat_message[0].markdown[0].value) == examples[0].label
    assert page.dataframe, said(page)  # an example always gets an answer


def test_new_conversation_forgets_the_thread(page: AppTest) -> None:
    ask(page, "revenue by category in 2024")
    first = page.session_state.conversation
    next(b for b in page.sidebar.button if b.label == "New conversation").click().run()
    assert not page.chat_message and page.session_state.conversation == first + 1
    ask(page, "top 3 instead")  # nothing to refine in a new conversation
    assert not page.dataframe


def test_user_text_is_shown_literally_never_as_markup(page: AppTest) -> None:
    question = "revenue by category in 2024 [click](http://evil.example) <b>x</b> $x^2$ :red[alarm]"
    ask(page, question)
    shown = page.chat_message[0].markdown[0].value
    assert plain(shown) == question
    # every markdown, HTML and LaTeX character is escaped
    assert re.search(r"(?<!\\)[\[\]()<>$:]", shown) is None, shown


def test_an_unanswered_question_says_so_and_a_late_answer_still_shows(
        lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No worker runs for this home: the page gives up waiting, then shows the answer once it arrives."""
    settings = web_environment(monkeypatch, tmp_path, lake)
    monkeypatch.setenv("ATHENA_BOT_WEB_WAIT_SECONDS", "1")
    page = open_page()
    ask(page, "orders in 2024")
    [status] = page.status
    assert status.label == "Still waiting for the answer" and status.state == "error"
    assert "No answer after 1 seconds" in plain(status.markdown[0].value)
    local = local_intake(settings)
    worker = local_worker(settings, local.app.engine, local.queue)
    while worker.run_once():  # the worker catches up
        pass
    page.button(key=f"again-{page.session_state.history[0].item}").click().run()
    assert not page.status
    assert plain(page.chat_message[1].markdown[0].value).startswith("Orders (all statuses), 1 Jan 2024")


def test_a_question_the_queue_cannot_take_is_a_readable_error(page: AppTest, monkeypatch) -> None:  # noqa: ANN001
    from bot.web import page_context

    def broken(job) -> None:  # noqa: ANN001
        raise ConnectionError("queue unreachable")

    monkeypatch.setattr(page_context().intake, "submit", broken)
    ask(page, "orders in 2024")
    [error] = page.error
    assert "couldn't take the question right now" in plain(error.value)


def test_alb_sign_in_without_the_header_is_an_error_page_not_a_session(
        web_settings, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("ATHENA_BOT_WEB_AUTH", "alb")
    monkeypatch.setenv("ATHENA_BOT_ALB_ARN", "arn:aws:elasticloadbalancing:eu-west-1:123456789012:"
                                             "loadbalancer/app/athena-bot/50dc6c495c0c9188")
    monkeypatch.setenv("ATHENA_BOT_ALB_KEY_URL", "http://127.0.0.1:9/never-called")
    page = open_page()
    [error] = page.error
    assert "You are not signed in" in plain(error.value)
    assert not page.chat_input and not page.sidebar.button  # nothing to ask with, nobody to be
