"""Deterministic question understanding: plain English -> SemanticQuery, by an explicit reading.

Rules only, no guessing. The grammar (``grammar``) reads every word of the question or reports
it; the resolver (``resolve``) turns the vocabulary's mentions into metrics, breakdowns and
filters; listings (``listing``) and follow-ups (``followup``) have their own modules. What the
reading assumed or corrected goes into the query's ``notes`` (said in the summary) and its
``alternatives`` (one click away). A question not fully understood gets a clarifying question
(``NeedsClarification``); a request to change data is refused (``Refused``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import Literal, cast

from engine.domain import DateRange
from engine.errors import NeedsClarification
from engine.language.followup import is_follow_up, refine
from engine.language.grammar import Grammar, Parsed
from engine.language.listing import listing, listing_entity, values_listing
from engine.language.reading import Reading
from engine.language.refusal import check_not_mutating
from engine.language.resolve import Resolver
from engine.language.timeparse import period_start, shift
from engine.language.vocabulary import Vocabulary, build_vocabulary
from engine.semantic_model import SemanticModel
from engine.semantic_query import SemanticQuery, ValueFilter

_COMPARE = re.compile(r"\b(?:vs|versus|compared|compare|against)\b")
_HAVE = re.compile(r"\b(?:do|does)\s+(?:we|you|i|they)\s+(?:have|sell|carry|offer|use|serve)\b|"
                   r"\bare\s+there\b|\bexist\b|\bavailable\b")


@dataclass
class Interpretation:
    """A question as it was read: the query, and each word with the element that read it."""

    query: SemanticQuery
    reading: Reading

    @property
    def words(self) -> list[tuple[str, str]]:
        return self.reading.words()


class Understanding:
    """Turns questions into SemanticQuery objects using the model's vocabulary."""

    def __init__(self, model: SemanticModel, values: dict[str, list[str]],
                 default_metric: str | None = None) -> None:
        self.model = model
        self.vocab: Vocabulary = build_vocabulary(model, values)
        self.default_metric = default_metric if default_metric in model.metrics else None
        self.grammar = Grammar(model, self.vocab)

    # -- public -------------------------------------------------------------------------------
    def understand(self, question: str, as_of: dt.date,
                   previous: SemanticQuery | None = None) -> SemanticQuery:
        return self.interpret(question, as_of, previous).query

    def interpret(self, question: str, as_of: dt.date,
                  previous: SemanticQuery | None = None) -> Interpretation:
        check_not_mutating(question)
        parsed = self.grammar.read(question, as_of)
        resolver = Resolver(self.model, self.vocab, parsed.reading)
        query = self._query(parsed, resolver, previous)
        reading = parsed.reading
        for c in reading.corrections:
            if c.kind == "spelling":
                reading.note(f"read \"{c.original}\" as {c.word}")
        query = replace(query, notes=list(reading.notes), alternatives=dict(resolver.alternatives))
        return Interpretation(query, reading)

    # -- the query ----------------------------------------------------------------------------
    def _query(self, parsed: Parsed, resolver: Resolver, previous: SemanticQuery | None) -> SemanticQuery:
        follow_cue = previous is not None and is_follow_up(parsed)
        entity = listing_entity(self.model, resolver, parsed)
        if entity is None and previous is not None and previous.entity and not any(
                "metric" in m.kinds() for m in parsed.mentions):
            entity, follow_cue = previous.entity, True  # "only online" after a listing
        if entity is not None:
            query = listing(self.model, resolver, entity, parsed, previous)
            if previous is not None and previous.entity == entity and follow_cue:
                return refine(previous, query, parsed)
            return query
        for m in parsed.mentions:
            m.senses = [s for s in m.senses if s.kind not in ("entity", "measure")]
            if any(0 <= m.chars[0] - c.end <= 3 for c in parsed.conditions) and "metric" in m.kinds():
                m.senses = [s for s in m.senses if s.kind == "metric"]  # "more than 80 employees"
        mentions = [m for m in parsed.mentions if m.senses]
        time = parsed.time
        ranking = parsed.ranking
        metrics = resolver.metrics(mentions, ranking.ranked, bool(ranking.limit), ranking.quantity_end)
        follow_up = previous is not None and (not metrics or follow_cue)
        if not metrics:
            if previous is not None:
                metrics = list(previous.metrics) if previous.metrics else []
            elif (ranking.ranked or parsed.how_much) and self.default_metric:
                metrics = [self.default_metric]
            elif parsed.counting:  # "how many contractors": count the rows the values describe
                metrics = resolver.count_metric(mentions)
            if not metrics and not ranking.ranked and (parsed.listing_verb or _HAVE.search(parsed.source)):
                values_query = values_listing(self.model, resolver, mentions)
                if values_query is not None:
                    return values_query
            if not metrics:
                raise NeedsClarification(
                    "Which measure do you want? I can answer about: " + self._metric_list() + ".",
                    [m.label for m in self.model.metrics.values()],
                    {m.label: f"{parsed.source.strip()} {m.label.lower()}"
                     for m in self.model.metrics.values()}, uncertain=True)
        summed = [self.model.metrics[m].label.lower() for m in metrics if self.model.metrics[m].additive]
        if parsed.averaged and summed:
            averages = [m.label for m in self.model.metrics.values()
                        if not m.additive and m.format != "integer"]
            raise NeedsClarification(
                f"Average {summed[0]} per what? I can give {summed[0]} in total (by any breakdown), "
                f"or an average the data team defined: {', '.join(averages)}.", averages)
        roots = resolver.roots(metrics)
        tables = set().union(*(self.model.metrics[m].tables for m in metrics))
        dims = resolver.dimensions(mentions, metrics, tables, roots, ranking.ranked or bool(ranking.limit))
        filters = resolver.filters(mentions, tables, roots, "measure", resolver.metric_labels(metrics))
        filtered_dims = {f.dimension for f in filters}
        group_by: list[str] = []
        for dim, explicit in dims:
            if dim in filtered_dims and not explicit:
                continue
            if dim not in group_by:
                group_by.append(dim)
        if _COMPARE.search(parsed.source) and not time.compare:
            for f in filters:
                if len(f.values) > 1 and not f.negate and f.dimension not in group_by:
                    group_by.append(f.dimension)
        conditions = resolver.metric_conditions(parsed.conditions, mentions, metrics)
        highlight: list[str] = []
        if parsed.share:
            filters, group_by, highlight = self._share_of(metrics, filters, group_by)
        grain = time.grain
        time_range = time.range
        if parsed.growth and not grain and not time.compare:
            grain = "year" if time_range is None or (time_range.end - time_range.start).days > 400 else "month"
        if parsed.growth and grain and time_range is not None and \
                period_start(time_range.start, grain) == period_start(time_range.end, grain):
            # "did orders increase last month": one period needs the one before it to compare with
            time_range = DateRange(shift(period_start(time_range.start, grain), grain, -1), time_range.end,
                                   time_range.label)
        order = cast(Literal["asc", "desc"] | None, ranking.order)
        if follow_up and previous is not None and previous.entity is None:
            update = SemanticQuery(metrics=metrics if metrics != previous.metrics else [],
                                   dimensions=group_by, filters=filters, time_range=time.range,
                                   grain=time.grain, order=order, limit=ranking.limit,
                                   conditions=conditions, compare=time.compare)
            query = refine(previous, update, parsed)
            if query.metrics:
                resolver.check_combinable(query)
            return query
        if ranking.order and not group_by and not time.grain and not time.compare:
            raise NeedsClarification(
                "Ranked by what? Name what to rank, e.g. \"top 5 products by revenue\" or "
                "\"which region has the highest revenue\".", self._dimension_list())
        query = SemanticQuery(metrics=metrics, dimensions=group_by, filters=filters,
                              time_range=time_range, grain=grain, order=order,
                              limit=ranking.limit, conditions=conditions, compare=time.compare,
                              share=parsed.share, highlight=highlight,
                              growth=parsed.growth and not time.compare)
        resolver.check_combinable(query)
        return query

    def _share_of(self, metrics: list[str], filters: list[ValueFilter],
                  group_by: list[str]) -> tuple[list[ValueFilter], list[str], list[str]]:
        """A share question groups by the dimension of the value it names (its share of the
        total of all values), or by the breakdown asked for."""
        metric = self.model.metrics[metrics[0]]
        if not metric.additive:
            raise NeedsClarification(f"{metric.label} is not a total, so its shares don't add up. "
                                     f"Ask for {metric.label.lower()} by a breakdown instead.")
        named = [f for f in filters if not f.negate and f.dimension not in group_by]
        if named:
            focus = named[-1]
            return [f for f in filters if f is not focus], [focus.dimension, *group_by], list(focus.values)
        if group_by:
            return filters, group_by, []
        raise NeedsClarification(f"Share of {metric.label.lower()} by what? Name a breakdown or a value, "
                                 f"e.g. \"share of {metric.label.lower()} by channel\".",
                                 [d.label for d in self.model.dimensions.values()][:6])

    def _metric_list(self) -> str:
        return ", ".join(m.label.lower() for m in self.model.metrics.values())

    def _dimension_list(self) -> list[str]:
        return [d.label.lower() for d in self.model.dimensions.values()]
