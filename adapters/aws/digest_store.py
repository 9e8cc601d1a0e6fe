"""DigestStore on DynamoDB: one item per digest (``digest_id``), the record as JSON with its state,
owner and next run beside it. Changes are read-modify-write guarded by a version number
(conditional PutItem), so a run's record and an owner's click never overwrite each other.

On AWS, EventBridge Scheduler fires the digests, so ``due`` (a Scan) only serves
`athena-bot digests run-due`; the local SQLite store answers it from an index instead.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from engine.digests.model import Digest
from engine.digests.schedule import iso_utc

_RETRIES = 5


class DynamoDigestStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table_name = table_name

    def _item(self, digest: Digest, version: int) -> dict[str, Any]:
        item: dict[str, Any] = {"digest_id": {"S": digest.digest_id}, "record": {"S": json.dumps(digest.to_dict())},
                                "state": {"S": digest.state}, "owner_email": {"S": digest.owner.email.lower()},
                                "version": {"N": str(version)}}
        if digest.next_run:
            item["next_run"] = {"S": digest.next_run}
        return item

    def _read(self, digest_id: str) -> tuple[Digest, int] | None:
        item = self.client.get_item(TableName=self.table_name, Key={"digest_id": {"S": digest_id}},
                                    ConsistentRead=True).get("Item")
        if not item:
            return None
        return Digest.from_dict(json.loads(item["record"]["S"])), int(item.get("version", {}).get("N", "0"))

    def put(self, digest: Digest) -> None:
        found = self._read(digest.digest_id)
        self.client.put_item(TableName=self.table_name, Item=self._item(digest, (found[1] if found else 0) + 1))

    def get(self, digest_id: str) -> Digest | None:
        found = self._read(digest_id)
        return found[0] if found else None

    def delete(self, digest_id: str) -> None:
        self.client.delete_item(TableName=self.table_name, Key={"digest_id": {"S": digest_id}})

    def _swap(self, digest_id: str, change: Any) -> Digest | None:
        """Apply ``change(digest) -> dict | None`` under the version check, retrying on a race."""
        for _ in range(_RETRIES):
            found = self._read(digest_id)
            if found is None:
                return None
            digest, version = found
            changes = change(digest)
            if changes is None:
                return None
            updated = Digest.from_dict({**digest.to_dict(), **changes})
            try:
                self.client.put_item(TableName=self.table_name, Item=self._item(updated, version + 1),
                                     ConditionExpression="version = :v",
                                     ExpressionAttributeValues={":v": {"N": str(version)}})
            except self.client.exceptions.ConditionalCheckFailedException:
                continue
            return updated
        raise RuntimeError(f"digest {digest_id} kept changing under {_RETRIES} attempts to update it")

    def update(self, digest_id: str, changes: dict[str, Any]) -> Digest | None:
        return self._swap(digest_id, lambda _digest: changes)

    def advance(self, digest_id: str, expected_next: str, new_next: str) -> bool:
        return self._swap(digest_id, lambda d: {"next_run": new_next} if d.next_run == expected_next else None) \
            is not None

    def _scan(self, **kwargs: Any) -> list[Digest]:
        found: list[Digest] = []
        for page in self.client.get_paginator("scan").paginate(TableName=self.table_name, **kwargs):
            found += [Digest.from_dict(json.loads(item["record"]["S"])) for item in page.get("Items", [])]
        return found

    def list(self, owner_email: str | None = None) -> list[Digest]:
        if owner_email is None:
            return self._scan()
        return self._scan(FilterExpression="owner_email = :e",
                          ExpressionAttributeValues={":e": {"S": owner_email.lower()}})

    def due(self, now: dt.datetime, limit: int = 500) -> list[Digest]:
        digests = self._scan(FilterExpression="next_run <= :now AND #s <> :paused",
                             ExpressionAttributeNames={"#s": "state"},
                             ExpressionAttributeValues={":now": {"S": iso_utc(now)}, ":paused": {"S": "paused"}})
        return sorted(digests, key=lambda d: d.next_run or "")[:limit]
