"""The web chat page (Streamlit): a conversation per browser session, on the same path as Slack.

A question goes through the engine's Intake as an AskJob on the queue; the worker's WebPoster
leaves the Answer in this session's inbox and the page, showing ``st.status`` meanwhile, waits
for it there. The page never answers a question itself.

Session state: ``web_session`` (the inbox's session id), ``conversation`` (the thread's number,
new on "New conversation"), ``user`` (signed in once: Streamlit keeps only the first request's
headers), ``history`` (what the conversation shows), ``queued`` (a question from a button),
``scheduling`` (the answer whose Schedule form is open).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from adapters.web.alb import AlbVerifier, SignInError
from adapters.web.digests import feed_section, schedule_form, sidebar_digests
from adapters.web.feed import WebFeed
from adapters.web.guide import ModelGuide
from adapters.web.inbox import SessionInbox, decode_answer
from adapters.web.poster import web_target
from adapters.web.render import md_escape, render_answer
from adapters.web.signin import WebUser, sign_in
from engine.answers.verified import newest_questions
from engine.domain import Answer
from engine.intake import Intake

log = logging.getLogger(__name__)

TITLE = "Ask the data"
PLACEHOLDER = "Ask a question about the data, e.g. revenue by category last quarter"
WAITING = "Looking into it..."
STILL_WAITING = "Still waiting for the answer"
SIGNIN_FAILED = ("Signing you in failed on my side. Reload the page in a moment; if it keeps happening, "
                 "tell your data team.")
MAX_QUESTION_CHARS = 2000
FAST_POLL_SECONDS = 5


@dataclass
class WebContext:
    """What the page needs, wired by bot/web.py: the Intake, the inbox, sign-in and the guide."""

    intake: Intake
    inbox: SessionInbox
    guide: ModelGuide
    auth: str = "none"  # "none" (the local analyst) | "alb"
    verifier: AlbVerifier | None = None
    quicksight_url: str | None = None
    feedback: Any = None  # the FeedbackStore: votes and reasons for the stewards' review queue
    verified: Any = None  # the VerifiedStore: its questions lead the sidebar's examples
    data_note: str = ""  # where answers come from, for the sidebar
    wait_seconds: float = 600  # then the page stops waiting and says so
    poll_seconds: float = 0.1


@dataclass
class Turn:
    """One question and what came back for it (an Answer, or still waiting)."""

    item: str
    question: str
    submitted: float = field(default_factory=time.time)
    answer: Answer | None = None  # None while waiting
    rows_cut: int = 0
    gave_up: bool = False  # waited ``wait_seconds``; a late answer still shows on the next run


def run(ctx: WebContext) -> None:
    """The whole page, run by Streamlit on every interaction."""
    st.set_page_config(page_title=TITLE, page_icon=":material/query_stats:", layout="wide")
    state = st.session_state
    if "web_session" not in state:
        state.web_session = uuid.uuid4().hex
        state.conversation = 1
        state.history = []
    user = _user(ctx)
    if isinstance(user, str):
        _signin_page(user)
        return
    _sidebar(ctx, user)
    st.title(TITLE)
    if ctx.intake.digests is not None:
        feed_section(WebFeed(ctx.intake.conversations), user.principal)
    question = st.chat_input(PLACEHOLDER, max_chars=MAX_QUESTION_CHARS, key="question")
    queued = state.pop("queued", None)
    if question or queued:
        _ask(ctx, user, (question or queued or "").strip())
    if not state.history:
        st.caption("Ask in plain English; follow-ups (\"and for 2024?\", \"only online\") refine the last "
                   "answer. Examples are in the sidebar.")
    waiting = _conversation(ctx, user)
    if waiting:
        _wait(ctx, waiting)


def _user(ctx: WebContext) -> WebUser | str:
    """The session's user, signed in on its first run; a string is the sign-in error to show."""
    state = st.session_state
    if "user" not in state:
        try:
            headers: Mapping[str, str] = dict(st.context.headers or {})
            state.user = sign_in(ctx.auth, headers, ctx.intake.identity, ctx.verifier)
        except SignInError as err:
            state.user = str(err)
        except Exception:  # noqa: BLE001 - e.g. the identity service unreachable: not cached, a reload retries
            log.exception("sign-in failed")
            return SIGNIN_FAILED
    return state.user


