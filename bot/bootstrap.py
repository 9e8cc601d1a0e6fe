"""Composition root: the only place that chooses port implementations."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.aws_settings import ConfigError
from bot.settings import SAMPLE_MODEL, Settings
from engine.intake import Intake
from engine.jobs import encode_job
from engine.ports import ConversationStore, IdentityResolver, ReplyPoster
from engine.routing import RoutingPoster

# Each entry point imports what it uses, when it uses it: the Slack receiver must not load
# DuckDB, pandas or sqlglot, and the AWS worker not the local lake's builder.
if TYPE_CHECKING:
    import boto3

    from adapters.aws.idempotency import DynamoIdempotency
    from adapters.aws.observability import PowertoolsObserver
    from adapters.aws.sqs_queue import SQSQueue
    from adapters.local.catalog import LocalCatalog
    from adapters.local.sqlite_queue import SQLiteQueue
    from bot.aws_settings import AwsSettings
    from bot.values import ValuesFile
    from engine.digests.service import DigestService
    from engine.planner import Planner
    from engine.semantic_model import SemanticModel
    from engine.service import QueryEngine
    from engine.worker import Worker


class LakeMissing(RuntimeError):
    """The configured lake folder has no tables."""


@dataclass
class LocalApp:
    settings: Settings
    model: SemanticModel
    catalog: LocalCatalog
    engine: QueryEngine
    identity: IdentityResolver


def ensure_sample_lake(settings: Settings, scale: float = 1.0) -> bool:
    """Build the sample lake if the configured lake is empty and the sample model is in use."""
    lake = settings.lake
    if lake.is_dir() and any(lake.rglob("*.parquet")):
        return False
    if settings.model_path.resolve() != SAMPLE_MODEL.resolve():
        raise LakeMissing(f"No tables in lake {lake}. Point ATHENA_BOT_LAKE or --lake at your lake.")
    from adapters.local.sample_lake import build_sample_lake  # numpy and pandas: only to build one

    print(f"Building the sample lake in {lake} (scale {scale}) ...", file=sys.stderr)
    build_sample_lake(lake, scale=scale)
    return True


def build_local(settings: Settings, conversations: ConversationStore | None = None,
                charts: bool = True) -> LocalApp:
    """Wire the embedded default: DuckDB over the local lake, local identities."""
    from adapters.local.catalog import LakeError, LocalCatalog
    from adapters.local.duckdb_executor import DuckDBExecutor
    from charts import make_chart
    from engine.semantic_model import load_model
    from engine.service import QueryEngine

    catalog = LocalCatalog(settings.lake)
    try:
        tables = catalog.tables()
    except LakeError as err:
        raise LakeMissing(str(err)) from err
    if not tables:
        raise LakeMissing(f"No tables in lake {settings.lake}. Build the sample lake with "
                          f"`athena-bot sample-lake --lake {settings.lake}`.")
    model = load_model(settings.model_path)
    executor = DuckDBExecutor(catalog, threads=settings.duckdb_threads,
                              memory_limit=settings.duckdb_memory_limit,
                              timeout_seconds=settings.query_timeout_seconds,
                              temp_directory=settings.home / "duckdb-tmp")
    engine = QueryEngine(model, catalog, executor, chart_maker=make_chart if charts else None,
                         conversations=conversations, default_metric=settings.default_metric,
                         max_rows=settings.max_rows, answer_rows=settings.answer_rows,
                         planner=build_planner(settings, model))
    from bot.curation import attach_verified, verified_store

    attach_verified(engine, verified_store(settings))  # answers from verified questions, with the badge
    return LocalApp(settings, model, catalog, engine, local_identity(settings))


def local_identity(settings: Settings) -> IdentityResolver:
    """The identity file's users, or everyone as the local analyst."""
    from adapters.local.identity import FileIdentity, OpenLocalIdentity

    return FileIdentity(settings.identity_file) if settings.identity_file else OpenLocalIdentity()


def build_planner(settings: Settings, model: SemanticModel, session: Any = None) -> Planner | None:
    """The Bedrock planner when ATHENA_BOT_PLANNER=bedrock, else None (rules only)."""
    if settings.planner != "bedrock":
        return None
    if not settings.bedrock_model_id:
        raise ConfigError("ATHENA_BOT_BEDROCK_MODEL_ID must be set when ATHENA_BOT_PLANNER=bedrock")
    import boto3

    from adapters.aws.bedrock_planner import BedrockPlanner

    session = session or boto3.Session()
    client = session.client("bedrock-runtime", region_name=settings.bedrock_region)
    return BedrockPlanner(client, settings.bedrock_model_id, model)


