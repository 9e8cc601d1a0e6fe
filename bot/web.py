"""Composition of the web chat: `athena-bot serve web`.

The command runs the real Streamlit server (``streamlit run`` on ``bot/streamlit_app/chat.py``)
as a child process. On the embedded default this process runs the local worker meanwhile, so
one command serves the whole stack: the page enqueues on the local SQLite queue and waits on
its session inbox, the worker answers into it. With ATHENA_BOT_BACKEND=aws the page enqueues on
SQS and reads the inbox in DynamoDB; the worker service answers.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters.web.alb import AlbConfigError, AlbVerifier
from bot.aws_settings import ConfigError
from bot.bootstrap import (ensure_sample_lake, local_intake, local_worker, run_in_thread, run_scheduler,
                           stop_on_signals)
from bot.settings import Settings
from engine.errors import BotError

if TYPE_CHECKING:  # the page's modules import Streamlit: only the server process needs them
    from adapters.web.app import WebContext
    from bot.aws_settings import AwsSettings

log = logging.getLogger(__name__)

PAGE = Path(__file__).resolve().parent / "streamlit_app" / "chat.py"
HEALTH_PATH = "/_stcore/health"  # Streamlit's own health endpoint: the load balancer's check


@dataclass(frozen=True)
class WebSettings:
    auth: str = "none"  # none | alb
    alb_arn: str | None = None
    alb_key_url: str | None = None  # default: the ALB public-key endpoint of the ARN's region
    quicksight_url: str | None = None
    wait_seconds: float = 600

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "WebSettings":
        env = dict(os.environ if env is None else env)
        auth = (env.get("ATHENA_BOT_WEB_AUTH") or "none").strip().lower()
        if auth not in ("none", "alb"):
            raise ConfigError(f"ATHENA_BOT_WEB_AUTH must be 'none' or 'alb', not {auth!r}")
        arn = env.get("ATHENA_BOT_ALB_ARN") or None
        if auth == "alb" and not arn:
            raise ConfigError("ATHENA_BOT_WEB_AUTH=alb needs ATHENA_BOT_ALB_ARN, the load balancer that signs "
                              "the sign-in header")
        try:
            wait = float(env.get("ATHENA_BOT_WEB_WAIT_SECONDS") or 600)
        except ValueError as err:
            raise ConfigError(f"ATHENA_BOT_WEB_WAIT_SECONDS must be a number of seconds: {err}") from err
        return cls(auth, arn, env.get("ATHENA_BOT_ALB_KEY_URL") or None,
                   env.get("ATHENA_BOT_QUICKSIGHT_URL") or None, wait)

    def verifier(self) -> AlbVerifier | None:
        if self.auth != "alb":
            return None
        try:
            return AlbVerifier(self.alb_arn or "", self.alb_key_url)
        except AlbConfigError as err:
            raise ConfigError(str(err)) from err


def build_web_context(settings: Settings, web: WebSettings, backend: str, session: Any = None,
                      aws: AwsSettings | None = None) -> WebContext:
    """The page's wiring for the backend: its Intake, inbox, sign-in and the model's guide."""
    from adapters.web.app import WebContext
    from adapters.web.guide import model_guide

    if backend == "aws":
        import boto3

        from bot.aws_settings import AwsSettings
        from bot.bootstrap import aws_intake, fetch_model
        from bot.values import ValuesFile
        from engine.semantic_model import load_model
        from engine.language.understanding import Understanding
        from engine.values import declared_values, split_values_file

        if web.auth != "alb":
            raise ConfigError("on AWS the web chat needs sign-in: set ATHENA_BOT_WEB_AUTH=alb and "
                              "ATHENA_BOT_ALB_ARN (see deploy/README.md)")
        aws = aws or AwsSettings.from_env()
        session = session or boto3.Session()
        intake = aws_intake(settings, aws, session, "the web chat")
        model = load_model(fetch_model(settings, session))  # ATHENA_BOT_MODEL may be s3://
        # the values file also carries the time ranges: only the values name things. A fresh stack
        # has no file until its first refresh: the model's own values then.
        values = split_values_file(ValuesFile(aws.values_file, session.client("s3"),
                                              lambda: declared_values(model)).load())[0] \
            if aws.values_file else declared_values(model)
        understanding = Understanding(model, values, settings.default_metric)
        note = "Answers come from Amazon Athena, run as your own IAM role."

        def understands(question: str) -> bool:
            return _understood(lambda: understanding.understand(question, _as_of(settings)))
    else:
        local = local_intake(settings)
        intake, model, engine = local.intake, local.app.model, local.app.engine
        values = engine.values
        note = f"Answers come from the embedded default: DuckDB over the local lake ({settings.lake})."

        def understands(question: str) -> bool:
            return _understood(lambda: engine.plan(question, _as_of(settings)))
    if settings.as_of:
        note += f" \"Today\" is {settings.as_of.isoformat()}."
    from bot.curation import feedback_store, verified_store

    inbox: Any = intake.conversations  # the ConversationStore with its session inbox
    return WebContext(intake=intake, inbox=inbox, guide=model_guide(model, values, understands), auth=web.auth,
                      verifier=web.verifier(), quicksight_url=web.quicksight_url, data_note=note,
                      wait_seconds=web.wait_seconds, feedback=feedback_store(settings, aws, session),
                      verified=verified_store(settings, aws, session))


def _as_of(settings: Settings) -> dt.date:
    return settings.as_of or dt.date.today()


def _understood(attempt: Callable[[], object]) -> bool:
    """Whether the engine reads a question (an example is offered only then)."""
    try:
        attempt()
    except BotError:
        return False
    return True


_contexts: dict[tuple[Settings, WebSettings, str], WebContext] = {}
_contexts_lock = threading.Lock()


def page_context() -> WebContext:
    """The page's context for the current environment, built once per server process."""
    from bot.service import backend

    key = (Settings.from_env(), WebSettings.from_env(), backend())
    with _contexts_lock:
        if key not in _contexts:
            _contexts[key] = build_web_context(*key)
        return _contexts[key]