def _signin_page(message: str) -> None:
    st.title(TITLE)
    st.error(md_escape(message), icon=":material/lock:")
    st.caption("Nothing runs until you are signed in.")


def conversation_id() -> str:
    state = st.session_state
    return f"web:{state.web_session}:{state.conversation}"


def _ask(ctx: WebContext, user: WebUser, question: str, schedule: dict[str, Any] | None = None) -> None:
    """Hand a question in; with ``schedule`` (the Schedule form's), its answer becomes a digest."""
    if not question:
        return
    state = st.session_state
    item = uuid.uuid4().hex
    conversation = conversation_id()
    job = ctx.intake.job(question, user.principal, web_target(state.web_session, item, conversation),
                         conversation, delivery_id=f"web:{state.web_session}:{item}")
    job.schedule = schedule
    turn = Turn(item, f"Schedule: {question}" if schedule else question)
    try:
        ctx.intake.submit(job)
    except Exception as err:  # noqa: BLE001 - the page says so instead of failing
        log.exception("could not enqueue web question %s", item)
        turn.answer = Answer(status="error", question=question,
                             message=f"I couldn't take the question right now ({type(err).__name__}). "
                                     "Please try again in a moment.")
    state.history.append(turn)


def _conversation(ctx: WebContext, user: WebUser) -> list[tuple[Turn, Any]]:
    """Draw the conversation; returns the turns being waited for, with their status boxes."""
    state = st.session_state
    history: list[Turn] = state.history
    digests = ctx.intake.digests is not None
    waiting = []
    for i, turn in enumerate(history):
        with st.chat_message("user"):
            st.markdown(md_escape(turn.question))
        with st.chat_message("assistant"):
            if turn.answer is None and turn.gave_up:
                _collect(ctx, turn)  # a late answer shows up on the next interaction
            if turn.answer is None:
                if turn.gave_up:
                    _still_waiting(ctx, turn)
                else:
                    waiting.append((turn, st.status(WAITING, expanded=False)))
                continue
            render_answer(turn.answer, turn.item, rows_cut=turn.rows_cut, quicksight_url=ctx.quicksight_url,
                          latest=i == len(history) - 1, on_option=_queue,
                          on_feedback=lambda key: _feedback(ctx, key),
                          on_reason=lambda key: _feedback(ctx, key),
                          on_schedule=_open_schedule if digests else None)
            if digests and state.get("scheduling") == turn.item and turn.answer.saved:
                schedule_form(turn.item, turn.question, turn.answer.saved, user.principal,
                              submit=lambda question, spec: _ask(ctx, user, question, spec),
                              cancel=lambda: state.pop("scheduling", None))
    return waiting


def _open_schedule(item: str) -> None:
    st.session_state.scheduling = item


def _collect(ctx: WebContext, turn: Turn) -> bool:
    payload = ctx.inbox.collect(st.session_state.web_session, turn.item)
    if payload is None:
        return False
    turn.answer, turn.rows_cut = decode_answer(payload)
    return True


def _still_waiting(ctx: WebContext, turn: Turn) -> None:
    minutes = ctx.wait_seconds / 60
    waited = f"{minutes:.0f} minutes" if minutes >= 1 else f"{ctx.wait_seconds:.0f} seconds"
    with st.status(STILL_WAITING, state="error", expanded=True):
        st.markdown(f"No answer after {waited} (reference {turn.item}). It shows here as soon as it is "
                    "ready; check again in a moment, or ask again.")
        st.button("Check again", key=f"again-{turn.item}", on_click=_check_again, args=(turn,),
                  icon=":material/refresh:")


def _check_again(turn: Turn) -> None:
    turn.gave_up, turn.submitted = False, time.time()


