"""Secrets and parameters read at run time, cached: Secrets Manager (chat tokens) and SSM (the
group map), through Powertools' parameters utility.

Nothing is resolved at deploy time, so a rotated token or an edited group map is picked up
within ``ttl_seconds`` without a redeploy. Values are never logged.
"""

from __future__ import annotations

import json
import threading
from typing import Any


class SecretUnavailable(RuntimeError):
    """A secret or parameter that is missing, empty or not JSON; the message says how to set it."""


class JsonSecrets:
    """JSON objects from Secrets Manager, cached per secret for ``ttl_seconds``."""

    def __init__(self, client: Any, ttl_seconds: int = 300) -> None:
        self.client = client
        self.ttl_seconds = ttl_seconds
        self._provider: Any = None
        self._lock = threading.Lock()

    def _get_provider(self) -> Any:
        with self._lock:
            if self._provider is None:
                from aws_lambda_powertools.utilities.parameters import SecretsProvider

                self._provider = SecretsProvider(boto3_client=self.client)
            return self._provider

    def __call__(self, secret_id: str) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        try:
            raw = self._get_provider().get(secret_id, max_age=self.ttl_seconds)
        except GetParameterError as err:
            raise SecretUnavailable(
                f"Could not read secret {secret_id} ({_reason(err)}). Set its value with `aws "
                f"secretsmanager put-secret-value --secret-id {secret_id} --secret-string file://secret.json` "
                f"(see deploy/README.md for the keys).") from err
        return _json_object(raw, f"secret {secret_id}")


class JsonParameter:
    """One SSM parameter holding a JSON object, cached for ``ttl_seconds``."""

    def __init__(self, client: Any, name: str, ttl_seconds: int = 300) -> None:
        self.client = client
        self.name = name
        self.ttl_seconds = ttl_seconds
        self._provider: Any = None
        self._lock = threading.Lock()

    def __call__(self) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.parameters import SSMProvider
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        with self._lock:
            if self._provider is None:
                self._provider = SSMProvider(boto3_client=self.client)
        try:
            raw = self._provider.get(self.name, max_age=self.ttl_seconds)
        except GetParameterError as err:
            raise SecretUnavailable(f"Could not read parameter {self.name} ({_reason(err)}).") from err
        return _json_object(raw, f"parameter {self.name}")


def _json_object(raw: Any, what: str) -> dict[str, Any]:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    try:
        value = json.loads(raw or "")
    except json.JSONDecodeError as err:
        raise SecretUnavailable(f"The {what} is not a JSON object (line {err.lineno}).") from None
    if not isinstance(value, dict):
        raise SecretUnavailable(f"The {what} is not a JSON object.")
    return value


def _reason(err: Exception) -> str:
    cause = err.__cause__ or err
    code = getattr(cause, "response", {}).get("Error", {}).get("Code")
    return str(code or type(cause).__name__)
