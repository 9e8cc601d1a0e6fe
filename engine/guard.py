"""The SQL guard: every statement the bot runs passes here first.

Rules, in order (the first broken one is the refusal, with a message saying why):

1. Athena SQL that parses, at most ``MAX_SQL_CHARS`` long, exactly one statement, and a query:
   no DDL, DML, SET, COPY, ATTACH, PRAGMA or any other command anywhere in the tree; no PIVOT or
   UNPIVOT (not Athena), no WITH RECURSIVE, no parameters.
2. Every function is on the allowlist (``engine/guard_functions.py``): typed Athena functions
   plus a short list of untyped names. DuckDB-only functions (``read_text``, ``getenv``,
   ``current_setting``, ``query``...) never reach the local engine.
3. Every table reference in every scope is a CTE visible in that scope or a catalog table the
   principal may read (``engine/guard_sources.py``): no table functions, quoted paths, globs,
   URLs or system catalogs (``information_schema``, ``pg_catalog``, ``duckdb_*``, ``system.*``).
   UNNEST and VALUES are allowed: they expand values already in the query and read no storage.
4. Every column exists (``sqlglot.optimizer.qualify`` with column validation).
5. LIMIT at most ``max_rows`` (added when missing).

Any other failure inside sqlglot (deep nesting, an internal assertion) is a refusal too: every
input gets allowed or a typed ``GuardRejected``/``Refused``, never an exception of another type.

The guard is also the one sqlglot pass per question: the tree it checks is qualified and
type-annotated once, against a schema built once, and printed as Athena SQL (what Athena runs
and users see); the local executor prints the same tree in its DuckDB dialect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from engine.domain import Principal
from engine.errors import BotError, GuardRejected
from engine.guard_functions import disallowed_function
from engine.guard_sources import check_sources, strip_default_catalog

DIALECT = "athena"
MAX_SQL_CHARS = 50_000

_FORBIDDEN = tuple(cls for cls in (getattr(exp, name, None) for name in """
    Insert Update Delete Drop Create Alter Command Merge TruncateTable Set Use Into Copy Grant
    Revoke Transaction Commit Rollback Describe Pragma Cache Uncache LoadData Refresh Attach Detach
    Install Export Summarize Show Analyze Declare Execute Kill Pivot Unpivot Placeholder Parameter
    SessionParameter
""".split()) if isinstance(cls, type))


@dataclass
class GuardedQuery:
    """A statement that passed the guard: the checked tree and its Athena SQL.

    ``expression`` is qualified and type-annotated (columns resolved against the catalog), so
    an executor can print it in another dialect without parsing or qualifying again.
    """

    expression: exp.Query
    athena_sql: str
    _printed: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def sql_for(self, dialect: Any) -> str:  # noqa: ANN401 - a sqlglot dialect name or class
        """The checked tree printed in ``dialect`` (the local executor's DuckDB dialect).

        Printed once, in place: sqlglot's printer copies the whole annotated tree otherwise,
        which costs more than the print. So a tree is printed for one dialect only."""
        key = dialect if isinstance(dialect, str) else f"{dialect.__module__}.{dialect.__qualname__}"
        if key not in self._printed:
            if self._printed:
                raise ValueError(f"this query was printed for {next(iter(self._printed))} already")
            self._printed[key] = self.expression.sql(dialect=dialect, comments=False, copy=False)
        return self._printed[key]


class SqlGuard:
    """Checks and caps SQL against the catalog schema (``{db: {table: {column: type}}}``)."""

    def __init__(self, schema: dict[str, dict[str, dict[str, str]]], max_rows: int = 10_000,
                 default_database: str | None = None) -> None:
        self.schema = schema
        self.max_rows = max_rows
        self.default_database = default_database
        self._known = {f"{db}.{t}".lower() for db, tables in schema.items() for t in tables}
        self._mapping = MappingSchema(schema, dialect=DIALECT)  # built once: sqlglot normalises it

    def check(self, sql: str, principal: Principal) -> GuardedQuery:
        """Parse, check, qualify and cap one statement, or raise GuardRejected/Refused."""
        if len(sql) > MAX_SQL_CHARS:
            raise GuardRejected(f"That SQL is {len(sql):,} characters long; I check at most {MAX_SQL_CHARS:,}.")
        try:
            statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
        except SqlglotError as err:
            raise GuardRejected(f"That SQL does not parse as Athena SQL: {_first_line(err)}") from err
        except RecursionError as err:
            raise GuardRejected("That SQL is nested too deeply for me to check.") from err
        except Exception as err:  # noqa: BLE001 - a parser bug is a refusal, not a crash
            raise GuardRejected(f"That SQL could not be read ({type(err).__name__}).") from err
        if len(statements) != 1:
            raise GuardRejected(f"I run exactly one statement per question; this has {len(statements)}.")
        return self.check_expression(statements[0], principal)

    def check_expression(self, statement: exp.Expression, principal: Principal) -> GuardedQuery:
        """Check a tree (the guard takes it over: it is capped and qualified in place)."""
        try:
            return self._check(statement, principal)
        except BotError:
            raise
        except RecursionError as err:
            raise GuardRejected("That SQL is nested too deeply for me to check.") from err
        except Exception as err:  # noqa: BLE001 - any sqlglot failure (PIVOT raised AssertionError)
            raise GuardRejected(f"I could not check that SQL ({type(err).__name__}: "
                                f"{_first_line(err)}), so I won't run it.") from err

    def _check(self, statement: exp.Expression, principal: Principal) -> GuardedQuery:
        if not isinstance(statement, exp.Query):
            raise GuardRejected(f"Only SELECT queries are allowed; this is a {statement.key.upper()} statement.")
        for node in statement.walk():
            if isinstance(node, _FORBIDDEN):
                raise GuardRejected(f"Only read-only Athena SELECT queries are allowed; found {node.key.upper()}.")
            if isinstance(node, exp.With) and node.args.get("recursive"):
                raise GuardRejected("Recursive queries (WITH RECURSIVE) are not allowed.")
            if isinstance(node, exp.Func):
                name = disallowed_function(node)
                if name is not None:
                    raise GuardRejected(f"The function {name[:60]} is not one I may run.")
        # names are case-insensitive in Athena and DuckDB: compare CTEs and tables as they will
        statement = normalize_identifiers(statement, dialect=DIALECT)
        check_sources(statement, self._known, principal, self.default_database)
        strip_default_catalog(statement)
        statement = self._cap_limit(statement)
        athena_sql = statement.sql(dialect=DIALECT, pretty=True, comments=False)
        try:
            statement = qualify(statement, schema=self._mapping, dialect=DIALECT,
                                validate_qualify_columns=True, db=self.default_database)
        except SqlglotError as err:
            raise GuardRejected(f"The query refers to something the catalog doesn't have: "
                                f"{_first_line(err)}") from err
        statement = annotate_types(statement, schema=self._mapping, dialect=DIALECT)
        return GuardedQuery(statement, athena_sql)

    def _cap_limit(self, statement: exp.Query) -> exp.Query:
        limit = statement.args.get("limit")
        value = None
        if isinstance(limit, exp.Limit) and isinstance(limit.expression, exp.Literal) \
                and limit.expression.is_int:
            value = int(limit.expression.name)
        if value is None or value > self.max_rows:
            statement = statement.limit(self.max_rows, copy=False)
        return statement


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0][:300] if str(err).strip() else type(err).__name__
