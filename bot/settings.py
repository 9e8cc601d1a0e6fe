"""Configuration from environment variables (the same names everywhere; see README)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

SAMPLE_MODEL = Path(__file__).resolve().parent / "semantic_models" / "sample.yaml"
DEFAULT_HOME = Path(".athena-bot")


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
    visibility_timeout: int = 60  # a received job stays hidden this long; the worker renews it while working

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, lake: str | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        home = Path(env.get("ATHENA_BOT_HOME") or DEFAULT_HOME)
        as_of = env.get("ATHENA_BOT_AS_OF")
        identity = env.get("ATHENA_BOT_IDENTITY_FILE")
        return cls(
            home=home,
            lake=Path(lake or env.get("ATHENA_BOT_LAKE") or home / "lake"),
            model_path=Path(env.get("ATHENA_BOT_MODEL") or SAMPLE_MODEL),
            state_path=Path(env.get("ATHENA_BOT_STATE") or home / "state.sqlite"),
            charts_dir=Path(env.get("ATHENA_BOT_CHARTS_DIR") or home / "charts"),
            as_of=dt.date.fromisoformat(as_of) if as_of else None,
            max_rows=int(env.get("ATHENA_BOT_MAX_ROWS") or 10_000),
            answer_rows=int(env.get("ATHENA_BOT_ANSWER_ROWS") or 1000),
            max_receives=_at_least(env, "ATHENA_BOT_MAX_RECEIVES", 4, 2),
            identity_file=Path(identity) if identity else None,
            default_metric=env.get("ATHENA_BOT_DEFAULT_METRIC") or "revenue",
            planner=_planner(env.get("ATHENA_BOT_PLANNER")),
            bedrock_model_id=env.get("ATHENA_BOT_BEDROCK_MODEL_ID") or None,
            bedrock_region=env.get("ATHENA_BOT_BEDROCK_REGION") or None,
            visibility_timeout=_at_least(env, "ATHENA_BOT_VISIBILITY_TIMEOUT", 60, 1),
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
