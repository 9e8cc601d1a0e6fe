"""Slack's edges on loopback with real signed requests: malformed requests, an unreachable Slack
API, users.info failures, user text that would become live mentions, idle connections and
oversized bodies."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from urllib.parse import urlencode, urlsplit

import pytest

from adapters.slack.app import from_slack
from adapters.slack.blocks import answer_blocks, escape, fallback_text, placeholder_blocks
from adapters.slack.server import HttpServer
from engine.domain import Answer
from tests.slack.conftest import SECRET, SlackRig, sign

BOTH = pytest.mark.parametrize("slack_rig", ["http", "lambda"], indirect=True)


def event_body(event: dict, event_id: str = "Ev-m") -> bytes:
    return json.dumps({"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": event_id,
                       "event": event}).encode()


def slack_chat_calls(rig: SlackRig) -> list:
    return [c for c in rig.fake.calls if c.method.startswith(("chat.", "files."))]


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]


# -- signatures and malformed bodies --------------------------------------------------------------

@BOTH
def test_a_non_numeric_timestamp_is_401_like_any_bad_signature(slack_rig: SlackRig,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    body = event_body({"type": "app_mention", "user": "U1", "text": "<@UBOT> orders", "channel": "C1", "ts": "1.1"})
    for timestamp in ("abc", "1e9", "", " 12", "-5", "²³", "9" * 40):
        status, _ = slack_rig.post(body, "application/json", headers={"X-Slack-Request-Timestamp": timestamp})
        assert status == 401, timestamp
    status, _ = slack_rig.post(b"{not json", "application/json", secret="wrong")  # unsigned garbage: 401 first
    assert status == 401
    time.sleep(0.2)
    assert slack_rig.fake.calls == []
    no_tracebacks(caplog)


MALFORMED = [  # (body, content type, words of the logged reason)
    (b"{not json", "application/json", "not valid JSON"),
    (b"[1, 2]", "application/json", "not an object"),
    (b"\xff\xfe{}", "application/json", "not UTF-8"),
    (b"[" * 50_000, "application/json", "nested too deeply"),
    (b"foo=bar", "application/x-www-form-urlencoded", "neither a payload nor a command"),
    (b"payload=%7Bnot", "application/x-www-form-urlencoded", "not valid JSON"),
    (urlencode({"payload": "[1]"}).encode(), "application/x-www-form-urlencoded", "not an object"),
    (json.dumps({"type": "event_callback", "event_id": "E1", "event": "x"}).encode(), "application/json",
     "event is not an object"),
    (event_body({"type": "app_mention", "text": "<@UBOT> orders", "channel": "C1", "ts": "1.2"}),
     "application/json", "event without user"),
    (event_body({"type": "app_mention", "user": "U1", "text": "<@UBOT> orders", "ts": "1.2"}),
     "application/json", "event without channel"),
    (event_body({"type": "app_mention", "user": "U1", "text": 5, "channel": "C1", "ts": "1.2"}),
     "application/json", "event text is not a string"),
    (event_body({"type": "message", "channel_type": "im", "user": "U1", "text": "orders", "channel": "D1"}),
     "application/json", "event without ts"),
    (urlencode({"command": "/ask", "text": "orders", "user_id": "U1"}).encode(),
     "application/x-www-form-urlencoded", "command without channel_id"),
    (urlencode({"payload": json.dumps({"type": "block_actions", "user": {"id": "U1"},
                                       "actions": [{"action_id": "show_sql", "value": "x"}]})}).encode(),
     "application/x-www-form-urlencoded", "without channel.id"),
    (urlencode({"payload": json.dumps({"type": "block_actions", "user": {"id": "U1"}, "channel": {"id": "C1"},
                                       "actions": [{"action_id": "clarify_option_1"}]})}).encode(),
     "application/x-www-form-urlencoded", "without a value"),
]


@BOTH
def test_signed_but_malformed_bodies_get_400_and_a_log_line(slack_rig: SlackRig,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    for body, content_type, reason in MALFORMED:
        caplog.clear()
        status, _ = slack_rig.post(body, content_type)
        assert status == 400, (body[:80], status)
        logged = [r.getMessage() for r in caplog.records if "rejected" in r.getMessage()]
        assert any(reason in line for line in logged), (reason, logged)
        no_tracebacks(caplog)
    time.sleep(0.2)
    assert slack_chat_calls(slack_rig) == []
    assert not any(slack_rig.stack.queue.counts().values())


# -- Slack's API unreachable -----------------------------------------------------------------------

@BOTH
def test_a_mention_while_slack_is_unreachable_is_503_and_slacks_retry_is_answered(
        slack_rig: SlackRig, caplog: pytest.LogCaptureFixture) -> None:
    slack_rig.fake.down = True  # from the first request: bolt's auth.test cannot be made
    assert slack_rig.mention("orders in 2024", "100.000001", "Ev-down") == 503
    no_tracebacks(caplog)
    assert any("unreachable" in r.getMessage() for r in caplog.records)
    slack_rig.fake.down = False  # Slack delivers the event again (X-Slack-Retry-Num) once we are back
    event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> orders in 2024", "channel": "C1",
             "ts": "100.000001"}
    assert slack_rig.event(event, "Ev-down", {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}) == 200
    [update] = slack_rig.answers(1)
    assert update.params["text"].startswith("Orders (all statuses), 1 Jan 2024")

    slack_rig.fake.down = True  # later, with auth.test and the email cached: the placeholder fails
    caplog.clear()
    assert slack_rig.mention("orders in 2023", "200.000001", "Ev-down-2") == 503
    no_tracebacks(caplog)
    slack_rig.fake.down = False
    event = {**event, "text": "<@UBOT> orders in 2023", "ts": "200.000001"}
    assert slack_rig.event(event, "Ev-down-2", {"X-Slack-Retry-Num": "1"}) == 200
    _, second = slack_rig.answers(2)
    assert second.params["text"].startswith("Orders (all statuses), 1 Jan 2023")
    assert len(slack_rig.fake.of("chat.postMessage")) == 2  # one placeholder per question, no more


def test_a_mention_by_another_bot_is_ignored_not_rejected(slack_rig: SlackRig) -> None:
    assert slack_rig.event({"type": "app_mention", "bot_id": "B9", "text": "<@UBOT> orders", "channel": "C1",
                            "ts": "150.000001"}, "Ev-bot") == 200
    time.sleep(0.3)
    assert slack_chat_calls(slack_rig) == []


def test_a_slash_command_while_slack_is_unreachable_fails_visibly(slack_rig: SlackRig,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    slack_rig.fake.down = True
    status, _ = slack_rig.form({"command": "/ask", "text": "orders in 2024", "user_id": "U1", "channel_id": "C1",
                                "trigger_id": "trig-down"})
    assert status == 503  # Slack shows the user that /ask failed; commands are not redelivered
    no_tracebacks(caplog)


# -- users.info ------------------------------------------------------------------------------------

def test_users_info_server_errors_are_retried(slack_rig: SlackRig) -> None:
    slack_rig.fake.failing["users.info"] = 2
    assert slack_rig.mention("orders in 2024", "300.000001", "Ev-ui") == 200
    assert len(slack_rig.fake.of("users.info")) == 3
    [update] = slack_rig.answers(1)
    assert update.params["text"].startswith("Orders (all statuses)")


@pytest.mark.parametrize("failure", ["http500", "missing_scope"])
def test_when_users_info_keeps_failing_the_user_is_told_access_could_not_be_checked(
        slack_rig: SlackRig, failure: str) -> None:
    if failure == "http500":
        slack_rig.fake.failing["users.info"] = 100
    else:
        slack_rig.fake.errors["users.info"] = failure
    assert slack_rig.mention("orders in 2024", "400.000001", "Ev-ui-2") == 200
    [note] = slack_rig.fake.wait_for("chat.postEphemeral")
    assert note.params["user"] == "U1" and "couldn't check your data access" in note.params["text"]
    assert ("missing_scope" if failure == "missing_scope" else "internal_error") in note.params["text"]
    assert slack_rig.fake.of("chat.postMessage") == []  # no placeholder, no job
    assert not any(slack_rig.stack.queue.counts().values())


# -- user text never becomes markup ----------------------------------------------------------------

HOSTILE = "<!channel> <!here> revenue &amp; orders for <http://evil.example|click me> &lt;b&gt; in 2024"


def test_the_placeholder_and_the_answer_never_carry_live_mentions_or_links(slack_rig: SlackRig) -> None:
    assert slack_rig.mention(HOSTILE, "500.000001", "Ev-x1") == 200
    [placeholder] = slack_rig.fake.wait_for("chat.postMessage")
    quoted = json.dumps(placeholder.params["blocks"])
    assert "<!channel>" not in quoted and "<!here>" not in quoted and "<http" not in quoted
    assert "@channel" in quoted and "click me" in quoted and "&lt;b&gt;" in quoted and "&amp;" in quoted
    [update] = slack_rig.answers(1)
    for text in (update.params["text"], json.dumps(update.params["blocks"])):
        assert "<!" not in text and "<http" not in text and "<b>" not in text


def test_the_slash_command_root_message_escapes_the_question(slack_rig: SlackRig) -> None:
    slack_rig.form({"command": "/ask", "text": "orders <!channel> in 2024 <@U2>", "user_id": "U1",
                    "channel_id": "C1", "trigger_id": "trig-x"})
    root, placeholder = slack_rig.fake.wait_for("chat.postMessage", 2)
    assert root.params["text"] == "<@U1> asked: orders @channel in 2024 @U2"  # only the asker is a mention
    assert "<!channel>" not in json.dumps(placeholder.params["blocks"])


def test_ephemeral_messages_escape_what_they_quote(slack_rig: SlackRig) -> None:
    slack_rig.fake.users["U3"] = "<!channel>@example.com"
    slack_rig.mention("orders in 2024", "600.000001", "Ev-x3", user="U3")
    [note] = slack_rig.fake.wait_for("chat.postEphemeral")
    assert "&lt;!channel&gt;@example.com" in note.params["text"] and "<!channel>" not in note.params["text"]


def test_show_sql_escapes_the_sql(slack_rig: SlackRig) -> None:
    slack_rig.mention("categories with more than 1000 orders in 2024", "700.000001", "Ev-x4")
    [update] = slack_rig.answers()
    key = next(e["value"] for b in update.params["blocks"] if b["type"] == "actions"
               for e in b["elements"] if e["action_id"] == "show_sql")
    slack_rig.click("show_sql", key, update.params["ts"], "700.000001")
    [sql] = slack_rig.fake.wait_for("chat.postEphemeral")
    assert "&gt; 1000" in sql.params["text"] and "> 1000" not in sql.params["text"]
    assert "&gt; 1000" in json.dumps(sql.params["blocks"])


def test_every_block_text_is_escaped_and_buttons_are_plain_text() -> None:
    answer = Answer(status="clarify", question="q", message='I don\'t know "<!channel>" or "<@U1>".',
                    options=["<!here>", "Store region"])
    blocks = [b.to_dict() for b in answer_blocks(answer, "k")]
    assert blocks[0]["text"]["text"].endswith("I don't know \"&lt;!channel&gt;\" or \"&lt;@U1&gt;\".")
    assert all(e["text"]["type"] == "plain_text" for e in blocks[1]["elements"])  # never parsed by Slack
    assert "&lt;!channel&gt;" in fallback_text(answer)
    quoted = placeholder_blocks("a <!channel>\n<http://x|y> & b")[0].to_dict()["text"]["text"]
    assert quoted.endswith(">a &lt;!channel&gt;\n>&lt;http://x|y&gt; &amp; b")
    long = placeholder_blocks("&" * 3000)[0].to_dict()["text"]["text"]
    assert not long.rstrip("…").endswith(("&", "&a", "&am", "&amp")) and len(long) <= 3000


def test_slack_text_becomes_plain_text() -> None:
    assert from_slack("<!channel> hi <@U1|ana> in <#C1|general> see <http://x.example|this> "
                      "&lt;b&gt; &amp;amp; <mailto:a@b.c|a@b.c> <!subteam^S1|@data>") == \
        "@channel hi @ana in #general see this <b> &amp; a@b.c @data"
    assert escape(from_slack("&lt;!channel&gt;")) == "&lt;!channel&gt;"


# -- the HTTP server's limits ----------------------------------------------------------------------

def _connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=5)


def _response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_held_open_connections_cost_no_thread_and_idle_ones_are_closed(slack_rig: SlackRig) -> None:
    server = HttpServer(slack_rig.stack.app, "127.0.0.1", 0, idle_timeout=2).start()
    try:
        threads = threading.active_count()
        idle = [_connect(server.url) for _ in range(200)]
        half = _connect(server.url)  # a request that never finishes its headers
        half.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n")
        time.sleep(0.5)
        assert threading.active_count() - threads <= 1  # 218 threads before: one per connection
        # the server still answers a real request while they are held open
        rig = SlackRig(slack_rig.fake, slack_rig.stack, server)
        assert rig.mention("orders in 2024", "800.000001", "Ev-idle") == 200
        started = time.monotonic()
        for sock in (*idle[:5], half):
            sock.settimeout(10)
            assert sock.recv(1) == b""  # closed by the server
        assert time.monotonic() - started < 8
    finally:
        for sock in idle:
            sock.close()
        server.stop()


def test_bodies_over_the_cap_or_without_a_length_are_refused_before_reading(slack_rig: SlackRig) -> None:
    url = slack_rig.server.url
    sock = _connect(url)  # announces 50 MB and sends none of it
    sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 50000000\r\n\r\n")
    assert _response(sock).startswith(b"HTTP/1.1 413")
    sock.close()
    sock = _connect(url)
    sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n")
    assert _response(sock).startswith(b"HTTP/1.1 411")
    sock.close()
    sock = _connect(url)  # chunked: cut off as soon as it passes the cap
    sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"x" * 65536
    try:
        for _ in range(40):
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    except OSError:
        pass  # the server answered and closed while we were still sending
    assert _response(sock).startswith(b"HTTP/1.1 413")
    sock.close()
    time.sleep(0.2)
    assert slack_rig.fake.calls == []


def test_a_signed_chunked_request_under_the_cap_is_served(slack_rig: SlackRig) -> None:
    body = event_body({"type": "app_mention", "user": "U1", "text": "<@UBOT> orders in 2024", "channel": "C1",
                       "ts": "900.000001"}, "Ev-chunked")
    ts = int(time.time())
    sock = _connect(slack_rig.server.url)
    sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Transfer-Encoding: chunked\r\nX-Slack-Request-Timestamp: %d\r\nX-Slack-Signature: %s\r\n\r\n"
                 % (ts, sign(body, ts).encode()) + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
    assert _response(sock).startswith(b"HTTP/1.1 200")
    sock.close()
    slack_rig.answers(1)