def local_queue(settings: Settings, path: Path | None = None) -> SQLiteQueue:
    from adapters.local.sqlite_queue import SQLiteQueue

    return SQLiteQueue(path or settings.state_path, max_receives=settings.max_receives,
                       visibility_timeout=settings.visibility_timeout)


def local_worker(settings: Settings, engine: QueryEngine, queue: SQLiteQueue,
                 posters: dict[str, ReplyPoster] | None = None) -> Worker:
    """The embedded default's worker: answers go to each platform's poster, the rest print; it
    runs the digests of the local store too."""
    from adapters.local.sqlite_store import SQLiteIdempotency
    from adapters.terminal.poster import ConsolePoster
    from engine.digests.runner import DigestRunner
    from engine.worker import Worker

    from bot.curation import equip_worker, feedback_store

    posters = with_web_poster(posters, engine.conversations)
    poster = RoutingPoster(posters, ConsolePoster(settings.charts_dir))
    digests = DigestRunner(local_digests(settings), engine, local_identity(settings), poster, settings.as_of)
    worker = Worker(queue, engine, poster,
                    SQLiteIdempotency(settings.state_path), max_receives=settings.max_receives,
                    default_as_of=settings.as_of, visibility_timeout=settings.visibility_timeout,
                    checkpoint=crash_test_pause(), digests=digests)
    return equip_worker(worker, settings, feedback_store(settings))


def local_digests(settings: Settings) -> DigestService:
    """Digests in the local SQLite state; the local scheduler loop fires them."""
    from adapters.local.digest_store import SQLiteDigestStore
    from engine.digests.service import DigestService

    return DigestService(SQLiteDigestStore(settings.state_path), admin_groups=settings.digest_admin_groups)


def run_scheduler(settings: Settings, queue: SQLiteQueue, stop: threading.Event) -> threading.Thread:
    """The local scheduler loop on a daemon thread: due digests -> DigestJobs on the local queue."""
    from engine.digests.scheduler import LocalScheduler, run_in_thread as schedule_in_thread

    return schedule_in_thread(LocalScheduler(local_digests(settings), queue), stop, settings.scheduler_seconds)


def crash_test_pause(env: dict[str, str] | None = None) -> Callable[[str, str], None] | None:
    """Crash tests only: ``ATHENA_BOT_TEST_PAUSE_AT=point[@n]`` stops the worker the n-th time it
    reaches ``point`` (see engine.worker.Worker), after writing "PAUSED at <point> <job>" to stderr,
    so the test can kill -9 it exactly there. Unset (always, outside tests): no hook."""
    spec = (os.environ if env is None else env).get("ATHENA_BOT_TEST_PAUSE_AT", "").strip()
    if not spec:
        return None
    point, _, nth = spec.partition("@")
    wanted, seen = int(nth or 1), {"hits": 0}

    def pause(name: str, job_id: str) -> None:
        if name != point:
            return
        seen["hits"] += 1
        if seen["hits"] == wanted:
            print(f"PAUSED at {name} {job_id}", file=sys.stderr, flush=True)
            threading.Event().wait()  # until killed; the heartbeat keeps running meanwhile

    return pause


def with_web_poster(posters: dict[str, ReplyPoster] | None,
                    conversations: ConversationStore | None) -> dict[str, ReplyPoster]:
    """The posters plus the web chat's: answers go to the session inbox in the ConversationStore."""
    from adapters.web.feed import WebFeed
    from adapters.web.inbox import SessionInbox
    from adapters.web.poster import PLATFORM, WebPoster

    routes = dict(posters or {})
    if isinstance(conversations, SessionInbox):
        routes.setdefault(PLATFORM, WebPoster(conversations, WebFeed(conversations)))
    return routes


@dataclass
class LocalIntake:
    """A chat surface's local wiring: the embedded app, its queue and thread state, and the Intake."""

    app: LocalApp
    queue: SQLiteQueue
    conversations: ConversationStore
    intake: Intake


def local_intake(settings: Settings) -> LocalIntake:
    """Questions from a chat surface go onto the local queue; thread state lives in SQLite."""
    from adapters.local.sqlite_store import SQLiteConversationStore

    ensure_sample_lake(settings)
    conversations = SQLiteConversationStore(settings.state_path)
    app = build_local(settings, conversations=conversations)
    queue = local_queue(settings)
    return LocalIntake(app, queue, conversations,
                       Intake(app.identity, lambda job: queue.send(encode_job(job)), conversations, settings.as_of,
                              local_digests(settings)))


