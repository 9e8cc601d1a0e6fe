"""ConversationStore and PendingQueries on DynamoDB, with TTL (``expires_at``, epoch seconds).

DynamoDB deletes expired items lazily, so reads also ignore items past their expiry.
"""

from __future__ import annotations

import json
import time
from typing import Any


class _TtlTable:
    def __init__(self, client: Any, table_name: str, key: str, ttl_seconds: float,
                 clock: Any = time.time) -> None:
        self.client = client
        self.table_name = table_name
        self.key = key
        self.ttl_seconds = ttl_seconds
        self.clock = clock

    def _put(self, key: str, data: dict[str, Any]) -> None:
        self.client.put_item(TableName=self.table_name, Item={
            self.key: {"S": key}, "data": {"S": json.dumps(data)},
            "expires_at": {"N": str(int(self.clock() + self.ttl_seconds))}})

    def _get(self, key: str) -> dict[str, Any] | None:
        item = self.client.get_item(TableName=self.table_name, Key={self.key: {"S": key}},
                                    ConsistentRead=True).get("Item")
        if not item or float(item.get("expires_at", {}).get("N", "0")) < self.clock():
            return None
        return json.loads(item["data"]["S"])

    def _delete(self, key: str) -> None:
        self.client.delete_item(TableName=self.table_name, Key={self.key: {"S": key}})


class DynamoConversationStore(_TtlTable):
    """Per-thread conversation state; items expire after ``ttl_seconds`` (default 7 days)."""

    def __init__(self, client: Any, table_name: str, ttl_seconds: float = 7 * 24 * 3600, **kw: Any) -> None:
        super().__init__(client, table_name, "conversation_id", ttl_seconds, **kw)

    def load(self, conversation_id: str) -> dict[str, Any] | None:
        return self._get(conversation_id)

    def save(self, conversation_id: str, state: dict[str, Any]) -> None:
        self._put(conversation_id, state)

    # -- the web chat's session inbox (adapters/web/inbox.py), under its own key prefix --------
    def deliver(self, session_id: str, item_id: str, payload: dict[str, Any]) -> None:
        """Leave ``payload`` for the session; it expires after a day (a page waits minutes at most)."""
        self.client.put_item(TableName=self.table_name, Item={
            self.key: {"S": _inbox_key(session_id, item_id)}, "data": {"S": json.dumps(payload)},
            "expires_at": {"N": str(int(self.clock() + INBOX_TTL_SECONDS))}})

    def collect(self, session_id: str, item_id: str) -> dict[str, Any] | None:
        """The payload left for the session under ``item_id``, if it is there and not expired."""
        return self._get(_inbox_key(session_id, item_id))


INBOX_TTL_SECONDS = 24 * 3600


def _inbox_key(session_id: str, item_id: str) -> str:
    return f"web-inbox#{session_id}#{item_id}"


class DynamoPendingQueries(_TtlTable):
    """Jobs waiting on a running Athena query, keyed by query execution id."""

    def __init__(self, client: Any, table_name: str, ttl_seconds: float = 24 * 3600, **kw: Any) -> None:
        super().__init__(client, table_name, "execution_id", ttl_seconds, **kw)

    def save(self, execution_id: str, record: dict[str, Any]) -> None:
        self._put(execution_id, record)

    def get(self, execution_id: str) -> dict[str, Any] | None:
        return self._get(execution_id)

    def delete(self, execution_id: str) -> None:
        self._delete(execution_id)
