"""The SQL guard: every statement the bot runs passes here first.

Exactly one read-only SELECT, only known tables and columns, only tables the principal may read,
and a LIMIT no larger than the cap. Anything else is refused with a message saying why.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.qualify import qualify

from engine.domain import Principal
from engine.errors import GuardRejected, Refused

DIALECT = "athena"

_FORBIDDEN = (
    exp.Insert, exp.Update, exp.Delete, exp.Drop, exp.Create, exp.Alter, exp.Command, exp.Merge,
    exp.TruncateTable, exp.Set, exp.Use, exp.Into, exp.Copy, exp.Grant, exp.Transaction,
    exp.Commit, exp.Rollback, exp.Describe, exp.Pragma, exp.Cache, exp.Uncache, exp.LoadData,
    exp.Refresh,
)


class SqlGuard:
    """Checks and caps SQL against the catalog schema (``{db: {table: {column: type}}}``)."""

    def __init__(self, schema: dict[str, dict[str, dict[str, str]]], max_rows: int = 10_000,
                 default_database: str | None = None) -> None:
        self.schema = schema
        self.max_rows = max_rows
        self.default_database = default_database
        self._known = {f"{db}.{t}".lower() for db, tables in schema.items() for t in tables}

    def check(self, sql: str, principal: Principal) -> exp.Query:
        """Return the statement as a sqlglot tree, LIMIT capped, or raise GuardRejected/Refused."""
        try:
            statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
        except SqlglotError as err:
            raise GuardRejected(f"That SQL does not parse as Athena SQL: {_first_line(err)}") from err
        if len(statements) != 1:
            raise GuardRejected(f"I run exactly one statement per question; this has {len(statements)}.")
        return self.check_expression(statements[0], principal)

    def check_expression(self, statement: exp.Expression, principal: Principal) -> exp.Query:
        if not isinstance(statement, exp.Query):
            raise GuardRejected(f"Only SELECT queries are allowed; this is a {statement.key.upper()} statement.")
        for node in statement.walk():
            if isinstance(node, _FORBIDDEN):
                raise GuardRejected(f"Only read-only SELECT queries are allowed; found {node.key.upper()}.")
        self._check_tables(statement, principal)
        self._check_columns(statement)
        return self._cap_limit(statement)

    def _check_tables(self, statement: exp.Expression, principal: Principal) -> None:
        ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
        for table in statement.find_all(exp.Table):
            name = table.name.lower()
            if not table.db and name in ctes:
                continue
            db = (table.db or self.default_database or "").lower()
            qualified = f"{db}.{name}"
            if table.catalog and table.catalog.lower() not in ("awsdatacatalog",):
                raise GuardRejected(f"Table {table.sql(dialect=DIALECT)} is not in the data catalog.")
            if qualified not in self._known:
                raise GuardRejected(f"I don't know a table called {qualified}.")
            if not principal.may_read(qualified):
                raise Refused(f"You don't have access to {qualified}. Ask your data team for access "
                              "if you need it.")

    def _check_columns(self, statement: exp.Expression) -> None:
        try:
            qualify(statement.copy(), schema=self.schema, dialect=DIALECT,
                    validate_qualify_columns=True, db=self.default_database)
        except (OptimizeError, SqlglotError) as err:
            raise GuardRejected(f"The query refers to something the catalog doesn't have: "
                                f"{_first_line(err)}") from err

    def _cap_limit(self, statement: exp.Query) -> exp.Query:
        limit = statement.args.get("limit")
        value = None
        if isinstance(limit, exp.Limit) and isinstance(limit.expression, exp.Literal) \
                and limit.expression.is_int:
            value = int(limit.expression.name)
        if value is None or value > self.max_rows:
            statement = statement.limit(self.max_rows)
        return statement


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0][:300] if str(err).strip() else type(err).__name__

