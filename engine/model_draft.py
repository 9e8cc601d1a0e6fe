"""Draft a semantic model for a lake the bot has never seen, from a profile of its tables.

Measures come from numeric columns (a total and an average each, plus a count per table),
dimensions from low-cardinality text columns (their values read from the data), each table's
name column, time from date columns, joins from key names (``x.department_id`` ->
``departments.department_id``), and entities for listing rows. The draft is meant to answer
questions unedited, and to be reviewed by the data team before production.
"""

from __future__ import annotations

from typing import Any

import yaml

from engine import draft_rules as rules
from engine.draft_metrics import column_metrics, current_filter, duration_metrics, ended_metrics
from engine.draft_rules import (MAX_DIMENSION_VALUES, MONEY, NAME_COLUMNS, PEOPLE_TABLES, TIME_HINTS, ColumnProfile,
                                TableProfile, drop_none, is_id, is_numeric, is_time, singular, unique,
                                words)

__all__ = ["MAX_DIMENSION_VALUES", "ColumnProfile", "TableProfile", "draft_model", "is_time", "render_model",
           "singular"]

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
    dated.sort(key=lambda c: (c.nulls > 0, not any(h in c.name for h in TIME_HINTS)))
    return dated[0].name


def _name_column(table: TableProfile) -> str | None:
    own = f"{singular(table.name)}_name"
    for name in (own, *NAME_COLUMNS):
        column = table.column(name)
        if column and column.type.startswith(("varchar", "string", "char")):
            return name
    return next((c.name for c in table.columns if c.name.endswith("_name") and
                 c.type.startswith(("varchar", "string"))), None)


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

    model["joins"] = _joins(aliases, keys)
    children: dict[str, list[str]] = {}
    for join in model["joins"]:
        children.setdefault(join["to"], []).append(join["from"])

    column_names: dict[str, int] = {}
    for table in aliases.values():
        for column in table.columns:
            column_names[column.name] = column_names.get(column.name, 0) + 1
    other_names = _other_names(aliases)

    for alias, table in aliases.items():
        noun = singular(table.name)
        time = f"{alias}.{times[alias]}" if times[alias] else None
        key = keys[alias]
        count_sql = f"COUNT(DISTINCT {alias}.{key})" if key else "COUNT(*)"
        numbers = {c.name for c in table.columns if is_numeric(c.type)}
        current = current_filter(alias, table)
        if noun in numbers:  # "salaries" holds salary amounts: "salary" means the amount
            count_name, plural = f"{noun}_records", f"{words(noun)} records"
            synonyms = [plural, f"number of {plural}", f"{words(noun)} record count"]
        else:
            count_name, plural = alias, words(table.name)
            synonyms = [words(noun), f"number of {plural}", f"{words(noun)} count", f"{plural} count",
                        f"count of {plural}"]
            if table.name in PEOPLE_TABLES:
                synonyms += ["headcount", "head count", "staff", "people", "staff count"]
            others = other_names[alias]
            synonyms += others + [f"number of {o}" for o in others if o.endswith("s")]
            synonyms += rules.verbs_of(rules.name_words(table.name))  # "most used": usage events
            if times[alias] and rules.is_start(times[alias]):  # "new accounts": by their created date
                synonyms += [f"new {plural}", f"new {words(noun)}"] + [f"new {o}" for o in others
                                                                       if o.endswith("s")]
        model["metrics"][count_name] = drop_none({
            "label": plural.capitalize(),
            "synonyms": unique(synonyms),
            "sql": count_sql, "time": time,
            "roots": [alias] + (children.get(alias, []) if key else []),
            "format": "integer", "additive": True,
        })
        for column in table.columns:
            if not is_numeric(column.type) or is_id(column.name) or column.name in table.partition_keys:
                continue
            model["metrics"].update(column_metrics(alias, table, column, noun, time,
                                                    column_names[column.name] > 1, current))
        if times[alias]:
            model["metrics"].update(duration_metrics(alias, table, noun, times[alias]))
        model["metrics"].update(ended_metrics(alias, table, noun, key, other_names[alias]))

        label_column = _name_column(table)
        if label_column:
            column = table.column(label_column)
            assert column is not None
            repeats = column.distinct < table.rows - column.nulls  # names shared by several rows
            model["dimensions"][noun] = drop_none({
                "label": words(noun).capitalize(), "column": f"{alias}.{label_column}",
                "key": f"{alias}.{key}" if key and repeats else None,
                "synonyms": unique([words(label_column), words(table.name)]
                                    + ([f"{words(noun)} {words(label_column)}"]
                                       if not label_column.startswith(noun) else []) + other_names[alias]),
                "values": "data" if column.values else None,
            })
        for column in table.columns:
            if column.name == label_column or is_id(column.name) or not column.values:
                continue
            if column.name in table.partition_keys:
                continue
            shared = column_names[column.name] > 1
            dim_name = f"{noun}_{column.name}" if shared else column.name
            label = f"{words(noun)} {words(column.name)}" if shared else words(column.name)
            model["dimensions"][dim_name] = drop_none({
                "label": label.capitalize(), "column": f"{alias}.{column.name}",
                "synonyms": unique([words(column.name), f"{words(noun)} {words(column.name)}",
                                    rules.plural(words(column.name))]
                                   # "rep team", "case priority": the table's other names qualify too
                                   + [f"{o} {words(column.name)}" for o in other_names[alias]
                                      if not o.endswith("s")]),
                "values": "data",
                # a word several tables share ("status") means this table's when it is measured
                "default": _own_tables(alias, column.name, aliases, children) if shared else None,
            })
        if key:
            shown = [key] + ([label_column] if label_column else [])
            shown += [c.name for c in table.columns if c.name not in shown and not is_id(c.name)
                      and c.name not in table.partition_keys][: 8 - len(shown)]
            measures = {c.name: {"label": words(c.name).capitalize(), "sql": f"{alias}.{c.name}",
                                 "synonyms": unique([words(c.name), c.name.split("_")[-1]]),
                                 "format": "currency" if MONEY.search(c.name) else "number"}
                        for c in table.columns if is_numeric(c.type) and not is_id(c.name)
                        and c.name not in table.partition_keys}
            model["entities"][noun] = drop_none({
                "label": words(noun).capitalize(), "table": alias, "key": f"{alias}.{key}",
                "synonyms": unique([words(table.name)] + other_names[alias]), "time": time,
                "show": [f"{alias}.{c}" for c in shown], "measures": measures or None,
                "default_measure": next(iter(measures), None),
            })
    return model


