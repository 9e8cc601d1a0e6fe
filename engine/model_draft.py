"""Draft a semantic model for a lake the bot has never seen, from a profile of its tables.

Measures come from numeric columns (a total and an average each, plus a count per table),
dimensions from low-cardinality text columns (their values read from the data), each table's
name column, time from date columns, joins from key names (``x.department_id`` ->
``departments.department_id``), and entities for listing rows. The draft is meant to answer
questions unedited, and to be reviewed by the data team before production.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from engine.language.vocabulary import normalize_token

MAX_DIMENSION_VALUES = 100
_NUMERIC = ("bigint", "integer", "int", "smallint", "tinyint", "double", "real", "float", "decimal")
_MONEY = re.compile(r"salary|salaries|pay|price|cost|revenue|amount|bonus|fee|spend|income|wage|"
                    r"budget|sales|value|total|compensation|charge|balance|tax|discount")
_NAME_COLUMNS = ("name", "full_name", "title", "display_name", "label")
_PEOPLE_TABLES = ("employees", "employee", "staff", "people", "workers", "personnel", "members")
_TIME_HINTS = ("created", "date", "_ts", "_at", "_on", "time", "day")


@dataclass
class ColumnProfile:
    name: str
    type: str
    distinct: int
    nulls: int = 0
    values: list[str] = field(default_factory=list)  # text columns with few distinct values


@dataclass
class TableProfile:
    database: str
    name: str
    rows: int
    columns: list[ColumnProfile]
    partition_keys: tuple[str, ...] = ()
    # partition key -> (time column it is derived from, strftime format), checked on the data
    partition_follows: dict[str, tuple[str, str]] = field(default_factory=dict)

    def column(self, name: str) -> ColumnProfile | None:
        return next((c for c in self.columns if c.name == name), None)


def singular(name: str) -> str:
    words = name.split("_")
    last = {"people": "person", "staff": "staff", "data": "data"}.get(words[-1]) or normalize_token(words[-1])
    if last.endswith("sse"):  # "addresses" -> "addresse" -> "address"
        last = last[:-1]
    return "_".join(words[:-1] + [last])


def words(name: str) -> str:
    return name.replace("_", " ").strip()


def is_numeric(type_name: str) -> bool:
    return type_name.lower().startswith(_NUMERIC)


def is_time(type_name: str) -> bool:
    return type_name.lower().startswith(("date", "timestamp"))


def _key(table: TableProfile) -> str | None:
    candidates = ["id", f"{singular(table.name)}_id", f"{table.name}_id"]
    candidates += [c.name for c in table.columns if c.name.endswith("_id")]
    for name in candidates:
        column = table.column(name)
        if column and column.nulls == 0 and column.distinct == table.rows and table.rows > 0:
            return name
    return None


def _time_column(table: TableProfile) -> str | None:
    dated = [c for c in table.columns if is_time(c.type)]
    if not dated:
        return None
    dated.sort(key=lambda c: (c.nulls > 0, not any(h in c.name for h in _TIME_HINTS)))
    return dated[0].name


def _name_column(table: TableProfile) -> str | None:
    own = f"{singular(table.name)}_name"
    for name in (own, *_NAME_COLUMNS):
        column = table.column(name)
        if column and column.type.startswith(("varchar", "string", "char")):
            return name
    return next((c.name for c in table.columns if c.name.endswith("_name") and
                 c.type.startswith(("varchar", "string"))), None)


def _is_id(name: str) -> bool:
    return name == "id" or name.endswith(("_id", "_key", "_code")) or name in ("year", "month", "day")


def draft_model(profiles: list[TableProfile], name: str = "drafted") -> dict[str, Any]:
    """A semantic model (the YAML structure ``load_model`` reads) for the profiled tables."""
    aliases: dict[str, TableProfile] = {}
    for table in profiles:
        alias = table.name if table.name not in aliases else f"{table.database}_{table.name}"
        aliases[alias] = table
    keys = {alias: _key(t) for alias, t in aliases.items()}
    times = {alias: _time_column(t) for alias, t in aliases.items()}

    model: dict[str, Any] = {"name": name, "description": "Drafted from the lake by athena-bot "
                             "semantic-model init; review before production.",
                             "tables": {}, "joins": [], "metrics": {}, "dimensions": {}, "entities": {}}
    for alias, table in aliases.items():
        spec: dict[str, Any] = {"source": f"{table.database}.{table.name}"}
        for part, (column, fmt) in table.partition_follows.items():
            spec["partition"] = {"column": part, "format": fmt, "follows": f"{alias}.{column}"}
            break
        model["tables"][alias] = spec

    for alias, table in aliases.items():
        for column in table.columns:
            if not column.name.endswith("_id") and column.name != "id":
                continue
            if column.name == keys[alias]:
                continue
            for other, other_table in aliases.items():
                target = keys[other]
                if other == alias or target is None:
                    continue
                if column.name == target or (target == "id" and column.name == f"{singular(other_table.name)}_id"):
                    model["joins"].append({"from": alias, "to": other, "keys": [column.name, target]})
                    break
    children: dict[str, list[str]] = {}
    for join in model["joins"]:
        children.setdefault(join["to"], []).append(join["from"])

    column_names: dict[str, int] = {}
    for table in aliases.values():
        for column in table.columns:
            column_names[column.name] = column_names.get(column.name, 0) + 1

    for alias, table in aliases.items():
        noun = singular(table.name)
        time = f"{alias}.{times[alias]}" if times[alias] else None
        key = keys[alias]
        count_sql = f"COUNT(DISTINCT {alias}.{key})" if key else "COUNT(*)"
        numbers = {c.name for c in table.columns if is_numeric(c.type)}
        if noun in numbers:  # "salaries" holds salary amounts: "salary" means the amount
            count_name, plural = f"{noun}_records", f"{words(noun)} records"
            synonyms = [plural, f"number of {plural}", f"{words(noun)} record count"]
        else:
            count_name, plural = alias, words(table.name)
            synonyms = [words(noun), f"number of {plural}", f"{words(noun)} count", f"{plural} count",
                        f"count of {plural}"]
            if table.name in _PEOPLE_TABLES:
                synonyms += ["headcount", "head count", "staff", "people", "staff count"]
        model["metrics"][count_name] = _drop_none({
            "label": plural.capitalize(),
            "synonyms": _unique(synonyms),
            "sql": count_sql, "time": time,
            "roots": [alias] + (children.get(alias, []) if key else []),
            "format": "integer", "additive": True,
        })
        for column in table.columns:
            if not is_numeric(column.type) or _is_id(column.name) or column.name in table.partition_keys:
                continue
            money = bool(_MONEY.search(column.name))
            integer = column.type.startswith(("bigint", "int", "smallint", "tinyint"))
            shared = column_names[column.name] > 1
            label = f"{words(noun)} {words(column.name)}" if shared else words(column.name)
            metric = f"{noun}_{column.name}" if shared else column.name
            model["metrics"][f"total_{metric}"] = _drop_none({
                "label": f"Total {label}",
                "synonyms": _unique([label, f"total {label}", f"sum of {label}", f"{label} total"]
                                    + ([f"{words(noun)} {label}"] if noun != column.name else [])),
                "sql": f"SUM({alias}.{column.name})", "time": time, "roots": [alias],
                "format": "currency" if money else ("integer" if integer else "decimal"), "additive": True,
            })
            model["metrics"][f"average_{metric}"] = _drop_none({
                "label": f"Average {label}",
                "synonyms": _unique([f"average {label}", f"avg {label}", f"mean {label}"]
                                    + ([f"average {words(noun)} {label}"] if noun != column.name else [])),
                "sql": f"AVG({alias}.{column.name})", "time": time, "roots": [alias],
                "format": "currency" if money else "decimal",
            })

        label_column = _name_column(table)
        if label_column:
            column = table.column(label_column)
            assert column is not None
            model["dimensions"][noun] = _drop_none({
                "label": words(noun).capitalize(), "column": f"{alias}.{label_column}",
                "synonyms": _unique([words(label_column), words(table.name)]
                                    + ([f"{words(noun)} {words(label_column)}"]
                                       if not label_column.startswith(noun) else [])),
                "values": "data" if column.values else None,
            })
        for column in table.columns:
            if column.name == label_column or _is_id(column.name) or not column.values:
                continue
            if column.name in table.partition_keys:
                continue
            shared = column_names[column.name] > 1
            dim_name = f"{noun}_{column.name}" if shared else column.name
            label = f"{words(noun)} {words(column.name)}" if shared else words(column.name)
            model["dimensions"][dim_name] = {
                "label": label.capitalize(), "column": f"{alias}.{column.name}",
                "synonyms": _unique([words(column.name), f"{words(noun)} {words(column.name)}",
                                     _plural(words(column.name))]),
                "values": "data",
            }
        if key:
            shown = [key] + ([label_column] if label_column else [])
            shown += [c.name for c in table.columns if c.name not in shown and not _is_id(c.name)
                      and c.name not in table.partition_keys][: 8 - len(shown)]
            measures = {c.name: {"label": words(c.name).capitalize(), "sql": f"{alias}.{c.name}",
                                 "synonyms": _unique([words(c.name), c.name.split("_")[-1]]),
                                 "format": "currency" if _MONEY.search(c.name) else "number"}
                        for c in table.columns if is_numeric(c.type) and not _is_id(c.name)
                        and c.name not in table.partition_keys}
            model["entities"][noun] = _drop_none({
                "label": words(noun).capitalize(), "table": alias, "key": f"{alias}.{key}",
                "synonyms": _unique([words(table.name)]), "time": time,
                "show": [f"{alias}.{c}" for c in shown], "measures": measures or None,
                "default_measure": next(iter(measures), None),
            })
    return model


def _plural(text: str) -> str:
    if text.endswith(("s", "x", "ch", "sh")):
        return text + "es"
    return text[:-1] + "ies" if text.endswith("y") and text[-2:-1] not in "aeiou" else text + "s"


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _drop_none(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if v is not None}


def render_model(model: dict[str, Any], command: str) -> str:
    """The drafted model as YAML, with a header saying where it came from and what to review."""
    header = (f"# Drafted by `{command}`.\n"
              "# Review before production: metric definitions (which rows count, totals vs averages),\n"
              "# labels and synonyms people use, and which of these columns should stay private.\n")
    return header + yaml.safe_dump(model, sort_keys=False, allow_unicode=True, width=100)
