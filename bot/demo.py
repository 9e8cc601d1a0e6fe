"""`make demo`: build the sample lake if missing, then answer example questions through the
local queue and worker, exactly as chat questions travel in production."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from adapters.local.sqlite_queue import SQLiteQueue
from adapters.local.sqlite_store import SQLiteConversationStore, SQLiteIdempotency
from adapters.terminal.poster import ConsolePoster
from bot.bootstrap import build_local, ensure_sample_lake
from bot.settings import SAMPLE_AS_OF, Settings
from engine.domain import ReplyTarget
from engine.jobs import AskJob, encode_job
from engine.worker import Worker

DEMO_AS_OF = SAMPLE_AS_OF  # the sample lake ends here
# (thread, question): questions in one thread are a conversation
DEMO_QUESTIONS = [
    ("t1", "What was our revenue by region last quarter?"),
    ("t1", "Store region instead"),
    ("t1", "and for 2024?"),
    ("t2", "Top 5 products by revenue in 2025"),
    ("t2", "top 3 instead"),
    ("t3", "Monthly revenue and orders in 2025"),
    ("t4", "Return rate by category this year"),
    ("t5", "How many support tickets by priority last month?"),
    ("t6", "Average resolution time by ticket channel in Q3 2025"),
    ("t7", "revenue from electronics vs apparel by quarter in 2025"),
    ("t10", "revenue 2025 vs 2024 by channel"),
    ("t11", "show the 5 most recent orders over $1000"),
    ("t12", "categories with more than 1m in sales this year"),
    ("t8", "What's the weather in Paris?"),
    ("t9", "delete all cancelled orders"),
]


def run_demo(settings: Settings, scale: float = 1.0, out=sys.stdout) -> int:  # noqa: ANN001
    ensure_sample_lake(settings, scale)
    as_of = settings.as_of or DEMO_AS_OF
    state = settings.home / "demo-state.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{state}{suffix}").unlink(missing_ok=True)
    app = build_local(settings, conversations=SQLiteConversationStore(state))
    queue = SQLiteQueue(state, name="demo-jobs", max_receives=settings.max_receives)
    poster = ConsolePoster(settings.charts_dir, out)
    worker = Worker(queue, app.engine, poster, SQLiteIdempotency(state),
                    max_receives=settings.max_receives, default_as_of=as_of)
    principal = app.identity.resolve("demo", "demo-user", "analyst@example.com")

    out.write(f"Lake: {settings.lake}  |  as of {as_of}  |  questions go through the local queue\n\n")
    started = time.perf_counter()
    for thread, question in DEMO_QUESTIONS:
        job = AskJob(question=question, principal=principal, as_of=as_of.isoformat(),
                     conversation_id=f"demo:{thread}",
                     reply_to=ReplyTarget(platform="demo", channel="#demo", thread=thread))
        queue.send(encode_job(job))
    worker.run(idle_exit=0.2, wait_seconds=0.1)
    elapsed = time.perf_counter() - started
    answered = sum(1 for _, a in poster.posted if a.status == "answered")
    out.write(f"{len(poster.posted)} questions, {answered} answered, in {elapsed:.1f} s. "
              f"Charts are in {settings.charts_dir.resolve()}\n")
    left = queue.counts()
    return 0 if len(poster.posted) == len(DEMO_QUESTIONS) and not any(left.values()) else 1
