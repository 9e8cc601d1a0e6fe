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
from engine.language.derivation import Derivation
from engine.language.followup import is_follow_up, refine
from engine.language.grammar import Grammar, Parsed
from engine.language.listing import listing, listing_entity, values_listing
from engine.language.reading import Reading
from engine.language.refusal import check_not_mutating
from engine.language.resolve import Resolver
from engine.language.timeparse import TimeParse, previous_period, shift, shifted
from engine.language.vocabulary import Vocabulary, build_vocabulary
from engine.semantic_model import SemanticModel
from engine.semantic_query import SemanticQuery, ValueFilter

_COMPARE = re.compile(r"\b(?:vs|versus|compared|compare|against)\b")
# "how did Voltix do", "how is EMEA performing": the default measure of what is named
_PERFORMANCE = re.compile(r"\bhow\s+(?:did|does|do|is|are|was|were|has|have)\b.*\b(?:do|doing|did|done|"
                          r"perform|performs|performing|performed|go|going|went)\b|\bperformance\b")
_HAVE = re.compile(r"\b(?:do|does)\s+(?:we|you|i|they)\s+(?:have|sell|carry|offer|use|serve|accept|support|take|stock)\b|"
                   r"\bare\s+there\b|\bexist\b|\bavailable\b|^\s*(?:what|which)\s+(?:\w+\s+){1,3}(?:are|is)\s+(?:in|for|of|under)\b")


_SPEED_WORDS = {"fastest", "quickest", "slowest", "shortest", "longest"}
_DURATION = re.compile(r"\b(?:time|times|hours?|days?|minutes?|seconds?|duration|durations|lead|wait)\b")


def _is_duration(metric) -> bool:  # noqa: ANN001 - a Metric
    """A metric that measures how long something takes ("resolution time (hours)")."""
    return metric.format in ("decimal", "number") and bool(_DURATION.search(
        " ".join([metric.label, metric.name.replace("_", " "), *metric.synonyms]).lower()))


_BAD_OUTCOME = re.compile(r"\b(?:return|returns|returned|cancel\w*|churn\w*|refund\w*|complaint\w*|no.?shows?|"
                          r"defect\w*|errors?|fail\w*|late|overdue|escalat\w*|bounce\w*)\b")


