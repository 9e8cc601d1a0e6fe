"""A fake Amazon Athena on 127.0.0.1 for tests: real signed HTTP in, DuckDB underneath.

It speaks Athena's JSON 1.1 protocol for the calls the bot makes, runs the submitted SQL on DuckDB
over a test lake, and writes the result CSV where Athena would (``<output>/<id>.csv`` in S3, here
moto), so the bot's real S3 fetch path runs. Queries stay QUEUED until the test finishes them (or
run at once with ``auto_finish``); each state change can be routed like EventBridge would.
Bytes scanned are the sizes of the Parquet files of the tables a query reads; a workgroup
bytes-scanned cutoff cancels a query that exceeds it. ClientRequestToken is honoured.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import sqlglot
from sqlglot import exp

from adapters.local.catalog import LocalCatalog
from adapters.local.duckdb_executor import DuckDBExecutor
from engine.domain import LOCAL_ANALYST
from engine.errors import ExecutionFailed


@dataclass
class Execution:
    execution_id: str
    sql: str
    workgroup: str
    database: str
    output: str
    access_key: str
    token: str | None
    state: str = "QUEUED"
    reason: str = ""
    bytes_scanned: int = 0
    engine_ms: int = 0
    reused: bool = False
    columns: list[dict[str, Any]] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    submitted: float = field(default_factory=time.time)


def _column_info(name: str, type_name: str) -> dict[str, Any]:
    info: dict[str, Any] = {"Name": name, "Label": name, "Type": type_name, "Nullable": "UNKNOWN",
                            "CaseSensitive": type_name == "varchar"}
    if type_name.startswith("decimal("):
        precision, scale = type_name[8:-1].split(",")
        info.update(Type="decimal", Precision=int(precision), Scale=int(scale))
    return info


def _csv_text(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat") and hasattr(value, "hour"):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def athena_csv(columns: list[str], rows: list[list[str | None]]) -> bytes:
    """Athena's CSV: every value quoted, NULL as an empty unquoted field, header first."""
    def line(values: list[str | None]) -> str:
        return ",".join("" if v is None else '"' + v.replace('"', '""') + '"' for v in values)
    return ("\n".join([line(list(columns))] + [line(r) for r in rows]) + "\n").encode()


