"""IdempotentRunner on DynamoDB: leases with an owner and an expiry, taken and renewed by conditional writes.

One item per step key (``id`` = ``<prefix>#<key>``): ``status`` in_progress or done, ``owner``
(``<worker>/<message id>``), ``lease_until`` (epoch seconds) and, once done, the step's ``result``;
``expiration`` is the table's TTL attribute. A step is taken when no item exists, when its lease
has expired, or when the same owner asks again; all three in one conditional PutItem, so two
workers can never both hold it. Renewal and release are conditional on the owner.

Why not Powertools idempotency (which this replaced): its in-progress records expire only with
a Lambda context's remaining time; outside Lambda (the ECS worker) a crashed worker's record
blocked its job until the record's TTL, days later. It also has no way to renew a record from
a heartbeat or to say who holds it. The same runner now serves Lambda (lease = the invocation's
deadline) and ECS (lease = the message's visibility, renewed by the heartbeat).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from engine.ports import AlreadyInProgress, Lease

log = logging.getLogger(__name__)


def _failed_condition(err: ClientError) -> bool:
    return err.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class DynamoIdempotency:
    """IdempotentRunner port on a DynamoDB table keyed by ``id`` (TTL attribute ``expiration``)."""

    def __init__(self, client: Any, table_name: str, *, keep_seconds: int = 7 * 24 * 3600,
                 key_prefix: str = "athena-query-bot", clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.table_name = table_name
        self.keep_seconds = keep_seconds
        self.key_prefix = key_prefix
        self.clock = clock

    def _id(self, key: str) -> dict[str, str]:
        return {"S": f"{self.key_prefix}#{key}"}

    def run(self, key: str, step: Callable[[], dict[str, Any]], lease: Lease) -> dict[str, Any]:
        now = self.clock()
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item={"id": self._id(key), "status": {"S": "in_progress"}, "owner": {"S": lease.owner},
                      "lease_until": {"N": f"{lease.until:.3f}"},
                      "expiration": {"N": str(int(now + self.keep_seconds))}},
                ConditionExpression="attribute_not_exists(id) OR expiration < :today OR "
                                    "(#status = :in_progress AND (lease_until < :now OR #owner = :me))",
                ExpressionAttributeNames={"#status": "status", "#owner": "owner"},
                ExpressionAttributeValues={":in_progress": {"S": "in_progress"}, ":now": {"N": f"{now:.3f}"},
                                           ":today": {"N": str(int(now))}, ":me": {"S": lease.owner}})
        except ClientError as err:
            if not _failed_condition(err):
                raise
            item = self.client.get_item(TableName=self.table_name, Key={"id": self._id(key)},
                                        ConsistentRead=True).get("Item") or {}
            if item.get("status", {}).get("S") == "done":
                return json.loads(item["result"]["S"])
            raise AlreadyInProgress(key, item.get("owner", {}).get("S", ""),
                                    float(item.get("lease_until", {}).get("N", "0"))) from None
        try:
            result = step()
        except BaseException:
            self._release(key, lease)
            raise
        self.client.put_item(TableName=self.table_name, Item={
            "id": self._id(key), "status": {"S": "done"}, "owner": {"S": lease.owner},
            "result": {"S": json.dumps(result)},
            "expiration": {"N": str(int(self.clock() + self.keep_seconds))}})
        return result

    def extend(self, key: str, lease: Lease) -> bool:
        try:
            self.client.update_item(
                TableName=self.table_name, Key={"id": self._id(key)},
                UpdateExpression="SET lease_until = :until",
                ConditionExpression="#status = :in_progress AND #owner = :me",
                ExpressionAttributeNames={"#status": "status", "#owner": "owner"},
                ExpressionAttributeValues={":until": {"N": f"{lease.until:.3f}"}, ":me": {"S": lease.owner},
                                           ":in_progress": {"S": "in_progress"}})
        except ClientError as err:
            if _failed_condition(err):
                return False
            raise
        return True

    def _release(self, key: str, lease: Lease) -> None:
        try:
            self.client.delete_item(
                TableName=self.table_name, Key={"id": self._id(key)},
                ConditionExpression="#status = :in_progress AND #owner = :me",
                ExpressionAttributeNames={"#status": "status", "#owner": "owner"},
                ExpressionAttributeValues={":in_progress": {"S": "in_progress"}, ":me": {"S": lease.owner}})
        except ClientError as err:
            if not _failed_condition(err):
                log.warning("could not release %s: %s", key, err)
