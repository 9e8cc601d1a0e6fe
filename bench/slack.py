"""Slack on loopback: ack latency under 20 concurrent signed events, and event -> answer time.

The bolt app is served over HTTP on 127.0.0.1 exactly as `athena-bot serve slack` serves it; its
WebClient talks to the in-test fake Slack Web API; the local worker answers on the given lake.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from adapters.slack.server import HttpServer
from bot.settings import Settings
from bot.slack import SlackSettings, build_local_slack
from tests.slack.conftest import SECRET, SlackRig
from tests.slack.fake_slack import FakeSlack

QUESTIONS = ["revenue by customer region last quarter", "orders by channel in 2025", "monthly revenue in 2025",
             "top 5 products by revenue this year", "tickets by priority last month"]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _line(name: str, values: list[float]) -> str:
    return (f"{name:44} n={len(values):4}  median {statistics.median(values):8.2f} ms  "
            f"p90 {_pct(values, 0.9):8.2f} ms  p99 {_pct(values, 0.99):8.2f} ms")


def run(lake: Path, as_of: str = "2025-12-31") -> None:
    with tempfile.TemporaryDirectory() as home:
        fake = FakeSlack({"U1": "analyst@example.com"}).start()
        settings = Settings.from_env({"ATHENA_BOT_HOME": home, "ATHENA_BOT_LAKE": str(lake),
                                      "ATHENA_BOT_AS_OF": as_of})
        stack = build_local_slack(settings, SlackSettings("xoxb-bench", SECRET, api_url=fake.url))
        stack.worker.engine.understanding  # noqa: B018 - dimension values loaded before timing
        server = HttpServer(stack.app, "127.0.0.1", 0).start()
        stop = threading.Event()
        stack.run_worker(stop)
        rig = SlackRig(fake, stack, server)
        try:
            _warm(rig)
            acks, sent = _burst(rig, 20)
            print(_line("slack ack, 20 concurrent signed events", acks))
            fake.wait_for("chat.update", 1 + 20, timeout=300)
            answers = _answer_times(fake, sent)
            print(_line("slack event -> answer (burst of 20, 1 worker)", answers))
            single = _sequential(rig, 10)
            print(_line("slack event -> answer (one at a time)", single))
        finally:
            stop.set()
            server.stop()
            fake.stop()


def _warm(rig: SlackRig) -> None:
    rig.mention("orders in 2025", "1.000001", "EvWarm")
    rig.fake.wait_for("chat.update", 1, timeout=120)


def _burst(rig: SlackRig, n: int) -> tuple[list[float], dict[str, float]]:
    sent: dict[str, float] = {}

    def one(i: int) -> float:
        ts = f"{10 + i}.000001"
        started = time.perf_counter()
        sent[ts] = started
        status = rig.mention(QUESTIONS[i % len(QUESTIONS)], ts, f"EvBurst{i}")
        assert status == 200
        return (time.perf_counter() - started) * 1000

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n))), sent


def _answer_times(fake: FakeSlack, sent: dict[str, float]) -> list[float]:
    """Event sent -> the chat.update that replaced its thread's placeholder, per event."""
    placeholder_of = {c.params.get("thread_ts"): c.result.get("ts") for c in fake.of("chat.postMessage")}
    done_at = {c.params["ts"]: c.at for c in fake.of("chat.update")}
    return [(done_at[placeholder_of[ts]] - started) * 1000 for ts, started in sent.items()]


def _sequential(rig: SlackRig, n: int) -> list[float]:
    times = []
    for i in range(n):
        before = len(rig.fake.of("chat.update"))
        started = time.perf_counter()
        rig.mention(QUESTIONS[i % len(QUESTIONS)], f"{100 + i}.000001", f"EvSeq{i}")
        update = rig.fake.wait_for("chat.update", before + 1, timeout=60)[-1]
        times.append((update.at - started) * 1000)
    return times


if __name__ == "__main__":
    import sys

    run(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".athena-bot/lake"))
