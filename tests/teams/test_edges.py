"""Teams' edges on loopback: malformed activities, oversized or slow bodies, idle connections, and
user text that must stay text in the cards the bot sends."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

import adapters.teams.server as teams_server
from adapters.teams.cards import answer_card, sql_card
from adapters.teams.server import TeamsServer, auth_configuration, build_adapter, build_web_app
from engine.domain import Answer, ResultTable
from tests.teams.conftest import BOB, TeamsRig
from tests.teams.test_teams import card_of, validate


def raw_post(rig: TeamsRig, body: bytes) -> int:
    request = urllib.request.Request(rig.url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]


def test_malformed_activities_get_400_and_a_log_line(teams_rig: TeamsRig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    good = teams_rig.activity("orders in 2024")

    def without(*path: str) -> bytes:
        activity = json.loads(json.dumps(good))
        target = activity
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
        return json.dumps(activity).encode()

    cases = [(b"{not json", "not JSON"), (b"[1]", "not an object"), (b"[" * 50_000, "nested too deeply"),
             (b'{"type": "message", "text": "\xff"}', "not JSON"), (b"", "not JSON"),
             (json.dumps({"text": "hi"}).encode(), "without type"),
             (without("conversation"), "without conversation.id"), (without("from"), "without from.id"),
             (without("serviceUrl"), "without a serviceUrl"),
             (json.dumps({**good, "serviceUrl": "file:///etc/passwd"}).encode(), "without a serviceUrl"),
             (json.dumps({**good, "text": 5}).encode(), "text is not a string"),
             (json.dumps({**good, "entities": 5}).encode(), "not a valid activity")]
    for body, reason in cases:
        caplog.clear()
        assert raw_post(teams_rig, body) == 400, body[:60]
        assert any(reason in r.getMessage() for r in caplog.records), (reason, [r.getMessage() for r in caplog.records])
        no_tracebacks(caplog)
    time.sleep(0.3)
    assert teams_rig.connector.sent == []


def test_card_values_without_an_option_are_not_a_crash(teams_rig: TeamsRig, caplog: pytest.LogCaptureFixture) -> None:
    for value in ({"action": "clarify"}, {"action": "clarify", "option": 5}):
        assert teams_rig.post(teams_rig.activity("", value=value, activity_id=f"v{len(value)}"))[0] in (200, 202)
    notes = teams_rig.connector.wait_for(lambda s: "Ask me a question" in (s.activity.get("text") or ""), 2)
    assert len(notes) == 2
    no_tracebacks(caplog)


def _connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def _status(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n")[0]


def test_bodies_over_the_cap_are_refused_before_reading(teams_rig: TeamsRig) -> None:
    sock = _connect(teams_rig.url)
    sock.sendall(b"POST /api/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 50000000\r\n\r\n")
    assert b" 413 " in _status(sock)
    sock.close()
    sock = _connect(teams_rig.url)  # chunked: cut off at the cap
    sock.sendall(b"POST /api/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"x" * 65536
    try:
        for _ in range(40):
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    except OSError:
        pass
    assert b" 413 " in _status(sock)
    sock.close()


def test_a_body_that_never_arrives_times_out(teams_rig: TeamsRig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(teams_server, "BODY_TIMEOUT_SECONDS", 1)
    sock = _connect(teams_rig.url)
    sock.sendall(b"POST /api/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n{\"type\":")
    started = time.monotonic()
    assert b" 408 " in _status(sock) and time.monotonic() - started < 5
    sock.close()


def test_idle_connections_are_closed_and_cost_no_thread() -> None:
    config = auth_configuration(None, None, None)
    server = TeamsServer(build_web_app(object(), build_adapter(config), config), port=0, idle_timeout=1).start()
    try:
        threads = threading.active_count()
        idle = [_connect(server.base_url) for _ in range(100)]
        half = _connect(server.base_url)
        half.sendall(b"POST /api/messages HTTP/1.1\r\nHost: x\r\n")  # headers never finished
        time.sleep(0.3)
        assert threading.active_count() - threads <= 1
        started = time.monotonic()
        for sock in (*idle[:5], half):
            assert sock.recv(1) == b""
        assert time.monotonic() - started < 6
    finally:
        for sock in idle:
            sock.close()
        server.stop()


HOSTILE = "[click me](http://evil.example) **orders** in 2024 <at>x</at>"


def test_cards_show_user_text_as_text_never_markdown() -> None:
    table = ResultTable(["product"], ["varchar"], [("[p](http://evil.example)",), ("**bold**",)])
    answer = Answer(status="answered", question=HOSTILE, message=f'Products matching "{HOSTILE}"', sql="SELECT *",
                    table=table, footer="_footer_")
    for card in (answer_card(answer, "k"), answer_card(Answer(status="clarify", question=HOSTILE,
                                                              message=HOSTILE, options=[HOSTILE]), "k"),
                 sql_card("SELECT *\n  FROM t\nWHERE x = '[a](http://evil.example)'")):
        validate(card)
        text = json.dumps(card)
        assert '"TextBlock"' not in text  # TextBlocks render markdown; TextRuns do not
        assert "TextRun" in text
    lines = [b["inlines"][0]["text"] for b in sql_card("SELECT *\n  FROM t")["body"][1:]]
    assert lines == ["SELECT *", "\u00a0\u00a0FROM t"]


def test_a_hostile_question_comes_back_as_text(teams_rig: TeamsRig) -> None:
    teams_rig.post(teams_rig.activity(f"<at>Athena</at> {HOSTILE}", activity_id="h1"))
    [sent] = teams_rig.connector.first_cards()
    card = card_of(sent)
    validate(card)
    assert '"TextBlock"' not in json.dumps(card)


def test_the_no_access_note_is_plain_text(teams_rig: TeamsRig) -> None:
    teams_rig.post(teams_rig.activity("<at>Athena</at> orders in 2024", user=BOB, activity_id="b9"))
    [note] = teams_rig.connector.wait_for(lambda s: "couldn't match" in (s.activity.get("text") or ""))
    assert note.activity.get("textFormat") == "plain"
