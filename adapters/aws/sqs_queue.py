"""Queue port on Amazon SQS (long polling, visibility, delays, attributes; DLQ via redrive policy)."""

from __future__ import annotations

import time
from typing import Any

from engine.ports import QueueMessage

MAX_WAIT = 20  # SQS long polling maximum


class SQSQueue:
    def __init__(self, client: Any, queue_url: str, visibility_timeout: int = 60) -> None:
        self.client = client
        self.queue_url = queue_url
        self.visibility_timeout = visibility_timeout

    def send(self, body: str, delay_seconds: int = 0, attributes: dict[str, str] | None = None) -> str:
        params: dict[str, Any] = {"QueueUrl": self.queue_url, "MessageBody": body,
                                  "DelaySeconds": max(0, min(900, int(delay_seconds)))}
        if attributes:
            params["MessageAttributes"] = {k: {"DataType": "String", "StringValue": v}
                                           for k, v in attributes.items()}
        return self.client.send_message(**params)["MessageId"]

    def receive(self, max_messages: int = 1, wait_seconds: float = 0,
                visibility_timeout: int | None = None) -> list[QueueMessage]:
        timeout = int(self.visibility_timeout if visibility_timeout is None else visibility_timeout)
        asked_at = time.time()  # SQS hides each message until at least this + timeout
        response = self.client.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=max(1, min(10, max_messages)),
            WaitTimeSeconds=int(max(0, min(MAX_WAIT, wait_seconds))), VisibilityTimeout=timeout,
            MessageSystemAttributeNames=["ApproximateReceiveCount"], MessageAttributeNames=["All"])
        return [message_from_sqs(m, asked_at + timeout) for m in response.get("Messages", [])]

    def delete(self, receipt_handle: str) -> None:
        self.client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=receipt_handle)

    def change_visibility(self, receipt_handle: str, timeout_seconds: int) -> None:
        self.client.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=receipt_handle,
                                              VisibilityTimeout=int(timeout_seconds))


def message_from_sqs(message: dict[str, Any], visible_until: float = 0.0) -> QueueMessage:
    attributes = {k: v.get("StringValue", "") for k, v in (message.get("MessageAttributes") or {}).items()}
    count = int((message.get("Attributes") or {}).get("ApproximateReceiveCount", "1"))
    return QueueMessage(message["MessageId"], message["ReceiptHandle"], message["Body"], count, attributes,
                        visible_until)
