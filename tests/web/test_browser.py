"""`athena-bot serve web` as a real process, driven by headless Chromium through selenium.

Debian's ``chromium`` and ``chromium-driver`` are needed: `make test` installs them with apt-get
when it runs as root (CI does). Without them these tests are skipped, saying so; under CI
(``CI=true``) a missing browser is a failure, never a silent skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import AS_OF
from tests.web.alb_keys import ALB_ARN, FakeAlb

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
# the flags known to work on this kind of machine; without the background-networking ones
# Chromium keeps trying hosts the closed network refuses
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1400,1600"]
START_SECONDS = 120  # the server's first start on a busy machine: imports, lake, model


@pytest.fixture(scope="module", autouse=True)
def browser_available() -> None:
    if CHROMIUM and CHROMEDRIVER:
        return
    message = ("real-browser test needs Debian's chromium and chromium-driver (not found); `make test` "
               "installs them with apt-get when run as root, or: apt-get install chromium chromium-driver")
    if os.environ.get("CI") == "true":
        pytest.fail(message + " -- CI must run this test")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read() == b"ok"
    except OSError:
        return False


@contextmanager
def serve_web(lake: Path, home: Path, extra_env: dict[str, str] | None = None,
              kill_parent: bool = False) -> Iterator[str]:
    """`athena-bot serve web` on a free port until the block ends: then SIGTERM and a clean exit,
    or with ``kill_parent`` SIGKILL to the command alone, after which its server must stop too."""
    port = free_port()
    env = {**os.environ, "ATHENA_BOT_HOME": str(home), "ATHENA_BOT_LAKE": str(lake),
           "ATHENA_BOT_AS_OF": AS_OF.isoformat(), **(extra_env or {})}
    for name in ("ATHENA_BOT_BACKEND", "ATHENA_BOT_STATE", "ATHENA_BOT_IDENTITY_FILE"):
        env.pop(name, None)
    log = open(home / "serve.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "web", "--port", str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while not healthy(url):
            assert process.poll() is None, (home / "serve.log").read_text()
            assert time.monotonic() < deadline, "the web chat did not come up:\n" + (home / "serve.log").read_text()
            time.sleep(0.3)
        yield url
        if kill_parent:
            process.kill()
        else:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0, (home / "serve.log").read_text()
        process.wait()
        deadline = time.monotonic() + 30
        while healthy(url):  # the Streamlit server stops with the command
            assert time.monotonic() < deadline, "the Streamlit server outlived `serve web`"
            time.sleep(0.3)
    finally:
        try:  # whatever is left of the command and its server: they share a process group
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
        log.close()


@contextmanager
def chromium(headers: dict[str, str] | None = None) -> Iterator:  # noqa: ANN401
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tempfile.mkdtemp(prefix='athena-chromium-')}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        if headers:  # what the load balancer adds to every request it forwards
            driver.execute_cdp_cmd("Network.enable", {})
            driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": headers})
        yield driver
    finally:
        driver.quit()


def wait_for(driver, css: str, timeout: float = 90):  # noqa: ANN001, ANN201
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, css)))


@pytest.fixture(scope="module")
def server(lake: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, FakeAlb, str]]:
    """One `athena-bot serve web` behind a load balancer in miniature, for every test here; at the
    end SIGTERM stops it cleanly, its Streamlit server with it. (``kill_parent=True`` checks the
    server also stops when the command is killed outright.)"""
    alb = FakeAlb().start()
    kid = alb.new_key()
    env = {"ATHENA_BOT_WEB_AUTH": "alb", "ATHENA_BOT_ALB_ARN": ALB_ARN, "ATHENA_BOT_ALB_KEY_URL": alb.url}
    try:
        with serve_web(lake, tmp_path_factory.mktemp("web-serve"), env) as url:
            yield url, alb, kid
    finally:
        alb.stop()


def test_a_signed_in_question_in_the_browser_gets_a_table_and_a_chart(server: tuple[str, FakeAlb, str],
                                                                       tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    url, alb, kid = server
    token = alb.token(kid, {"name": "Ana Lima", "email": "ana@example.com"})
    with chromium({"x-amzn-oidc-data": token}) as driver:  # the header the load balancer adds
        driver.get(url)
        assert wait_for(driver, "[data-testid='stSidebar'] h3").text == "Ana Lima"
        caption = wait_for(driver, "[data-testid='stSidebar'] [data-testid='stCaptionContainer']")
        assert "ana@example.com" in caption.text
        assert alb.requests == [f"/keys/{kid}"]  # the signing key, fetched by its kid
        box = wait_for(driver, "[data-testid='stChatInputTextArea']")
        box.send_keys("revenue by category in 2024")
        box.send_keys(Keys.ENTER)
        # st.status while the worker answers (its first answer, charts cold, takes seconds)
        WebDriverWait(driver, 30, poll_frequency=0.05).until(lambda _: driver.find_elements(
            By.XPATH, "//*[@data-testid='stExpander'][contains(., 'Looking into it')]"))
        table = wait_for(driver, "[data-testid='stDataFrame']")
        chart = wait_for(driver, "[data-testid='stImage'] img")
        WebDriverWait(driver, 30).until(lambda _: table.find_elements(By.CSS_SELECTOR, "[role='gridcell']"))

        def texts(role: str) -> list[str]:
            return [c.get_attribute("textContent") for c in table.find_elements(By.CSS_SELECTOR, f"[role='{role}']")]

        cells, headers = texts("gridcell"), texts("columnheader")
        assert headers == ["Product category", "Revenue"], headers
        assert cells[0] == "Electronics" and len(cells) == 12, cells
        WebDriverWait(driver, 30).until(lambda _: driver.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth", chart))
        assert driver.execute_script("return arguments[0].naturalWidth", chart) == 800  # the chart's PNG
        messages = driver.find_elements(By.CSS_SELECTOR, "[data-testid='stChatMessage']")
        assert "Revenue (completed orders) by product category, 1 Jan 2024 - 31 Dec 2024: " in messages[1].text
        time.sleep(0.5)  # let the chart's fade-in finish before the picture is taken
        screenshot = tmp_path / "web-chat-answer.png"
        assert driver.save_screenshot(str(screenshot))
        assert screenshot.stat().st_size > 20_000


def test_without_the_load_balancers_header_there_is_no_session(server: tuple[str, FakeAlb, str]) -> None:
    url, _, _ = server
    with chromium() as driver:  # straight to the server, not through the load balancer
        driver.get(url)
        assert "You are not signed in" in wait_for(driver, "[data-testid='stAlert']").text
        assert not driver.find_elements("css selector", "[data-testid='stChatInputTextArea']")
