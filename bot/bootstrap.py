"""Composition root: the only place that chooses port implementations."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from adapters.local.catalog import LocalCatalog
from adapters.local.duckdb_executor import DuckDBExecutor
from adapters.local.identity import FileIdentity, OpenLocalIdentity
from adapters.local.sample_lake import build_sample_lake
from adapters.local.sqlite_queue import SQLiteQueue
from adapters.local.sqlite_store import SQLiteConversationStore, SQLiteIdempotency
from bot.settings import SAMPLE_MODEL, Settings
from charts import make_chart
from engine.ports import ConversationStore, IdentityResolver
from engine.semantic_model import SemanticModel, load_model
from engine.service import QueryEngine


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
    print(f"Building the sample lake in {lake} (scale {scale}) ...", file=sys.stderr)
    build_sample_lake(lake, scale=scale)
    return True


def build_local(settings: Settings, conversations: ConversationStore | None = None,
                charts: bool = True) -> LocalApp:
    """Wire the embedded default: DuckDB over the local lake, local identities."""
    catalog = LocalCatalog(settings.lake)
    if not catalog.tables():
        raise LakeMissing(f"No tables in lake {settings.lake}. Build the sample lake with "
                          f"`athena-bot sample-lake --lake {settings.lake}`.")
    model = load_model(settings.model_path)
    executor = DuckDBExecutor(catalog)
    engine = QueryEngine(model, catalog, executor, chart_maker=make_chart if charts else None,
                         conversations=conversations, default_metric=settings.default_metric,
                         max_rows=settings.max_rows)
    identity: IdentityResolver = FileIdentity(settings.identity_file) if settings.identity_file \
        else OpenLocalIdentity()
    return LocalApp(settings, model, catalog, engine, identity)


def local_queue(settings: Settings, path: Path | None = None) -> SQLiteQueue:
    return SQLiteQueue(path or settings.state_path, max_receives=settings.max_receives)


def local_idempotency(settings: Settings, path: Path | None = None) -> SQLiteIdempotency:
    return SQLiteIdempotency(path or settings.state_path)


def local_conversations(path: Path | str) -> SQLiteConversationStore:
    return SQLiteConversationStore(path)
