"""Digest benchmarks on the local stack: finding the due digests among 10,000 stored ones (the
SQLite store's index against a scan of every record), and the time from a due instant to the
channel post (scheduler tick -> DigestJob on the local queue -> worker -> fake Slack's
chat.update) with charts, one digest at a time."""

from __future__ import annotations

import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

from adapters.local.digest_store import SQLiteDigestStore
from bot.bootstrap import local_digests, run_in_thread
from bot.settings import Settings
from bot.slack import SlackSettings, build_local_slack
from engine.digests.model import Digest, Owner
from engine.digests.periods import specs_of
from engine.digests.schedule import Schedule, iso_utc, parse_instant
from engine.digests.scheduler import LocalScheduler
from tests.slack.conftest import SECRET
from tests.slack.fake_slack import FakeSlack

STORED = 10_000
QUESTIONS = ["revenue by customer region last week", "orders by channel yesterday", "return rate by category this month",
             "tickets by priority last week", "top 5 products by revenue last week"]


def _line(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return f"{name:44} n={len(values):4}  median {statistics.median(values):8.2f} ms  p90 {p90:8.2f} ms"


def bench_due(rounds: int = 20) -> None:
    with tempfile.TemporaryDirectory() as home:
        store = SQLiteDigestStore(Path(home) / "state.sqlite")
        now = parse_instant("2025-06-16T07:00:00Z")
        rng = random.Random(7)
        record = {"metrics": ["revenue"], "dimensions": ["region"]}
        for i in range(STORED):  # next runs spread over the coming week; about 1 % due now
            ahead = -rng.randint(0, 600) if i % 100 == 0 else rng.randint(1, 7 * 24 * 3600)
            store.put(Digest(f"d{i:05d}", Owner("slack", f"U{i % 300}", f"user{i % 300}@example.com"),
                             "revenue by customer region last week", record, {}, {"platform": "slack", "channel": "C1"},
                             Schedule("weekly", "Europe/Berlin", 9, 0, i % 7),
                             state="paused" if i % 50 == 1 else "active",
                             next_run=iso_utc(now.fromtimestamp(now.timestamp() + ahead, now.tzinfo))))
        indexed, scanned = [], []
        for _ in range(rounds):
            started = time.perf_counter()
            due = store.due(now)
            indexed.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            naive = [d for d in store.list() if d.state != "paused" and d.next_run and d.next_run <= iso_utc(now)]
            scanned.append((time.perf_counter() - started) * 1000)
        assert {d.digest_id for d in due} == {d.digest_id for d in naive}
        print(_line(f"digests due among {STORED:,} (index; {len(due)} due)", indexed))
        print(_line(f"digests due among {STORED:,} (scan every record)", scanned))
        print(f"{'  index vs scan':44} {statistics.median(scanned) / statistics.median(indexed):8.1f}x faster")


def bench_due_to_post(lake: Path, samples: int = 10) -> None:
    with tempfile.TemporaryDirectory() as home:
        fake = FakeSlack({"U1": "analyst@example.com"}).start()
        settings = Settings.from_env({"ATHENA_BOT_HOME": home, "ATHENA_BOT_LAKE": str(lake)})
        stack = build_local_slack(settings, SlackSettings("xoxb-bench", SECRET, api_url=fake.url))
        engine = stack.worker.engine
        engine.understanding  # noqa: B018 - dimension values loaded before timing
        service = local_digests(settings)
        scheduler = LocalScheduler(service, stack.queue)
        stop = threading.Event()
        run_in_thread(stack.worker, stop)  # the worker alone: the bench plays the scheduler's clock
        try:
            times = []
            for i in range(samples + 1):
                question = QUESTIONS[i % len(QUESTIONS)]
                created = parse_instant(f"2025-{1 + i % 11:02d}-0{1 + i % 7}T06:00:00Z")
                as_of = created.date()
                prepared = engine.prepare(question, stack.worker.digests.identity.resolve("slack", "U1"), as_of)
                service.clock = lambda: created.timestamp()  # noqa: B023 - read at once
                digest = service.create(Digest(Digest.new_id(), Owner("slack", "U1", "analyst@example.com", "U1"),
                                               question, prepared.query.to_dict(), specs_of(prepared.query, as_of),
                                               {"platform": "slack", "channel": f"C{i}", "kind": "channel"},
                                               Schedule("daily", "Europe/Berlin", 9)))
                started = time.perf_counter()
                [_] = scheduler.tick(parse_instant(digest.next_run))
                while not [c for c in fake.of("chat.update") if c.params.get("channel") == f"C{i}"]:
                    time.sleep(0.002)
                if i:  # the first is the warm-up
                    times.append((time.perf_counter() - started) * 1000)
                service.delete(digest.digest_id, None)
            print(_line("digest due instant -> channel post (Slack)", times))
        finally:
            stop.set()
            fake.stop()


def run(lake: Path) -> None:
    bench_due()
    bench_due_to_post(lake)


if __name__ == "__main__":
    import sys

    from bot.bootstrap import ensure_sample_lake

    configured = Settings.from_env().with_lake(sys.argv[1] if len(sys.argv) > 1 else None)
    ensure_sample_lake(configured)
    run(configured.lake)