def _wait(ctx: WebContext, waiting: list[tuple[Turn, Any]]) -> None:
    """Poll the inbox until an answer arrives (then redraw) or the wait runs out (then say so)."""
    shown = -1
    while True:
        now = time.time()
        for turn, status in waiting:
            if _collect(ctx, turn):
                status.update(label="Answered", state="complete")
                st.rerun()
            if now - turn.submitted > ctx.wait_seconds:
                turn.gave_up = True
                st.rerun()
        elapsed = int(now - min(turn.submitted for turn, _ in waiting))
        if elapsed != shown and elapsed >= 2:  # a visible tick; each update also lets a click rerun the page
            for _, status in waiting:
                status.update(label=f"{WAITING} {elapsed} s")
            shown = elapsed
        # quick polls while a fast answer is likely, then once a second (a DynamoDB read each)
        time.sleep(ctx.poll_seconds if now - min(t.submitted for t, _ in waiting) < FAST_POLL_SECONDS else 1.0)


def _queue(question: str) -> None:
    """A clicked example or clarification option becomes the next question."""
    st.session_state.queued = question


def _new_conversation() -> None:
    state = st.session_state
    state.conversation += 1
    state.history = []


def _feedback(ctx: WebContext, item: str) -> None:
    """Thumbs up/down, stored with the question and SQL like Slack's and Teams'."""
    state = st.session_state
    value = state.get(f"feedback-{item}")
    turn = next((t for t in state.history if t.item == item), None)
    if value is None or turn is None or turn.answer is None:
        return
    vote = "up" if value == 1 else "down"
    reason = state.get(f"reason-{item}") if vote == "down" else None
    user: WebUser = state.user
    ctx.intake.conversations.save(f"web-feedback:{item}:{user.principal.user_id}", {
        "vote": vote, "question": turn.question, "sql": turn.answer.sql, "at": time.time()})
    if ctx.feedback is not None:
        from engine.answers.feedback import Feedback

        ctx.feedback.add(Feedback(turn.answer.answer_id or item, vote, user.principal.email, turn.question,
                                  turn.answer.sql, reason, "web"))
    log.info("feedback %s on web answer %s", vote, item)
    st.toast("Thanks for the feedback!" if vote == "up" else
             "Thanks: the data stewards will review this answer." if reason else
             "Thanks: the data team will look at this answer. What was wrong with it?")


def _verified_questions(ctx: WebContext, limit: int = 4) -> list[str]:
    """The stewards' verified questions, newest first: the first examples offered."""
    return newest_questions(ctx.verified, limit)


def _sidebar(ctx: WebContext, user: WebUser) -> None:
    guide = ctx.guide
    with st.sidebar:
        st.subheader(md_escape(user.name))
        email = md_escape(user.principal.email)
        groups = md_escape(", ".join(user.principal.groups) or "none")
        if user.signed_in:
            st.caption(f"{email}  \nGroups: {groups}")
        else:
            st.caption(f"{email} · groups: {groups}  \nNo sign-in on the embedded default: everyone here is "
                       "the local analyst, who may read the whole local lake.")
        st.button("New conversation", on_click=_new_conversation, icon=":material/add_comment:", width="stretch")
        if ctx.intake.digests is not None:
            sidebar_digests(ctx.intake.digests, user.principal)
        verified = _verified_questions(ctx)
        examples = verified + [e for e in guide.examples if e not in verified]
        if examples:
            st.markdown("**Try asking**")
            for i, example in enumerate(examples[:max(len(guide.examples), len(verified))]):
                st.button(example, key=f"example-{i}", on_click=_queue, args=(example,), width="stretch",
                          icon=":material/verified:" if example in verified else ":material/chat_bubble:",
                          help="Verified by the data stewards" if example in verified else None)
        st.markdown("**What you can ask about**")
        if guide.description:
            st.caption(md_escape(guide.description))
        with st.expander(f"Measures ({len(guide.measures)})"):
            st.markdown("\n".join(f"- **{md_escape(t.label)}**" + (f" ({md_escape(t.detail)})" if t.detail else "")
                                  for t in guide.measures))
        with st.expander(f"Breakdowns and filters ({len(guide.breakdowns)})"):
            st.markdown("\n".join(f"- **{md_escape(t.label)}**" + (f": {md_escape(t.detail)}" if t.detail else "")
                                  for t in guide.breakdowns))
        st.caption("Time: today, last 7 days, this quarter, in 2024, Q3 2025, by month, 2024 vs 2025, ...")
        if ctx.data_note:
            st.caption(md_escape(ctx.data_note))
