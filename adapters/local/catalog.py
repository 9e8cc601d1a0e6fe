"""Catalog port over a local Parquet lake laid out like Glue/Athena (``db/table/[k=v/]*.parquet``)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import duckdb
from sqlglot import exp

from engine.ports import ColumnInfo, TableInfo

log = logging.getLogger(__name__)

_DUCK_TO_ATHENA = {
    "BIGINT": "bigint", "INTEGER": "integer", "SMALLINT": "smallint", "TINYINT": "tinyint",
    "VARCHAR": "varchar", "DOUBLE": "double", "FLOAT": "real", "BOOLEAN": "boolean",
    "DATE": "date", "TIMESTAMP": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamp",
    "HUGEINT": "decimal(38,0)", "UBIGINT": "decimal(20,0)", "UINTEGER": "bigint",
    "BLOB": "varbinary",
}
_PARTITION_DIR = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=")
# Database and table folders must be names Athena allows, so no SQL ever needs to quote them.
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")
# DuckDB's own catalogs and schemas: a lake database of that name would shadow or clash with them
RESERVED_NAMES = frozenset({"information_schema", "pg_catalog", "main", "temp", "system", "memory"})
_GLOB_CHARACTERS = frozenset("*?[]{}")


class LakeError(ValueError):
    """The lake folder cannot be read safely (its path would be read as a glob pattern)."""


def plain_name(name: str) -> bool:
    """A database or table name needing no quoting: letters, digits, underscores, not reserved."""
    return bool(_PLAIN_NAME.match(name)) and name.lower() not in RESERVED_NAMES


def sql_string(text: str) -> str:
    """``text`` as a DuckDB string literal, quoted by sqlglot."""
    return exp.Literal.string(text).sql(dialect="duckdb")


def sql_identifier(name: str) -> str:
    """``name`` as a quoted DuckDB identifier."""
    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")


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
    """DuckDB table function reading one lake table; partition keys stay strings, as in Glue.

    The path and the keys enter only as quoted literals."""
    glob = sql_string(parquet_glob(table_dir))
    if not keys:
        return f"read_parquet({glob})"
    types = ", ".join(f"{sql_string(k)}: VARCHAR" for k in keys)
    return f"read_parquet({glob}, hive_partitioning = true, hive_types = {{{types}}})"


class LocalCatalog:
    """Discovers databases, tables, columns, types and partition keys from the lake folders.

    Folders whose names are not plain Athena names (``plain_name``) are skipped with a warning;
    a lake whose own path holds glob characters is refused (LakeError).
    """

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
        root = self.lake.resolve()
        if _GLOB_CHARACTERS & set(root.as_posix()):
            raise LakeError(f"The lake path {root} contains one of {''.join(sorted(_GLOB_CHARACTERS))}, "
                            "which DuckDB would read as a pattern; move the lake to a plain path.")
        con = duckdb.connect()
        try:
            for db_dir in sorted(p for p in root.iterdir() if p.is_dir()):
                if not plain_name(db_dir.name):
                    _skipped(db_dir)
                    continue
                for table_dir in sorted(p for p in db_dir.iterdir() if p.is_dir()):
                    if not plain_name(table_dir.name):
                        _skipped(table_dir)
                        continue
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


def _skipped(folder: Path) -> None:
    if folder.name.startswith("."):
        return  # hidden folders are not tables
    log.warning("lake folder %r skipped: database and table names must be letters, digits and "
                "underscores (Athena's rule), and not one of %s", folder.as_posix(),
                ", ".join(sorted(RESERVED_NAMES)))
