"""AsyncExecutor on Amazon Athena.

Queries start in the configured workgroup with the asking user's own credentials, with the job id
as ClientRequestToken (a retried start returns the same query) and result reuse enabled. Results
are read in one S3 GetObject of the result CSV (whose location the status call already gave) and
typed with the query's column metadata (GetQueryResults with MaxResults=1); they are never paged
through GetQueryResults.
"""

from __future__ import annotations

import csv
import hashlib
import datetime as dt
import io
from decimal import Decimal
from typing import Any, Callable
from urllib.parse import urlparse

from botocore.exceptions import BotoCoreError, ClientError

from engine.domain import Principal, ResultTable
from engine.errors import ExecutionFailed
from engine.ports import QueryState


def _parse_value(text: str, athena_type: str) -> Any:
    if text == "":
        return None
    kind = athena_type.lower()
    if kind in ("tinyint", "smallint", "integer", "int", "bigint"):
        return int(text)
    if kind in ("double", "float", "real") or kind.startswith("decimal"):
        return float(Decimal(text))
    if kind == "boolean":
        return text.lower() == "true"
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind.startswith("timestamp"):
        return dt.datetime.fromisoformat(text.replace(" UTC", ""))
    return text


def _type_name(info: dict[str, Any]) -> str:
    kind = str(info.get("Type", "varchar")).lower()
    if kind == "decimal" and info.get("Precision"):
        return f"decimal({info['Precision']},{info.get('Scale', 0)})"
    return kind


def parse_result_csv(data: bytes, columns: list[dict[str, Any]], max_rows: int) -> ResultTable:
    """Athena's result CSV (header first) typed by the query's column metadata."""
    reader = csv.reader(io.StringIO(data.decode("utf-8")))
    header = next(reader, None)
    names = [c["Name"] for c in columns] if columns else list(header or [])
    types = [_type_name(c) for c in columns] if columns else ["varchar"] * len(names)
    rows: list[tuple[Any, ...]] = []
    truncated = False
    for record in reader:
        if len(rows) == max_rows:
            truncated = True
            break
        rows.append(tuple(_parse_value(v, t) for v, t in zip(record, types)))
    return ResultTable(columns=names, types=types, rows=rows, truncated=truncated)


def request_token(key: str) -> str:
    """Athena's ClientRequestToken (32-128 characters) for any job key: the key itself when it
    fits, else its SHA-256, so the same key always names the same query."""
    if 32 <= len(key) <= 128 and key.isascii():
        return key
    return hashlib.sha256(key.encode()).hexdigest()


class AthenaExecutor:
    """Runs guarded SQL on Athena as the principal's role; asynchronous by design."""

    asynchronous = True

    def __init__(self, clients: Callable[[Principal, str], Any], *, workgroup: str,
                 database: str, output_location: str | None = None,
                 reuse_max_age_minutes: int = 60, download_expiry_seconds: int = 3600,
                 credentials_left: Callable[[Principal], float | None] | None = None) -> None:
        self.clients = clients
        self.workgroup = workgroup
        self.database = database
        self.output_location = output_location
        self.reuse_max_age_minutes = reuse_max_age_minutes
        self.download_expiry_seconds = download_expiry_seconds
        self.credentials_left = credentials_left

    def _client(self, principal: Principal, service: str) -> Any:
        return self.clients(principal, service)

    def start(self, athena_sql: str, principal: Principal, token: str) -> str:
        params: dict[str, Any] = {
            "QueryString": athena_sql, "ClientRequestToken": request_token(token), "WorkGroup": self.workgroup,
            "QueryExecutionContext": {"Database": self.database, "Catalog": "AwsDataCatalog"},
        }
        if self.output_location:
            params["ResultConfiguration"] = {"OutputLocation": self.output_location}
        if self.reuse_max_age_minutes > 0:
            params["ResultReuseConfiguration"] = {"ResultReuseByAgeConfiguration": {
                "Enabled": True, "MaxAgeInMinutes": self.reuse_max_age_minutes}}
        try:
            return self._client(principal, "athena").start_query_execution(**params)["QueryExecutionId"]
        except ClientError as err:
            raise ExecutionFailed(f"Athena did not accept the query: {_message(err)}") from err

    def status(self, execution_id: str, principal: Principal) -> QueryState:
        execution = self._client(principal, "athena").get_query_execution(
            QueryExecutionId=execution_id)["QueryExecution"]
        status = execution.get("Status", {})
        stats = execution.get("Statistics", {})
        return QueryState(
            state=status.get("State", "QUEUED"),
            reason=status.get("StateChangeReason", "") or (status.get("AthenaError") or {}).get("ErrorMessage", ""),
            bytes_scanned=int(stats.get("DataScannedInBytes", 0) or 0),
            engine_ms=int(stats.get("EngineExecutionTimeInMillis", 0) or 0),
            reused=bool((stats.get("ResultReuseInformation") or {}).get("ReusedPreviousResult")),
            output_location=(execution.get("ResultConfiguration") or {}).get("OutputLocation", ""),
        )

    def fetch(self, execution_id: str, principal: Principal, max_rows: int,
              output_location: str = "") -> tuple[ResultTable, str | None]:
        athena = self._client(principal, "athena")
        s3 = self._client(principal, "s3")
        try:
            location = output_location or athena.get_query_execution(QueryExecutionId=execution_id)[
                "QueryExecution"]["ResultConfiguration"]["OutputLocation"]
            columns = athena.get_query_results(QueryExecutionId=execution_id, MaxResults=1)[
                "ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
            url = urlparse(location)
            bucket, key = url.netloc, url.path.lstrip("/")
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except (ClientError, BotoCoreError, KeyError) as err:
            raise ExecutionFailed(f"The query finished but its result could not be read: {err}") from err
        table = parse_result_csv(body, columns, max_rows)
        download = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                             ExpiresIn=self.link_seconds(principal))
        return table, download

    def link_seconds(self, principal: Principal) -> int:
        """How long the CSV link is asked to live: never past the signing credentials' expiry.

        The link is signed with the user's role session (role chaining caps it at one hour), so
        a link longer than what remains of that session would stop working early while still
        claiming to be valid. The expiry the URL states (X-Amz-Expires) is therefore the truth.
        """
        left = self.credentials_left(principal) if self.credentials_left else None
        seconds = self.download_expiry_seconds if left is None else min(self.download_expiry_seconds, left)
        return max(60, int(seconds))

    def stop(self, execution_id: str, principal: Principal) -> None:
        try:
            self._client(principal, "athena").stop_query_execution(QueryExecutionId=execution_id)
        except ClientError:
            pass  # already finished: nothing to stop


def _message(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Message") or err)