def _lower_is_better(metric) -> bool:  # noqa: ANN001 - a Metric
    """Returns, cancellations, durations: the best is the lowest."""
    text = " ".join([metric.label, metric.name.replace("_", " "), metric.filter_label or ""]).lower()
    return bool(_BAD_OUTCOME.search(text)) or _is_duration(metric)


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
        query = self._query(parsed, resolver, previous, as_of)
        reading = parsed.reading
        if parsed.absence is not None and query.absent is None:
            # never answered as if the "no" were not there
            raise NeedsClarification(
                f"I can list the rows that have no {self.model.metrics[parsed.absence.metric].label.lower()}, "
                "e.g. \"customers with no orders last month\"; which rows do you mean?",
                [f"{e.label}s" for e in self.model.entities.values()][:6])
        self._check_negations(reading, query)
        for c in reading.corrections:
            if c.kind == "spelling":
                reading.note(f"read \"{c.original}\" as {c.word}")
        query = replace(query, notes=list(reading.notes), alternatives=dict(resolver.alternatives))
        return Interpretation(query, reading)

    @staticmethod
    def _check_negations(reading: Reading, query: SemanticQuery) -> None:
        """A "not" must exclude a value ("not paid by card"); one that negates an event ("customers
        who haven't ordered") asks, never answers for everybody."""
        negations = [c for c in reading.claims if c.role == "negation"]
        if negations and not any(f.negate for f in query.filters):
            words = reading.source[negations[0].start:].split()[:3]
            raise NeedsClarification(
                f"I can't answer for what did not happen (\"{' '.join(words)}\") yet; I can leave values "
                "out, e.g. \"orders not paid by card\" or \"revenue excluding books\".")

    # -- the query ----------------------------------------------------------------------------
    def _query(self, parsed: Parsed, resolver: Resolver, previous: SemanticQuery | None,
               as_of: dt.date) -> SemanticQuery:
        follow_cue = previous is not None and is_follow_up(parsed)
        derivation = Derivation(self.model, resolver, parsed, self.default_metric)
        special = derivation.count_over() or derivation.statistic_of_measure()
        if special is not None:
            derivation.check_used()
            if special.metrics:
                resolver.check_combinable(special)
            return special
        entity = listing_entity(self.model, resolver, parsed)
        if entity is None and previous is not None and previous.entity and not any(
                "metric" in m.kinds() for m in parsed.mentions):
            entity, follow_cue = previous.entity, True  # "only online" after a listing
        if entity is not None:
            query = listing(self.model, resolver, entity, parsed, previous)
            if previous is not None and previous.entity == entity and follow_cue:
                return refine(previous, query, parsed)
            return query
        ratio = derivation.ratio(parsed.mentions)
        events = derivation.events_breakdown(parsed.mentions)
        rated = derivation.value_rate(parsed.mentions)
        named_entities = {s.name for m in parsed.mentions for s in m.senses if s.kind == "entity"}
        superlative = next((s for m in parsed.mentions if parsed.ranking.ranked and m.kinds() == {"measure"}
                            for s in m.senses if s.value in named_entities), None)
        if superlative is not None:  # "the most expensive product in each category"
            entity = self.model.entities[superlative.value or ""]
            measure = entity.measures[superlative.name].label.lower()
            raise NeedsClarification(f"I can list {entity.label.lower()}s by {measure} (e.g. \"the 5 "
                                     f"{entity.label.lower()}s with the highest {measure}\"), but not rank them "
                                     "by it within groups yet. Which do you want?")
        for m in parsed.mentions:
            m.senses = [s for s in m.senses if s.kind not in ("entity", "measure")]
            if any(0 <= m.chars[0] - c.end <= 3 for c in parsed.conditions) and "metric" in m.kinds():
                m.senses = [s for s in m.senses if s.kind == "metric"]  # "more than 80 employees"
        mentions = [m for m in parsed.mentions if m.senses]
        time = self._time(parsed.time, previous)
        ranking = parsed.ranking
        ranked_periods = time.grain is not None and not any(
            "dimension" in m.kinds() and "metric" not in m.kinds() and "value" not in m.kinds() for m in mentions)
        metrics = resolver.metrics(mentions, ranking.ranked, bool(ranking.limit), ranking.quantity_end,
                                   bool(parsed.conditions), ranked_periods and ranking.ranked)
        if events is not None:  # "customers who ordered more than once": conditions on their orders
            metrics = [events]
        if rated is not None and not metrics:  # "no-show rate": a share of the rows counted
            metrics = resolver.count_metric([rated])
        follow_up = previous is not None and (not metrics or follow_cue)
        if not metrics:
            if previous is not None:
                metrics = list(previous.metrics) if previous.metrics else []
            elif (ranking.ranked or parsed.how_much or (_PERFORMANCE.search(parsed.source) and any(
                    "value" in m.kinds() for m in mentions))) and self.default_metric and \
                    not parsed.counted and resolver.reaches(self.default_metric, mentions):
                metrics = [self.default_metric]
            elif parsed.counting or ranking.ranked:
                # "how many contractors", "top ticket topics": count the rows the words name
                metrics = resolver.count_metric(mentions)
            if not metrics and not ranking.ranked and not parsed.counting and \
                    (parsed.listing_verb or _HAVE.search(parsed.source)):
                values_query = values_listing(self.model, resolver, mentions)
                if values_query is not None:
                    return values_query
            if not metrics:
                raise NeedsClarification(
                    "Which measure do you want? I can answer about: " + self._metric_list() + ".",
                    [m.label for m in self.model.metrics.values()],
                    {m.label: f"{parsed.source.strip()} {m.label.lower()}"
                     for m in self.model.metrics.values()}, uncertain=True)
        if ratio is not None:
            metrics = list(dict.fromkeys([ratio.numerator, ratio.denominator,
                                          *[m for m in metrics if m not in (ratio.numerator, ratio.denominator)]]))
        summed = [self.model.metrics[m].label.lower() for m in metrics if self.model.metrics[m].additive]
        if parsed.averaged and summed and ratio is None:
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
        # "the top customer in each region": ranked within each region
        within = [d for d, _ in dims if ranking.ranked and any(
            set(m.prefix[-1:]) & {"each", "every", "per"} and any(s.name == d for s in m.senses) for m in mentions)]
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
        if events is not None:
            conditions = [replace(c, target=events) if i in parsed.derived.times else c
                          for i, c in enumerate(conditions)]
        highlight: list[str] = []
        if rated is not None:  # the value's share within each row of the breakdown asked for
            value = next((f for f in filters if not f.negate and any(
                s.kind == "value" and s.name == f.dimension for s in rated.senses)), None)
            if value is None or len(value.values) != 1:
                raise NeedsClarification("A rate of which value? Name one, e.g. \"cancellation rate by channel\".")
            filters = [f for f in filters if f is not value]
            group_by = [value.dimension, *[d for d in group_by if d != value.dimension]]
            highlight = list(value.values)
        elif parsed.share:
            filters, group_by, highlight = self._share_of(metrics, filters, group_by)
        grain = time.grain
        time_range = time.range
        order = cast(Literal["asc", "desc"] | None, ranking.order)
        if ranking.word in ("best", "worst", "better", "worse") and metrics and \
                _lower_is_better(self.model.metrics[metrics[0]]):
            order = "asc" if ranking.word in ("best", "better") else "desc"  # "the worst month for returns"
        if ranking.word in _SPEED_WORDS and metrics:
            # on a duration the fastest is the shortest and the slowest the longest; on anything
            # else "fastest" is the most and "slowest" the least ("the slowest day for orders")
            duration = _is_duration(self.model.metrics[metrics[0]])
            order = "asc" if (ranking.word in ("fastest", "quickest", "shortest")) == duration else "desc"
        if parsed.growth and ranking.ranked and group_by and not grain and not time.compare:
            # "which category grew fastest": ranked by the change on the period before
            current = time_range or DateRange(shift(as_of, "year", -1) + dt.timedelta(days=1), as_of, "past year")
            compare = [previous_period(current), current]
            query = SemanticQuery(metrics=metrics[:1], dimensions=group_by, filters=filters,
                                  time_range=DateRange(compare[0].start, current.end, "compared periods"),
                                  order=order, limit=ranking.limit, compare=compare, growth=True)
            resolver.check_combinable(query)
            return query
        if parsed.growth and not grain and not time.compare:
            grain = "year" if time_range is None or (time_range.end - time_range.start).days > 400 else "month"
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
        percentile = parsed.derived.percentile
        query = SemanticQuery(metrics=metrics, dimensions=group_by, filters=filters,
                              time_range=time_range, grain=grain, order=order,
                              limit=ranking.limit, conditions=conditions, compare=time.compare,
                              share=parsed.share or rated is not None, highlight=highlight,
                              growth=(parsed.growth or time.over is not None) and not time.compare,
                              growth_over=time.over,
                              ratio=[ratio.numerator, ratio.denominator] if ratio else [],
                              ratio_kind=ratio.kind if ratio else "per",
                              percentile=percentile,
                              rank_within=within if 0 < len(within) < len(group_by) else [])
        if percentile is not None:
            query = self._percentile_query(query)
        derivation.check_used(percentile_applied=percentile is not None)
        if query.metrics:
            resolver.check_combinable(query)
        return query

    def _percentile_query(self, query: SemanticQuery) -> SemanticQuery:
        """A percentile is of a number each row has: what an average metric averages, or the
        column a total adds up when its rows are an entity's ("median appointment duration")."""
        from sqlglot import exp

        metric = self.model.metrics[query.metrics[0]]
        if isinstance(metric.expression, exp.Avg) and len(query.metrics) == 1:
            return query
        if isinstance(metric.expression, (exp.Sum, exp.Avg)) and len(query.metrics) == 1:
            for entity in self.model.entities.values():
                for measure in entity.measures.values():
                    if measure.expression == metric.expression.this and entity.table in metric.tables:
                        return replace(query, metrics=[], of_measure=f"{entity.name}.{measure.name}")
        raise NeedsClarification(f"The median of {metric.label.lower()} per what? I can give the "
                                 "median of a number each row has, e.g. \"median order value\".")

    @staticmethod
    def _time(time: TimeParse, previous: SemanticQuery | None) -> TimeParse:
        """"vs the year before" without a period of its own compares the thread's period."""
        if not time.shift_unit or time.range is not None:
            return time
        base = previous.time_range if previous is not None and not previous.compare else None
        if base is None:
            raise NeedsClarification("Compared with the period before which period? Name it, e.g. "
                                     "\"revenue last month vs the month before\".")
        compare = [shifted(base, time.shift_unit), base]
        return TimeParse(DateRange(compare[0].start, base.end, "compared periods"), time.grain, time.text,
                         compare)

    def _share_of(self, metrics: list[str], filters: list[ValueFilter],
                  group_by: list[str]) -> tuple[list[ValueFilter], list[str], list[str]]:
        """A share question groups by the dimension of the value it names (its share of the
        total of all values), or by the breakdown asked for."""
        metric = self.model.metrics[metrics[0]]
        if not metric.additive:
            raise NeedsClarification(f"{metric.label} is not a total, so its shares don't add up. "
                                     f"Ask for {metric.label.lower()} by a breakdown instead.")
        if group_by:  # "share of Beauty revenue by brand": each brand's part of Beauty's revenue
            return filters, group_by, []
        named = [f for f in filters if not f.negate]
        if named:  # "what share of revenue comes from online": online's part of all revenue
            focus = named[-1]
            return [f for f in filters if f is not focus], [focus.dimension], list(focus.values)
        raise NeedsClarification(f"Share of {metric.label.lower()} by what? Name a breakdown or a value, "
                                 f"e.g. \"share of {metric.label.lower()} by channel\".",
                                 [d.label for d in self.model.dimensions.values()][:6])

    def _metric_list(self) -> str:
        return ", ".join(m.label.lower() for m in self.model.metrics.values())

    def _dimension_list(self) -> list[str]:
        return [d.label.lower() for d in self.model.dimensions.values()]
