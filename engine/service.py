"""The question-answering service: understand -> compile -> guard -> execute -> present."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Protocol

from engine.compiler import Compiler, to_athena_sql
from engine.domain import Answer, Principal, ResultTable
from engine.errors import BotError
from engine.guard import SqlGuard
from engine.ports import Catalog, ConversationStore, Executor, schema_of
from engine.presenter import column_formats, column_labels, describe_query, summarize
from engine.semantic_model import SemanticModel
from engine.semantic_query import SemanticQuery
from engine.understanding import Understanding
from engine.values import dimension_values


class ChartMaker(Protocol):
    """Turns a result into a chart: (kind, PNG bytes), or None when no chart fits."""

    def __call__(self, table: ResultTable, title: str, labels: dict[str, str],
                 formats: dict[str, str]) -> tuple[str, bytes] | None: ...


@dataclass
class Plan:
    """A question understood and compiled: the semantic query and the Athena SQL to run."""

    query: SemanticQuery
    sql: str


class QueryEngine:
    """Answers questions for a principal against one semantic model, catalog and executor."""

    def __init__(self, model: SemanticModel, catalog: Catalog, executor: Executor, *,
                 chart_maker: ChartMaker | None = None, conversations: ConversationStore | None = None,
                 default_metric: str | None = None, max_rows: int = 10_000,
                 system_principal: Principal | None = None) -> None:
        self.model = model
        self.catalog = catalog
        self.executor = executor
        self.chart_maker = chart_maker
        self.conversations = conversations
        self.default_metric = default_metric
        self.max_rows = max_rows
        self.system_principal = system_principal or Principal("system", "system@localhost")
        schema = schema_of(catalog)
        self.guard = SqlGuard(schema, max_rows=max_rows)
        column_types = {f"{alias}.{col}": ctype for alias, t in model.tables.items()
                        for col, ctype in schema.get(t.database, {}).get(t.name, {}).items()}
        self.compiler = Compiler(model, column_types)
        self._understanding: Understanding | None = None

    @property
    def understanding(self) -> Understanding:
        """Built on first use: it needs the dimension values, read from the data once."""
        if self._understanding is None:
            values = dimension_values(self.model, self.executor, self.system_principal)
            self._understanding = Understanding(self.model, values, self.default_metric)
        return self._understanding

    def plan(self, question: str, as_of: dt.date, previous: SemanticQuery | None = None) -> Plan:
        """Understand and compile a question (raises BotError subclasses for the user)."""
        query = self.understanding.understand(question, as_of, previous)
        return Plan(query, self.compiler.compile(query).sql)

    def ask(self, question: str, principal: Principal, as_of: dt.date | None = None,
            conversation_id: str | None = None, charts: bool = True) -> Answer:
        """Answer one question; every refusal or failure comes back as an Answer with a message."""
        started = time.perf_counter()
        as_of = as_of or dt.date.today()
        previous = self._previous(conversation_id)
        sql: str | None = None
        try:
            plan = self.plan(question, as_of, previous)
            sql = plan.sql
            guarded = self.guard.check(plan.sql, principal)
            sql = to_athena_sql(guarded)
            table = self.executor.execute(sql, principal, self.max_rows)
        except BotError as err:
            return Answer(status=err.status, question=question, message=str(err), sql=sql,
                          options=list(getattr(err, "options", [])),
                          elapsed_ms=(time.perf_counter() - started) * 1000)
        if conversation_id and self.conversations is not None:
            self.conversations.save(conversation_id, {"query": plan.query.to_dict()})
        labels = column_labels(plan.query, self.model)
        formats = column_formats(plan.query, self.model)
        answer = Answer(status="answered", question=question,
                        message=summarize(plan.query, self.model, table), sql=sql, table=table,
                        column_labels=labels, column_formats=formats)
        if charts and self.chart_maker is not None:
            chart = self.chart_maker(table, describe_query(plan.query, self.model), labels, formats)
            if chart:
                answer.chart_kind, answer.chart_png = chart
        answer.elapsed_ms = (time.perf_counter() - started) * 1000
        return answer

    def _previous(self, conversation_id: str | None) -> SemanticQuery | None:
        if not conversation_id or self.conversations is None:
            return None
        state = self.conversations.load(conversation_id)
        return SemanticQuery.from_dict(state["query"]) if state and "query" in state else None
