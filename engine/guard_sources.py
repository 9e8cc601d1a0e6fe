"""Where a guarded query may read from, resolved per scope with ``sqlglot.optimizer.scope``.

Every table reference in every scope (FROM, JOIN, LATERAL, subqueries anywhere, set operations,
CTEs, nested CTEs) is either a CTE visible in *that* scope or a catalog table the principal may
read. A name is never trusted because a CTE of that name exists somewhere else in the statement:
the engine that runs the SQL (DuckDB reads a quoted path as a file) would resolve it itself.
Derived tables, UNNEST and VALUES are scopes of their own whose contents are checked the same way.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

from engine.domain import Principal
from engine.errors import GuardRejected, Refused

DIALECT = "athena"
DEFAULT_CATALOG = "awsdatacatalog"  # Athena's Glue catalog; the only catalog a query may name


def check_sources(statement: exp.Query, known: set[str], principal: Principal,
                  default_database: str | None = None) -> None:
    """Raise GuardRejected (not a catalog table) or Refused (not readable) for any bad source."""
    checked: set[int] = set()
    for scope in traverse_scope(statement):
        for table in scope.tables:
            checked.add(id(table))
            if _is_visible_cte(table, scope.cte_sources):
                continue
            _check_catalog_table(table, known, principal, default_database)
    for table in statement.find_all(exp.Table):
        if id(table) not in checked:  # a table somewhere no scope accounts for: refuse, don't guess
            raise GuardRejected(f"{_shown(table)} appears where I cannot check what it reads.")


def strip_default_catalog(statement: exp.Expression) -> None:
    """Drop ``awsdatacatalog.`` from table names: it is Athena's default, and DuckDB has no such catalog."""
    for table in statement.find_all(exp.Table):
        if table.args.get("catalog") is not None:
            table.set("catalog", None)


def _is_visible_cte(table: exp.Table, visible: dict[str, object]) -> bool:
    return (isinstance(table.this, exp.Identifier) and not table.args.get("db")
            and not table.args.get("catalog") and table.name in visible)


def _check_catalog_table(table: exp.Table, known: set[str], principal: Principal,
                         default_database: str | None) -> None:
    if not isinstance(table.this, exp.Identifier):
        raise GuardRejected(f"I only read tables of the data catalog; {_shown(table)} is a table function.")
    catalog = table.catalog.lower()
    if catalog and catalog != DEFAULT_CATALOG:
        raise GuardRejected(f"{_shown(table)} is not a table in the data catalog.")
    db = (table.db or default_database or "").lower()
    qualified = f"{db}.{table.name.lower()}"
    if not db or qualified not in known:
        raise GuardRejected(f"{_shown(table)} is not a table in the data catalog.")
    if not principal.may_read(qualified):
        raise Refused(f"You don't have access to {qualified}. Ask your data team for access if you need it.")


def _shown(table: exp.Table) -> str:
    """The table as written (without its alias), cut short: it may be anything a user typed."""
    bare = table.copy()
    bare.set("alias", None)
    text = bare.sql(dialect=DIALECT)
    return text if len(text) <= 80 else text[:77] + "..."
