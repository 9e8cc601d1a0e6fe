"""IdempotentRunner on Powertools idempotency with DynamoDB persistence.

Keys are ``<prefix>#<hash of the step key>`` (an explicit key prefix, so renaming a function or
a Lambda does not invalidate records). A step that raises has its record deleted, so a retry
runs it again; a completed step returns its stored result without running.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (DynamoDBPersistenceLayer, IdempotencyConfig,
                                                         idempotent_function)
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

from engine.ports import AlreadyInProgress

# Outside Lambda (the ECS worker) there is no invocation deadline to read; records expire by TTL.
warnings.filterwarnings("ignore", message="Couldn't determine the remaining time left")


class PowertoolsIdempotency:
    def __init__(self, table_name: str, *, boto3_client: Any = None, expires_after_seconds: int = 7 * 24 * 3600,
                 key_prefix: str = "athena-query-bot") -> None:
        self.config = IdempotencyConfig(event_key_jmespath="key", expires_after_seconds=expires_after_seconds,
                                        raise_on_no_idempotency_key=True)
        self._table_name, self._boto3_client = table_name, boto3_client
        self._persistence: DynamoDBPersistenceLayer | None = None
        self.key_prefix = key_prefix

    @property
    def persistence(self) -> DynamoDBPersistenceLayer:
        """Made on first use: Powertools creates its DynamoDB client at once (~0.1 s of a cold start)."""
        if self._persistence is None:
            self._persistence = DynamoDBPersistenceLayer(table_name=self._table_name, boto3_client=self._boto3_client)
        return self._persistence

    def register_lambda_context(self, context: Any) -> None:
        """In Lambda: lets Powertools expire in-progress records when the invocation times out."""
        self.config.register_lambda_context(context)

    def run(self, key: str, step: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        @idempotent_function(data_keyword_argument="request", persistence_store=self.persistence,
                             config=self.config, key_prefix=self.key_prefix)
        def once(request: dict[str, str]) -> dict[str, Any]:
            return step()

        try:
            return once(request={"key": key})
        except IdempotencyAlreadyInProgressError as err:
            raise AlreadyInProgress(key) from err
