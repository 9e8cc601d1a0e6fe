"""How a breakdown groups its rows: by an entity's key where its name is not unique, and with
the rows a nullable join cannot match kept as their own group instead of silently dropped.

- A dimension with a ``key`` (``customer``: ``customers.customer_name`` keyed by
  ``customers.customer_id``) is grouped by key and name and shows both, so two customers called
  "Globex BV" stay two rows.
- A table reached through a nullable join (``orders.store_id`` is empty for online orders) is a
  LEFT JOIN, as is everything joined beyond it; a text dimension of it shows the unmatched rows
  as "(no store)", so totals and shares stay those of every row. Rankings sort that group last
  (it is not a store), and conditions on members ("stores with revenue over 1M") leave it out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from engine.domain import ResultTable
from engine.semantic_model import ColumnRef, Dimension, Join, SemanticModel
from engine.semantic_query import SemanticQuery

_TEXT_TYPES = ("varchar", "string", "char")


def column(ref: ColumnRef) -> exp.Column:
    return exp.column(ref.column, table=ref.table, quoted=False)


def outer_joins(joins: list[Join]) -> set[Join]:
    """The joins that must be LEFT: nullable ones and every join from a table they reached.

    ``joins`` come in path order from the root (a table's join follows the join that reached it).
    """
    outer: set[Join] = set()
    reached_outer: set[str] = set()
    for join in joins:
        if join.nullable or join.left in reached_outer:
            outer.add(join)
            reached_outer.add(join.right)
    return outer


@dataclass
class DimensionColumns:
    """The expressions a dimension contributes to a grouped query."""

    dimension: Dimension
    label: exp.Expression  # shown under the dimension's name, grouped
    key: exp.Expression | None = None  # shown under ``dimension.key_alias``, grouped
    missing: exp.Expression | None = None  # true on the group of rows without a match
    missing_label: str | None = None  # what that group is called ("(no store)"), for text labels

    @property
    def selected(self) -> list[exp.Expression]:
        out: list[exp.Expression] = [exp.alias_(self.label.copy(), self.dimension.name)]
        if self.key is not None and self.dimension.key_alias:
            out.append(exp.alias_(self.key.copy(), self.dimension.key_alias))
        return out

    @property
    def grouped(self) -> list[exp.Expression]:
        return [e.copy() for e in (self.label, self.key) if e is not None]


def dimension_columns(model: SemanticModel, name: str, root: str, joins: list[Join],
                      column_types: dict[str, str]) -> DimensionColumns:
    """Label, key and missing-group expressions of dimension ``name`` in a query from ``root``."""
    dim = model.dimensions[name]
    label: exp.Expression = column(dim.column)
    key = column(dim.key) if dim.key is not None else None
    outer = outer_joins(joins)
    path = model.join_path(root, dim.column.table) or []
    first_outer = next((j for j in path if j in outer), None)
    if first_outer is None:
        return DimensionColumns(dim, label, key)
    unmatched = exp.column(first_outer.right_column, table=first_outer.right, quoted=False).is_(exp.null())
    if column_types.get(str(dim.column), "varchar").lower().startswith(_TEXT_TYPES):
        label = exp.Case().when(unmatched, exp.Literal.string(first_outer.missing)).else_(label)
        missing: exp.Expression = exp.EQ(this=label.copy(), expression=exp.Literal.string(first_outer.missing))
        return DimensionColumns(dim, label, key, missing, first_outer.missing)
    # a number or date cannot hold the label: the group shows empty
    return DimensionColumns(dim, label, key, label.copy().is_(exp.null()))


def missing_last(columns: list[DimensionColumns]) -> list[exp.Ordered]:
    """ORDER BY items putting the unmatched group after every real member (for rankings)."""
    return [exp.Ordered(this=exp.Case().when(c.missing.copy(), exp.Literal.number(1))
                        .else_(exp.Literal.number(0)))
            for c in columns if c.missing is not None]


def members_only(columns: list[DimensionColumns]) -> list[exp.Expression]:
    """HAVING conditions leaving the unmatched group out (conditions on members)."""
    return [exp.Not(this=exp.paren(c.missing.copy())) for c in columns if c.missing is not None]


def reaches_through_outer(model: SemanticModel, root: str, joins: list[Join], table: str) -> bool:
    """Whether ``table`` is reached from ``root`` through a LEFT JOIN (its columns may be NULL)."""
    outer = outer_joins(joins)
    return any(j in outer for j in model.join_path(root, table) or [])


def row_names(query: SemanticQuery, model: SemanticModel, table: ResultTable) -> list[str]:
    """What each row is called in a summary: the first dimension's value, with its key when the
    dimension is keyed by one ("Globex BV (ID 1042)": names repeat)."""
    dim = model.dimensions[query.dimensions[0]]
    names = [str(v) for v in table.column(dim.name)]
    if dim.key_alias and dim.key_alias in table.columns:
        missing = model.missing_labels(dim.column.table)
        names = [n if n in missing or k is None else f"{n} (ID {k})"
                 for n, k in zip(names, table.column(dim.key_alias))]
    return names


def first_member(query: SemanticQuery, model: SemanticModel, table: ResultTable) -> tuple[int, str]:
    """The first row that is a real member (not "(no store)") and its name, for "X led with"."""
    names = row_names(query, model, table)
    missing = model.missing_labels(model.dimensions[query.dimensions[0]].column.table)
    index = next((i for i, n in enumerate(names) if n not in missing), 0)
    return index, names[index]

