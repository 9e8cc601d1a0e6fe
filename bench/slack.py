"""Slack on loopback: ack latency under 20 concurrent signed events, and event -> answer time.

The bolt app is served over HTTP on 127.0.0.1 exactly as `athena-bot serve slack` serves it; its
WebClient talks to the in-test fake Slack Web API; the local worker answers on the given lake.

The worker posts the text as soon as the rows are back and the chart right after, so one at a
time it reports event -> first text answer (the first chat.update of the placeholder) and event
-> chart (the update that adds the image block), each also as a ratio to the bare query time (the
same guarded SQL run on the executor alone), which is what no surface can go below.
"""

from __future__ import annotations

import datetime as dt
import json
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
            rig.answers(1 + 20, timeout=300)
            answers = _answer_times(fake, sent)
            print(_line("slack event -> answer (burst of 20, 1 worker)", answers))
            text, chart, bare = _sequential(rig, 10, dt.date.fromisoformat(as_of))
            print(_line("slack event -> first text answer (one at a time)", text))
            print(_line("slack event -> chart in the answer (one at a time)", chart))
            print(_line("bare query time (the same SQL, executor only)", bare))
            print(f"{'slack event -> first text / bare query':44} median {statistics.median(_ratios(text, bare)):6.1f}x")
            print(f"{'slack event -> chart / bare query':44} median {statistics.median(_ratios(chart, bare)):6.1f}x")
        finally:
            stop.set()
            server.stop()
            fake.stop()


def _warm(rig: SlackRig) -> None:
    rig.mention("orders by channel in 2025", "1.000001", "EvWarm")
    rig.charted(1, timeout=120)


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
    done_at: dict[str, float] = {}
    for call in fake.of("chat.update"):
        done_at.setdefault(call.params["ts"], call.at)  # the first update: the answer's text
    return [(done_at[placeholder_of[ts]] - started) * 1000 for ts, started in sent.items()]


def _ratios(values: list[float], bare: list[float]) -> list[float]:
    return [v / max(b, 1e-6) for v, b in zip(values, bare)]


def _bare_query_ms(rig: SlackRig, question: str, as_of: dt.date, rounds: int = 3) -> float:
    """The question's guarded SQL run on the executor alone (warm), the floor of any answer time."""
    from engine.domain import LOCAL_ANALYST

    engine = rig.stack.worker.engine
    prepared = engine.prepare(question, LOCAL_ANALYST, as_of)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        engine.executor.execute(prepared.sql, LOCAL_ANALYST, engine.answer_rows)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _sequential(rig: SlackRig, n: int, as_of: dt.date) -> tuple[list[float], list[float], list[float]]:
    """Per event, one at a time: event -> first text answer, event -> chart, and the bare query."""
    texts, charts, bare = [], [], []
    for i in range(n):
        question = QUESTIONS[i % len(QUESTIONS)]
        thread = f"{100 + i}.000001"
        started = time.perf_counter()
        rig.mention(question, thread, f"EvSeq{i}")
        placeholder = next(c.result["ts"] for c in rig.fake.wait_for("chat.postMessage", 1)
                           if c.params.get("thread_ts") == thread)
        deadline = time.monotonic() + 60
        first = chart = None
        while (first is None or chart is None) and time.monotonic() < deadline:
            for call in rig.fake.of("chat.update"):
                if call.params["ts"] != placeholder or not call.result.get("ok"):
                    continue
                first = first or call
                if chart is None and '"image"' in json.dumps(call.params.get("blocks")):
                    chart = call
            time.sleep(0.005)
        assert first is not None and chart is not None, question
        texts.append((first.at - started) * 1000)
        charts.append((chart.at - started) * 1000)
        bare.append(_bare_query_ms(rig, question, as_of))
    return texts, charts, bare


if __name__ == "__main__":
    import sys

    run(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".athena-bot/lake"))
