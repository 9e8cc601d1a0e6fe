"""Shared fixtures: one small sample lake per test session, and the app wired on it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from adapters.local.sample_lake import build_sample_lake
from adapters.local.sqlite_store import SQLiteConversationStore
from bot.bootstrap import LocalApp, build_local
from bot.settings import Settings

TEST_SCALE = 0.05  # ~7.5k orders: fast, still every month and value present
TEST_SEED = 7
AS_OF = dt.date(2025, 6, 15)


@pytest.fixture(scope="session")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lake")
    build_sample_lake(path, scale=TEST_SCALE, seed=TEST_SEED)
    return path


@pytest.fixture(scope="session")
def settings(lake: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("home")
    return Settings.from_env({"ATHENA_BOT_HOME": str(home), "ATHENA_BOT_LAKE": str(lake)})


@pytest.fixture(scope="session")
def app(settings: Settings) -> LocalApp:
    return build_local(settings, conversations=SQLiteConversationStore(":memory:"))


@pytest.fixture(scope="session")
def dev_results(app: LocalApp) -> list[tuple[str, bool, str]]:
    """The dev set evaluated once a session: its accuracy test and the scorer's sanity check share it."""
    from tests.test_dev_set import evaluate

    return evaluate(app)
