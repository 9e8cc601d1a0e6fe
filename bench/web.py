"""The web chat on the local stack: from submitting a question in the page to the answer rendered.

The page runs under Streamlit's AppTest, wired from the environment as `athena-bot serve web`
wires it; its question travels as an AskJob through the local queue to the worker on a thread,
and the answer comes back through the session inbox. Next to it, the engine's own time for the
same questions (QueryEngine.ask, no queue), so the difference is what the web path adds.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.bootstrap import local_intake, local_worker, run_in_thread
from bot.settings import Settings
from bot.web import PAGE
from engine.domain import LOCAL_ANALYST

QUESTIONS = ["revenue by customer region last quarter", "orders by channel in 2025", "monthly revenue in 2025",
             "top 5 products by revenue this year", "tickets by priority last month"]


def _line(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return f"{name:44} n={len(values):4}  median {statistics.median(values):8.2f} ms  p90 {p90:8.2f} ms"


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _ask_in_page(app_test: Any, question: str) -> float:
    """A new browser session asks ``question``: milliseconds from submitting to the answer drawn."""
    page = app_test.from_file(str(PAGE), default_timeout=300)
    page.run()  # the session's first run (sign-in, sidebar) is not timed
    started = time.perf_counter()
    page.chat_input[0].set_value(question).run()
    elapsed = (time.perf_counter() - started) * 1000
    assert page.dataframe, f"no table for {question!r}: {[m.value for m in page.markdown]}"
    return elapsed


def run(lake: Path, as_of: str = "2025-12-31", rounds: int = 2) -> None:
    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as home, _environment({
            "ATHENA_BOT_HOME": home, "ATHENA_BOT_LAKE": str(lake), "ATHENA_BOT_AS_OF": as_of,
            "ATHENA_BOT_STATE": str(Path(home) / "state.sqlite"), "ATHENA_BOT_WEB_AUTH": "none"}):
        settings = Settings.from_env()
        local = local_intake(settings)
        stop = threading.Event()
        thread = run_in_thread(local_worker(settings, local.app.engine, local.queue), stop)
        try:
            engine = local.app.engine
            for question in QUESTIONS:  # warm: lake files, caches, chart renderer, one page session
                engine.ask(question, LOCAL_ANALYST, settings.as_of)
            _ask_in_page(AppTest, QUESTIONS[0])
            page_ms, engine_ms = [], []
            for i in range(rounds * len(QUESTIONS)):
                question = QUESTIONS[i % len(QUESTIONS)]
                # alternate which path goes first, so neither always meets the other's warm caches
                if i % 2:
                    page_ms.append(_ask_in_page(AppTest, question))
                answer = engine.ask(question, LOCAL_ANALYST, settings.as_of)
                assert answer.status == "answered", answer.message
                engine_ms.append(answer.elapsed_ms or 0.0)
                if not i % 2:
                    page_ms.append(_ask_in_page(AppTest, question))
            print(_line("web: submit in page -> answer rendered", page_ms))
            print(_line("web: the engine's own answer time", engine_ms))
            ratio = statistics.median(page_ms) / statistics.median(engine_ms)
            print(f"{'web: page / engine (medians)':44} {ratio:6.2f}x")
        finally:
            stop.set()
            thread.join(timeout=10)
