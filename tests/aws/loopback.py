"""Building blocks of the AWS stack on loopback, shared by the tests and the benchmarks."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from adapters.local.catalog import LocalCatalog

REGION = "us-east-1"
GLUE_TYPES = {"varchar": "string", "integer": "int"}


def start_moto() -> tuple[ThreadedMotoServer, str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def aws_env(moto_url: str) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": moto_url, "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS_DEFAULT_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_NAMESPACE": "AthenaQueryBotTest",
            "POWERTOOLS_LOG_LEVEL": "INFO"}


def register_glue(lake: Path) -> list[str]:
    """Register a local lake's tables in Glue, as a crawler or a data team would."""
    glue = boto3.client("glue")
    databases: list[str] = []
    for table in LocalCatalog(lake).tables():
        if table.database not in databases:
            glue.create_database(DatabaseInput={"Name": table.database})
            databases.append(table.database)
        keys = set(table.partition_keys)
        columns = [{"Name": c.name, "Type": GLUE_TYPES.get(c.type, c.type), "Comment": f"{c.name} column"}
                   for c in table.columns if c.name not in keys]
        glue.create_table(DatabaseName=table.database, TableInput={
            "Name": table.name, "PartitionKeys": [{"Name": k, "Type": "string"} for k in table.partition_keys],
            "StorageDescriptor": {"Columns": columns, "Location": f"s3://lake/{table.database}/{table.name}/"}})
    return databases


def create_queue_pair(sqs: Any, suffix: str, max_receives: int = 3) -> tuple[str, str]:
    """A job queue (visibility 0, for fast retries) with its dead-letter queue."""
    dlq_url = sqs.create_queue(QueueName=f"jobs-dlq-{suffix}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName=f"jobs-{suffix}", Attributes={
        "VisibilityTimeout": "0",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receives)})})["QueueUrl"]
    return queue_url, dlq_url


def make_tables(suffix: str) -> dict[str, str]:
    ddb = boto3.client("dynamodb")
    names = {"idempotency": f"idem-{suffix}", "pending": f"pending-{suffix}", "conversations": f"conv-{suffix}"}
    keys = {"idempotency": "id", "pending": "execution_id", "conversations": "conversation_id"}
    for kind, name in names.items():
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": keys[kind], "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": keys[kind], "KeyType": "HASH"}])
        if kind != "idempotency":
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
                "Enabled": True, "AttributeName": "expires_at"})
    return names


def bot_env(queue_url: str, tables: dict[str, str], databases: list[str], identity_store: str,
            group_access: dict[str, Any], values_file: str | None) -> dict[str, str]:
    """The ATHENA_BOT_* settings for a stack (identity from Identity Center)."""
    env = {
        "ATHENA_BOT_QUEUE_URL": queue_url, "ATHENA_BOT_WORKGROUP": "analytics", "ATHENA_BOT_DATABASE": "sales",
        "ATHENA_BOT_GLUE_DATABASES": ",".join(databases), "ATHENA_BOT_IDENTITY_SOURCE": "identity-center",
        "ATHENA_BOT_IDENTITY_STORE_ID": identity_store, "ATHENA_BOT_GROUP_ACCESS": json.dumps(group_access),
        "ATHENA_BOT_IDEMPOTENCY_TABLE": tables["idempotency"], "ATHENA_BOT_PENDING_TABLE": tables["pending"],
        "ATHENA_BOT_CONVERSATIONS_TABLE": tables["conversations"],
        "ATHENA_BOT_RECHECK_SECONDS": "1", "ATHENA_BOT_QUERY_TIMEOUT_SECONDS": "300"}
    if values_file:
        env["ATHENA_BOT_VALUES_FILE"] = values_file
    return env


def create_identity_store(people: dict[str, list[str]], store_id: str = "d-1234567890") -> str:
    ids = boto3.client("identitystore")
    group_names = sorted({g for groups in people.values() for g in groups} | {"Interns"})
    groups = {name: ids.create_group(IdentityStoreId=store_id, DisplayName=name)["GroupId"] for name in group_names}
    for email, member_of in people.items():
        user = ids.create_user(IdentityStoreId=store_id, UserName=email.split("@")[0], DisplayName=email,
                               Name={"GivenName": email[:3], "FamilyName": "Example"},
                               Emails=[{"Value": email, "Type": "work", "Primary": True}])["UserId"]
        for group in member_of:
            ids.create_group_membership(IdentityStoreId=store_id, GroupId=groups[group], MemberId={"UserId": user})
    return store_id
