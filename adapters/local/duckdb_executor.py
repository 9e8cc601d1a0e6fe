"""Executor port on DuckDB: runs Athena SQL over the local lake, transpiled by sqlglot.

Transpiling keeps Athena's meaning where DuckDB differs: queries are qualified and type-annotated
first (so integer division stays integer division), and ``date_diff`` counts whole units as
Athena does instead of boundaries crossed.
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

from adapters.local.catalog import LocalCatalog, athena_type, read_parquet_sql
from engine.domain import Principal, ResultTable
from engine.errors import ExecutionFailed
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


def to_duckdb_sql(athena_sql: str, schema: dict[str, Any]) -> str:
    expression = sqlglot.parse_one(athena_sql, read="athena")
    expression = qualify(expression, schema=schema, dialect="athena")
    expression = annotate_types(expression, schema=schema, dialect="athena")
    return expression.sql(dialect=AthenaOnDuckDB)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


class DuckDBExecutor:
    """Runs guarded Athena SQL against the local lake; one in-memory DuckDB, a cursor per call."""

    def __init__(self, catalog: LocalCatalog, threads: int = 2) -> None:
        self.catalog = catalog
        self._schema = schema_of(catalog)
        self._con = duckdb.connect(config={"threads": threads})
        self._lock = threading.Lock()
        for table in catalog.tables():
            self._con.execute(f'CREATE SCHEMA IF NOT EXISTS "{table.database}"')
            source = read_parquet_sql(Path(table.location), table.partition_keys)
            self._con.execute(f'CREATE OR REPLACE VIEW "{table.database}"."{table.name}" AS '
                              f"SELECT * FROM {source}")

    def execute(self, athena_sql: str, principal: Principal, max_rows: int) -> ResultTable:
        try:
            sql = to_duckdb_sql(athena_sql, self._schema)
        except sqlglot.errors.SqlglotError as err:
            raise ExecutionFailed(f"The query could not be prepared: {err}") from err
        with self._lock:
            cursor = self._con.cursor()
        try:
            cursor.execute(sql)
            rows = cursor.fetchmany(max_rows + 1)
            description = cursor.description or []
        except duckdb.Error as err:
            raise ExecutionFailed(f"The query failed: {str(err).splitlines()[0]}") from err
        finally:
            cursor.close()
        truncated = len(rows) > max_rows
        rows = rows[:max_rows]
        return ResultTable(
            columns=[d[0] for d in description],
            types=[athena_type(str(d[1])) for d in description],
            rows=[tuple(_plain(v) for v in row) for row in rows],
            truncated=truncated,
        )
