"""The Slack receiver: a slack-bolt app that turns mentions, DMs, /ask, thread replies and button
clicks into AskJobs, and never answers inline.

The intake runs before Slack gets its response (bolt's ``process_before_response``, the same on
HTTP, Socket Mode and Lambda): resolve the user (users.info email, cached), post the
"Looking into it..." placeholder in the thread, enqueue the job. That takes a few hundred
milliseconds, inside Slack's 3 s. When Slack's API cannot be reached, nothing reached the user,
so the request is answered 503 and the event's id released: Slack delivers the event again (it
retries a failed event up to three times: at once, after a minute, after five) and that retry is
answered normally. A Slack retry of an event already taken is dropped. The worker's SlackPoster replaces
the placeholder with the answer.
"""

from __future__ import annotations

import http.client
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, ServerErrorRetryHandler

from adapters.slack.assistant import assistant_key, register_assistant, register_home, show_thinking
from adapters.slack.blocks import (CLARIFY, CLARIFY_SELECT, FEEDBACK, FEEDBACK_DOWN, FEEDBACK_UP, OPEN_URL,
                                   PLACEHOLDER_TEXT, SHOW_SQL, escape, placeholder_blocks, sql_blocks)
from adapters.slack.home import remember_question
from adapters.slack.poster import answer_state_key
from adapters.slack.gate import malformed
from adapters.slack.verified import SlackCuration, principal_resolver, register as register_curation, review_section
from engine.domain import ReplyTarget
from engine.errors import Refused
from engine.intake import Intake

if TYPE_CHECKING:  # the guide (and the sqlglot it needs) is built on first use
    from engine.guide import Guide

log = logging.getLogger(__name__)

_MENTION = re.compile(r"<@[A-Z0-9]+>")
_USER_ID = re.compile(r"[A-Z0-9]+")
EMAIL_TTL_SECONDS = 3600
INTAKE_TIMEOUT_SECONDS = 5  # per Slack API call while Slack waits for the response
NO_ACCESS = ("I couldn't match your Slack account ({email}) to a data-access identity, so I can't run "
             "queries for you yet. Ask your data team to add you to an analytics group in IAM Identity "
             "Center, then ask again.")
ACCESS_UNCHECKED = ("I couldn't check your data access just now (Slack's users.info failed: {reason}), so "
                    "I haven't run your question. Please ask again in a minute.")
QUEUE_FAILED = ":warning: I couldn't queue your question just now. Please ask again in a minute."


def retry_later() -> BoltResponse:
    """503: Slack's API could not be reached; Slack delivers a failed event again."""
    return BoltResponse(status=503, body="Slack's API is unreachable; retry later")


class SlackApp(App):
    """The bolt App, keeping its signing secret for the checks made before bolt parses a request."""

    def __init__(self, *, signing_secret: str, **kwargs: Any) -> None:
        super().__init__(signing_secret=signing_secret, **kwargs)
        self.signing_secret = signing_secret


class AccessUnchecked(Exception):
    """users.info did not answer (after its retries): whether the user may ask is unknown."""


def unreachable(err: BaseException) -> bool:
    """Slack's API could not be reached or could not answer: the network, a timeout, a 5xx."""
    if isinstance(err, SlackApiError):
        return err.response.status_code >= 500
    return isinstance(err, (OSError, http.client.HTTPException))


_MARKUP = re.compile(r"<([^<>]*)>")


def from_slack(text: str) -> str:
    """Slack's message text as the plain text the user sees: mentions and links as their labels
    (``<!channel>`` -> "@channel", ``<http://x|y>`` -> "y"), entities decoded. The question is
    plain text from here on, and escaped again whenever it is written back to Slack."""
    def label(m: re.Match[str]) -> str:
        target, _, shown = m[1].partition("|")
        if target[:1] in ("@", "#"):
            return target[0] + (shown or target[1:])
        if target[:1] == "!":  # <!channel>, <!here>, <!subteam^S1|@team>, <!date^...|fallback>
            return shown or "@" + target[1:].split("^")[0]
        return shown or target
    return _MARKUP.sub(label, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def conversation_id(channel: str, thread_ts: str) -> str:
    return f"slack:{channel}:{thread_ts}"


def intake_client(client: WebClient) -> WebClient:
    """A client for the intake: short timeouts (Slack waits for the response) and a bounded retry
    of dropped connections and 5xx answers; rate limits are not waited out here."""
    return WebClient(token=client.token, base_url=client.base_url, timeout=INTAKE_TIMEOUT_SECONDS,
                     retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2),
                                     ServerErrorRetryHandler(max_retry_count=2)])


