"""Digests on AWS: the DynamoDB store and EventBridge Scheduler, wired from the environment."""

from __future__ import annotations

from typing import Any

from bot.aws_settings import AwsSettings, ConfigError
from bot.settings import Settings
from engine.digests.service import DigestService


def aws_digest_service(settings: Settings, aws: AwsSettings | None = None, session: Any = None) -> DigestService:
    """The digest store on ATHENA_BOT_DIGESTS_TABLE, each change mirrored to its schedule."""
    import boto3

    from adapters.aws.digest_store import DynamoDigestStore
    from adapters.aws.scheduler import EventBridgeSchedules

    aws = aws or AwsSettings.from_env()
    session = session or boto3.Session()
    if not aws.digests_table:
        raise ConfigError("ATHENA_BOT_DIGESTS_TABLE must be set for digests on AWS")
    if not aws.scheduler_role_arn:
        raise ConfigError("ATHENA_BOT_SCHEDULER_ROLE_ARN must name the role EventBridge Scheduler sends jobs with")
    queue_arn = aws.queue_arn or session.client("sqs").get_queue_attributes(
        QueueUrl=aws.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    publisher = EventBridgeSchedules(session.client("scheduler"), queue_arn, aws.scheduler_role_arn,
                                     group=aws.scheduler_group, dead_letter_arn=aws.scheduler_dlq_arn)
    return DigestService(DynamoDigestStore(session.client("dynamodb"), aws.digests_table), publisher,
                         admin_groups=settings.digest_admin_groups)
