"""Derived measures resolved against the model (the words are found by ``measures``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from engine.errors import NeedsClarification
from engine.language.grammar import Parsed
from engine.language.measures import activity_of, count_of_entity, events_of, mention_after, rate_metric
from engine.language.mentions import Mention
from engine.language.resolve import BY_WORDS, Resolver
from engine.language.vocabulary import Sense
from engine.semantic_model import SemanticModel
from engine.semantic_query import Condition, SemanticQuery


@dataclass
class Ratio:
    numerator: str
    denominator: str
    kind: str = "per"  # "per" | "percent"


class Derivation:
    """Reads one question's derived measures; remembers which derived words it used."""

    def __init__(self, model: SemanticModel, resolver: Resolver, parsed: Parsed,
                 default_metric: str | None) -> None:
        self.model = model
        self.resolver = resolver
        self.parsed = parsed
        self.default_metric = default_metric
        self.used: set[str] = set()

    # -- a statistic of an entity's measure --------------------------------------------------
    def statistic_of_measure(self) -> SemanticQuery | None:
        """"median order value", "avg items per order", "90th percentile of list price"."""
        parsed = self.parsed
        mentions = parsed.mentions
        per = next((m for m in mentions if m.prefix[-1:] == ["per"] and "entity" in m.kinds()), None)
        measures = [(m, s) for m in mentions for s in m.senses if s.kind == "measure"]
        if not measures:
            return None
        if per is not None:
            entity = next(s.name for s in per.senses if s.kind == "entity")
            measures = [(m, s) for m, s in measures if s.value == entity] or measures
        if parsed.derived.percentile is None and not parsed.averaged and per is None:
            return None
        if any("metric" in m.kinds() for m in mentions if m is not per and m is not measures[0][0]):
            return None  # "median resolution time": a metric's own average (see ``percentile``)
        if "metric" in measures[0][0].kinds() and parsed.derived.percentile is None:
            return None  # "average csat": the model's own average
        mention, sense = measures[0]
        entity = self.model.entities[sense.value or ""]
        if per is not None and not any(s.kind == "entity" and s.name == entity.name for s in per.senses):
            raise NeedsClarification(f"{entity.measures[sense.name].label} is a number about each "
                                     f"{entity.label.lower()}; ask for it per {entity.label.lower()}.")
        if parsed.derived.percentile is not None:
            self.used.add("percentile")
        others = [m for m in mentions if m is not mention and m is not per and not any(
            s.kind == "entity" and s.name == entity.name for s in m.senses)]  # "electronics products"
        tables = {entity.table} | {c.table for c in entity.show}
        dims = self._breakdowns(others, tables, [entity.from_table])
        filters = self.resolver.filters([m for m in others if "value" in m.kinds()], tables,
                                        [entity.from_table], "measure", f"{entity.label}s", mentions)
        filters = [f for f in filters if f.dimension not in dims]
        return SemanticQuery(metrics=[], dimensions=dims, filters=filters, time_range=parsed.time.range,
                             percentile=parsed.derived.percentile, of_measure=f"{entity.name}.{sense.name}",
                             order="desc" if dims else None)

    def _breakdowns(self, mentions: list[Mention], tables: set[str], roots: list[str]) -> list[str]:
        out = []
        for m in mentions:
            if set(m.prefix) & BY_WORDS:
                names = [s.name for s in m.senses if s.kind == "dimension"]
                reachable = self.resolver.reachable_dims(names, tables, roots)
                if len(reachable) > 1:
                    reachable = [d for d in reachable if self.model.dimensions[d].is_default(tables)] or reachable
                if len(reachable) != 1:
                    raise NeedsClarification(f"Broken down by which {' or '.join(names)}?",
                                             [self.model.dimensions[d].label for d in names])
                out.append(reachable[0])
        return out

    # -- counts over a condition -------------------------------------------------------------
    def count_over(self) -> SemanticQuery | None:
        """"how many customers ordered 3+ times", "repeat buyers by segment", "how many
        accounts have an overdue invoice": the entity's keys that meet a condition, counted."""
        parsed = self.parsed
        derived = parsed.derived
        count_end = max((c.end for c in parsed.reading.claims if c.role == "count"), default=None)
        share_end = max((c.end for c in parsed.reading.claims if c.role == "share"), default=None)
        if derived.repeat is not None:
            start = derived.repeat[1]
        elif count_end is not None:
            start = count_end
        elif share_end is not None and derived.times:  # "% of buyers who bought more than once"
            start = share_end
        else:
            return None
        head = mention_after(parsed.mentions, start, {"entity", "metric"}, 1, parsed.source)
        if head is None:
            return None
        entity, scope = self._counted_entity(head)
        if entity is None:
            return None
        if derived.repeat is not None and scope is None:
            scope = activity_of(self.model, entity)  # a repeat customer buys again: the buyers' orders
        others = [m for m in parsed.mentions if m is not head]
        # counts of rows that belong to the entity ("an overdue invoice" of an account)
        own = self.model.entities[entity].table
        named_counts = [(m, s.name) for m in others for s in m.senses if s.kind == "metric"
                        and isinstance(self.model.metrics[s.name].expression, exp.Count)
                        and self._belongs_to(s.name, own)]
        if any(s.kind == "metric" and (m, s.name) not in named_counts for m in others for s in m.senses
               if m.kinds() == {"metric"}):
            return None  # "revenue from repeat customers": another measure, not a count
        conditions: list[Condition] = []
        events: str | None = None
        for i in derived.times:
            events = events or events_of(self.model, entity, scope)
            cond = parsed.conditions[i]
            if events:
                conditions.append(Condition(events, cond.op, cond.value, cond.high))
        if derived.repeat is not None:
            events = events or events_of(self.model, entity, scope)
            if events:
                conditions.append(Condition(events, ">=", 2))
        if not conditions and named_counts and (parsed.conditions or count_end is not None):
            events = named_counts[0][1]
            near = [c for i, c in enumerate(parsed.conditions) if i not in derived.times]
            conditions = [Condition(events, c.op, c.value, c.high) for c in near] or [Condition(events, ">=", 1)]
        if events is None or not conditions:
            return None
        self.used |= {"repeat", "times"}
        metric = self.model.metrics[events]
        tables = set(metric.tables)
        values = [m for m in others if "value" in m.kinds() and not any(s.name == events for s in m.senses)]
        for m in values:
            m.senses = [s for s in m.senses if s.kind == "value"]
        dims = self._breakdowns(others, tables, metric.roots)
        filters = self.resolver.filters(values, tables, metric.roots, "measure", metric.label, parsed.mentions)
        return SemanticQuery(metrics=[events], dimensions=dims, filters=filters, time_range=parsed.time.range,
                             grain=parsed.time.grain, conditions=conditions, count_of=entity, scope=scope,
                             share=parsed.share)

    def _belongs_to(self, metric: str, table: str) -> bool:
        """Whether the rows ``metric`` counts each belong to one row of ``table`` (invoices of an
        account), so an entity of ``table`` can have some of them."""
        home = self.model.metrics[metric].roots[0]
        path = self.model.join_path(home, table)
        return home != table and path is not None

    def _entity_dimension(self, entity: str) -> str | None:
        """The dimension that names an entity's rows (customer name for customers)."""
        shown = self.model.entities[entity].show[0]
        return next((d.name for d in self.model.dimensions.values() if d.column == shown), None)

    def _counted_entity(self, head: Mention) -> tuple[str | None, str | None]:
        """The entity a mention counts, and the metric whose filter scopes it ("buyers": customers
        with a completed order)."""
        for sense in head.senses:
            if sense.kind == "entity":
                return sense.name, None
        for sense in head.senses:
            if sense.kind != "metric":
                continue
            metric = self.model.metrics[sense.name]
            columns = list(metric.expression.find_all(exp.Column)) if isinstance(metric.expression, exp.Count) else []
            for entity in self.model.entities.values():
                if len(columns) == 1 and columns[0].name == entity.key.column:
                    return entity.name, sense.name if metric.filter_expression is not None else None
        return None, None

    def events_breakdown(self, mentions: list[Mention]) -> str | None:
        """"customers who ordered more than once": the customers (a breakdown) whose count of
        orders meets the condition; returns the metric counting their events."""
        derived = self.parsed.derived
        if not derived.times:
            return None
        first = self.parsed.conditions[derived.times[0]]
        heads = [m for m in mentions if m.chars[1] <= first.start and m.kinds() & {"entity", "metric"}]
        if not heads:
            return None
        head = heads[-1]
        entity, scope = self._counted_entity(head)
        events = events_of(self.model, entity, scope) if entity else None
        named = self._entity_dimension(entity) if entity else None
        if events is None or named is None:
            return None
        head.senses = [Sense("dimension", named)]
        head.prefix = [*head.prefix, "by"]  # the breakdown whose rows meet the condition
        self.used.add("times")
        return events

    # -- ratios ------------------------------------------------------------------------------
    def ratio(self, mentions: list[Mention]) -> Ratio | None:
        """A ratio the question asks for; the denominator's mention is taken out of ``mentions``."""
        parsed = self.parsed
        source = parsed.source
        metric_mentions = [m for m in mentions if "metric" in m.kinds()]
        for m in mentions:  # "revenue per buyer": a measure per a measure
            if m.prefix[-1:] == ["per"] and "metric" in m.kinds() and "dimension" not in m.kinds():
                before = [o for o in metric_mentions if o.end <= m.start and o is not m]
                if before:
                    mentions.remove(m)
                    numerator = self.model.metrics[self._metric_of(before[-1])]
                    if not numerator.additive and self.model.metrics[self._metric_of(m)].roots[0] in numerator.tables:
                        return None  # "avg fee per appointment": the average is already per row
                    return Ratio(numerator.name, self._metric_of(m))
        if parsed.averaged:  # "average revenue per customer": divided by the customers in its data
            for m in mentions:
                if m.prefix[-1:] == ["per"] and "entity" in m.kinds():
                    before = [o for o in metric_mentions if o.end <= m.start and o is not m]
                    entity = next(s.name for s in m.senses if s.kind == "entity")
                    if before:
                        numerator = self._metric_of(before[-1])
                        denominator = count_of_entity(self.model, numerator, entity)
                        if denominator:
                            mentions.remove(m)
                            self.used.add("average")
                            return Ratio(numerator, denominator)
        for start, end in parsed.derived.percent:  # "margin %", "return %"
            before = [o for o in metric_mentions if o.chars[1] <= start and not source[o.chars[1]:start].strip()]
            if not before:
                continue
            numerator = self._metric_of(before[-1])
            self.used.add("percent")
            rate = rate_metric(self.model, numerator)
            if rate:
                before[-1].senses = [s for s in before[-1].senses if s.kind != "metric"] + [Sense("metric", rate)]
                return None
            of = mention_after(mentions, end, {"metric"}, 2, source)
            base = self._metric_of(of) if of is not None else self.default_metric
            if of is not None:
                mentions.remove(of)
            if base is None or base == numerator or \
                    self.model.metrics[base].format != self.model.metrics[numerator].format:
                label = self.model.metrics[numerator].label.lower()
                raise NeedsClarification(f"{label.capitalize()} as a percentage of what? Name it, e.g. "
                                         f"\"{label} as a % of revenue\".")
            return Ratio(numerator, base, "percent")
        if parsed.derived.ratio and len(metric_mentions) >= 2:  # "ratio of returns to orders", "x / y"
            self.used.add("ratio")
            first, second = metric_mentions[:2]
            mentions.remove(second)
            return Ratio(self._metric_of(first), self._metric_of(second))
        return None

    def value_rate(self, mentions: list[Mention]) -> Mention | None:
        """"no-show rate by clinic", "online %": the named value's share of the rows (within
        each breakdown); the value's mention."""
        source = self.parsed.source
        spans = [(s, e, "rate") for s, e in self.parsed.derived.rates] + \
            [(s, e, "percent") for s, e in self.parsed.derived.percent]
        for start, _, word in spans:
            before = [m for m in mentions if m.chars[1] <= start and not source[m.chars[1]:start].strip()
                      and m.kinds() == {"value"}]
            if before:
                self.used.add(word)
                return before[-1]
        return None

    @staticmethod
    def _metric_of(m: Mention) -> str:
        return next(s.name for s in m.senses if s.kind == "metric")

    # -- what was not used -------------------------------------------------------------------
    def check_used(self, percentile_applied: bool = False) -> None:
        derived = self.parsed.derived
        unused = []
        if derived.percentile is not None and "percentile" not in self.used and not percentile_applied:
            unused.append("median" if derived.percentile == 0.5 else "percentile")
        if derived.percent and "percent" not in self.used:
            unused.append("%")
        if derived.ratio and "ratio" not in self.used:
            unused.append("ratio")
        if derived.repeat is not None and "repeat" not in self.used:
            unused.append("repeat")
        if derived.times and "times" not in self.used:
            unused.append("times")
        if derived.rates and "rate" not in self.used:
            unused.append("rate")
        if unused:
            words = ", ".join(f"\"{w}\"" for w in unused)
            raise NeedsClarification(f"I don't know how to apply {words} to this question. I can give "
                                     "a percentage of a measure (\"margin %\"), a ratio (\"revenue per "
                                     "buyer\"), a median (\"median order value\") or a count of those "
                                     "that did something N times (\"customers with 3+ orders\").",
                                     uncertain=True)
