"""The question-answering service: understand -> compile -> guard -> execute -> present."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlglot import exp

from engine.compiler import Compiler, to_athena_sql
from engine.chart_hints import chart_hints
from engine.domain import Answer, ChartHints, Principal, ResultTable
from engine.errors import BotError, ExecutionFailed, GuardRejected, NeedsClarification
from engine.guard import GuardedQuery, SqlGuard
from engine.planner import (MAX_REPAIRS, Planner, PlannerRejected, PlanRequest, model_context,
                            semantic_query_from_reply)
from engine.ports import AsyncExecutor, Catalog, ConversationStore, Executor, schema_of
from engine.presenter import column_formats, column_labels, describe_query, summarize
from engine.semantic_model import SemanticModel
from engine.semantic_query import SemanticQuery
from engine.data_range import range_note, with_range_note
from engine.language.understanding import Understanding
from engine.values import RANGES_KEY, TimeRanges, lake_facts, split_values_file

if TYPE_CHECKING:
    from engine.answers.verified import VerifiedAnswers


MAX_QUESTION_CHARS = 1000  # a question is a sentence; longer text costs seconds of spelling work per line


class ChartMaker(Protocol):
    """Turns a result into a chart: (kind, PNG bytes), or None when no chart fits."""

    def __call__(self, table: ResultTable, title: str, labels: dict[str, str],
                 formats: dict[str, str], hints: ChartHints | None = None) -> tuple[str, bytes] | None: ...


@dataclass
class Plan:
    """A question understood and compiled: the semantic query and the statement to run.

    ``statement`` is the compiler's tree (rules) or an LLM planner's SQL text, whose ``query``
    is None (a question outside the model). ``guarded`` is set when the statement already
    passed the guard while planning (planner replies are checked before they are accepted).
    """

    query: SemanticQuery | None
    statement: exp.Query | str
    source: str = "rules"  # "rules" | "planner" | "verified"
    guarded: GuardedQuery | None = None
    verified: dict[str, str] | None = None  # {"id", "by"}: the verified question it answers from

    @property
    def sql(self) -> str:
        """The Athena SQL (printed from the tree only before the guard takes it over)."""
        if self.guarded is not None:
            return self.guarded.athena_sql
        return self.statement if isinstance(self.statement, str) else to_athena_sql(self.statement)


@dataclass
class Prepared:
    """A question ready to run: guarded Athena SQL plus what is needed to present the result.

    ``guarded`` is the checked tree, kept in memory only: a Prepared read back from storage
    (``from_dict``) carries text, and is guarded again before it runs.
    """

    question: str
    query: SemanticQuery | None
    sql: str
    conversation_id: str | None = None
    source: str = "rules"
    # the thread's query the question was read against: an alternative ("Store region instead")
    # is read against it too, not against the answer it replaces
    previous: dict[str, Any] | None = None
    verified: dict[str, str] | None = None  # {"id", "by"}: the verified question it answers from
    guarded: GuardedQuery | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "query": self.query.to_dict() if self.query else None,
                "sql": self.sql, "conversation_id": self.conversation_id, "source": self.source,
                "previous": self.previous, **({"verified": self.verified} if self.verified else {})}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Prepared":
        query = SemanticQuery.from_dict(data["query"]) if data.get("query") else None
        return cls(data["question"], query, data["sql"], data.get("conversation_id"),
                   data.get("source", "rules"), previous=data.get("previous"), verified=data.get("verified"))


def failure_answer(question: str, err: BotError, sql: str | None = None,
                   elapsed_ms: float | None = None) -> Answer:
    """The answer for a refusal, a clarification or a failure: a readable message, never silence."""
    return Answer(status=err.status, question=question, message=str(err), sql=sql,
                  options=list(getattr(err, "options", [])), elapsed_ms=elapsed_ms)


class QueryEngine:
    """Answers questions for a principal against one semantic model, catalog and executor."""

    def __init__(self, model: SemanticModel, catalog: Catalog, executor: Executor | AsyncExecutor, *,
                 chart_maker: ChartMaker | None = None, conversations: ConversationStore | None = None,
                 default_metric: str | None = None, max_rows: int = 10_000, answer_rows: int = 1000,
                 system_principal: Principal | None = None,
                 values: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
                 planner: Planner | None = None, time_ranges: TimeRanges | None = None) -> None:
        self.model = model
        self.catalog = catalog
        self.executor = executor
        self.chart_maker = chart_maker
        self.conversations = conversations
        self.default_metric = default_metric
        self.max_rows = max_rows  # the LIMIT cap the guard enforces on every query
        self.answer_rows = answer_rows  # rows carried in an answer; the rest stays in the download
        self.system_principal = system_principal or Principal("system", "system@localhost")
        # ``values``: dimension values, a values file's contents (ranges included), or a callable
        # returning either, called when first needed (the AWS worker's file, read lazily)
        if isinstance(values, dict) and RANGES_KEY in values:
            values, time_ranges = split_values_file(values)
        self._values: Any = values
        self._time_ranges = time_ranges if time_ranges is not None else \
            ({} if isinstance(values, dict) else None)
        self.planner = planner
        self._understanding: Understanding | None = None
        self._catalog_tables: object = None
        self._guard: SqlGuard | None = None
        self._compiler: Compiler | None = None
        self.verified: VerifiedAnswers | None = None  # verified questions (engine/answers/verified.py)

    def _refresh_catalog(self) -> None:
        """Rebuild guard and compiler when the catalog's table list changes (e.g. Glue's TTL)."""
        tables = self.catalog.tables()
        if tables is self._catalog_tables and self._guard is not None:
            return
        schema = schema_of(self.catalog)
        column_types = {f"{alias}.{col}": ctype for alias, t in self.model.tables.items()
                        for col, ctype in schema.get(t.database, {}).get(t.name, {}).items()}
        self._guard = SqlGuard(schema, max_rows=self.max_rows)
        self._compiler = Compiler(self.model, column_types)
        self._catalog_tables = tables

    @property
    def guard(self) -> SqlGuard:
        self._refresh_catalog()
        assert self._guard is not None
        return self._guard

    @property
    def compiler(self) -> Compiler:
        self._refresh_catalog()
        assert self._compiler is not None
        return self._compiler

    @property
    def asynchronous(self) -> bool:
        return bool(getattr(self.executor, "asynchronous", False))

    @property
    def values(self) -> dict[str, list[str]]:
        """Dimension values: given, loaded on first use (a callable), or read from the data once."""
        if callable(self._values):
            loaded, ranges = split_values_file(self._values())
            self._values = loaded
            if self._time_ranges is None:
                self._time_ranges = ranges
        if self._values is None:
            self._values, self._time_ranges = lake_facts(self.model, self.executor,  # type: ignore[arg-type]
                                                         self.system_principal)
        return self._values

    def reload_values(self, data: dict[str, Any]) -> None:
        """A refreshed values file's contents (values and time ranges): understanding is rebuilt on next use."""
        self._values, self._time_ranges = split_values_file(data)
        self._understanding = None

    @property
    def time_ranges(self) -> TimeRanges:
        """First and last day of each time column, read with the values (or given with them)."""
        if self._time_ranges is None:
            self.values  # noqa: B018 - one query reads both
        return self._time_ranges or {}

    @property
    def understanding(self) -> Understanding:
        if self._understanding is None:
            self._understanding = Understanding(self.model, self.values, self.default_metric)
        return self._understanding

    def plan(self, question: str, as_of: dt.date, previous: SemanticQuery | None = None,
             principal: Principal | None = None) -> Plan:
        """Understand and compile a question (raises BotError subclasses for the user).

        The rules answer first; only when they cannot read the question and a planner is
        configured does the planner try, its reply checked and guarded like everything else.
        """
        try:
            query = self.understanding.understand(question, as_of, previous)
        except NeedsClarification as err:
            if self.planner is None or not err.uncertain:
                raise
            return self._plan_with_planner(question, as_of, previous, principal, err)
        return Plan(query, self.compiler.compile(query).expression)

    def _plan_with_planner(self, question: str, as_of: dt.date, previous: SemanticQuery | None,
                           principal: Principal | None, rules_said: NeedsClarification,
                           feedback: list[str] | None = None) -> Plan:
        assert self.planner is not None
        principal = principal or self.system_principal
        request = PlanRequest(question, as_of, model_context(self.model, self.values),
                              self._schema_context(principal),
                              previous.to_dict() if previous else None, list(feedback or []),
                              self.verified.examples(question) if self.verified is not None else [])
        last_error: BotError = rules_said
        for _ in range(1 + MAX_REPAIRS):
            try:
                reply = self.planner.plan(request)
            except ExecutionFailed:
                raise rules_said from None  # planner unavailable: the rules' own question stands
            if reply.kind == "clarify":
                raise NeedsClarification(reply.message or str(rules_said), reply.options)
            try:
                if reply.kind == "query":
                    query = semantic_query_from_reply(reply.query or {}, self.model, self.values)
                    guarded = self.guard.check_expression(self.compiler.compile(query).expression, principal)
                else:
                    query, guarded = None, self.guard.check(reply.sql or "", principal)
                return Plan(query, guarded.athena_sql, source="planner", guarded=guarded)
            except PlannerRejected as err:
                request.feedback.append(f"Your reply was not usable: {err}")
            except GuardRejected as err:
                last_error = err
                request.feedback.append(f"The SQL guard rejected your query: {err}")
            except NeedsClarification as err:
                request.feedback.append(f"That query cannot be compiled: {err}")
        if isinstance(last_error, GuardRejected):
            raise GuardRejected(f"I could not build a safe query for that question. {last_error}")
        raise rules_said

    def _schema_context(self, principal: Principal) -> str:
        lines = []
        for table in self.catalog.tables():
            if principal.may_read(table.qualified_name):
                columns = ", ".join(f"{c.name} {c.type}" for c in table.columns)
                lines.append(f"{table.qualified_name}({columns})")
        return "\n".join(lines)

    def prepare(self, question: str, principal: Principal, as_of: dt.date | None = None,
                conversation_id: str | None = None) -> Prepared:
        """Understand, compile and guard; raises BotError subclasses with the user's message.

        In a thread, a reply naming one of the options of the bot's last clarifying question
        continues that question with the option chosen.
        """
        if len(question) > MAX_QUESTION_CHARS:
            raise BotError(f"That question is {len(question):,} characters long; I read questions of up to "
                           f"{MAX_QUESTION_CHARS:,} characters. Ask it in fewer words.")
        state = self._state(conversation_id)
        previous = SemanticQuery.from_dict(state["query"]) if state.get("query") else None
        text = self._continued(question, state)
        pending = state.get("pending") or {}
        if text != question and "previous" in pending:  # an alternative: read as the question was
            previous = SemanticQuery.from_dict(pending["previous"]) if pending["previous"] else None
        try:
            plan = self._verified_plan(text, as_of or dt.date.today(), previous, principal)
        except NeedsClarification as err:
            if conversation_id and self.conversations is not None:
                pending = {"rewrites": err.rewrites} if err.rewrites else None
                self.conversations.save(conversation_id, {**state, "pending": pending})
            raise
        guarded = self._guarded(plan, principal)
        return Prepared(question, plan.query, guarded.athena_sql, conversation_id, plan.source,
                        previous=previous.to_dict() if previous is not None else None,
                        verified=plan.verified, guarded=guarded)

    def _guarded(self, plan: Plan, principal: Principal) -> GuardedQuery:
        if plan.guarded is not None:
            return plan.guarded
        if isinstance(plan.statement, str):
            return self.guard.check(plan.statement, principal)
        return self.guard.check_expression(plan.statement, principal)
    def _verified_plan(self, question: str, as_of: dt.date, previous: SemanticQuery | None,
                       principal: Principal) -> Plan:
        """A verified question's plan when this one paraphrases it (nothing else asked), else the
        rules' or planner's plan, marked verified when it reads the same as a verified question."""
        if self.verified is None:
            return self.plan(question, as_of, previous, principal)
        recalled = self.verified.recall(question, as_of)
        if recalled is not None:
            return Plan(recalled.query, recalled.sql, "verified",
                        verified={"id": recalled.item.id, "by": recalled.item.badge})
        plan = self.plan(question, as_of, previous, principal)
        found = self.verified.match(plan.query, as_of) if plan.query is not None else None
        if found is not None:
            plan.verified = {"id": found.id, "by": found.badge}
        return plan

    def prepare_query(self, query: SemanticQuery, question: str, principal: Principal) -> Prepared:
        """Compile and guard a query already understood (a digest's frozen query): no rules run."""
        guarded = self.guard.check_expression(self.compiler.compile(query).expression, principal)
        return Prepared(question, query, guarded.athena_sql, guarded=guarded)

    def present(self, prepared: Prepared, table: ResultTable, *, charts: bool = True,
                footer: str | None = None, download_url: str | None = None) -> Answer:
        """Turn a result into the Answer (summary, table, chart) and remember the thread's query."""
        query = prepared.query
        if prepared.conversation_id and self.conversations is not None and query is not None:
            # an alternative to an assumption ("Store region instead") continues the question
            pending = {"rewrites": dict(query.alternatives), "previous": prepared.previous} \
                if query.alternatives else None
            self.conversations.save(prepared.conversation_id, {"query": query.to_dict(), "pending": pending})
        labels = column_labels(query, self.model) if query else {}
        formats = column_formats(query, self.model) if query else {}
        rows = f"{table.row_count:,} row{'s' if table.row_count != 1 else ''}"
        message = with_range_note(summarize(query, self.model, table),
                                  range_note(query, self.model, self.time_ranges)) if query else (
            f"{rows} from the query a data steward verified for this question." if prepared.verified else
            f"{rows} from a query written by the AI planner, outside the data team's definitions: check "
            "the SQL before relying on it.")
        answer = Answer(status="answered", question=prepared.question,
                        message=message, sql=prepared.sql,
                        table=table, column_labels=labels, column_formats=formats, footer=footer,
                        download_url=download_url, options=list(query.alternatives) if query else [],
                        query=query.to_dict() if query else None,
                        verified_by=(prepared.verified or {}).get("by"),
                        saved={"query": query.to_dict()} if query else None)
        if charts:
            self.add_chart(prepared, answer)
        return answer

    def add_chart(self, prepared: Prepared, answer: Answer) -> None:
        """Draw the answer's chart (the slow part of presenting: posted after the text when the
        poster can add it to the message later)."""
        if self.chart_maker is None or answer.table is None or answer.status != "answered":
            return
        query = prepared.query
        title = describe_query(query, self.model) if query else prepared.question
        chart = self.chart_maker(answer.table, title, answer.column_labels, answer.column_formats,
                                 chart_hints(query, self.model))
        if chart:
            answer.chart_kind, answer.chart_png = chart

    def ask(self, question: str, principal: Principal, as_of: dt.date | None = None,
            conversation_id: str | None = None, charts: bool = True) -> Answer:
        """Answer one question synchronously; every refusal or failure comes back as an Answer."""
        started = time.perf_counter()
        prepared: Prepared | None = None
        try:
            prepared = self.prepare(question, principal, as_of, conversation_id)
            if self.asynchronous:
                raise ExecutionFailed("This engine runs queries asynchronously; send the question "
                                      "through the queue.")
            prepared, table = self.execute_prepared(prepared, principal, as_of)
        except BotError as err:
            return failure_answer(question, err, prepared.sql if prepared else None,
                                  (time.perf_counter() - started) * 1000)
        answer = self.present(prepared, table, charts=charts)
        answer.elapsed_ms = (time.perf_counter() - started) * 1000
        return answer

    def execute_prepared(self, prepared: Prepared, principal: Principal,
                 as_of: dt.date | None) -> tuple[Prepared, ResultTable]:
        """Run a prepared query; a planner's query that fails goes back to it for a repair."""
        repairs = 0
        while True:
            try:
                # text read back from storage is guarded again: only a tree checked here runs
                guarded = prepared.guarded or self.guard.check(prepared.sql, principal)
                return prepared, self.executor.execute(guarded, principal, self.answer_rows)  # type: ignore[union-attr]
            except ExecutionFailed as err:
                if prepared.source != "planner" or repairs >= MAX_REPAIRS:
                    raise
                repairs += 1
                prepared = self.repair(prepared, err, principal, as_of)

    def repair(self, prepared: Prepared, error: BotError, principal: Principal,
               as_of: dt.date | None = None) -> Prepared:
        """Ask the planner to fix a query of its own that failed to run."""
        plan = self._plan_with_planner(
            prepared.question, as_of or dt.date.today(), None, principal, NeedsClarification(str(error)),
            feedback=[f"Your previous SQL failed when it ran: {error}\nSQL: {prepared.sql}"])
        guarded = self._guarded(plan, principal)
        return Prepared(prepared.question, plan.query, guarded.athena_sql, prepared.conversation_id,
                        plan.source, previous=prepared.previous, guarded=guarded)

    def _state(self, conversation_id: str | None) -> dict[str, Any]:
        if not conversation_id or self.conversations is None:
            return {}
        return dict(self.conversations.load(conversation_id) or {})

    @staticmethod
    def _continued(question: str, state: dict[str, Any]) -> str:
        """The pending question rewritten with the chosen option, or ``question`` itself."""
        rewrites = (state.get("pending") or {}).get("rewrites") or {}
        chosen = " ".join(re.findall(r"[a-z0-9&]+", question.lower()))
        for option, rewritten in rewrites.items():
            if chosen == " ".join(re.findall(r"[a-z0-9&]+", option.lower())):
                return str(rewritten)
        return question