class EmailCache:
    """users.info lookups, cached (emails rarely change; Slack rate-limits users.info)."""

    def __init__(self, client: WebClient, ttl: float = EMAIL_TTL_SECONDS) -> None:
        self.client, self.ttl = client, ttl
        self._cache: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def email(self, user: str) -> str | None:
        """The user's email (None when the profile has none); AccessUnchecked when Slack failed."""
        with self._lock:
            hit = self._cache.get(user)
        if hit and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        try:
            profile = (self.client.users_info(user=user).get("user") or {}).get("profile") or {}
        except SlackApiError as err:
            if err.response.get("error") == "user_not_found":
                return None
            raise AccessUnchecked(str(err.response.get("error") or f"HTTP {err.response.status_code}")) from err
        except (OSError, http.client.HTTPException) as err:
            raise AccessUnchecked("Slack did not answer") from err
        email = profile.get("email") if isinstance(profile.get("email"), str) else None
        with self._lock:
            self._cache[user] = (time.monotonic(), email)
        return email


def build_slack_app(receiver: Intake, client: WebClient, signing_secret: str,
                    guide: Guide | Callable[[], Guide] | None = None,
                    curation: SlackCuration | None = None) -> SlackApp:
    """The bolt App with every listener registered; serve it over HTTP, Socket Mode or Lambda.

    With a ``guide`` (what the semantic model answers; or a function building it, called when an
    assistant thread or the App Home first needs it) the AI-app assistant threads and the App
    Home tab are served too. ``curation``: verified answers, feedback reasons and QuickSight
    buttons (adapters/slack/verified.py)."""
    client = intake_client(client)
    # a name given, bolt need not walk the call stack for one (inspect.stack: ~0.1 s of a cold start)
    app = SlackApp(name="athena-query-bot", client=client, signing_secret=signing_secret,
                   process_before_response=True, token_verification_enabled=False,
                   before_authorize=_slack_reachable(client))
    app.use(_well_formed)
    emails = EmailCache(client)
    digests = None
    if receiver.digests is not None:  # scheduled digests: phrases, the form, the list, App Home
        from adapters.slack.digests import SlackDigests, register

        digests = SlackDigests(receiver, receiver.digests, client, emails.email)
        register(app, digests, home=guide is None)  # with a guide, the App Home below shows the digests

    def start(question: str, user: str, channel: str, thread_ts: str, event_id: str | None,
              slack_text: bool = True, assistant: bool = False) -> BoltResponse | None:
        """Take one question in; retry_later() when Slack could not be reached and nobody was told.

        ``slack_text``: the question is still Slack message text (mentions, links, entities), not
        plain text already (a button of ours, a converted command). ``assistant``: an AI-app
        assistant thread, which shows the "is thinking…" status instead of a placeholder."""
        raw = question if slack_text else ""
        if slack_text:
            question = from_slack(_MENTION.sub("", question)).strip()
        seen = f"slack-event:{event_id}" if event_id else None
        if seen:  # Slack redelivers when an ack is slow: the same event never makes two jobs
            taken = receiver.conversations.load(seen)
            if taken and not taken.get("released"):
                log.info("slack event %s already taken", event_id)
                return None
            receiver.conversations.save(seen, {"at": time.time()})
        try:
            intake(question, user, channel, thread_ts, event_id, raw, assistant)
        except Exception as err:
            if not unreachable(err):
                raise
            if seen:
                receiver.conversations.save(seen, {"at": time.time(), "released": True})
            log.warning("Slack's API is unreachable (%s: %s); event %s answered 503 so Slack delivers it "
                        "again", type(err).__name__, err, event_id)
            return retry_later()
        return None

    def intake(question: str, user: str, channel: str, thread_ts: str, event_id: str | None,
               raw: str = "", assistant: bool = False) -> None:
        if not question:
            client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts,
                                      text="Ask me a question about the data, e.g. "
                                           "\"revenue by category last quarter\".")
            return
        try:
            email = emails.email(user)
        except AccessUnchecked as err:
            log.warning("users.info failed for %s (%s): the user is told access could not be checked", user, err)
            client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts,
                                      text=ACCESS_UNCHECKED.format(reason=escape(str(err))))
            return
        try:
            principal = receiver.identity.resolve("slack", user, email)
        except Refused:
            client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts,
                                      text=NO_ACCESS.format(email=escape(email or "no email on your profile")))
            return
        schedule = None
        if digests is not None:  # "my digests", or a schedule phrase: the answer becomes a digest
            routed = digests.route(question, raw, principal, user, channel, thread_ts)
            if routed is True:
                return
            if routed:
                question, schedule = routed
        conversation = conversation_id(channel, thread_ts)
        if assistant:  # the thread's title and "is thinking…" instead of a placeholder message
            show_thinking(client, channel, thread_ts, question, first=receiver.conversations.load(conversation) is None)
            target = ReplyTarget("slack", channel, thread_ts, {"user": user, "assistant": "1"})
            placeholder = None
        else:
            placeholder = str(client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=PLACEHOLDER_TEXT,
                                                      blocks=[b.to_dict() for b in placeholder_blocks(question)])["ts"])
            target = ReplyTarget("slack", channel, thread_ts, {"placeholder": placeholder, "user": user})
        try:
            job = receiver.job(question, principal, target, conversation, f"slack:{event_id}" if event_id else None)
            job.schedule = schedule
            receiver.submit(job)
        except Exception:  # the queue refused the job: the placeholder says so rather than wait forever
            log.exception("could not enqueue the question of event %s", event_id)
            blocks = [b.to_dict() for b in placeholder_blocks(question, QUEUE_FAILED)]
            if placeholder:
                client.chat_update(channel=channel, ts=placeholder, text=QUEUE_FAILED, blocks=blocks)
            else:
                client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=QUEUE_FAILED, blocks=blocks)
            return
        remember_question(receiver.conversations, user, question)

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], body: dict[str, Any]) -> BoltResponse | None:
        if "user" not in event:
            return None  # another bot mentioned us
        return start(event.get("text") or "", event["user"], event["channel"],
                     event.get("thread_ts") or event["ts"], body.get("event_id"))

    @app.event("message")
    def on_message(event: dict[str, Any], body: dict[str, Any], context: Any) -> BoltResponse | None:
        if event.get("bot_id") or event.get("subtype") or "user" not in event:
            return None  # our own messages, edits, joins
        text = event.get("text") or ""
        if context.bot_user_id and f"<@{context.bot_user_id}>" in text:
            return None  # the app_mention event handles it
        thread_ts = event.get("thread_ts")
        if event.get("channel_type") == "im":
            return start(text, event["user"], event["channel"], thread_ts or event["ts"], body.get("event_id"))
        if thread_ts and receiver.conversations.load(conversation_id(event["channel"], thread_ts)):
            # a reply in the thread of one of our answers: a follow-up in that conversation
            return start(text, event["user"], event["channel"], thread_ts, body.get("event_id"))
        return None

    @app.command("/ask")
    def on_ask(ack: Callable[..., None], command: dict[str, Any]) -> BoltResponse | None:
        question = from_slack(command.get("text") or "").strip()
        if not question:
            ack(text="Usage: `/ask <question>`, e.g. `/ask revenue by category last quarter`.")
            return None
        user = command["user_id"]
        asker = f"<@{user}>" if _USER_ID.fullmatch(user) else escape(user)
        try:  # the question becomes the thread the answer goes into
            root = client.chat_postMessage(channel=command["channel_id"], text=f"{asker} asked: {escape(question)}")
        except SlackApiError as err:
            if unreachable(err):
                raise
            ack(text=f"I can't post in this channel ({escape(str(err.response.get('error')))}). Invite me "
                     "with `/invite @athena-query-bot`, or ask me in a direct message.")
            return None
        failed = start(question, user, command["channel_id"], str(root["ts"]),
                       f"cmd-{command.get('trigger_id') or root['ts']}", slack_text=False)
        if failed is None:
            ack()
        return failed

    def _in_assistant_thread(body: dict[str, Any]) -> bool:
        message = body.get("message") or {}
        thread_ts = message.get("thread_ts") or message.get("ts")
        return bool(thread_ts) and receiver.conversations.load(
            assistant_key(body["channel"]["id"], thread_ts)) is not None

    @app.action(re.compile(f"^{CLARIFY}_\\d+$"))
    def on_option(ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any]) -> BoltResponse | None:
        message = body.get("message") or {}
        thread_ts = message.get("thread_ts") or message.get("ts") or (body.get("container") or {}).get("message_ts")
        failed = start(action["value"], body["user"]["id"], body["channel"]["id"], thread_ts,
                       f"act-{body.get('trigger_id')}", slack_text=False, assistant=_in_assistant_thread(body))
        if failed is None:
            ack()
        return failed

    @app.action(CLARIFY_SELECT)
    def on_selected(ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any]) -> BoltResponse | None:
        message = body.get("message") or {}
        thread_ts = message.get("thread_ts") or message.get("ts") or (body.get("container") or {}).get("message_ts")
        failed = start(action["selected_option"]["value"], body["user"]["id"], body["channel"]["id"], thread_ts,
                       f"act-{body.get('trigger_id')}", slack_text=False, assistant=_in_assistant_thread(body))
        if failed is None:
            ack()
        return failed

    @app.action(SHOW_SQL)
    def on_show_sql(ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        state = receiver.conversations.load(answer_state_key(action["value"])) or {}
        thread = (body.get("message") or {}).get("thread_ts")
        sql = state.get("sql")
        client.chat_postEphemeral(channel=body["channel"]["id"], user=body["user"]["id"], thread_ts=thread,
                                  text=escape(sql) if sql else "That answer has no SQL any more.",
                                  blocks=[b.to_dict() for b in sql_blocks(sql)] if sql else None)

    principal_of = principal_resolver(receiver, emails.email)  # a Slack user -> Principal, for curation
    on_vote = register_curation(app, receiver, client, principal_of, curation,
                                lambda key: receiver.conversations.load(answer_state_key(key)) or {},
                                home=guide is None) if curation is not None else None

    @app.action(re.compile(f"^({FEEDBACK_UP}|{FEEDBACK_DOWN}|{FEEDBACK})$"))
    def on_feedback(ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        if action["action_id"] == FEEDBACK:  # feedback_buttons: "up:<key>" or "down:<key>"
            vote, _, key = action["value"].partition(":")
            vote = "up" if vote == "up" else "down"
        else:
            vote, key = ("up" if action["action_id"] == FEEDBACK_UP else "down"), action["value"]
        state = receiver.conversations.load(answer_state_key(key)) or {}
        receiver.conversations.save(f"slack-feedback:{key}:{body['user']['id']}", {
            "vote": vote, "question": state.get("question"), "sql": state.get("sql"), "at": time.time()})
        log.info("feedback %s on answer %s", vote, key)
        if on_vote is not None:  # into the review queue; 👎 asks why, 👍 by a steward offers Mark as verified
            on_vote(body, key, vote)
            return
        thread = (body.get("message") or {}).get("thread_ts")
        client.chat_postEphemeral(channel=body["channel"]["id"], user=body["user"]["id"], thread_ts=thread,
                                  text="Thanks for the feedback!" if vote == "up" else
                                  "Thanks: the data team will look at this answer.")

    @app.action(re.compile(f"^{OPEN_URL}_"))
    def on_link(ack: Callable[..., None]) -> None:
        ack()  # link buttons open in the browser; Slack still sends the click

    if guide is not None:
        guide_of = guide if callable(guide) else (lambda: guide)
        register_assistant(app, start, receiver.conversations, guide_of)
        sections = [part for part in (
            digests.home_section if digests is not None else None,  # the user's digests
            review_section(curation, principal_of) if curation is not None else None,
        ) if part is not None]
        publish = register_home(app, client, receiver.conversations, guide_of,
                                (lambda user: [block for part in sections for block in part(user)]) if sections else None)
        if digests is not None:
            digests.home = publish

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
        """A listener failed: one log line; 503 when Slack's API was the cause (Slack retries events)."""
        kind = body.get("type") or body.get("command") or "request"
        if unreachable(error):
            log.warning("Slack's API is unreachable while handling a %s (%s: %s); answered 503",
                        kind, type(error).__name__, error)
            return retry_later()
        log.exception("the Slack receiver failed on a %s", kind)
        return BoltResponse(status=500, body="")

    return app


def _slack_reachable(client: WebClient) -> Callable[..., BoltResponse | None]:
    """Before bolt's authorization (auth.test, cached after its first success): if Slack's API
    cannot be reached, answer 503 with a log line instead of bolt's 500 and traceback."""
    checked = threading.Event()

    def middleware(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse | None:  # noqa: A002
        if not checked.is_set() and body.get("type") not in ("url_verification", "ssl_check"):
            try:
                client.auth_test()
                checked.set()
            except SlackApiError as err:
                if unreachable(err):
                    log.warning("Slack's auth.test failed (HTTP %s); answered 503", err.response.status_code)
                    return retry_later()
                # a bad token: bolt's own authorization answers it
            except (OSError, http.client.HTTPException) as err:
                log.warning("Slack's API is unreachable (%s: %s); answered 503 so Slack delivers the "
                            "request again", type(err).__name__, err)
                return retry_later()
        return next()

    return middleware


def _well_formed(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse | None:  # noqa: A002
    """A signed request missing what its listener needs is answered 400 with a log line."""
    problem = malformed(body)
    if problem:
        log.warning("rejected a malformed Slack request: %s", problem)
        return BoltResponse(status=400, body=f"malformed request: {problem}")
    return next()
