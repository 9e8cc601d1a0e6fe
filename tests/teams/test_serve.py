"""`athena-bot serve teams` as a real process: one command serves the whole local stack."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.teams.fake_connector import FakeConnector
from tests.teams.conftest import ANA


def test_serve_teams_answers_a_message_then_stops_on_sigterm(lake: Path, tmp_path: Path) -> None:
    connector = FakeConnector({"29:ana": ANA}).start()
    env = {**os.environ, "ATHENA_BOT_HOME": str(tmp_path), "ATHENA_BOT_LAKE": str(lake),
           "ATHENA_BOT_AS_OF": "2025-06-15", "MICROSOFT_APP_ID": ""}
    env.pop("ATHENA_BOT_BACKEND", None)
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "teams", "--port", "0"],
                               env=env, stderr=subprocess.PIPE, text=True)
    try:
        url, warned = None, False
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            warned = warned or "authentication is OFF" in line
            if "Teams messages at " in line:
                url = line.split("Teams messages at ")[1].strip()
        assert url and url.startswith("http://127.0.0.1:") and warned
        activity = {"type": "message", "id": "m1", "channelId": "msteams", "serviceUrl": connector.url,
                    "from": {"id": "29:ana", "name": "Ana", "aadObjectId": "aad-ana"},
                    "recipient": {"id": "28:athena", "name": "Athena"},
                    "conversation": {"id": "a:personal", "conversationType": "personal"}, "text": "orders in 2024"}
        request = urllib.request.Request(url, data=json.dumps(activity).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status in (200, 202)
        [card] = connector.first_cards(timeout=60)
        assert "Orders (all statuses), 1 Jan 2024 - 31 Dec 2024" in json.dumps(card.activity)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        connector.stop()
