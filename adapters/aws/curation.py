"""VerifiedStore and FeedbackStore on DynamoDB (one table each, partition key ``id``).

Both sets are small (hundreds of verified questions, a review queue), so they are read with a
paginated Scan; the verified questions are cached for ``ttl_seconds`` (the same list object
while cached, which is what readers cache on), and a write clears the cache.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from engine.answers.feedback import Feedback
from engine.answers.verified import VerifiedFormatError, VerifiedQuestion


def _scan(client: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items.extend(page.get("Items") or [])
    return items


class DynamoVerifiedStore:
    def __init__(self, client: Any, table_name: str, ttl_seconds: float = 60,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client, self.table_name, self.ttl_seconds, self.clock = client, table_name, ttl_seconds, clock
        self._items: list[VerifiedQuestion] | None = None
        self._read_at = 0.0

    def all(self) -> list[VerifiedQuestion]:
        if self._items is None or self.clock() - self._read_at >= self.ttl_seconds:
            fresh = []
            for item in _scan(self.client, self.table_name):
                try:
                    fresh.append(VerifiedQuestion.from_dict(json.loads(item["data"]["S"])))
                except (KeyError, ValueError) as err:
                    raise VerifiedFormatError(f"table {self.table_name}, item {item.get('id')}: {err}") from err
            fresh.sort(key=lambda v: v.verified_at)
            if self._items is None or [v.to_dict() for v in fresh] != [v.to_dict() for v in self._items]:
                self._items = fresh  # a new list only when something changed
            self._read_at = self.clock()
        return self._items

    def put(self, item: VerifiedQuestion) -> None:
        self.client.put_item(TableName=self.table_name, Item={
            "id": {"S": item.id}, "data": {"S": json.dumps(item.to_dict())}})
        self._items = None

    def remove(self, item_id: str) -> bool:
        old = self.client.delete_item(TableName=self.table_name, Key={"id": {"S": item_id}},
                                      ReturnValues="ALL_OLD").get("Attributes")
        self._items = None
        return bool(old)


class DynamoFeedbackStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self.client, self.table_name = client, table_name

    def add(self, item: Feedback) -> None:
        self.client.put_item(TableName=self.table_name, Item={
            "id": {"S": item.id}, "at": {"N": repr(item.at)}, "review": {"BOOL": item.for_review},
            "data": {"S": json.dumps(item.to_dict())}})

    def list(self, review_only: bool = False, limit: int = 100) -> list[Feedback]:
        items = [Feedback.from_dict(json.loads(i["data"]["S"])) for i in _scan(self.client, self.table_name)]
        items = [i for i in items if i.for_review or not review_only]
        return sorted(items, key=lambda i: i.at, reverse=True)[:limit]
