"""Configuration from environment variables (the same names everywhere; see README)."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

SAMPLE_MODEL = Path(__file__).resolve().parent / "semantic_models" / "sample.yaml"
DEFAULT_HOME = Path(".athena-bot")
# The sample lake's data ends on this day: with the sample model "today" is pinned to it (unless
# ATHENA_BOT_AS_OF says otherwise), so "last quarter" means the data's last quarter, not an empty one.
SAMPLE_AS_OF = dt.date(2025, 12, 31)


@dataclass(frozen=True)
class Settings:
    """Everything the composition root needs to wire the bot."""

    home: Path
    lake: Path
    model_path: Path
    state_path: Path
    charts_dir: Path
    as_of: dt.date | None
    max_rows: int
    answer_rows: int
    max_receives: int
    identity_file: Path | None
    default_metric: str | None
    planner: str | None = None  # "bedrock": an LLM planner for what the rules cannot read
    bedrock_model_id: str | None = None
    bedrock_region: str | None = None
    query_timeout_seconds: float = 300.0  # a local query running longer is stopped
    duckdb_threads: int = 2
    duckdb_memory_limit: str | None = None  # e.g. "2GB"; DuckDB's default (80% of RAM) when unset
    visibility_timeout: int = 60  # a received job stays hidden this long; the worker renews it while working
    digest_admin_groups: tuple[str, ...] = ()  # groups that may change anyone's digest
    scheduler_seconds: float = 15.0  # how often the local scheduler looks for due digests
    model_uri: str | None = None  # ATHENA_BOT_MODEL=s3://...: fetched to model_path at start-up
    verified_file: Path | None = None  # verified questions (YAML); None: beside the model
    steward_group: str | None = None  # members of this group may mark answers as verified

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, lake: str | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        home = Path(env.get("ATHENA_BOT_HOME") or DEFAULT_HOME)
        as_of = env.get("ATHENA_BOT_AS_OF")
        identity = env.get("ATHENA_BOT_IDENTITY_FILE")
        model = env.get("ATHENA_BOT_MODEL") or ""
        model_uri = model if model.startswith("s3://") else None
        if model_uri:  # fetched at start-up (bot/bootstrap.py fetch_model) to a local file
            import tempfile

            model = str(Path(tempfile.gettempdir()) / "athena-bot" / Path(model_uri).name)
        model_path = Path(model or SAMPLE_MODEL)
        sample = model_path.resolve() == SAMPLE_MODEL.resolve()
        return cls(
            home=home,
            lake=Path(lake or env.get("ATHENA_BOT_LAKE") or home / "lake"),
            model_path=model_path,
            state_path=Path(env.get("ATHENA_BOT_STATE") or home / "state.sqlite"),
            charts_dir=Path(env.get("ATHENA_BOT_CHARTS_DIR") or home / "charts"),
            as_of=dt.date.fromisoformat(as_of) if as_of else (SAMPLE_AS_OF if sample else None),
            max_rows=int(env.get("ATHENA_BOT_MAX_ROWS") or 10_000),
            answer_rows=int(env.get("ATHENA_BOT_ANSWER_ROWS") or 1000),
            max_receives=_at_least(env, "ATHENA_BOT_MAX_RECEIVES", 4, 2),
            identity_file=Path(identity) if identity else None,
            default_metric=env.get("ATHENA_BOT_DEFAULT_METRIC") or "revenue",
            planner=_planner(env.get("ATHENA_BOT_PLANNER")),
            bedrock_model_id=env.get("ATHENA_BOT_BEDROCK_MODEL_ID") or None,
            bedrock_region=env.get("ATHENA_BOT_BEDROCK_REGION") or None,
            query_timeout_seconds=_seconds(env, "ATHENA_BOT_QUERY_TIMEOUT_SECONDS", 300),
            duckdb_threads=_at_least(env, "ATHENA_BOT_DUCKDB_THREADS", 2, 1),
            duckdb_memory_limit=_memory(env.get("ATHENA_BOT_DUCKDB_MEMORY_LIMIT")),
            visibility_timeout=_at_least(env, "ATHENA_BOT_VISIBILITY_TIMEOUT", 60, 1),
            digest_admin_groups=tuple(g.strip() for g in (env.get("ATHENA_BOT_DIGEST_ADMIN_GROUPS") or "").split(",")
                                      if g.strip()),
            scheduler_seconds=float(_at_least(env, "ATHENA_BOT_SCHEDULER_SECONDS", 15, 1)),
            model_uri=model_uri,
            verified_file=Path(env["ATHENA_BOT_VERIFIED_FILE"]) if env.get("ATHENA_BOT_VERIFIED_FILE") else None,
            steward_group=(env.get("ATHENA_BOT_STEWARD_GROUP") or "").strip() or None,
        )

    def with_lake(self, lake: str | Path | None) -> "Settings":
        if not lake:
            return self
        from dataclasses import replace

        return replace(self, lake=Path(lake))


def _at_least(env: dict[str, str], name: str, default: int, minimum: int) -> int:
    raw = (env.get(name) or "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")
    return value


def _planner(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    if value in ("", "none", "off"):
        return None
    if value != "bedrock":
        raise ValueError(f"ATHENA_BOT_PLANNER must be 'bedrock' or empty, not {value!r}")
    return value


_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)


def _seconds(env: dict[str, str], name: str, default: float) -> float:
    """A positive, finite number of seconds from ``env[name]``, or the default."""
    raw = (env.get(name) or "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise ValueError(f"{name} must be a positive number of seconds, not {raw!r}")
    return value


def _memory(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if not _MEMORY.match(value):
        raise ValueError(f"ATHENA_BOT_DUCKDB_MEMORY_LIMIT must be a size such as 512MB or 2GB, not {value!r}")
    return value
