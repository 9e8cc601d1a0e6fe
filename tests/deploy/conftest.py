"""Start the template linters in the background as soon as the lint tests are collected."""

from __future__ import annotations

import os

import pytest

from tests.deploy import linters


def pytest_collection_finish(session: pytest.Session) -> None:
    # under xdist every worker collects every test but only one runs the lint tests: there the
    # first report starts the tools
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if any(item.nodeid.startswith("tests/deploy/test_lint.py") for item in session.items):
        linters.start()


def pytest_sessionfinish(session: pytest.Session) -> None:
    linters.stop()