def _joins(aliases: dict[str, TableProfile], keys: dict[str, str | None]) -> list[dict[str, Any]]:
    """Many-to-one joins from key names; a key column with empty rows is a nullable join (its
    rows without a match are kept as their own group, never dropped)."""
    joins = []
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
                    join: dict[str, Any] = {"from": alias, "to": other, "keys": [column.name, target]}
                    if column.nulls > 0:
                        join["nullable"] = True
                    joins.append(join)
                    break
    return joins


def _other_names(aliases: dict[str, TableProfile]) -> dict[str, list[str]]:
    """Per table, the other names people use for its rows: the last word of a two-word name
    ("support_cases" -> cases) and the kind's usual synonyms (tickets, support tickets), in
    singular and plural; a name two tables could claim is given to neither."""
    found: dict[str, list[str]] = {}
    for alias, table in aliases.items():
        noun = words(singular(table.name))
        names = ([noun.split()[-1]] if " " in noun else []) + rules.kind_synonyms(noun)
        found[alias] = [n for name in names for n in (name, rules.plural(name))]
    own = {n for t in aliases.values() for n in (words(singular(t.name)), words(t.name))}
    claims: dict[str, int] = {}
    for names in found.values():
        for n in set(names):
            claims[n] = claims.get(n, 0) + 1
    return {alias: unique([n for n in names if claims[n] == 1 and n not in own])
            for alias, names in found.items()}


def _own_tables(alias: str, column: str, aliases: dict[str, TableProfile],
                children: dict[str, list[str]]) -> list[str]:
    """The tables whose shared word (``column``) means ``alias``'s: its own, and the tables joining
    to it that have no such column themselves (invoice lines' "status" is the invoice's)."""
    return [alias] + [c for c in children.get(alias, []) if aliases[c].column(column) is None]


def render_model(model: dict[str, Any], command: str) -> str:
    """The drafted model as YAML, with a header saying where it came from and what to review."""
    header = (f"# Drafted by `{command}`.\n"
              "# Review before production: metric definitions (which rows count, totals vs averages),\n"
              "# labels and synonyms people use, and which of these columns should stay private.\n")
    return header + _with_review_notes(yaml.safe_dump(model, sort_keys=False, allow_unicode=True, width=100),
                                       model)


def _with_review_notes(text: str, model: dict[str, Any]) -> str:
    """The YAML with a comment above each metric the data team must check: states (MRR, a balance)
    are current amounts, so the draft sums them over the rows in force and never over time."""
    notes = {name: (f"  # REVIEW: {spec['label'].lower()} looks like a state (a current amount), not a flow:\n"
                    f"  # taken over {spec.get('filter_label', 'every row')} (state: true), never summed "
                    "over time. Check which rows are current.")
             for name, spec in model.get("metrics", {}).items() if spec.get("state")}
    out, section = [], ""
    for line in text.splitlines(keepends=True):
        if line[:1].isalpha():
            section = line.split(":", 1)[0]
        elif section == "metrics" and line.startswith("  ") and not line.startswith("   "):
            note = notes.get(line.strip().rstrip(":"))
            if note:
                out.append(note + "\n")
        out.append(line)
    return "".join(out)
