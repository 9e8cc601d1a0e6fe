"""`athena-bot serve slack` as a real process: one command serves the whole local stack."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.slack.conftest import SECRET, SlackRig
from tests.slack.fake_slack import FakeSlack
from tests.test_cli import cli


class _Url:
    def __init__(self, url: str) -> None:
        self.url = url


def test_serve_slack_answers_a_mention_then_stops_on_sigterm(lake: Path, tmp_path: Path) -> None:
    fake = FakeSlack().start()
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": fake.url, "ATHENA_BOT_HOME": str(tmp_path), "ATHENA_BOT_LAKE": str(lake),
           "ATHENA_BOT_AS_OF": "2025-06-15"}
    env.pop("ATHENA_BOT_BACKEND", None)
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "slack", "--port", "0"],
                               env=env, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            if "Slack events at " in line:
                url = line.split("Slack events at ")[1].strip()
        assert url and url.startswith("http://127.0.0.1:")  # local runs bind loopback only
        rig = SlackRig(fake, None, _Url(url))  # type: ignore[arg-type]
        assert rig.mention("orders in 2024", "100.000001", "EvServe") == 200
        [update] = fake.wait_for("chat.update", timeout=60)
        assert update.params["text"].startswith("Orders (all statuses), 1 Jan 2024 - 31 Dec 2024")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        fake.stop()


def test_serve_slack_without_tokens_says_what_to_set(tmp_path: Path) -> None:
    env = {k: "" for k in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN")}
    result = cli("serve", "slack", "--socket", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN" in result.stderr
