"""Lake folder names never become SQL: hostile names are refused, paths enter only as quoted literals."""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pytest

from adapters.local.catalog import LakeError, LocalCatalog
from adapters.local.duckdb_executor import DuckDBExecutor
from adapters.local.profile import profile_lake
from bot.bootstrap import LakeMissing, build_local
from bot.settings import Settings
from engine.domain import LOCAL_ANALYST
from engine.ports import ColumnInfo, TableInfo

HOSTILE = ["it's", "x'); DROP TABLE orders; --", 'quo"te', "with space", "ünïcode", "semi;colon",
           "a/../b", "month=2024-01", "*", "main", "information_schema"]


def write_parquet(path: Path, sql: str = "SELECT 1 AS id, 'a' AS name") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    literal = "'" + path.as_posix().replace("'", "''") + "'"
    con.execute(f"COPY ({sql}) TO {literal} (FORMAT PARQUET)")
    con.close()


@pytest.fixture()
def hostile_lake(tmp_path: Path) -> Path:
    """A lake under a path with quotes, spaces and unicode, next to folders named to break SQL."""
    lake = tmp_path / "it's a \"lake\" ü; DROP"
    write_parquet(lake / "sales" / "orders" / "month=2024-01" / "part_0.parquet")
    write_parquet(lake / "sales" / "orders" / "month=it's" / "part_0.parquet", "SELECT 2 AS id, 'b' AS name")
    for name in HOSTILE:
        if "/" in name:
            continue
        write_parquet(lake / "sales" / name / "part_0.parquet")
        write_parquet(lake / name / "t" / "part_0.parquet")
    return lake


def test_hostile_folder_names_are_skipped_with_a_warning(hostile_lake: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="adapters.local.catalog"):
        tables = LocalCatalog(hostile_lake).tables()
    assert [t.qualified_name for t in tables] == ["sales.orders"]
    assert tables[0].partition_keys == ("month",)
    warned = {Path(record.args[0]).name for record in caplog.records}  # type: ignore[index]
    assert warned == {name for name in HOSTILE if "/" not in name}


def test_the_lake_under_a_hostile_path_is_read_correctly(hostile_lake: Path) -> None:
    executor = DuckDBExecutor(LocalCatalog(hostile_lake))
    rows = executor.execute("SELECT id, name, month FROM sales.orders ORDER BY id", LOCAL_ANALYST, 10).rows
    assert rows == [(1, "a", "2024-01"), (2, "b", "it's")]
    assert len(profile_lake(hostile_lake)) == 1  # `semantic-model init` reads it too


def test_view_creation_quotes_names_itself(hostile_lake: Path) -> None:
    """Even a catalog that hands over a hostile name gets a correctly quoted view, nothing more."""
    location = (hostile_lake / "sales" / "orders").resolve()

    class HandOver:
        lake = hostile_lake

        def tables(self) -> list[TableInfo]:
            return [TableInfo("sales", "x'); DROP TABLE t; --", (ColumnInfo("id", "integer"),),
                              ("month",), location.as_posix())]

    executor = DuckDBExecutor(HandOver())  # type: ignore[arg-type]
    rows = executor.execute('SELECT count(*) AS n FROM sales."x\'); DROP TABLE t; --"', LOCAL_ANALYST, 1).rows
    assert rows == [(2,)]


def test_a_lake_path_with_glob_characters_is_refused(tmp_path: Path) -> None:
    lake = tmp_path / "lake[1]"
    write_parquet(lake / "sales" / "orders" / "part_0.parquet")
    with pytest.raises(LakeError, match="pattern"):
        LocalCatalog(lake).tables()
    settings = Settings.from_env({"ATHENA_BOT_HOME": str(tmp_path), "ATHENA_BOT_LAKE": str(lake)})
    with pytest.raises(LakeMissing, match="plain path"):
        build_local(settings, charts=False)
