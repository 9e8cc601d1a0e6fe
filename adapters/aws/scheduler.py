"""SchedulePublisher on EventBridge Scheduler: one schedule per digest, created, updated and
deleted with it.

Each schedule is the digest's cron as ``cron(min hour dom month dow year)`` with
``ScheduleExpressionTimezone`` (so 9:00 in Berlin stays 9:00 across daylight saving), targets the
jobs queue directly (a templated SQS target) with the DigestJob as the message body, whose
``scheduled_for`` EventBridge fills in from its ``<aws.scheduler.scheduled-time>`` context
attribute: the worker derives the job id from it, so a repeated delivery posts once. Failed
deliveries are retried (RetryPolicy) and then kept in a dead-letter queue. A paused digest's
schedule is DISABLED rather than deleted.
"""

from __future__ import annotations

import json
from typing import Any

from engine.digests.model import Digest
from engine.jobs import VERSION, DigestJob

SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"


def schedule_name(digest_id: str) -> str:
    return f"athena-bot-digest-{digest_id}"


def target_input(digest_id: str) -> str:
    """The message EventBridge sends: a DigestJob whose slot it fills in at each firing."""
    return json.dumps({"type": DigestJob.type, "version": VERSION, "digest_id": digest_id,
                       "scheduled_for": SCHEDULED_TIME}, separators=(",", ":"))


class EventBridgeSchedules:
    def __init__(self, client: Any, queue_arn: str, role_arn: str, *, group: str = "default",
                 dead_letter_arn: str | None = None, retries: int = 3, max_age_seconds: int = 3600) -> None:
        self.client = client
        self.queue_arn = queue_arn
        self.role_arn = role_arn
        self.group = group
        self.dead_letter_arn = dead_letter_arn
        self.retries = retries
        self.max_age_seconds = max_age_seconds

    def _request(self, digest: Digest) -> dict[str, Any]:
        target: dict[str, Any] = {"Arn": self.queue_arn, "RoleArn": self.role_arn,
                                  "Input": target_input(digest.digest_id),
                                  "RetryPolicy": {"MaximumRetryAttempts": self.retries,
                                                  "MaximumEventAgeInSeconds": self.max_age_seconds}}
        if self.dead_letter_arn:
            target["DeadLetterConfig"] = {"Arn": self.dead_letter_arn}
        return {"Name": schedule_name(digest.digest_id), "GroupName": self.group,
                "ScheduleExpression": digest.schedule.eventbridge_expression(),
                "ScheduleExpressionTimezone": digest.schedule.timezone,
                "FlexibleTimeWindow": {"Mode": "OFF"}, "Target": target,
                "State": "DISABLED" if digest.state == "paused" else "ENABLED",
                "Description": f"athena-bot digest {digest.digest_id}: {digest.question}"[:512]}

    def upsert(self, digest: Digest) -> None:
        request = self._request(digest)
        try:
            self.client.update_schedule(**request)
        except self.client.exceptions.ResourceNotFoundException:
            self.client.create_schedule(**request)

    def delete(self, digest_id: str) -> None:
        try:
            self.client.delete_schedule(Name=schedule_name(digest_id), GroupName=self.group)
        except self.client.exceptions.ResourceNotFoundException:
            pass
