"""The web chat page under Streamlit's AppTest, wired from the environment exactly as `athena-bot
serve web` wires it, with the local worker answering from the same SQLite state on a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bot.bootstrap import LocalIntake, local_intake, local_worker, run_in_thread
from bot.settings import Settings
from bot.web import PAGE
from tests.conftest import AS_OF

WEB_VARS = ("ATHENA_BOT_BACKEND", "ATHENA_BOT_WEB_AUTH", "ATHENA_BOT_ALB_ARN", "ATHENA_BOT_ALB_KEY_URL",
            "ATHENA_BOT_QUICKSIGHT_URL", "ATHENA_BOT_IDENTITY_FILE", "ATHENA_BOT_STATE", "ATHENA_BOT_PLANNER",
            "ATHENA_BOT_WEB_WAIT_SECONDS", "ATHENA_BOT_MODEL")
RUN_TIMEOUT = 90  # seconds one AppTest run may take on a busy machine (the page waits for the worker)


def web_environment(mp: pytest.MonkeyPatch, home: Path, lake: Path) -> Settings:
    for name in WEB_VARS:
        mp.delenv(name, raising=False)
    mp.setenv("ATHENA_BOT_HOME", str(home))
    mp.setenv("ATHENA_BOT_LAKE", str(lake))
    mp.setenv("ATHENA_BOT_AS_OF", AS_OF.isoformat())
    return Settings.from_env()


@pytest.fixture(scope="module")
def web_settings(lake: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A home of its own for this module's pages and worker."""
    with pytest.MonkeyPatch.context() as mp:
        yield web_environment(mp, tmp_path_factory.mktemp("web-home"), lake)


@pytest.fixture(scope="module")
def worker(web_settings: Settings) -> Iterator[LocalIntake]:
    """The local worker on its thread, answering whatever the pages enqueue."""
    local = local_intake(web_settings)
    stop = threading.Event()
    thread = run_in_thread(local_worker(web_settings, local.app.engine, local.queue), stop)
    yield local
    stop.set()
    thread.join(timeout=10)


def open_page() -> AppTest:
    """A new browser session on the page, after its first run."""
    page = AppTest.from_file(str(PAGE), default_timeout=RUN_TIMEOUT)
    page.run()
    assert not page.exception, [e.value for e in page.exception]
    return page


@pytest.fixture()
def page(worker: LocalIntake) -> AppTest:
    return open_page()


def ask(page: AppTest, question: str) -> AppTest:
    page.chat_input[0].set_value(question).run()
    assert not page.exception, [e.value for e in page.exception]
    return page


def texts(page: AppTest) -> list[str]:
    """What the conversation says: markdown, alerts and captions of the main area, in order."""
    main = page.main
    return [e.value for e in [*main.markdown, *main.info, *main.warning, *main.error, *main.caption]]