class FakeAthena:
    def __init__(self, lake: Path, s3_client: Any, *, workgroups: dict[str, dict[str, Any]] | None = None,
                 auto_finish: bool = False) -> None:
        self.lake = lake
        self.s3 = s3_client
        self.workgroups = workgroups or {"primary": {"output": None, "cutoff": None}}
        self.auto_finish = auto_finish
        self.executions: dict[str, Execution] = {}
        self.calls: list[str] = []
        self.on_state_change: Callable[[Execution], None] | None = None
        self.fail_next: str | None = None
        self._lock = threading.Lock()
        self._executor = DuckDBExecutor(LocalCatalog(lake))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeAthena":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- test controls ------------------------------------------------------------------------
    def started(self) -> list[Execution]:
        return [e for e in self.executions.values() if not e.reused]

    def finish(self, execution_id: str) -> Execution:
        """Run the query now (RUNNING -> SUCCEEDED, FAILED or CANCELLED) and announce it."""
        execution = self.executions[execution_id]
        execution.state = "RUNNING"
        started = time.perf_counter()
        cutoff = self.workgroups.get(execution.workgroup, {}).get("cutoff")
        execution.bytes_scanned = self._bytes_scanned(execution.sql)
        if self.fail_next:
            execution.state, execution.reason, self.fail_next = "FAILED", self.fail_next, None
        elif cutoff is not None and execution.bytes_scanned > cutoff:
            execution.state = "CANCELLED"
            execution.reason = "Query cancelled! : Bytes scanned limit was exceeded"
        else:
            try:
                result = self._executor.execute(execution.sql, LOCAL_ANALYST, 10_000_000)
            except ExecutionFailed as err:
                execution.state, execution.reason = "FAILED", str(err)
            else:
                execution.columns = [_column_info(n, t) for n, t in zip(result.columns, result.types)]
                execution.rows = [[_csv_text(v) for v in row] for row in result.rows]
                url = urlparse(execution.output)
                self.s3.put_object(Bucket=url.netloc, Key=url.path.lstrip("/"),
                                   Body=athena_csv(result.columns, execution.rows))
                self.s3.put_object(Bucket=url.netloc, Key=url.path.lstrip("/") + ".metadata",
                                   Body=json.dumps(execution.columns).encode())
                execution.state = "SUCCEEDED"
        execution.engine_ms = int((time.perf_counter() - started) * 1000) + 1
        self._announce(execution)
        return execution

    def _announce(self, execution: Execution) -> None:
        if self.on_state_change:
            self.on_state_change(execution)

    def _bytes_scanned(self, sql: str) -> int:
        total = 0
        for table in sqlglot.parse_one(sql, read="athena").find_all(exp.Table):
            folder = self.lake / (table.db or "") / table.name
            if folder.is_dir():
                total += sum(p.stat().st_size for p in folder.rglob("*.parquet"))
        return total

    # -- the API ------------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("AWS4-HMAC-SHA256 Credential="):
                    return self._reply(403, {"__type": "UnrecognizedClientException",
                                             "message": "missing signature"})
                access_key = auth.split("Credential=")[1].split("/")[0]
                action = self.headers.get("X-Amz-Target", "").split(".")[-1]
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.calls.append(action)
                try:
                    status, payload = getattr(fake, f"_api_{action}")(body, access_key)
                except AttributeError:
                    status, payload = 400, {"__type": "InvalidRequestException", "Message": f"unsupported {action}"}
                self._reply(status, payload)

            def _reply(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload, default=str).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def _invalid(self, message: str) -> tuple[int, dict[str, Any]]:
        return 400, {"__type": "InvalidRequestException", "Message": message}

    def _api_StartQueryExecution(self, body: dict[str, Any], access_key: str) -> tuple[int, dict[str, Any]]:  # noqa: N802
        workgroup = body.get("WorkGroup", "primary")
        if workgroup not in self.workgroups:
            return self._invalid(f"WorkGroup {workgroup} is not found.")
        token = body.get("ClientRequestToken")
        with self._lock:
            for execution in self.executions.values():
                if token and execution.token == token:
                    return 200, {"QueryExecutionId": execution.execution_id}
            output = (body.get("ResultConfiguration") or {}).get("OutputLocation") or \
                self.workgroups[workgroup].get("output")
            if not output:
                return self._invalid("No output location provided.")
            execution_id = str(uuid.uuid4())
            reuse = ((body.get("ResultReuseConfiguration") or {}).get("ResultReuseByAgeConfiguration") or {})
            previous = self._reusable(body["QueryString"], workgroup, reuse)
            execution = Execution(execution_id, body["QueryString"], workgroup,
                                  (body.get("QueryExecutionContext") or {}).get("Database", "default"),
                                  previous.output if previous else f"{output.rstrip('/')}/{execution_id}.csv",
                                  access_key, token)
            self.executions[execution_id] = execution
        if previous:
            execution.state, execution.reused = "SUCCEEDED", True
            execution.columns, execution.rows = previous.columns, previous.rows
            self._announce(execution)
        elif self.auto_finish:
            self.finish(execution_id)
        return 200, {"QueryExecutionId": execution_id}

    def _reusable(self, sql: str, workgroup: str, reuse: dict[str, Any]) -> Execution | None:
        if not reuse.get("Enabled"):
            return None
        max_age = 60 * int(reuse.get("MaxAgeInMinutes", 60))
        for execution in self.executions.values():
            if (execution.sql == sql and execution.workgroup == workgroup and execution.state == "SUCCEEDED"
                    and time.time() - execution.submitted <= max_age):
                return execution
        return None

    def _execution(self, body: dict[str, Any]) -> Execution | None:
        return self.executions.get(body.get("QueryExecutionId", ""))

    def _api_GetQueryExecution(self, body: dict[str, Any], _key: str) -> tuple[int, dict[str, Any]]:  # noqa: N802
        e = self._execution(body)
        if e is None:
            return self._invalid("QueryExecution was not found")
        status: dict[str, Any] = {"State": e.state, "SubmissionDateTime": e.submitted}
        if e.reason:
            status["StateChangeReason"] = e.reason
        return 200, {"QueryExecution": {
            "QueryExecutionId": e.execution_id, "Query": e.sql, "WorkGroup": e.workgroup,
            "QueryExecutionContext": {"Database": e.database},
            "ResultConfiguration": {"OutputLocation": e.output}, "Status": status,
            "Statistics": {"DataScannedInBytes": 0 if e.reused else e.bytes_scanned,
                           "EngineExecutionTimeInMillis": e.engine_ms,
                           "ResultReuseInformation": {"ReusedPreviousResult": e.reused}}}}

    def _api_GetQueryResults(self, body: dict[str, Any], _key: str) -> tuple[int, dict[str, Any]]:  # noqa: N802
        e = self._execution(body)
        if e is None or e.state != "SUCCEEDED":
            return self._invalid("Query has not yet finished.")
        page_size = min(int(body.get("MaxResults", 1000)), 1000)
        offset = int(body.get("NextToken") or 0)
        table = [[c["Name"] for c in e.columns]] + e.rows  # the header is the first row, as in Athena
        page = table[offset: offset + page_size]
        result: dict[str, Any] = {"ResultSet": {
            "Rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in page],
            "ResultSetMetadata": {"ColumnInfo": e.columns}}, "UpdateCount": 0}
        if offset + page_size < len(table):
            result["NextToken"] = str(offset + page_size)
        return 200, result

    def _api_StopQueryExecution(self, body: dict[str, Any], _key: str) -> tuple[int, dict[str, Any]]:  # noqa: N802
        e = self._execution(body)
        if e is not None and e.state in ("QUEUED", "RUNNING"):
            e.state, e.reason = "CANCELLED", "Query was cancelled by the user"
            self._announce(e)
        return 200, {}


def eventbridge_event(execution: Execution) -> str:
    """The "Athena Query State Change" event EventBridge delivers to the queue."""
    return json.dumps({
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Athena Query State Change",
        "source": "aws.athena", "account": "123456789012", "time": "2025-06-15T12:00:00Z",
        "region": "us-east-1", "resources": [],
        "detail": {"currentState": execution.state, "previousState": "RUNNING",
                   "queryExecutionId": execution.execution_id, "sequenceNumber": "3",
                   "statementType": "DML", "versionId": "0", "workgroupName": execution.workgroup},
    })