def aws_intake(settings: Settings, aws: AwsSettings, session: Any, surface: str) -> Intake:
    """Questions from a chat surface go to SQS; thread state lives in DynamoDB."""
    from adapters.aws.clients import LazyClient
    from adapters.aws.dynamodb import DynamoConversationStore
    from adapters.aws.sqs_queue import SQSQueue

    if not aws.conversations_table:
        raise ConfigError(f"ATHENA_BOT_CONVERSATIONS_TABLE must be set to serve {surface} on AWS")
    queue = SQSQueue(LazyClient(session, "sqs"), aws.queue_url)
    digests = None
    if aws.digests_table:
        from bot.aws_digests import aws_digest_service

        digests = aws_digest_service(settings, aws, session)
    return Intake(build_aws_identity(settings, aws, session), lambda job: queue.send(encode_job(job)),
                  DynamoConversationStore(LazyClient(session, "dynamodb"), aws.conversations_table),
                  settings.as_of, digests)


def stop_on_signals() -> threading.Event:
    """Log to stderr and return an event set by SIGTERM/SIGINT: how long-running commands stop."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def run_in_thread(worker: Worker, stop: threading.Event) -> threading.Thread:
    """The worker polling its queue on a daemon thread until ``stop`` is set (local chat servers)."""
    thread = threading.Thread(target=worker.run, kwargs={"should_stop": stop.is_set, "wait_seconds": 0.2},
                              name="local-worker", daemon=True)
    thread.start()
    return thread


@dataclass
class AwsApp:
    settings: Settings
    aws: AwsSettings
    model: SemanticModel
    engine: QueryEngine
    identity: IdentityResolver
    queue: SQSQueue
    worker: Worker
    idempotency: DynamoIdempotency
    observer: PowertoolsObserver
    poster: RoutingPoster
    session: Any = None
    values_file: ValuesFile | None = None
    refresh_hooks: list[Callable[[], None]] = field(default_factory=list)
    dashboards: Any = None  # the QuickSightPublisher, when QuickSight dashboards are configured

    def refresh(self) -> None:
        """Between batches: pick up a refreshed values file and rotated secrets (each cached)."""
        try:
            values = self.values_file.changed() if self.values_file is not None else None
            if values is not None:
                self.engine.reload_values(values)
            for hook in self.refresh_hooks:
                hook()
        except Exception:  # noqa: BLE001 - what is in hand keeps working; the next refresh retries
            logging.getLogger(__name__).exception("refresh failed; keeping the current values and tokens")


class ParameterAccessMap(Mapping[str, Any]):
    """The group map read from its SSM parameter on use (cached there), so edits need no redeploy."""

    def __init__(self, read: Callable[[], dict[str, Any]]) -> None:
        self.read = read
        self._raw: dict[str, Any] | None = None
        self._parsed: dict[str, Any] = {}

    def _current(self) -> dict[str, Any]:
        from adapters.aws.identity import parse_access_map

        raw = self.read()
        if raw is not self._raw:
            self._parsed, self._raw = parse_access_map(raw), raw
        return self._parsed

    def __getitem__(self, group: str) -> Any:
        return self._current()[group]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())


def build_aws_identity(settings: Settings, aws: AwsSettings, session: Any) -> IdentityResolver:
    """The configured IdentityResolver: Identity Center, Cognito, a local file, or open."""
    from adapters.aws.clients import LazyClient
    from adapters.aws.identity import CognitoResolver, IdentityCenterResolver, parse_access_map

    access: Mapping[str, Any] = parse_access_map(aws.group_access)
    if aws.group_access_parameter:
        from adapters.aws.secrets import JsonParameter

        access = ParameterAccessMap(JsonParameter(LazyClient(session, "ssm"), aws.group_access_parameter,
                                                  aws.group_access_ttl_seconds))
    if aws.identity_source == "identity-center":
        return IdentityCenterResolver(LazyClient(session, "identitystore"), aws.identity_store_id or "",
                                      access)  # type: ignore[arg-type]
    if aws.identity_source == "cognito":
        return CognitoResolver(LazyClient(session, "cognito-idp"), aws.cognito_user_pool_id or "",
                               access)  # type: ignore[arg-type]
    if aws.identity_source == "file" and settings.identity_file:
        return local_identity(settings)
    from adapters.local.identity import OpenLocalIdentity

    return OpenLocalIdentity()


def fetch_model(settings: Settings, session: Any) -> Path:
    """The semantic model file: the image's, or (ATHENA_BOT_MODEL=s3://...) downloaded once to /tmp."""
    if not settings.model_uri:
        return settings.model_path
    from urllib.parse import urlparse

    url = urlparse(settings.model_uri)
    body = session.client("s3").get_object(Bucket=url.netloc, Key=url.path.lstrip("/"))["Body"].read()
    settings.model_path.parent.mkdir(parents=True, exist_ok=True)
    settings.model_path.write_bytes(body)
    return settings.model_path


