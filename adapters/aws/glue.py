"""Catalog port on the Glue Data Catalog: databases, tables, columns, partition keys, comments.

Paginated, and cached for ``ttl_seconds`` so the guard does not call Glue for every question.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from engine.ports import ColumnInfo, TableInfo

_GLUE_TO_ATHENA = {"string": "varchar", "int": "integer", "float": "real", "binary": "varbinary"}


def athena_type(glue_type: str) -> str:
    kind = glue_type.strip().lower().replace(" ", "")
    if kind.startswith(("char(", "varchar(")):
        return "varchar"
    return _GLUE_TO_ATHENA.get(kind, kind)


class GlueCatalog:
    def __init__(self, client: Any, databases: list[str], ttl_seconds: float = 300,
                 clock: Any = time.monotonic) -> None:
        self.client = client
        self.databases = databases
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._cached: tuple[float, list[TableInfo]] | None = None
        self._lock = threading.Lock()

    def tables(self) -> list[TableInfo]:
        with self._lock:
            if self._cached and self.clock() - self._cached[0] < self.ttl_seconds:
                return self._cached[1]
        found = [t for db in self.databases for t in self._tables_of(db)]
        with self._lock:
            self._cached = (self.clock(), found)
        return found

    def _tables_of(self, database: str) -> list[TableInfo]:
        out: list[TableInfo] = []
        for page in self.client.get_paginator("get_tables").paginate(DatabaseName=database):
            for table in page.get("TableList", []):
                descriptor = table.get("StorageDescriptor") or {}
                columns = [ColumnInfo(c["Name"], athena_type(c.get("Type", "string")), c.get("Comment", ""))
                           for c in descriptor.get("Columns", [])]
                keys = table.get("PartitionKeys") or []
                columns += [ColumnInfo(k["Name"], athena_type(k.get("Type", "string")), k.get("Comment", ""))
                            for k in keys]
                out.append(TableInfo(database, table["Name"], tuple(columns),
                                     tuple(k["Name"] for k in keys), descriptor.get("Location", "")))
        return out
