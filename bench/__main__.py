"""Benchmarks on the embedded default, at scale 1 unless told otherwise.

- warm question -> answer (with chart) through the engine, median/p90/p99
- SQL generation (understand + compile) per dev-set question, median/p99
- a listing at scale 10 (bench/listing.py): "the 5 most recent orders", time and peak memory, with
  the top N picked before the lines are joined and without
- guard + transpile (one sqlglot pass: check, qualify, Athena and DuckDB SQL) per dev-set question
- execution accuracy on the dev set (tests/dev_set/questions.yaml) on this lake
- the blind and second-domain sets through the jsonl CLI: accuracy and answered-but-wrong rate
- chart rendering per chart kind (2x PNGs; `make gallery` writes one per chart shape to look at)
- queue + worker throughput on the local stack (jobs per second)
- Slack on loopback (bench/slack.py): ack latency under 20 concurrent signed events, event -> answer;
  one at a time, event -> first text answer and event -> chart, each as a ratio to the bare query
- digests (bench/digests.py): finding the due ones among 10,000 stored, due instant -> channel post
- the web chat (bench/web.py): submit in the page -> answer rendered (AppTest), next to the engine's time
- verified questions (bench/verified.py): an answer from a verified question versus the normal path
- the AWS path on loopback (bench/aws.py): result fetch via S3 vs paging, SQS worker throughput
- cold start of the Lambda entry points (bench/cold.py), as ratios to `python -c pass`
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from adapters.local.sqlite_queue import SQLiteQueue
from adapters.local.sqlite_store import SQLiteConversationStore, SQLiteIdempotency
from bot.bootstrap import build_local, ensure_sample_lake
from bot.settings import Settings
from charts.choose import choose_chart
from charts.render import render_png
from engine.chart_hints import chart_hints
from engine.presenter import describe_query
from engine.domain import LOCAL_ANALYST, ReplyTarget
from engine.jobs import AskJob, encode_job
from engine.worker import Worker

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2025, 12, 31)
ASK_QUESTIONS = [
    "revenue by customer region last quarter", "top 10 products by revenue this year",
    "monthly revenue in 2025", "orders by channel in 2024", "return rate by category this year",
    "tickets by priority last month", "average order value by segment in 2025",
    "weekly revenue last 90 days", "gross margin by brand for electronics in 2025",
    "csat by ticket channel this year",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def line(name: str, values_ms: list[float]) -> str:
    return (f"{name:44} n={len(values_ms):4}  median {statistics.median(values_ms):8.2f} ms  "
            f"p90 {pct(values_ms, 0.9):8.2f} ms  p99 {pct(values_ms, 0.99):8.2f} ms")


def bench_ask(app, rounds: int) -> list[float]:  # noqa: ANN001
    for q in ASK_QUESTIONS:  # warm-up: imports, caches, first chart
        app.engine.ask(q, LOCAL_ANALYST, AS_OF)
    times = []
    for _ in range(rounds):
        for q in ASK_QUESTIONS:
            answer = app.engine.ask(q, LOCAL_ANALYST, AS_OF)
            assert answer.status == "answered", (q, answer.message)
            times.append(answer.elapsed_ms)
    return times


def bench_sql_generation(app, rounds: int) -> tuple[list[float], list[float]]:  # noqa: ANN001
    """Wall time and CPU time per question (CPU time is what the code costs on a busy machine)."""
    dev = yaml.safe_load((ROOT / "tests" / "dev_set" / "questions.yaml").read_text())
    questions = [q["question"] for q in dev["questions"]
                 if q.get("expect", "answered") == "answered" and not q.get("conversation")]
    as_of = dt.date.fromisoformat(dev["as_of"])
    app.engine.understanding  # noqa: B018 - load dimension values before timing
    times, cpu = [], []
    for _ in range(rounds):
        for q in questions:
            started, cpu_started = time.perf_counter(), time.process_time()
            app.engine.plan(q, as_of)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
    return times, cpu


def bench_charts(app, rounds: int) -> dict[str, list[float]]:  # noqa: ANN001
    samples = {"line (12 months)": "monthly revenue in 2025",
               "line (365 days)": "daily revenue in 2025",
               "bar (6 categories)": "revenue by category in 2025",
               "hbar (25 products)": "top 25 products by revenue in 2025"}
    out: dict[str, list[float]] = {}
    for name, q in samples.items():
        answer = app.engine.ask(q, LOCAL_ANALYST, AS_OF, charts=False)
        query = app.engine.prepare(q, LOCAL_ANALYST, AS_OF).query
        spec = choose_chart(answer.table, describe_query(query, app.model), answer.column_labels,
                            answer.column_formats, chart_hints(query, app.model))
        render_png(spec, answer.table)
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            render_png(spec, answer.table)
            times.append((time.perf_counter() - started) * 1000)
        out[name] = times
    return out


class _NullPoster:
    def __init__(self) -> None:
        self.count = 0

    def post(self, target, answer) -> None:  # noqa: ANN001
        self.count += 1


def bench_worker(app, jobs: int) -> tuple[float, float]:  # noqa: ANN001
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state.sqlite"
        queue = SQLiteQueue(state)
        poster = _NullPoster()
        worker = Worker(queue, app.engine, poster, SQLiteIdempotency(state), default_as_of=AS_OF)
        for i in range(jobs):
            question = ASK_QUESTIONS[i % len(ASK_QUESTIONS)]
            queue.send(encode_job(AskJob(question, LOCAL_ANALYST, ReplyTarget("bench", "c", str(i)))))
        started = time.perf_counter()
        while worker.run_once(max_messages=10):
            pass
        elapsed = time.perf_counter() - started
        assert poster.count == jobs
        return jobs / elapsed, elapsed


def bench_drafted_model() -> tuple[int, int]:
    """`semantic-model init` on the HR lake of the tests, then its questions, model unedited."""
    from adapters.local.profile import profile_lake
    from engine.model_draft import draft_model, render_model
    from tests.hr_lake import build_hr_lake
    from tests.test_dev_set import _rows

    with tempfile.TemporaryDirectory() as tmp:
        lake, model = Path(tmp) / "lake", Path(tmp) / "hr.yaml"
        build_hr_lake(lake)
        model.write_text(render_model(draft_model(profile_lake(lake)), "bench"))
        settings = Settings.from_env({"ATHENA_BOT_HOME": tmp, "ATHENA_BOT_LAKE": str(lake),
                                      "ATHENA_BOT_MODEL": str(model)})
        app = build_local(settings, conversations=SQLiteConversationStore(":memory:"), charts=False)
        items = yaml.safe_load((ROOT / "tests" / "dev_set" / "hr_questions.yaml").read_text())
        as_of = dt.date.fromisoformat(items["as_of"])
        correct = 0
        for item in items["questions"]:
            answer = app.engine.ask(item["question"], LOCAL_ANALYST, as_of, charts=False)
            expected = item.get("expect", "answered")
            if answer.status == expected and expected != "answered":
                correct += 1
            elif answer.status == expected:
                gold = app.engine.executor.execute(item["gold"], LOCAL_ANALYST, 10_000)
                ordered = bool(item.get("ordered"))
                correct += _rows(answer.table, ordered) == _rows(gold, ordered)
        return correct, len(items["questions"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--lake", help="lake folder (default: the configured lake, built at --scale)")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-aws", action="store_true", help="skip the AWS-on-loopback figures")
    parser.add_argument("--listing-scale", type=float, default=10.0,
                        help="scale of the lake the listing is measured on (built once, cached; 0 skips)")
    args = parser.parse_args(argv)
    settings = Settings.from_env().with_lake(args.lake)
    ensure_sample_lake(settings, args.scale)
    app = build_local(settings, conversations=SQLiteConversationStore(":memory:"))
    orders = app.engine.executor.execute("SELECT count(*) FROM sales.orders", LOCAL_ANALYST, 1).rows[0][0]
    print(f"lake {settings.lake} ({orders:,} orders), python {sys.version.split()[0]}")
    print(line("warm question -> answer with chart", bench_ask(app, args.rounds)))
    wall, cpu = bench_sql_generation(app, args.rounds)
    print(line("SQL generation (understand + compile)", wall))
    print(line("SQL generation, CPU time", cpu))
    if args.listing_scale:
        from bench.listing import run as run_listing

        run_listing(settings.home, args.listing_scale, args.rounds)
    from bench.guard import run as run_guard

    run_guard(app, args.rounds)
    from tests.test_dev_set import evaluate

    results = evaluate(app)
    correct = sum(ok for _, ok, _ in results)
    print(f"{'dev-set execution accuracy':44} {correct}/{len(results)} = {correct / len(results):.1%}")
    for name, times in bench_charts(app, max(3, args.rounds * 2)).items():
        print(line(f"chart render: {name}", times))
    correct, total = bench_drafted_model()
    print(f"{'HR lake, drafted model unedited: accuracy':44} {correct}/{total} = {correct / total:.1%}")
    from tests.dev_set.score import Run

    # the frozen sets through the jsonl CLI, each on its own small lake (tests/dev_set/score.py)
    for run in [Run(name) for name in ("blind", "saas")]:
        print(run.report().summary())
    rate, elapsed = bench_worker(app, 50)
    print(f"{'queue + worker throughput (50 jobs, 1 worker)':44} {rate:6.1f} jobs/s  ({elapsed:.2f} s)")
    from bench.slack import run as run_slack

    run_slack(settings.lake)
    from bench.digests import run as run_digests

    run_digests(settings.lake)
    from bench.web import run as run_web

    run_web(settings.lake, rounds=3)
    from bench.verified import run as run_verified

    run_verified(settings.lake, args.rounds)
    if not args.skip_aws:
        from bench.aws import run as run_aws

        run_aws(settings.lake)
    from bench.cold import ROOT as CHECKOUT, report as cold_report

    print("\n".join(cold_report([CHECKOUT], rounds=5)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
