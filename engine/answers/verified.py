"""Verified questions: answers a data steward approved, reused for questions that mean the same.

A verified question keeps what the steward approved: the question as asked, its semantic query
(none when the AI planner wrote SQL outside the model), the Athena SQL it ran, the steward, and
the date its time words were read for. A new question is answered from one when

- it paraphrases it in the model's vocabulary (the same metric, dimension and value words, in any
  order, with or without filler such as "what is our"): the rules and the planner are not asked,
  and the steward's SQL runs as approved (a question with relative time words, "last quarter", is
  read again for today); or
- the rules read it into the same semantic query the verified question reads into today ("sales
  by customer region in 2024" and "revenue per customer region in 2024").

Before a verified question's SQL is used it passes the guard against the current catalog; one
that no longer does (a table or column gone, a metric dropped from the model) is flagged, its
steward told through ``on_flag``, and the question answered the normal way. Flagged questions are
never used until a steward verifies them again.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from engine.errors import BotError, ModelError
from engine.semantic_query import SemanticQuery

if TYPE_CHECKING:
    from engine.service import QueryEngine

log = logging.getLogger(__name__)

# words that change nothing a query means: "what is our revenue by region" is "revenue by region"
FILLER = frozenset("""a an the what whats is are was were our my me we us i you show tell give gimme get
see please pls can could would do does did have has how much many of to for in on at s re""".split())
SAME_WORD = {"per": "by", "each": "by", "versus": "vs", "compared": "vs"}
RELATIVE_PROBE_DAYS = 400  # a question read this long before its as-of date reads differently iff its time is relative
EXAMPLE_OVERLAP = 0.34  # share of words a verified question must share with a new one to be a planner example


def newest_questions(store: VerifiedStore | None, limit: int) -> list[str]:
    """The verified questions a surface suggests: newest first, flagged ones left out; a store
    that cannot be read costs the suggestions, never the request."""
    if store is None:
        return []
    try:
        items = [i for i in store.all() if not i.flagged]
    except Exception:  # noqa: BLE001 - see above
        log.exception("could not read the verified questions")
        return []
    return [i.question for i in sorted(items, key=lambda i: i.verified_at, reverse=True)[:limit]]


class VerifiedFormatError(ValueError):
    """A stored verified question that cannot be read (a hand-edited file, another version)."""


def question_id(question: str) -> str:
    """Stable id of a question: the same words, however capitalised or spaced, are one entry."""
    # the vocabulary (and the sqlglot under the model) loads on first use: the Slack receiver
    # imports this module for its buttons and must start without it
    from engine.language.vocabulary import tokenize

    words = " ".join(t for t, _, _ in tokenize(question))
    return uuid.uuid5(uuid.NAMESPACE_URL, f"verified:{words}").hex[:12]


@dataclass
class VerifiedQuestion:
    """A question a steward approved, with what it ran."""

    question: str
    sql: str
    steward: str  # the steward's email
    query: dict[str, Any] | None = None  # the semantic query; None for a planner's SQL
    steward_name: str = ""
    as_of: str | None = None  # the date (YYYY-MM-DD) its time words were read for
    verified_at: str = ""  # when (ISO, UTC)
    flagged: str | None = None  # why it is not used any more
    notify: dict[str, Any] | None = None  # where the steward verified it: flags are told there
    id: str = field(default="")

    def __post_init__(self) -> None:
        self.id = self.id or question_id(self.question)
        self.verified_at = self.verified_at or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def badge(self) -> str:
        """Who the answer says verified it."""
        return self.steward_name or self.steward

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}

    @classmethod
    def from_dict(cls, data: Any) -> "VerifiedQuestion":
        if not isinstance(data, dict):
            raise VerifiedFormatError(f"a verified question must be a mapping, not {type(data).__name__}")
        missing = [k for k in ("question", "sql", "steward") if not isinstance(data.get(k), str) or not data[k]]
        if missing:
            raise VerifiedFormatError(f"verified question {data.get('id') or data.get('question')!r} has no "
                                      f"{', '.join(missing)}")
        query = data.get("query")
        if query is not None:
            try:
                SemanticQuery.from_dict(query)
            except (KeyError, TypeError, ValueError) as err:
                raise VerifiedFormatError(f"verified question {data['question']!r} has a bad query: {err}") from err
        notify = data.get("notify")
        return cls(question=data["question"], sql=data["sql"], steward=data["steward"], query=query,
                   steward_name=str(data.get("steward_name") or ""),
                   as_of=str(data["as_of"]) if data.get("as_of") else None,
                   verified_at=str(data.get("verified_at") or ""),
                   flagged=str(data["flagged"]) if data.get("flagged") else None,
                   notify=dict(notify) if isinstance(notify, dict) else None, id=str(data.get("id") or ""))


class VerifiedStore(Protocol):
    """Where verified questions live: a YAML file beside the model locally, DynamoDB on AWS.

    ``all`` returns the same list object while nothing changed, so readers can cache on it.
    """

    def all(self) -> list[VerifiedQuestion]: ...

    def put(self, item: VerifiedQuestion) -> None: ...

    def remove(self, item_id: str) -> bool: ...


@dataclass
class Recall:
    """A question answered from a verified one: the query (if any) and guarded SQL to run."""

    item: VerifiedQuestion
    query: SemanticQuery | None
    sql: str


@dataclass
class _Entry:
    item: VerifiedQuestion
    key: tuple[str, ...]
    standalone: bool  # the rules read its question, alone, into the query the steward approved
    relative: bool  # ... and read it differently on another day: its time words are relative


WORDING = ("notes", "alternatives")  # what a query says about the words it was read from, not what it asks


def comparable(query: dict[str, Any]) -> dict[str, Any]:
    """A semantic query as a dict without the words it was read from (its periods' labels, its
    notes on corrections, its rewritten alternatives), for equality."""
    data = {k: v for k, v in query.items() if k not in WORDING}
    for name in ("time_range",):
        if isinstance(data.get(name), dict):
            data[name] = {k: v for k, v in data[name].items() if k != "label"}
    data["compare"] = [{k: v for k, v in p.items() if k != "label"} for p in data.get("compare") or []]
    return data


class VerifiedAnswers:
    """Finds the verified question a new question means, and checks it still runs."""

    def __init__(self, store: VerifiedStore, engine: QueryEngine,
                 on_flag: Callable[[VerifiedQuestion, str], None] | None = None,
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        self.store = store
        self.engine = engine
        self.on_flag = on_flag
        self.today = today
        self._source: object = None
        self._entries: list[_Entry] = []
        self._readings: dict[tuple[str, dt.date], dict[str, Any] | None] = {}
        # what passed the guard, per catalog (the guard is rebuilt when the catalog changes)
        self._checked: dict[tuple[str, dt.date | None], Recall | str | None] = {}
        self._checked_against: object = None
        self._vocabulary: Any = None

    # -- the words ----------------------------------------------------------------------------
    def key(self, question: str) -> tuple[str, ...]:
        """The question in the model's vocabulary: each known phrase as what it names, filler
        dropped, sorted; two questions with the same key ask the same thing in other words."""
        from engine.language.vocabulary import MAX_PHRASE, build_vocabulary, tokenize

        if self._vocabulary is None:
            self._vocabulary = build_vocabulary(self.engine.model, self.engine.values)
        senses = self._vocabulary.senses
        tokens = [t for t, _, _ in tokenize(question)]
        out: list[str] = []
        i = 0
        while i < len(tokens):
            for size in range(min(MAX_PHRASE, len(tokens) - i), 0, -1):
                found = senses.get(tuple(tokens[i:i + size]))
                if found:
                    out.append("|".join(sorted(f"{s.kind}:{s.name}" + (f"={s.value}" if s.value else "")
                                               for s in found)))
                    i += size
                    break
            else:
                if tokens[i] not in FILLER:
                    out.append(SAME_WORD.get(tokens[i], tokens[i]))
                i += 1
        return tuple(sorted(out))

    # -- the index ----------------------------------------------------------------------------
    def entries(self) -> list[_Entry]:
        try:
            items = self.store.all()
        except VerifiedFormatError as err:
            if self._source is not err.__class__:
                log.error("verified questions are not used: %s", err)
            self._source, self._entries = err.__class__, []
            return []
        if items is not self._source:
            self._entries = [self._entry(item) for item in items]
            self._readings.clear()
            self._checked.clear()
            self._source = items
        return self._entries

    def _entry(self, item: VerifiedQuestion) -> _Entry:
        standalone = relative = False
        if item.query is not None:
            day = _date(item.as_of) or self.today()
            reading = self._read(item.question, day)
            standalone = reading is not None and comparable(reading) == comparable(item.query)
            if standalone:
                before = self._read(item.question, day - dt.timedelta(days=RELATIVE_PROBE_DAYS))
                relative = before is None or comparable(before) != comparable(reading or {})
        return _Entry(item, self.key(item.question), standalone, relative)

    def _read(self, question: str, day: dt.date) -> dict[str, Any] | None:
        """The rules' reading of a question alone on ``day``, or None when they cannot read it."""
        try:
            return self.engine.understanding.understand(question, day).to_dict()
        except BotError:
            return None

    def _reading(self, entry: _Entry, day: dt.date) -> dict[str, Any] | None:
        cache_key = (entry.item.id, day)
        if cache_key not in self._readings:
            if len(self._readings) > 4096:
                self._readings.clear()
            self._readings[cache_key] = self._read(entry.item.question, day) if entry.relative else entry.item.query
        return self._readings[cache_key]

    # -- answering from one -------------------------------------------------------------------
    def recall(self, question: str, as_of: dt.date) -> Recall | None:
        """The verified question this one paraphrases, ready to run (None: none, or it is broken)."""
        entries = self.entries()
        if not entries:
            return None
        key = self.key(question)
        for entry in entries:
            # a verified follow-up ("and for 2024?") means nothing alone: only questions that stand alone
            if entry.key == key and not entry.item.flagged and (entry.standalone or entry.item.query is None):
                recalled = self._use(entry, as_of)
                if recalled is not None:
                    return recalled
        return None

    def match(self, query: SemanticQuery, as_of: dt.date) -> VerifiedQuestion | None:
        """The verified question that reads into ``query`` on ``as_of`` (the rules read both the same)."""
        target = comparable(query.to_dict())
        for entry in self.entries():
            item = entry.item
            if item.flagged or item.query is None or not _same_shape(item.query, target):
                continue
            reading = self._reading(entry, as_of) if entry.standalone else item.query
            if reading is not None and comparable(reading) == target:
                problem = self.problem(item)
                if problem is None:
                    return item
                self.flag(item, f"its SQL no longer passes the guard against the catalog: {problem}")
        return None

    def _cache(self) -> dict[tuple[str, dt.date | None], Recall | str | None]:
        guard = self.engine.guard
        if guard is not self._checked_against or len(self._checked) > 4096:
            self._checked.clear()
            self._checked_against = guard
        return self._checked

    def _use(self, entry: _Entry, as_of: dt.date) -> Recall | None:
        cache, key = self._cache(), (entry.item.id, as_of if entry.relative else None)
        if key not in cache:
            cache[key] = self._recalled(entry, as_of)
        found = cache[key]
        return found if isinstance(found, Recall) and not found.item.flagged else None

    def _recalled(self, entry: _Entry, as_of: dt.date) -> Recall | None:
        item = entry.item
        try:
            if entry.relative:  # "last quarter" is read again for today, then compiled like any question
                query = self.engine.understanding.understand(item.question, as_of)
                sql = self.engine.compiler.compile(query).sql
            else:  # the SQL the steward approved, as approved
                query = SemanticQuery.from_dict(item.query) if item.query else None
                sql = item.sql
            self.engine.guard.check(sql, self.engine.system_principal)
        except (BotError, ModelError, KeyError, ValueError) as err:
            self.flag(item, f"its SQL no longer passes the guard against the catalog: {err}")
            return None
        return Recall(item, query, sql)

    def problem(self, item: VerifiedQuestion) -> str | None:
        """Why ``item`` cannot be used now (its SQL fails the guard or the catalog), or None."""
        cache, key = self._cache(), (f"problem:{item.id}:{item.verified_at}", None)
        if key not in cache:
            cache[key] = self._problem(item)
        found = cache[key]
        return found if isinstance(found, str) else None

    def _problem(self, item: VerifiedQuestion) -> str | None:
        try:
            self.engine.guard.check(item.sql, self.engine.system_principal)
            if item.query is not None:
                self.engine.compiler.compile(SemanticQuery.from_dict(item.query))
        except (BotError, ModelError, KeyError, ValueError) as err:
            return str(err)
        return None

    def flag(self, item: VerifiedQuestion, reason: str) -> None:
        """Stop using ``item``: mark it flagged in the store and tell its steward."""
        log.warning("verified question %s (%r) flagged: %s", item.id, item.question, reason)
        item.flagged = reason
        self.store.put(item)
        if self.on_flag is not None:
            try:
                self.on_flag(item, reason)
            except Exception:  # noqa: BLE001 - the flag is stored; telling the steward is best effort
                log.exception("could not tell the steward of verified question %s", item.id)

    # -- what others read from them -----------------------------------------------------------
    def examples(self, question: str, limit: int = 3) -> list[dict[str, Any]]:
        """The verified questions closest to ``question`` in words: examples for the planner."""
        words = set(self.key(question))
        scored = []
        for entry in self.entries():
            if entry.item.flagged or not words:
                continue
            other = set(entry.key)
            overlap = len(words & other) / len(words | other) if other else 0.0
            if overlap >= EXAMPLE_OVERLAP:
                scored.append((overlap, entry.item.verified_at, entry.item))
        scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
        return [{"question": i.question, "query": i.query, "sql": i.sql} for _, _, i in scored[:limit]]

    def suggestions(self, limit: int = 4) -> list[str]:
        """Verified questions to offer new users, newest first (questions that stand alone)."""
        entries = [e for e in self.entries() if not e.item.flagged and (e.standalone or e.item.query is None)]
        entries.sort(key=lambda e: e.item.verified_at, reverse=True)
        return [e.item.question for e in entries[:limit]]


def _same_shape(stored: dict[str, Any], target: dict[str, Any]) -> bool:
    """Cheap pre-check before a reading: the parts of a query that no date changes."""
    return all(stored.get(k) == target.get(k) for k in ("metrics", "dimensions", "entity", "filters"))


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None
