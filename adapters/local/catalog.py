"""Catalog port over a local Parquet lake laid out like Glue/Athena (``db/table/[k=v/]*.parquet``)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from engine.ports import ColumnInfo, TableInfo

_DUCK_TO_ATHENA = {
    "BIGINT": "bigint", "INTEGER": "integer", "SMALLINT": "smallint", "TINYINT": "tinyint",
    "VARCHAR": "varchar", "DOUBLE": "double", "FLOAT": "real", "BOOLEAN": "boolean",
    "DATE": "date", "TIMESTAMP": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamp",
    "HUGEINT": "decimal(38,0)", "UBIGINT": "decimal(20,0)", "UINTEGER": "bigint",
    "BLOB": "varbinary",
}
_PARTITION_DIR = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=")


def athena_type(duckdb_type: str) -> str:
    """DuckDB's type name as Athena names it (decimal(p,s) keeps its precision and scale)."""
    upper = duckdb_type.upper()
    if upper.startswith("DECIMAL"):
        return upper.lower().replace(" ", "")
    return _DUCK_TO_ATHENA.get(upper, upper.lower())


def parquet_glob(table_dir: Path) -> str:
    return (table_dir / "**" / "*.parquet").as_posix()


def partition_keys(table_dir: Path) -> tuple[str, ...]:
    keys: list[str] = []
    level = table_dir
    while True:
        subdirs = sorted(p for p in level.iterdir() if p.is_dir() and _PARTITION_DIR.match(p.name))
        if not subdirs:
            return tuple(keys)
        keys.append(_PARTITION_DIR.match(subdirs[0].name).group(1))
        level = subdirs[0]


def read_parquet_sql(table_dir: Path, keys: tuple[str, ...]) -> str:
    """DuckDB table function reading one lake table; partition keys stay strings, as in Glue."""
    glob = parquet_glob(table_dir).replace("'", "''")
    if not keys:
        return f"read_parquet('{glob}')"
    types = ", ".join(f"'{k}': VARCHAR" for k in keys)
    return f"read_parquet('{glob}', hive_partitioning = true, hive_types = {{{types}}})"


class LocalCatalog:
    """Discovers databases, tables, columns, types and partition keys from the lake folders."""

    def __init__(self, lake: Path) -> None:
        self.lake = Path(lake)
        self._tables: list[TableInfo] | None = None

    def tables(self) -> list[TableInfo]:
        if self._tables is None:
            self._tables = self._discover()
        return self._tables

    def _discover(self) -> list[TableInfo]:
        found: list[TableInfo] = []
        if not self.lake.is_dir():
            return found
        con = duckdb.connect()
        try:
            for db_dir in sorted(p for p in self.lake.iterdir() if p.is_dir()):
                for table_dir in sorted(p for p in db_dir.iterdir() if p.is_dir()):
                    if not any(table_dir.rglob("*.parquet")):
                        continue
                    keys = partition_keys(table_dir)
                    rows = con.execute(f"DESCRIBE SELECT * FROM {read_parquet_sql(table_dir, keys)}").fetchall()
                    columns = tuple(ColumnInfo(name, athena_type(kind)) for name, kind, *_ in rows)
                    found.append(TableInfo(db_dir.name, table_dir.name, columns, keys,
                                           table_dir.as_posix()))
        finally:
            con.close()
        return found
