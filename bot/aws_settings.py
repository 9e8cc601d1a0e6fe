"""Production configuration: the environment variables that switch the bot from the embedded
default to AWS (see `.env.example`)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A missing or malformed setting, named so an operator can fix it."""


def _required(env: dict[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} must be set when ATHENA_BOT_BACKEND=aws")
    return value


@dataclass(frozen=True)
class AwsSettings:
    queue_url: str
    workgroup: str
    database: str
    glue_databases: list[str]
    output_location: str | None
    identity_source: str  # identity-center | cognito | file | open
    identity_store_id: str | None
    cognito_user_pool_id: str | None
    group_access: dict[str, Any] = field(default_factory=dict)
    conversations_table: str | None = None
    idempotency_table: str | None = None
    pending_table: str | None = None
    result_reuse_minutes: int = 60
    query_timeout_seconds: int = 300
    recheck_seconds: int = 10
    values_file: str | None = None
    glue_ttl_seconds: int = 300
    # digests: their table, and the EventBridge Scheduler schedules that fire them
    digests_table: str | None = None
    scheduler_role_arn: str | None = None  # the role EventBridge Scheduler sends to the queue with
    scheduler_group: str = "default"
    queue_arn: str | None = None  # the jobs queue, as the schedules' target (read from SQS if unset)
    scheduler_dlq_arn: str | None = None  # where undeliverable firings are kept
    # the group map as an SSM parameter the stack manages (read at run time, refreshed)
    group_access_parameter: str | None = None
    group_access_ttl_seconds: int = 300
    values_ttl_seconds: int = 900
    # Secrets Manager secrets (ARN or name) read at run time: chat tokens never sit in the environment
    slack_secret: str | None = None
    teams_secret: str | None = None
    secret_ttl_seconds: int = 300
    download_expiry_seconds: int = 3600
    verified_table: str | None = None  # verified questions (DynamoDB, key "id")
    feedback_table: str | None = None  # votes and the stewards' review queue (DynamoDB, key "id")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "AwsSettings":
        env = dict(os.environ if env is None else env)
        source = env.get("ATHENA_BOT_IDENTITY_SOURCE", "identity-center").strip()
        if source not in ("identity-center", "cognito", "file", "open"):
            raise ConfigError(f"ATHENA_BOT_IDENTITY_SOURCE must be identity-center, cognito, file or "
                              f"open, not {source!r}")
        access_raw = env.get("ATHENA_BOT_GROUP_ACCESS", "").strip()
        access_file = env.get("ATHENA_BOT_GROUP_ACCESS_FILE", "").strip()
        try:
            access = json.loads(Path(access_file).read_text()) if access_file else \
                json.loads(access_raw) if access_raw else {}
        except (OSError, json.JSONDecodeError) as err:
            raise ConfigError(f"ATHENA_BOT_GROUP_ACCESS(_FILE) is not valid JSON: {err}") from err
        database = _required(env, "ATHENA_BOT_DATABASE")
        glue = [d.strip() for d in env.get("ATHENA_BOT_GLUE_DATABASES", database).split(",") if d.strip()]
        return cls(
            queue_url=_required(env, "ATHENA_BOT_QUEUE_URL"),
            workgroup=env.get("ATHENA_BOT_WORKGROUP", "primary"),
            database=database,
            glue_databases=glue,
            output_location=env.get("ATHENA_BOT_OUTPUT_LOCATION") or None,
            identity_source=source,
            identity_store_id=env.get("ATHENA_BOT_IDENTITY_STORE_ID") or None,
            cognito_user_pool_id=env.get("ATHENA_BOT_COGNITO_USER_POOL_ID") or None,
            group_access=access,
            conversations_table=env.get("ATHENA_BOT_CONVERSATIONS_TABLE") or None,
            idempotency_table=_required(env, "ATHENA_BOT_IDEMPOTENCY_TABLE"),
            pending_table=_required(env, "ATHENA_BOT_PENDING_TABLE"),
            result_reuse_minutes=int(env.get("ATHENA_BOT_RESULT_REUSE_MINUTES", "60")),
            query_timeout_seconds=int(env.get("ATHENA_BOT_QUERY_TIMEOUT_SECONDS", "300")),
            recheck_seconds=int(env.get("ATHENA_BOT_RECHECK_SECONDS", "10")),
            values_file=env.get("ATHENA_BOT_VALUES_FILE") or None,
            glue_ttl_seconds=int(env.get("ATHENA_BOT_GLUE_TTL_SECONDS", "300")),
            digests_table=env.get("ATHENA_BOT_DIGESTS_TABLE") or None,
            scheduler_role_arn=env.get("ATHENA_BOT_SCHEDULER_ROLE_ARN") or None,
            scheduler_group=env.get("ATHENA_BOT_SCHEDULER_GROUP") or "default",
            queue_arn=env.get("ATHENA_BOT_QUEUE_ARN") or None,
            scheduler_dlq_arn=env.get("ATHENA_BOT_SCHEDULER_DLQ_ARN") or None,
            group_access_parameter=env.get("ATHENA_BOT_GROUP_ACCESS_PARAMETER") or None,
            group_access_ttl_seconds=int(env.get("ATHENA_BOT_GROUP_ACCESS_TTL_SECONDS", "300")),
            values_ttl_seconds=int(env.get("ATHENA_BOT_VALUES_TTL_SECONDS", "900")),
            slack_secret=env.get("ATHENA_BOT_SLACK_SECRET") or None,
            teams_secret=env.get("ATHENA_BOT_TEAMS_SECRET") or None,
            secret_ttl_seconds=int(env.get("ATHENA_BOT_SECRET_TTL_SECONDS", "300")),
            download_expiry_seconds=int(env.get("ATHENA_BOT_DOWNLOAD_EXPIRY_SECONDS", "3600")),
            verified_table=env.get("ATHENA_BOT_VERIFIED_TABLE") or None,
            feedback_table=env.get("ATHENA_BOT_FEEDBACK_TABLE") or None,
        )


# The keys of each chat secret and the settings they fill (see deploy/README.md).
SECRET_KEYS = {
    "ATHENA_BOT_SLACK_SECRET": {"bot_token": "SLACK_BOT_TOKEN", "signing_secret": "SLACK_SIGNING_SECRET",
                                # signs the links to the QuickSight embed route (worker) and checks them (route)
                                "quicksight_embed_secret": "ATHENA_BOT_QUICKSIGHT_EMBED_SECRET"},
    "ATHENA_BOT_TEAMS_SECRET": {"app_password": "MICROSOFT_APP_PASSWORD"},
}


def with_secrets(env: dict[str, str], read: Any) -> dict[str, str]:
    """``env`` with the chat tokens filled from the Secrets Manager secrets it names.

    ``read(secret_id)`` returns the secret's JSON object (cached by the caller). A value already
    in ``env`` wins (local runs); the secrets are never written back to ``os.environ``.
    """
    merged = dict(env)
    for setting, keys in SECRET_KEYS.items():
        secret_id = env.get(setting, "").strip()
        if not secret_id:
            continue
        data = read(secret_id)
        for key, name in keys.items():
            if not merged.get(name) and data.get(key):
                merged[name] = str(data[key])
    return merged
