"""Answer -> Streamlit elements: summary, table, chart, SQL, downloads, footer, clarification options.

Every text that came from a person or the data (the question, the summary naming their words,
values) is escaped before it reaches Streamlit's markdown, which would otherwise render links,
images, LaTeX (``$``) and colour directives written into a question.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st

from engine.domain import Answer

# engine formats (engine/formatting.py) -> st.column_config.NumberColumn formats
NUMBER_FORMATS = {"currency": "dollar", "percent": "percent", "integer": "localized", "decimal": "localized",
                  "number": "localized", "id": "plain"}
CHART_WIDTH = 800  # pixels: the PNG's own size, not stretched on wide screens
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=\"'])")
_ICONS = {"answered": ":material/insights:", "clarify": ":material/help:", "refused": ":material/block:",
          "error": ":material/error:"}


def md_escape(text: str) -> str:
    """``text`` shown literally by st.markdown: every markdown, HTML and LaTeX character escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def answer_frame(answer: Answer) -> pd.DataFrame:
    """The result as a DataFrame with its raw column names; decimals as floats so they sort."""
    table = answer.table
    assert table is not None
    rows = [[float(v) if isinstance(v, Decimal) else v for v in row] for row in table.rows]
    return pd.DataFrame(rows, columns=table.columns)


def column_config(answer: Answer) -> dict[str, Any]:
    """Labels and number formats from the answer, as Streamlit column settings."""
    table = answer.table
    assert table is not None
    config: dict[str, Any] = {}
    for name, kind in zip(table.columns, table.types):
        label = answer.column_labels.get(name, name)
        fmt = answer.column_formats.get(name)
        if kind.startswith(("date", "timestamp")):
            config[name] = st.column_config.DateColumn(label, format="YYYY-MM-DD") if kind == "date" \
                else st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm")
        elif fmt == "id" or (fmt is None and not _numeric(kind)):
            config[name] = st.column_config.TextColumn(label)
        else:
            config[name] = st.column_config.NumberColumn(label, format=NUMBER_FORMATS.get(fmt or "number",
                                                                                          "localized"))
    return config


def _numeric(kind: str) -> bool:
    return kind.startswith(("bigint", "int", "smallint", "tinyint", "double", "float", "real", "decimal"))


def csv_bytes(answer: Answer) -> bytes:
    frame = answer_frame(answer)
    for name, kind in zip(frame.columns, answer.table.types if answer.table else []):
        if kind == "date":
            frame[name] = [v.isoformat() if isinstance(v, dt.date) else v for v in frame[name]]
    return frame.to_csv(index=False).encode("utf-8")


def file_stem(question: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", question.lower()).strip("-")[:60] or "answer"


def render_answer(answer: Answer, key: str, *, rows_cut: int = 0, quicksight_url: str | None = None,
                  latest: bool = True, on_option: Callable[[str], None] | None = None,
                  on_feedback: Callable[[str], None] | None = None,
                  on_reason: Callable[[str], None] | None = None,
                  on_schedule: Callable[[str], None] | None = None) -> None:
    """Draw one answer inside the current container (an assistant chat message).

    ``on_reason(key)``: after a 👎, the reasons to pick from (in ``reason-<key>``);
    ``on_schedule(key)``: a Schedule button under an answer that can become a digest."""
    message = md_escape(answer.message)
    if answer.status == "answered":
        st.markdown(message)
        if answer.verified_by:
            st.caption(f":material/verified: Verified by {md_escape(answer.verified_by)}")
    elif answer.status == "clarify":
        st.info(message, icon=_ICONS["clarify"])
        _options(answer, key, latest, on_option)
    elif answer.status == "refused":
        st.warning(message, icon=_ICONS["refused"])
    else:
        st.error(message, icon=_ICONS["error"])
    if answer.status == "answered" and answer.table is not None and answer.table.columns:
        st.dataframe(answer_frame(answer), column_config=column_config(answer), hide_index=True,
                     width="stretch", key=f"table-{key}")
        notes = []
        if rows_cut:
            notes.append(f"{rows_cut:,} more rows are in the CSV download of the full result.")
        if answer.table.truncated:
            notes.append("The result was cut at the row limit.")
        if notes:
            st.caption(" ".join(notes))
    if answer.chart_png:
        st.image(answer.chart_png, width=CHART_WIDTH, alt=answer.message[:200])
    if answer.sql:
        with st.expander("SQL (Athena)", icon=":material/code:"):
            st.code(answer.sql, language="sql", wrap_lines=True)
    if answer.status == "answered":
        if answer.options:  # an assumption's alternative, one click away ("Store region instead")
            _options(answer, key, latest, on_option)
        _actions(answer, key, quicksight_url, on_feedback,
                 on_schedule if on_schedule is not None and answer.saved else None)
        if on_reason is not None and st.session_state.get(f"feedback-{key}") == 0:  # 👎: why?
            from engine.answers.feedback import REASONS

            st.pills("What was wrong?", list(REASONS), format_func=REASONS.get, key=f"reason-{key}",
                     on_change=on_reason, args=(key,))
    if answer.footer:
        st.caption(md_escape(answer.footer))


def _options(answer: Answer, key: str, latest: bool, on_option: Callable[[str], None] | None) -> None:
    """One button per option; only the latest question's options can still be chosen."""
    with st.container(horizontal=True, gap="small"):
        for i, option in enumerate(answer.options):
            st.button(option, key=f"option-{key}-{i}", disabled=not latest, on_click=on_option,
                      args=(option,) if on_option else None, icon=":material/arrow_forward:")


def _actions(answer: Answer, key: str, quicksight_url: str | None,
             on_feedback: Callable[[str], None] | None, on_schedule: Callable[[str], None] | None) -> None:
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        if answer.table is not None and answer.table.columns:
            st.download_button("Download CSV", csv_bytes(answer), file_name=f"{file_stem(answer.question)}.csv",
                               mime="text/csv", key=f"csv-{key}", icon=":material/download:", on_click="ignore")
        if answer.download_url:
            st.link_button("Full result (CSV)", answer.download_url, icon=":material/cloud_download:")
        if quicksight_url:
            st.link_button("Open in QuickSight", quicksight_url, icon=":material/dashboard:")
        if on_schedule is not None:
            st.button("Schedule", key=f"schedule-{key}", on_click=on_schedule, args=(key,), icon=":material/schedule:")
        st.feedback("thumbs", key=f"feedback-{key}", on_change=on_feedback, args=(key,) if on_feedback else None)
