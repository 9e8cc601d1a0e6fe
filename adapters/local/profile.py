"""Profile a local lake's tables with DuckDB: row counts, distinct values, partition formats."""

from __future__ import annotations

from pathlib import Path

import duckdb

from adapters.local.catalog import LocalCatalog, read_parquet_sql
from engine.model_draft import MAX_DIMENSION_VALUES, ColumnProfile, TableProfile, is_time

_PARTITION_FORMATS = {"%Y-%m": "^[0-9]{4}-[0-9]{2}$", "%Y": "^[0-9]{4}$", "%Y-%m-%d": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def profile_lake(lake: Path) -> list[TableProfile]:
    """One TableProfile per table of the lake (every database)."""
    profiles = []
    con = duckdb.connect()
    try:
        con.execute("SET threads TO 2")
        for info in LocalCatalog(lake).tables():
            source = read_parquet_sql(Path(info.location), info.partition_keys)
            names = [c.name for c in info.columns]
            counts = ", ".join(f"count(DISTINCT {_quote(n)}), count(*) - count({_quote(n)})" for n in names)
            row = con.execute(f"SELECT count(*), {counts} FROM {source}").fetchone()
            columns = []
            for i, column in enumerate(info.columns):
                distinct, nulls = row[1 + 2 * i], row[2 + 2 * i]
                values: list[str] = []
                text = column.type.startswith(("varchar", "string", "char"))
                if text and 0 < distinct <= MAX_DIMENSION_VALUES:
                    values = [v for (v,) in con.execute(
                        f"SELECT DISTINCT {_quote(column.name)} FROM {source} WHERE {_quote(column.name)} "
                        "IS NOT NULL ORDER BY 1").fetchall()]
                columns.append(ColumnProfile(column.name, column.type, distinct, nulls, values))
            profile = TableProfile(info.database, info.name, row[0], columns, tuple(info.partition_keys))
            profile.partition_follows = _partition_follows(con, source, profile)
            profiles.append(profile)
    finally:
        con.close()
    return profiles


def _partition_follows(con: duckdb.DuckDBPyConnection, source: str,
                       profile: TableProfile) -> dict[str, tuple[str, str]]:
    """Partition keys whose value is, on every row, a date column formatted (checked, not guessed)."""
    found: dict[str, tuple[str, str]] = {}
    dated = [c.name for c in profile.columns if is_time(c.type) and c.nulls == 0]
    for key in profile.partition_keys:
        for fmt, pattern in _PARTITION_FORMATS.items():
            for column in dated:
                mismatched = con.execute(
                    f"SELECT count(*) FROM {source} WHERE NOT regexp_full_match({_quote(key)}, '{pattern}') "
                    f"OR strftime({_quote(column)}, '{fmt}') <> {_quote(key)}").fetchone()[0]
                if mismatched == 0:
                    found[key] = (column, fmt)
                    break
            if key in found:
                break
    return found
