"""Scheduled digests in the web chat: the Schedule form under an answer, "Your digests" in the
sidebar (Pause / Resume / Delete), and the latest digest posts on the page.

A web session ends with its tab, so a web digest posts into its owner's feed (adapters/web/feed.py),
which the page shows to them on every visit. Creating one goes the same way as in Slack and Teams:
an AskJob carrying the schedule; the worker answers it, creates the digest from that answer and
confirms with the next run and a preview, in the conversation.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import streamlit as st

from adapters.web.feed import WebFeed, feed_channel
from adapters.web.inbox import decode_answer
from adapters.web.render import md_escape, render_answer
from engine.digests.conditions import Condition
from engine.digests.schedule import Schedule, ScheduleError
from engine.digests.service import status_line
from engine.domain import Answer, Principal
from engine.errors import BotError

log = logging.getLogger(__name__)

FREQUENCIES = {"daily": "Every day", "weekdays": "Every weekday", "weekly": "Every week", "monthly": "Every month"}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
CONDITIONS = {"always": "Always post", "not_empty": "Only when there are results",
              "changed": "Only when the result changed"}
RECIPIENTS_NOTE = "It runs with your data access, and only you see its posts here."


def schedulable(answer: Answer) -> bool:
    """Only an answer that ran (its semantic query saved) can become a digest."""
    return answer.status == "answered" and bool(answer.saved)


def browser_timezone() -> str:
    """The browser's IANA time zone (Streamlit reads it from the page), else UTC."""
    try:
        return str(st.context.timezone or "UTC")
    except Exception:  # noqa: BLE001 - older Streamlit or no browser (AppTest)
        return "UTC"


def schedule_spec(question: str, saved: dict[str, Any], values: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """What the AskJob carries so the worker creates the digest (ScheduleError when the form is wrong)."""
    at: dt.time = values["time"]
    schedule = Schedule(values["frequency"], str(values["timezone"]).strip() or "UTC", at.hour, at.minute,
                        WEEKDAYS.index(values.get("weekday") or "Monday"), int(values.get("month_day") or 1))
    channel = feed_channel(principal.email)
    return {"schedule": schedule.to_dict(), "condition": Condition(values.get("condition") or "always").to_dict(),
            "value_in_percent": False, "question": question,
            "target": {"platform": "web", "channel": channel, "kind": "feed"},
            "owner": {"platform": "web", "user": principal.email, "email": principal.email, "dm": channel},
            "query": saved.get("query"), "as_of": saved.get("as_of")}


def schedule_form(key: str, question: str, saved: dict[str, Any], principal: Principal,
                  submit: Callable[[str, dict[str, Any]], None], cancel: Callable[[], None]) -> None:
    """The Schedule form for one answer; ``submit(question, spec)`` hands the digest in."""
    with st.form(f"schedule-form-{key}", border=True):
        st.markdown(f"**Schedule** \"{md_escape(question)}\"")
        frequency = st.selectbox("How often", list(FREQUENCIES), format_func=FREQUENCIES.get, key=f"freq-{key}")
        with st.container(horizontal=True):
            at = st.time_input("At", value=dt.time(8, 0), step=900, key=f"time-{key}")
            timezone = st.text_input("Time zone", value=browser_timezone(), key=f"tz-{key}")
        weekday = st.selectbox("On (weekly)", WEEKDAYS, key=f"weekday-{key}")
        month_day = st.number_input("On day (monthly)", min_value=1, max_value=28, value=1, key=f"day-{key}")
        condition = st.selectbox("Post", list(CONDITIONS), format_func=CONDITIONS.get, key=f"cond-{key}")
        st.caption(RECIPIENTS_NOTE)
        with st.container(horizontal=True):
            saved_it = st.form_submit_button("Schedule it", type="primary", icon=":material/schedule:")
            cancelled = st.form_submit_button("Cancel")
    if cancelled:
        cancel()
        st.rerun()
    if saved_it:
        values = {"frequency": frequency, "time": at, "timezone": timezone, "weekday": weekday,
                  "month_day": month_day, "condition": condition}
        try:
            spec = schedule_spec(question, saved, values, principal)
        except ScheduleError as err:
            st.error(md_escape(str(err)))
            return
        cancel()
        submit(question, spec)
        st.rerun()


def sidebar_digests(service: Any, principal: Principal) -> None:
    """"Your digests" with their next run and buttons, in the sidebar."""
    digests = service.list_for(principal)
    st.markdown("**Your digests**")
    if not digests:
        st.caption("None yet: press *Schedule* under an answer.")
        return
    for digest in digests:
        with st.container(border=True):
            st.markdown(md_escape(digest.question))
            st.caption(md_escape(status_line(digest)))
            with st.container(horizontal=True, gap="small"):
                if digest.state == "paused":
                    st.button("Resume", key=f"resume-{digest.digest_id}", on_click=_change,
                              args=(service.resume, digest.digest_id, principal, "Resumed"))
                else:
                    st.button("Pause", key=f"pause-{digest.digest_id}", on_click=_change,
                              args=(service.pause, digest.digest_id, principal, "Paused"))
                st.button("Delete", key=f"delete-{digest.digest_id}", on_click=_change,
                          args=(service.delete, digest.digest_id, principal, "Deleted"))


def _change(action: Callable[..., Any], digest_id: str, principal: Principal, done: str) -> None:
    try:
        digest = action(digest_id, principal)
    except BotError as err:
        st.toast(md_escape(str(err)))
        return
    st.toast(f"{done} \"{md_escape(digest.question)}\".")


def feed_section(feed: WebFeed, principal: Principal) -> None:
    """The latest digest posts (and notices about digests) for this user, newest first."""
    posts = feed.posts(principal.email)
    if not posts:
        return
    with st.expander(f"Latest digest posts ({len(posts)})", icon=":material/schedule:", expanded=False):
        for post in posts:
            answer, rows_cut = decode_answer(post["answer"])
            with st.chat_message("assistant", avatar=":material/schedule:"):
                render_answer(answer, f"feed-{post['id']}", rows_cut=rows_cut, latest=False)
