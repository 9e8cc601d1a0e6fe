"""Deterministic question understanding: plain English -> SemanticQuery.

Rules only, no guessing: a question that is not fully understood gets a clarifying question
(``NeedsClarification``) and a request to change data is refused (``Refused``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field, replace
from typing import Literal, cast

from engine.domain import DateRange
from engine.errors import NeedsClarification, Refused
from engine.semantic_model import SemanticModel
from engine.semantic_query import SemanticQuery, ValueFilter
from engine.timeparse import NUMBER_WORDS, parse_time
from engine.vocabulary import MAX_PHRASE, Sense, Vocabulary, build_vocabulary, tokenize

STOPWORDS = set("""
a about across all also am an and any are as at be been by can could did do does done each
every for from get give got had has have how i in into is it its let like list many me much my
of on or our over per please pls plz show so some tell than that the their them there these
this those to total totals u us was we were what whats what's when where which who whose why
will with would you your yours overall breakdown break down split versus vs compared compare
against number count amount sum value figure figures data stat stats numbers see look looking
need want know find display return returns just only each both among between did make made
sold selling popular have having recent current latest respectively out during grouped group
within inside under
""".split())
BY_WORDS = {"by", "per", "each", "across", "every", "for each", "split", "breakdown"}
NEGATORS = {"excluding", "except", "without", "not", "exclude", "excl", "ex", "other", "minus"}
VALUE_PREFIXES = {"in", "via", "through", "from", "using", "with"}
IGNORED = STOPWORDS | NEGATORS | VALUE_PREFIXES | {"$", "%", "&"}

_REFUSE_ANYWHERE = re.compile(
    r"\b(delete|drop|truncate|insert|alter|grant|revoke|merge|unload|msck|vacuum|upsert)\b")
_REFUSE_AT_START = re.compile(
    r"^\s*(?:please\s+|pls\s+|can you\s+|could you\s+)?(update|create|remove|replace|modify|change|"
    r"set|rename|overwrite|write|wipe|erase|purge|add|load|copy|restore)\b")
_SQL_AFTER_SEMICOLON = re.compile(r";\s*\S")

_RANK_N = re.compile(r"\b(top|bottom|best|worst|highest|lowest|largest|smallest|biggest|first)\s+"
                     r"(\d{1,4}|" + "|".join(k for k in NUMBER_WORDS if k != "a") + r")\b")
_BEST_SELLING = re.compile(r"\b(?:best|top|most)[\s-]+(?:selling|sold|popular)\b")
_TOP = re.compile(r"\btop\b")
_BOTTOM = re.compile(r"\bbottom\b")
_HIGH = re.compile(r"\b(?:highest|most|largest|biggest|max|maximum|greatest|leading|best|strongest|"
                   r"higher|more)\b")
_LOW = re.compile(r"\b(?:lowest|least|fewest|smallest|min|minimum|worst|weakest|lower|less)\b")
_WHICH = re.compile(r"\b(?:which|what|who)\b")
_COMPARE = re.compile(r"\b(?:vs|versus|compared|compare|against)\b")
_ASC_WORDS = {"bottom", "worst", "lowest", "smallest"}
DEFAULT_TOP = 10


@dataclass
class _Mention:
    start: int  # token index
    end: int
    senses: list[Sense]
    prefix: list[str] = field(default_factory=list)  # up to two raw words before the mention
    next_word: str = ""


def check_not_mutating(question: str) -> None:
    """Refuse anything that asks to change data, or SQL smuggled after a semicolon."""
    lowered = question.lower()
    m = _REFUSE_ANYWHERE.search(lowered) or _REFUSE_AT_START.search(lowered)
    if m:
        raise Refused(f"I only read data, so I can't {m.group(1)} anything. Ask me a question about "
                      "the data instead, e.g. \"revenue by region last quarter\".")
    if _SQL_AFTER_SEMICOLON.search(lowered):
        raise Refused("I answer one question at a time and never run statements you type; "
                      "please ask a single question without ';'.")


class Understanding:
    """Turns questions into SemanticQuery objects using the model's vocabulary."""

    def __init__(self, model: SemanticModel, values: dict[str, list[str]],
                 default_metric: str | None = None) -> None:
        self.model = model
        self.vocab: Vocabulary = build_vocabulary(model, values)
        self.default_metric = default_metric
        self._known_words = sorted(self.vocab.words() - STOPWORDS)

    # -- public -------------------------------------------------------------------------------
    def understand(self, question: str, as_of: dt.date,
                   previous: SemanticQuery | None = None) -> SemanticQuery:
        check_not_mutating(question)
        text = question.lower().replace("\u2019", "'")
        time = parse_time(text, as_of)
        text = time.text
        order, limit, text, ranked = self._ranking(text)
        mentions, unknown = self._scan(text)
        if unknown:
            raise NeedsClarification(self._unknown_message(unknown), self._suggest(unknown))

        metrics = self._metrics(mentions, ranked, bool(limit))
        follow_up = not metrics and previous is not None
        if not metrics:
            if previous is not None:
                metrics = list(previous.metrics)
            elif ranked and self.default_metric:
                metrics = [self.default_metric]
            else:
                raise NeedsClarification(
                    "Which measure do you want? I can answer about: " + self._metric_list() + ".",
                    [m.label for m in self.model.metrics.values()])
        roots = self._roots(metrics)
        dims = self._dimensions(mentions, metrics, roots, ranked or bool(limit))
        filters = self._filters(mentions, metrics, roots, question.lower())
        filtered_dims = {f.dimension for f in filters}
        group_by: list[str] = []
        for dim, explicit in dims:
            if dim in filtered_dims and not explicit:
                continue
            if dim not in group_by:
                group_by.append(dim)
        if _COMPARE.search(question.lower()):
            for f in filters:
                if len(f.values) > 1 and not f.negate and f.dimension not in group_by:
                    group_by.append(f.dimension)

        if follow_up:
            return self._refine(previous, group_by, filters, time.range, time.grain, order, limit)
        if order and not group_by and not time.grain:
            raise NeedsClarification(
                "Ranked by what? Name what to rank, e.g. \"top 5 products by revenue\" or "
                "\"which region has the highest revenue\".", self._dimension_list())
        query = SemanticQuery(metrics=metrics, dimensions=group_by, filters=filters,
                              time_range=time.range, grain=time.grain, order=order, limit=limit)
        self._check_combinable(query)
        return query

    # -- ranking ------------------------------------------------------------------------------
    def _ranking(self, text: str) -> tuple[str | None, int | None, str, bool]:
        def blank(m: re.Match[str]) -> str:
            return text[: m.start()] + " " * (m.end() - m.start()) + text[m.end():]

        m = _RANK_N.search(text)
        if m:
            n = int(m[2]) if m[2].isdigit() else NUMBER_WORDS[m[2]]
            return ("asc" if m[1] in _ASC_WORDS else "desc"), n, blank(m), True
        m = _BEST_SELLING.search(text)
        if m:
            return "desc", None, blank(m), True
        for pattern, order in ((_TOP, "desc"), (_BOTTOM, "asc")):
            m = pattern.search(text)
            if m:
                return order, DEFAULT_TOP, blank(m), True
        for pattern, order in ((_HIGH, "desc"), (_LOW, "asc")):
            m = pattern.search(text)
            if m:
                singular_which = bool(_WHICH.search(text[: m.start()]))
                return order, (1 if singular_which else None), blank(m), True
        return None, None, text, False

    # -- scanning -----------------------------------------------------------------------------
    def _scan(self, text: str) -> tuple[list[_Mention], list[str]]:
        tokens = tokenize(text)
        words = [t for t, _, _ in tokens]
        mentions: list[_Mention] = []
        unknown: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(MAX_PHRASE, len(words) - i), 0, -1):
                senses = self.vocab.senses.get(tuple(words[i:i + size]))
                if senses:
                    prefix = [w for w in words[max(0, i - 2):i]]
                    nxt = words[i + size] if i + size < len(words) else ""
                    mentions.append(_Mention(i, i + size, list(senses), prefix, nxt))
                    i += size
                    break
            else:
                word = words[i]
                if word not in IGNORED and not word.isdigit() and len(word) > 1:
                    unknown.append(word)
                i += 1
        return mentions, unknown

    def _unknown_message(self, unknown: list[str]) -> str:
        words = ", ".join(f"\"{w}\"" for w in dict.fromkeys(unknown))
        suggestions = self._suggest(unknown)
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        return (f"I don't know {words} in this data.{hint} I can answer about "
                f"{self._metric_list()}, broken down by {', '.join(self._dimension_list()[:8])}, ...")

    def _suggest(self, unknown: list[str]) -> list[str]:
        found: list[str] = []
        for word in unknown:
            for close in difflib.get_close_matches(word, self._known_words, n=2, cutoff=0.75):
                if close not in found:
                    found.append(close)
        return found

    def _metric_list(self) -> str:
        return ", ".join(m.label.lower() for m in self.model.metrics.values())

    def _dimension_list(self) -> list[str]:
        return [d.label.lower() for d in self.model.dimensions.values()]

    # -- resolving mentions -------------------------------------------------------------------
    def _metrics(self, mentions: list[_Mention], ranked: bool, has_limit: bool) -> list[str]:
        plain = [m for m in mentions if all(x.kind == "metric" for x in m.senses)]
        if len(plain) > 1:
            # "CSAT for billing tickets", "AOV of online orders": a count metric right after a
            # value names what the value filters, when another metric is what is asked for.
            values_end = {m.end for m in mentions if any(s.kind == "value" for s in m.senses)}
            nouns = [m for m in plain if m.start in values_end]
            if len(nouns) < len(plain):
                plain = [m for m in plain if m not in nouns]
        metrics = list(dict.fromkeys(s.name for m in plain for s in m.senses))
        for m in mentions:
            kinds = {s.kind for s in m.senses}
            if "metric" in kinds and kinds != {"metric"}:
                as_dim = bool(set(m.prefix) & BY_WORDS) or bool(metrics) or has_limit or \
                    (ranked and "value" not in kinds)
                if not as_dim:
                    for s in m.senses:
                        if s.kind == "metric" and s.name not in metrics:
                            metrics.append(s.name)
                    m.senses = [s for s in m.senses if s.kind == "metric"]
                else:
                    m.senses = [s for s in m.senses if s.kind != "metric"]
        return metrics

    def _roots(self, metrics: list[str]) -> list[str]:
        roots = list(self.model.metrics[metrics[0]].roots)
        for name in metrics[1:]:
            roots = [r for r in roots if r in self.model.metrics[name].roots]
        if not roots:
            labels = " and ".join(self.model.metrics[m].label for m in metrics)
            raise NeedsClarification(f"{labels} come from different data and can't be combined in "
                                     "one answer. Which one do you want?",
                                     [self.model.metrics[m].label for m in metrics])
        return roots

    def _reachable_dims(self, names: list[str], metrics: list[str], roots: list[str]) -> list[str]:
        needed = set().union(*(self.model.metrics[m].tables for m in metrics))
        ok = []
        for name in names:
            table = self.model.dimensions[name].column.table
            if any(self.model.reachable(r, needed | {table}) for r in roots):
                ok.append(name)
        return ok

    def _dimensions(self, mentions: list[_Mention], metrics: list[str], roots: list[str],
                    ranked: bool) -> list[tuple[str, bool]]:
        """Dimensions to group by, each with whether it was asked for explicitly ("by X")."""
        out: list[tuple[str, bool]] = []
        for m in mentions:
            dim_senses = [s.name for s in m.senses if s.kind == "dimension"]
            value_senses = [s for s in m.senses if s.kind == "value"]
            if not dim_senses:
                continue
            explicit = bool(set(m.prefix) & BY_WORDS)
            if value_senses and not explicit and not ranked:
                value_dims = {s.name for s in value_senses}
                if (set(m.prefix) & VALUE_PREFIXES) or self._is_dim_word(m.next_word, value_dims):
                    continue  # "in store", "store channel": the value, handled as a filter
            m.senses = [s for s in m.senses if s.kind == "dimension"]
            reachable = self._reachable_dims(dim_senses, metrics, roots)
            if not reachable:
                labels = " or ".join(self.model.dimensions[d].label.lower() for d in dim_senses)
                raise NeedsClarification(
                    f"{self._metric_labels(metrics)} can't be broken down by {labels}. "
                    "Which breakdown do you want?",
                    [self.model.dimensions[d].label for d in self._reachable_all(metrics, roots)])
            if len(reachable) > 1:
                options = [self.model.dimensions[d].label for d in reachable]
                raise NeedsClarification(f"Do you mean {' or '.join(options)}?", options)
            out.append((reachable[0], explicit))
        return out

    def _reachable_all(self, metrics: list[str], roots: list[str]) -> list[str]:
        return self._reachable_dims(list(self.model.dimensions), metrics, roots)

    def _is_dim_word(self, word: str, dims: set[str]) -> bool:
        senses = self.vocab.senses.get((word,), [])
        return any(s.kind == "dimension" and s.name in dims for s in senses)

    def _filters(self, mentions: list[_Mention], metrics: list[str], roots: list[str],
                 question: str) -> list[ValueFilter]:
        grouped: dict[tuple[str, bool], list[str]] = {}
        for m in mentions:
            values = [s for s in m.senses if s.kind == "value"]
            if not values:
                continue
            dims = self._reachable_dims(list(dict.fromkeys(s.name for s in values)), metrics, roots)
            if not dims:
                where = " or ".join(self.model.dimensions[s.name].label.lower() for s in values)
                raise NeedsClarification(
                    f"{self._metric_labels(metrics)} can't be filtered by {where} "
                    f"\"{values[0].value}\". Try another filter or measure.")
            if len(dims) > 1:
                preferred = [d for d in dims if self.model.dimensions[d].prefer_for_values]
                if len(preferred) != 1:
                    options = [f"{self.model.dimensions[d].label} = {self._value_of(values, d)}"
                               for d in dims]
                    raise NeedsClarification(f"Do you mean {' or '.join(options)}?", options)
                dims = preferred
            dim = dims[0]
            negate = bool(set(m.prefix) & NEGATORS)
            bucket = grouped.setdefault((dim, negate), [])
            value = self._value_of(values, dim)
            if value not in bucket:
                bucket.append(value)
        return [ValueFilter(dim, vals, neg) for (dim, neg), vals in grouped.items()]

    @staticmethod
    def _value_of(values: list[Sense], dim: str) -> str:
        return next(s.value for s in values if s.name == dim and s.value is not None)

    def _metric_labels(self, metrics: list[str]) -> str:
        return " and ".join(self.model.metrics[m].label for m in metrics)

    def _check_combinable(self, query: SemanticQuery) -> None:
        times = {str(self.model.metrics[m].time) for m in query.metrics}
        if len(times) > 1 and (query.time_range or query.grain):
            raise NeedsClarification(
                f"{self._metric_labels(query.metrics)} are measured on different dates "
                f"({', '.join(sorted(times))}); ask for them one at a time.")
        needed = set().union(*(self.model.metrics[m].tables for m in query.metrics))
        needed |= {self.model.dimensions[d].column.table for d in query.dimensions}
        needed |= {self.model.dimensions[f.dimension].column.table for f in query.filters}
        if not any(self.model.reachable(r, needed) for r in self._roots(query.metrics)):
            raise NeedsClarification(
                f"I can't combine {self._metric_labels(query.metrics)} with that breakdown and "
                "filter in one answer. Could you ask for fewer breakdowns?")

    # -- follow-ups ---------------------------------------------------------------------------
    def _refine(self, previous: SemanticQuery, dims: list[str], filters: list[ValueFilter],
                time_range: DateRange | None, grain: str | None, order: str | None,
                limit: int | None) -> SemanticQuery:
        merged = {(f.dimension, f.negate): f for f in previous.filters}
        for f in filters:
            merged[(f.dimension, f.negate)] = f
        query = replace(
            previous,
            dimensions=dims or list(previous.dimensions),
            filters=list(merged.values()),
            time_range=time_range or previous.time_range,
            grain=grain or previous.grain,
            order=cast(Literal["asc", "desc"] | None, order) or previous.order,
            limit=limit if limit is not None else previous.limit,
        )
        self._check_combinable(query)
        return query
