"""Lambda handler for the SQS event source: one worker step per record, partial batch responses.

The event source mapping must enable ReportBatchItemFailures: a failed record is retried alone,
and after the queue's maxReceiveCount it goes to the dead-letter queue (the worker tells the user
on the last receive).

Each record's step leases last until the invocation's deadline: the invocation cannot outlive
it, and the queue's visibility timeout is longer (AWS requires at least the function timeout;
the template uses six times), so a lease never outlives its message's visibility.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

# Imports are what the first record needs, no more: no DuckDB, pandas or Teams SDK (unless
# Teams is configured), and boto3 clients are created on first use (bot/bootstrap.py).
if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from bot.bootstrap import AwsApp

_app: AwsApp | None = None
_deadline = 0.0  # epoch seconds at which the current invocation is stopped


class RecordNotFinished(Exception):
    """The worker left this record for a retry (BatchProcessor reports it as a failure)."""


def app() -> AwsApp:
    """Built once per Lambda container and reused across invocations."""
    global _app
    if _app is None:
        from bot.service import build_aws_app
        from bot.settings import Settings

        _app = build_aws_app(Settings.from_env())
    return _app


def record_handler(record: SQSRecord) -> None:
    from engine.ports import QueueMessage

    message = QueueMessage(message_id=record.message_id, receipt_handle=record.receipt_handle,
                           body=record.body,
                           receive_count=int(record.attributes.approximate_receive_count or 1),
                           visible_until=_deadline)
    if not app().worker.handle(message):
        raise RecordNotFinished(record.message_id)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    global _deadline
    current = app()
    current.refresh()  # a refreshed values file, rotated chat tokens (each checked at most every TTL)
    _deadline = time.time() + context.get_remaining_time_in_millis() / 1000
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    with current.observer.metrics_flushed():
        return process_partial_response(event=event, record_handler=record_handler,
                                        processor=processor, context=context)