def warm_page_context() -> None:
    """Build the page's context ahead of the first visit; a failure is shown by the page itself."""
    try:
        page_context()
    except Exception:  # noqa: BLE001 - the page reports configuration errors to its visitors
        log.exception("could not wire the web chat")


def run_page() -> None:
    """What the Streamlit script runs: the page, or a readable configuration error."""
    import streamlit as st

    from adapters.web.app import run
    from bot.bootstrap import LakeMissing

    try:
        ctx = page_context()
    except (ConfigError, LakeMissing, ValueError) as err:
        st.error(f"The web chat is not configured correctly: {err}")
        return
    run(ctx)


def streamlit_command(host: str, port: int) -> list[str]:
    """``streamlit run`` for the page: headless, no usage statistics (no calls out), no file watcher."""
    return [sys.executable, "-m", "bot.streamlit_app.server",
            "--server.address", host, "--server.port", str(port), "--server.headless", "true",
            "--server.fileWatcherType", "none", "--server.runOnSave", "false",
            "--browser.gatherUsageStats", "false", "--global.developmentMode", "false",
            "--client.toolbarMode", "viewer", "--client.showErrorDetails", "none",
            "--theme.base", "light"]


def serve_web(settings: Settings, host: str, port: int, backend: str) -> int:
    """Run the Streamlit server (and, on the embedded default, the local worker) until SIGTERM."""
    web = WebSettings.from_env()
    web.verifier()  # a bad ARN or key URL fails here, not on the first page view
    stop = stop_on_signals()
    env = dict(os.environ, ATHENA_BOT_LAKE=str(settings.lake), ATHENA_BOT_HOME=str(settings.home),
               ATHENA_BOT_STATE=str(settings.state_path))
    if backend == "aws":
        if web.auth != "alb":
            raise ConfigError("on AWS the web chat needs sign-in: set ATHENA_BOT_WEB_AUTH=alb and "
                              "ATHENA_BOT_ALB_ARN (see deploy/README.md)")
    else:
        ensure_sample_lake(settings)
        local = local_intake(settings)
        run_in_thread(local_worker(settings, local.app.engine, local.queue), stop)
        run_scheduler(settings, local.queue, stop)  # local digests, as `serve slack` and `serve teams` run them
        log.info("local worker running (lake %s)", settings.lake)
    if web.auth == "none":
        log.warning("ATHENA_BOT_WEB_AUTH=none: no sign-in, everyone is the local analyst (local use only)")
    server = subprocess.Popen(streamlit_command(host, port), env=env)
    log.info("web chat at http://%s:%d (health %s)", host, port, HEALTH_PATH)
    while not stop.wait(0.5):
        if server.poll() is not None:
            log.error("the Streamlit server exited with %s", server.returncode)
            return 1
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    return 0
