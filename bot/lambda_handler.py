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
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bot.aws_settings import AwsSettings
from bot.bootstrap import AwsApp, build_aws
from bot.settings import Settings
from engine.ports import QueueMessage

_app: AwsApp | None = None
_deadline = 0.0  # epoch seconds at which the current invocation is stopped


class RecordNotFinished(Exception):
    """The worker left this record for a retry (BatchProcessor reports it as a failure)."""


def app() -> AwsApp:
    """Built once per Lambda container and reused across invocations."""
    global _app
    if _app is None:
        from bot.slack import register_chat_posters

        _app = register_chat_posters(build_aws(Settings.from_env(), AwsSettings.from_env()))
    return _app


def record_handler(record: SQSRecord) -> None:
    message = QueueMessage(message_id=record.message_id, receipt_handle=record.receipt_handle,
                           body=record.body,
                           receive_count=int(record.attributes.approximate_receive_count or 1),
                           visible_until=_deadline)
    if not app().worker.handle(message):
        raise RecordNotFinished(record.message_id)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _deadline
    current = app()
    _deadline = time.time() + context.get_remaining_time_in_millis() / 1000
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    with current.observer.metrics_flushed():
        return process_partial_response(event=event, record_handler=record_handler,
                                        processor=processor, context=context)