def build_aws(settings: Settings, aws: AwsSettings, *, session: boto3.Session | None = None,
              posters: dict[str, ReplyPoster] | None = None,
              default_poster: ReplyPoster | None = None, env: dict[str, str] | None = None) -> AwsApp:
    """Wire production: SQS, Athena as each user's role, Glue, DynamoDB, SSO/Cognito, Powertools.

    Nothing here calls AWS: every client is created on first use, and the values file is read
    when the first question needs it (a fresh stack has none yet; see bot/values.py).
    """
    import boto3

    from adapters.aws.athena import AthenaExecutor
    from adapters.aws.clients import LazyClient
    from adapters.aws.dynamodb import DynamoConversationStore, DynamoPendingQueries
    from adapters.aws.glue import GlueCatalog
    from adapters.aws.idempotency import DynamoIdempotency
    from adapters.aws.observability import PowertoolsObserver
    from adapters.aws.sessions import RoleSessions
    from adapters.aws.sqs_queue import SQSQueue
    from bot.values import ValuesFile
    from charts import make_chart
    from engine.semantic_model import load_model
    from engine.service import QueryEngine
    from engine.values import declared_values
    from engine.worker import Worker

    session = session or boto3.Session()
    model = load_model(fetch_model(settings, session))
    catalog = GlueCatalog(LazyClient(session, "glue"), aws.glue_databases, ttl_seconds=aws.glue_ttl_seconds)
    roles = RoleSessions(session, refresh_margin_seconds=1800)  # CSV links get >= 30 min
    executor = AthenaExecutor(roles.client, workgroup=aws.workgroup, database=aws.database,
                              output_location=aws.output_location,
                              reuse_max_age_minutes=aws.result_reuse_minutes,
                              download_expiry_seconds=aws.download_expiry_seconds,
                              credentials_left=roles.seconds_left)
    dynamodb = LazyClient(session, "dynamodb")
    conversations = DynamoConversationStore(dynamodb, aws.conversations_table) \
        if aws.conversations_table else None
    # the file's contents (values and time ranges), read when the first question needs them
    values_file = ValuesFile(aws.values_file, LazyClient(session, "s3"), lambda: declared_values(model),
                             ttl_seconds=aws.values_ttl_seconds) if aws.values_file else None
    engine = QueryEngine(model, catalog, executor, chart_maker=make_chart, conversations=conversations,
                         default_metric=settings.default_metric, max_rows=settings.max_rows,
                         answer_rows=settings.answer_rows,
                         values=values_file.load if values_file else declared_values(model),
                         planner=build_planner(settings, model, session))
    identity = build_aws_identity(settings, aws, session)
    queue = SQSQueue(LazyClient(session, "sqs"), aws.queue_url, visibility_timeout=settings.visibility_timeout)
    idempotency = DynamoIdempotency(dynamodb, aws.idempotency_table or "")
    observer = PowertoolsObserver()
    poster = RoutingPoster(with_web_poster(posters, conversations), default_poster)
    digests = None
    if aws.digests_table:  # scheduled digests: EventBridge Scheduler sends their jobs to this queue
        from bot.aws_digests import aws_digest_service
        from engine.digests.runner import DigestRunner

        digests = DigestRunner(aws_digest_service(settings, aws, session), engine, identity, poster, settings.as_of)
    worker = Worker(queue, engine, poster, idempotency,
                    pending=DynamoPendingQueries(dynamodb, aws.pending_table or ""), observer=observer,
                    max_receives=settings.max_receives, default_as_of=settings.as_of,
                    visibility_timeout=settings.visibility_timeout, recheck_seconds=aws.recheck_seconds,
                    query_timeout_seconds=aws.query_timeout_seconds, checkpoint=crash_test_pause(),
                    digests=digests)
    dashboards = _curate_aws(worker, settings, aws, session, dict(os.environ) if env is None else env)
    return AwsApp(settings, aws, model, engine, identity, queue, worker, idempotency, observer, poster,
                  session, values_file, dashboards=dashboards)


def _curate_aws(worker: Worker, settings: Settings, aws: AwsSettings, session: boto3.Session,
                env: dict[str, str]) -> Any:
    """Verified questions and feedback in DynamoDB, and QuickSight dashboards when configured
    (``env``: the environment with the secrets filled in, the embed links' key among them)."""
    from adapters.aws.quicksight import QuickSightPublisher, QuickSightSettings
    from bot.curation import attach_verified, equip_worker, feedback_store, verified_store

    attach_verified(worker.engine, verified_store(settings, aws, session))
    quicksight = QuickSightSettings.from_env(env, session.region_name)
    publisher = QuickSightPublisher(session.client("quicksight", region_name=quicksight.region), quicksight,
                                    worker.engine.conversations) \
        if quicksight is not None and worker.engine.conversations is not None else None
    equip_worker(worker, settings, feedback_store(settings, aws, session), dashboards=publisher,
                 cleanup=publisher.cleanup if publisher else None)
    return publisher
