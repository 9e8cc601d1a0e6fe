"""Executor port on DuckDB: runs Athena SQL over the local lake, transpiled by sqlglot.

Transpiling keeps Athena's meaning where DuckDB differs: queries are qualified and type-annotated
first (so integer division stays integer division), and ``date_diff`` counts whole units as
Athena does instead of boundaries crossed. A GuardedQuery arrives qualified and annotated
already, so it is only printed.

The connection is a sandbox, so that even a query the guard wrongly let through cannot reach
outside the lake: extensions are never installed or loaded, the views over the lake are created
first, then file access is limited to the lake (``allowed_directories``), external access is off
and the configuration is locked. DuckDB spills to ``temp_directory`` under these settings (its
buffer manager is not subject to them). Each statement must be, by DuckDB's own parser, exactly
one SELECT, and runs under a time limit (the connection is interrupted).
"""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema, Schema

from adapters.local.catalog import LocalCatalog, athena_type, read_parquet_sql, sql_identifier, sql_string
from engine.domain import Principal, ResultTable
from engine.errors import ExecutionFailed, QueryTimedOut
from engine.guard import GuardedQuery
from engine.ports import schema_of


class AthenaOnDuckDB(DuckDB):
    """DuckDB output dialect with Athena's semantics where the two disagree."""

    class Generator(DuckDB.Generator):
        TRANSFORMS = {
            **DuckDB.Generator.TRANSFORMS,
            # Athena's date_diff counts whole units elapsed; DuckDB's date_sub does the same.
            exp.DateDiff: lambda self, e: self.func(
                "DATE_SUB", exp.Literal.string((e.text("unit") or "day").lower()),
                e.expression, e.this),
            # approx_percentile: the embedded default computes it exactly, as the value in the
            # data at that rank (like Athena's, a value that occurs, never one in between)
            exp.ApproxQuantile: lambda self, e: self.func("QUANTILE_DISC", e.this, e.args.get("quantile")),
        }


def to_duckdb_sql(athena_sql: str, schema: dict[str, Any] | Schema) -> str:
    """Athena SQL text -> DuckDB SQL (parse, qualify, annotate, print)."""
    expression = sqlglot.parse_one(athena_sql, read="athena")
    expression = qualify(expression, schema=schema, dialect="athena")
    expression = annotate_types(expression, schema=schema, dialect="athena")
    return expression.sql(dialect=AthenaOnDuckDB)


def duckdb_sql(query: GuardedQuery) -> str:
    """The guarded tree printed for DuckDB: no second parse or qualification."""
    return query.sql_for(AthenaOnDuckDB)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


class DuckDBExecutor:
    """Runs guarded Athena SQL against the local lake; one in-memory DuckDB, a cursor per call.

    ``timeout_seconds`` stops a query that runs longer (QueryTimedOut); ``memory_limit`` (e.g.
    "2GB") and ``threads`` size DuckDB; ``temp_directory`` is where it spills.
    """

    def __init__(self, catalog: LocalCatalog, threads: int = 2, *, memory_limit: str | None = None,
                 timeout_seconds: float | None = None, temp_directory: Path | None = None) -> None:
        self.catalog = catalog
        self.timeout_seconds = timeout_seconds
        self._schema = MappingSchema(schema_of(catalog), dialect="athena")
        config: dict[str, Any] = {"threads": threads, "autoinstall_known_extensions": False,
                                  "autoload_known_extensions": False}
        if memory_limit:
            config["memory_limit"] = memory_limit
        if temp_directory is not None:
            config["temp_directory"] = Path(temp_directory).resolve().as_posix()
        try:
            self._con = duckdb.connect(config=config)
        except duckdb.Error as err:
            raise ExecutionFailed(f"DuckDB could not start with these settings: {str(err).splitlines()[0]}") from err
        self._lock = threading.Lock()
        for table in catalog.tables():
            self._con.execute(f"CREATE SCHEMA IF NOT EXISTS {sql_identifier(table.database)}")
            source = read_parquet_sql(Path(table.location), table.partition_keys)
            self._con.execute(f"CREATE OR REPLACE VIEW {sql_identifier(table.database)}."
                              f"{sql_identifier(table.name)} AS SELECT * FROM {source}")
        lake = Path(catalog.lake).resolve().as_posix()
        self._con.execute(f"SET allowed_directories = [{sql_string(lake)}]")
        self._con.execute("SET enable_external_access = false")
        self._con.execute("SET lock_configuration = true")

    def execute(self, query: GuardedQuery | str, principal: Principal, max_rows: int) -> ResultTable:
        try:
            sql = duckdb_sql(query) if isinstance(query, GuardedQuery) else to_duckdb_sql(query, self._schema)
        except sqlglot.errors.SqlglotError as err:
            raise ExecutionFailed(f"The query could not be prepared: {err}") from err
        with self._lock:
            cursor = self._con.cursor()
        timer = None
        try:
            statement = self._one_select(cursor, sql)
            if self.timeout_seconds:
                timer = threading.Timer(self.timeout_seconds, cursor.interrupt)
                timer.daemon = True
                timer.start()
            cursor.execute(statement)
            rows = cursor.fetchmany(max_rows + 1)
            description = cursor.description or []
        except duckdb.InterruptException as err:
            raise QueryTimedOut(self.timeout_seconds or 0) from err
        except duckdb.Error as err:
            raise ExecutionFailed(f"The query failed: {str(err).splitlines()[0]}") from err
        finally:
            if timer is not None:
                timer.cancel()
            cursor.close()
        truncated = len(rows) > max_rows
        rows = rows[:max_rows]
        return ResultTable(
            columns=[d[0] for d in description],
            types=[athena_type(str(d[1])) for d in description],
            rows=[tuple(_plain(v) for v in row) for row in rows],
            truncated=truncated,
        )

    @staticmethod
    def _one_select(cursor: duckdb.DuckDBPyConnection, sql: str) -> Any:
        """DuckDB's own reading of the SQL: exactly one SELECT, or nothing runs."""
        statements = cursor.extract_statements(sql)
        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            kinds = ", ".join(s.type.name for s in statements) or "nothing"
            raise ExecutionFailed(f"I only run one SELECT statement; this is {kinds}.")
        return statements[0]
