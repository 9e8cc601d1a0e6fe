"""The semantic model: metrics, dimensions, tables and joins, loaded from a YAML file.

Metric and filter definitions are Athena SQL snippets over the model's table aliases; they are
parsed once here with sqlglot, so a broken definition fails at start-up, not in a user's thread.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from sqlglot import exp

from engine.errors import ModelError

DIALECT = "athena"


def parse_snippet(sql: str, where: str) -> exp.Expression:
    try:
        return sqlglot.parse_one(sql, read=DIALECT)
    except sqlglot.errors.ParseError as err:
        raise ModelError(f"{where}: cannot parse {sql!r}: {err}") from err


def _aliases_in(expression: exp.Expression) -> set[str]:
    return {c.table for c in expression.find_all(exp.Column) if c.table}


@dataclass(frozen=True)
class Partition:
    column: str
    format: str  # strftime format of the partition value, e.g. %Y-%m
    follows: str  # "alias.column" of the time column the partition is derived from


@dataclass(frozen=True)
class Table:
    alias: str
    database: str
    name: str
    partition: Partition | None = None

    @property
    def source(self) -> str:
        return f"{self.database}.{self.name}"


@dataclass(frozen=True)
class Join:
    """Many-to-one: each row of ``left`` matches at most one row of ``right``.

    ``nullable``: some rows of ``left`` have no ``right`` row (an online order has no store), so
    the join is a LEFT JOIN and those rows form their own group, labelled ``missing_label``.
    """

    left: str
    right: str
    left_column: str
    right_column: str
    nullable: bool = False
    missing_label: str = ""

    @property
    def missing(self) -> str:
        """The label of the rows without a match: the model's, or "(no store)"."""
        return self.missing_label or f"(no {_singular(self.right).replace('_', ' ')})"


def _singular(name: str) -> str:
    if len(name) > 3 and name.endswith("ies"):
        return name[:-3] + "y"
    if len(name) > 3 and name.endswith("s") and not name.endswith(("ss", "us", "is")):
        return name[:-1]
    return name


@dataclass(frozen=True)
class ColumnRef:
    table: str
    column: str

    @classmethod
    def parse(cls, text: str, where: str) -> "ColumnRef":
        parts = text.split(".")
        if len(parts) != 2:
            raise ModelError(f"{where}: expected alias.column, got {text!r}")
        return cls(parts[0], parts[1])

    def __str__(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass
class Metric:
    name: str
    label: str
    sql: str
    expression: exp.Expression
    time: ColumnRef | None  # the date the metric is measured on; None: not over time
    roots: list[str]
    synonyms: list[str] = field(default_factory=list)
    filter_sql: str | None = None
    filter_expression: exp.Expression | None = None
    filter_label: str = ""
    format: str = "number"  # currency | integer | percent | decimal | number
    additive: bool = False
    # a current amount (MRR, a balance), not a flow: never summed over time (drafts mark it for review)
    state: bool = False

    @cached_property  # read for every question; a metric never changes once loaded
    def tables(self) -> set[str]:
        found = _aliases_in(self.expression) | ({self.time.table} if self.time else set())
        if self.filter_expression is not None:
            found |= _aliases_in(self.filter_expression)
        return found


@dataclass
class Dimension:
    name: str
    label: str
    column: ColumnRef
    synonyms: list[str] = field(default_factory=list)
    values: list[str] | str | None = None  # explicit list, "data" (read from the lake) or None
    # the sense meant when a word or a value it shares with other dimensions is not qualified
    # ("region" is the customer's region); `prefer_for_values` is the older spelling
    default: bool = False
    # ... or only when one of these tables is measured: "status" is the invoice's for invoices
    default_for: list[str] = field(default_factory=list)
    value_synonyms: dict[str, str] = field(default_factory=dict)  # "usa" -> "United States"
    # the entity's key when ``column`` is its (not unique) name: rows are grouped by the key and
    # shown with it, so two customers called "Globex BV" stay two rows
    key: ColumnRef | None = None

    def is_default(self, measured: set[str]) -> bool:
        """Whether this is the sense meant, unqualified, when ``measured`` tables are measured."""
        return self.default or bool(measured & set(self.default_for))

    @property
    def key_alias(self) -> str | None:
        """Result column of the key next to the name column (``customer_id``)."""
        if self.key is None:
            return None
        return self.key.column if self.key.column != self.name else f"{self.name}_key"


@dataclass
class Measure:
    """A number about one row of an entity, usable in conditions and sorting ("order value")."""

    name: str
    label: str
    sql: str
    expression: exp.Expression
    synonyms: list[str] = field(default_factory=list)
    format: str = "number"

    @property
    def aggregated(self) -> bool:
        return self.expression.find(exp.AggFunc) is not None


@dataclass
class Entity:
    """Something people list row by row: "the 5 most recent orders", "stores in EMEA"."""

    name: str
    label: str
    table: str  # alias of the entity's own table
    key: ColumnRef
    show: list[ColumnRef]
    synonyms: list[str] = field(default_factory=list)
    time: ColumnRef | None = None
    root: str | None = None  # the table aggregated measures are computed from (many side)
    measures: dict[str, Measure] = field(default_factory=dict)
    default_measure: str | None = None

    @property
    def from_table(self) -> str:
        return self.root or self.table


@dataclass
class SemanticModel:
    name: str
    description: str
    tables: dict[str, Table]
    joins: list[Join]
    metrics: dict[str, Metric]
    dimensions: dict[str, Dimension]
    entities: dict[str, Entity] = field(default_factory=dict)

    def join_path(self, root: str, target: str) -> list[Join] | None:
        """Many-to-one joins leading from ``root`` to ``target`` (shortest), or None."""
        if root == target:
            return []
        seen = {root}
        todo: deque[tuple[str, list[Join]]] = deque([(root, [])])
        while todo:
            node, path = todo.popleft()
            for join in self.joins:
                if join.left == node and join.right not in seen:
                    if join.right == target:
                        return path + [join]
                    seen.add(join.right)
                    todo.append((join.right, path + [join]))
        return None

    def reachable(self, root: str, tables: set[str]) -> bool:
        return all(self.join_path(root, t) is not None for t in tables)

    def missing_labels(self, table: str) -> set[str]:
        """Labels of the rows that reach ``table`` through no row of a nullable join ("(no store)")."""
        return {j.missing for j in self.joins
                if j.nullable and (j.right == table or self.join_path(j.right, table) is not None)}


def load_model(path: str | Path) -> SemanticModel:
    """Load and validate a semantic model YAML file."""
    path = Path(path)
    try:
        # libyaml's loader when PyYAML has it (its wheels do): ten times faster on a cold start
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as err:
        raise ModelError(f"cannot read semantic model {path}: {err}") from err
    return model_from_dict(raw, str(path))


def model_from_dict(raw: dict[str, Any], where: str = "model") -> SemanticModel:
    if not isinstance(raw, dict):
        raise ModelError(f"{where}: expected a mapping at the top level")
    tables: dict[str, Table] = {}
    for alias, spec in (raw.get("tables") or {}).items():
        database, _, name = str(spec["source"]).partition(".")
        if not name:
            raise ModelError(f"{where}: table {alias} source must be database.table")
        part = spec.get("partition")
        partition = None
        if part:
            partition = Partition(part["column"], part.get("format", "%Y-%m"), part["follows"])
        tables[alias] = Table(alias, database, name, partition)
    joins = []
    for spec in raw.get("joins") or []:
        left_col, right_col = spec["keys"] if isinstance(spec["keys"], list) else (spec["keys"], spec["keys"])
        joins.append(Join(spec["from"], spec["to"], left_col, right_col, bool(spec.get("nullable", False)),
                          str(spec.get("missing_label") or "")))
    metrics: dict[str, Metric] = {}
    for name, spec in (raw.get("metrics") or {}).items():
        ctx = f"{where}: metric {name}"
        filt = spec.get("filter")
        metric = Metric(
            name=name, label=spec.get("label", name.replace("_", " ").capitalize()),
            sql=spec["sql"], expression=parse_snippet(spec["sql"], ctx),
            time=ColumnRef.parse(spec["time"], ctx) if spec.get("time") else None, roots=list(spec.get("roots") or []),
            synonyms=[str(s) for s in spec.get("synonyms") or []], filter_sql=filt,
            filter_expression=parse_snippet(filt, ctx) if filt else None,
            filter_label=spec.get("filter_label", ""), format=spec.get("format", "number"),
            additive=bool(spec.get("additive", False)), state=bool(spec.get("state", False)),
        )
        if not metric.roots:
            raise ModelError(f"{ctx}: needs at least one root table")
        metrics[name] = metric
    dimensions: dict[str, Dimension] = {}
    for name, spec in (raw.get("dimensions") or {}).items():
        ctx = f"{where}: dimension {name}"
        dimensions[name] = Dimension(
            name=name, label=spec.get("label", name.replace("_", " ").capitalize()),
            column=ColumnRef.parse(spec["column"], ctx),
            synonyms=[str(s) for s in spec.get("synonyms") or []], values=spec.get("values"),
            default=_default(spec) is True, default_for=d if isinstance(d := _default(spec), list) else [],
            value_synonyms={str(k): str(v) for k, v in (spec.get("value_synonyms") or {}).items()},
            key=ColumnRef.parse(spec["key"], ctx) if spec.get("key") else None,
        )
    entities = {name: _entity(name, spec, f"{where}: entity {name}")
                for name, spec in (raw.get("entities") or {}).items()}
    model = SemanticModel(raw.get("name", "model"), raw.get("description", ""), tables, joins,
                          metrics, dimensions, entities)
    _validate(model, where)
    return model


def _default(spec: dict[str, Any]) -> bool | list[str]:
    """``default: true`` (always the default sense), or a list of the tables it is the default for."""
    value = spec.get("default", spec.get("prefer_for_values", False))
    return [str(t) for t in value] if isinstance(value, list) else bool(value)


def _entity(name: str, spec: dict[str, Any], ctx: str) -> Entity:
    measures = {}
    for mname, mspec in (spec.get("measures") or {}).items():
        measures[mname] = Measure(
            name=mname, label=mspec.get("label", mname.replace("_", " ").capitalize()),
            sql=mspec["sql"], expression=parse_snippet(mspec["sql"], f"{ctx} measure {mname}"),
            synonyms=[str(s) for s in mspec.get("synonyms") or []],
            format=mspec.get("format", "number"))
    default = spec.get("default_measure")
    if default is not None and default not in measures:
        raise ModelError(f"{ctx}: default_measure {default} is not one of its measures")
    return Entity(
        name=name, label=spec.get("label", name.replace("_", " ").capitalize()),
        table=spec["table"], key=ColumnRef.parse(spec["key"], ctx),
        show=[ColumnRef.parse(c, ctx) for c in spec.get("show") or [spec["key"]]],
        synonyms=[str(s) for s in spec.get("synonyms") or []],
        time=ColumnRef.parse(spec["time"], ctx) if spec.get("time") else None,
        root=spec.get("root"), measures=measures, default_measure=default)


def _validate(model: SemanticModel, where: str) -> None:
    known = set(model.tables)
    for join in model.joins:
        for alias in (join.left, join.right):
            if alias not in known:
                raise ModelError(f"{where}: join uses unknown table {alias}")
    for metric in model.metrics.values():
        unknown = (metric.tables | set(metric.roots)) - known
        if unknown:
            raise ModelError(f"{where}: metric {metric.name} uses unknown tables {sorted(unknown)}")
        if not any(model.reachable(root, metric.tables) for root in metric.roots):
            raise ModelError(f"{where}: metric {metric.name}: no root reaches {sorted(metric.tables)}")
    for dim in model.dimensions.values():
        if dim.column.table not in known:
            raise ModelError(f"{where}: dimension {dim.name} uses unknown table {dim.column.table}")
        if set(dim.default_for) - known:
            raise ModelError(f"{where}: dimension {dim.name} is the default for unknown tables "
                             f"{sorted(set(dim.default_for) - known)}")
        if dim.key is not None and dim.key.table != dim.column.table:
            raise ModelError(f"{where}: dimension {dim.name}: key {dim.key} must be a column of "
                             f"{dim.column.table}, the table of its name column")
    for entity in model.entities.values():
        tables = {c.table for c in entity.show} | {entity.table, entity.key.table}
        for measure in entity.measures.values():
            tables |= _aliases_in(measure.expression)
        if entity.time:
            tables.add(entity.time.table)
        if not tables <= known or entity.from_table not in known:
            raise ModelError(f"{where}: entity {entity.name} uses unknown tables")
        if not model.reachable(entity.from_table, tables):
            raise ModelError(f"{where}: entity {entity.name}: {entity.from_table} does not reach "
                             f"{sorted(tables)}")

