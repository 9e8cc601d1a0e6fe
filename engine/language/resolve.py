"""Mentions -> metrics, breakdowns and filters, resolved against the model.

A word with several senses resolves by what is measured (a dimension must be reachable from the
metric's tables), then by the model's declared default (``default: true``: unqualified "region"
is the customer's), said in the answer with a one-click alternative; only a tie nothing settles
is asked about. A value becomes a filter only when the question spelt it (or a model alias of
it): a value reached by a spelling correction is asked about ("Did you mean Online?").
"""

from __future__ import annotations

from sqlglot import exp

from engine.errors import NeedsClarification
from engine.language.conditions import NumericCondition
from engine.language.mentions import Mention
from engine.language.reading import Reading
from engine.language.vocabulary import Sense, Vocabulary
from engine.semantic_model import SemanticModel
from engine.semantic_query import Condition, SemanticQuery, ValueFilter

BY_WORDS = {"by", "per", "each", "across", "every", "for each", "split", "breakdown"}
VALUE_PREFIXES = {"in", "via", "through", "from", "using", "with", "at"}
_VERB_LIKE_VALUES = {"open", "close", "closed", "return", "cancel", "complete", "solve", "pending"}
# a qualifier after one of these binds to the noun before it: "stores in Germany"
_QUALIFIER_PREPOSITIONS = {"in", "from", "at", "located", "based"}


class Resolver:
    """Resolves mentions for one question; collects assumptions and alternatives on the way."""

    def __init__(self, model: SemanticModel, vocab: Vocabulary, reading: Reading) -> None:
        self.model = model
        self.vocab = vocab
        self.reading = reading
        self.alternatives: dict[str, str] = {}  # one-click alternative -> the question rewritten

    # -- metrics ------------------------------------------------------------------------------
    def metrics(self, mentions: list[Mention], ranked: bool, has_limit: bool,
                rank_end: int | None = None, conditioned: bool = False, by_time: bool = False) -> list[str]:
        """The metrics the mentions name; a word that is both a metric and a breakdown (or a
        value) is the breakdown only when something picks its rows ("top 5 customers"); when
        periods are ranked ("the worst month for returns") it is the measure."""
        if by_time:
            has_limit, ranked = False, False
        for m in mentions:
            self._total_of(m)
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
            kinds = m.kinds()
            if "metric" in kinds and kinds != {"metric"}:
                # "the most customers", "the most active accounts" (values may come between)
                ranked_by_it = rank_end is not None and 0 <= m.chars[0] - rank_end and \
                    self._only_values_between(rank_end, m.chars[0], mentions)
                # "which payment method do customers use most": the breakdown is already named
                other_breakdown = any("dimension" in o.kinds() and "metric" not in o.kinds()
                                      for o in mentions if o is not m)
                # with a measure named, a noun is a breakdown when something picks its rows
                # ("customers with 5+ orders", "which customers spent", "top customers"); else
                # it only says whose data ("how much did customers in the US spend")
                picked = conditioned or ranked or bool(set(m.before[-2:]) & {"which", "what", "who"})
                as_dim = not ranked_by_it and (bool(set(m.prefix) & BY_WORDS) or has_limit or
                                               (bool(metrics) and picked) or
                                               (ranked and "value" not in kinds and not other_breakdown))
                if not as_dim and ranked and other_breakdown and not ranked_by_it:
                    m.senses = [s for s in m.senses if s.kind == "value"]  # a noun: whose choice is ranked
                elif not as_dim and metrics and not ranked_by_it:
                    m.senses = [s for s in m.senses if s.kind == "value"]  # whose data
                elif not as_dim:
                    for s in m.senses:
                        if s.kind == "metric" and s.name not in metrics:
                            metrics.append(s.name)
                    m.senses = [s for s in m.senses if s.kind == "metric"]
                elif metrics and m.prefix[-1:] in (["from"], ["for"], ["of"], ["among"], ["to"]) \
                        and not ranked and not has_limit:
                    # "revenue from customers in EMEA": the word says whose data, not a breakdown
                    m.senses = [s for s in m.senses if s.kind == "value"]
                else:
                    m.senses = [s for s in m.senses if s.kind != "metric"]
        return metrics

    def _only_values_between(self, start: int, end: int, mentions: list[Mention]) -> bool:
        gap = self.reading.source[start:end]
        for m in mentions:
            if start <= m.chars[0] and m.chars[1] <= end and m.kinds() == {"value"} | (m.kinds() & {"dimension"}):
                offset = m.chars[0] - start
                gap = gap[:offset] + " " * (m.chars[1] - m.chars[0]) + gap[offset + m.chars[1] - m.chars[0]:]
        return not gap.strip()

    def _total_of(self, m: Mention) -> None:
        """"invoice total", "order amount": the money total of the rows a count names, when the
        model has exactly one on that table."""
        after = self.reading.source[m.chars[1]:].split()[:1]
        if not after or after[0].strip("?,.") not in ("total", "totals", "amount", "amounts", "sum", "value"):
            return
        counts = [s for s in m.senses if s.kind == "metric" and isinstance(self.model.metrics[s.name].expression, exp.Count)]
        if not counts:
            return
        table = self.table_of(counts[0])
        totals = [name for name, metric in self.model.metrics.items() if metric.additive and
                  metric.format == "currency" and metric.roots[0] == table and len(metric.tables) == 1]
        if len(totals) == 1:
            m.senses = [Sense("metric", totals[0])]

    def count_metric(self, mentions: list[Mention]) -> list[str]:
        """"how many contractors", "top ticket topics": the count of the rows the words name,
        when one table holds them all and the model counts its rows."""
        tables: set[str] | None = None
        # "which account used the api the most": the rows the values pick are what is counted
        valued = [m for m in mentions if m.kinds() == {"value"}]
        for m in valued or mentions:
            mine = {t for s in m.senses if s.kind in ("value", "dimension", "entity")
                    for t in [self.table_of(s)] if t}
            if mine:
                tables = mine if tables is None else tables & mine
        # never the count of the breakdown's own rows ("which clinic grew": one clinic per clinic)
        own = {self.model.dimensions[s.name].column.table for m in mentions for s in m.senses
               if s.kind == "dimension" and self._names_rows(s.name)}
        candidates = [name for name, metric in self.model.metrics.items()
                      if tables and metric.roots[0] in tables and isinstance(metric.expression, exp.Count)
                      and metric.filter_expression is None and metric.roots[0] not in own]
        by_table = {self.model.metrics[c].roots[0] for c in candidates}
        return candidates[:1] if len(by_table) == 1 else []

    def _names_rows(self, dimension: str) -> bool:
        """Whether a dimension is the name (or key) of its table's entity: one value per row."""
        dim = self.model.dimensions[dimension]
        return dim.key is not None or any(
            e.table == dim.column.table and dim.column in (e.key, *e.show[:2]) for e in self.model.entities.values())

    def reaches(self, metric: str, mentions: list[Mention]) -> bool:
        """Whether every breakdown or value the mentions name can go with ``metric``."""
        roots = self.model.metrics[metric].roots
        tables = self.model.metrics[metric].tables
        for m in mentions:
            names = [s.name for s in m.senses if s.kind in ("dimension", "value")]
            if names and not self.reachable_dims(list(dict.fromkeys(names)), tables, roots):
                return False
        return True

    def roots(self, metrics: list[str]) -> list[str]:
        roots = list(self.model.metrics[metrics[0]].roots)
        for name in metrics[1:]:
            roots = [r for r in roots if r in self.model.metrics[name].roots]
        if not roots:
            labels = " and ".join(self.model.metrics[m].label for m in metrics)
            raise NeedsClarification(f"{labels} come from different data and can't be combined in "
                                     "one answer. Which one do you want?",
                                     [self.model.metrics[m].label for m in metrics])
        return roots

    def metric_labels(self, metrics: list[str]) -> str:
        return " and ".join(self.model.metrics[m].label for m in metrics)

    # -- breakdowns ---------------------------------------------------------------------------
    def reachable_dims(self, names: list[str], tables: set[str], roots: list[str]) -> list[str]:
        ok = []
        for name in names:
            table = self.model.dimensions[name].column.table
            if any(self.model.reachable(r, tables | {table}) for r in roots):
                ok.append(name)
        return ok

    def dimensions(self, mentions: list[Mention], metrics: list[str], tables: set[str],
                   roots: list[str], ranked: bool) -> list[tuple[str, bool]]:
        """Dimensions to group by, each with whether it was asked for explicitly ("by X")."""
        out: list[tuple[str, bool]] = []
        for m in mentions:
            dim_senses = [s.name for s in m.senses if s.kind == "dimension"]
            value_senses = [s for s in m.senses if s.kind == "value"]
            if not dim_senses:
                continue
            explicit = bool(set(m.prefix) & BY_WORDS)
            if self._qualifies_next(m, mentions):
                m.senses = []  # "rep team": the team of the rep
                continue
            # "the top 5 enterprise accounts": in a ranking without another breakdown, the noun
            # after a value is what is ranked; elsewhere it only names the value's rows
            ranked_noun = ranked and not any(o is not m and "dimension" in o.kinds() and "value" not in o.kinds()
                                             for o in mentions)
            if not explicit and not ranked_noun and self.noun_after_value(m, mentions):
                m.senses = []  # "enterprise customers", "home and kitchen products": the value's noun
                continue
            if value_senses and not explicit and not ranked:
                value_dims = {s.name for s in value_senses}
                if (set(m.prefix) & VALUE_PREFIXES) or self._is_dim_word(m.next_word, value_dims) \
                        or self._is_metric_word(m.next_word):
                    continue  # "in store", "store channel", "store orders": the value, a filter
            m.senses = [s for s in m.senses if s.kind == "dimension"]
            reachable = self.reachable_dims(dim_senses, tables, roots)
            if not reachable:  # "stores by country": the one country these data have
                reachable = self._same_named(dim_senses, tables, roots)
            if not reachable:
                labels = " or ".join(self.model.dimensions[d].label.lower() for d in dim_senses)
                raise NeedsClarification(
                    f"{self.metric_labels(metrics)} can't be broken down by {labels}. "
                    "Which breakdown do you want?",
                    [self.model.dimensions[d].label for d in self.reachable_dims(
                        list(self.model.dimensions), tables, roots)])
            if len(reachable) > 1:
                reachable = self.nearest_dims(reachable, tables)
            if len(reachable) > 1:
                reachable = [self._default_sense(m, reachable, tables)]
            out.append((reachable[0], explicit))
        return out

    def nearest_dims(self, dims: list[str], tables: set[str]) -> list[str]:
        """A word several tables have ("status") means the one of the table measured, or the
        nearest to it: the dimensions fewest joins away from the metric's own tables."""
        def distance(dim: str) -> float:
            target = self.model.dimensions[dim].column.table
            paths = [self.model.join_path(t, target) for t in tables]
            return min((len(p) for p in paths if p is not None), default=float("inf"))

        best = min(distance(d) for d in dims)
        nearest = [d for d in dims if distance(d) == best]
        return nearest if best != float("inf") else dims

    def _default_sense(self, m: Mention, dims: list[str], measured: set[str]) -> str:
        """The model's default among several senses of one word (for the measured tables), with
        the others offered as one-click alternatives; without a single default, it is asked."""
        labels = {d: self.model.dimensions[d].label for d in dims}
        defaults = [d for d in dims if self.model.dimensions[d].is_default(measured)]
        rewrites = {labels[d]: self.rewrite(m, labels[d].lower()) for d in dims}
        if len(defaults) != 1:
            options = list(labels.values())
            raise NeedsClarification(f"Do you mean {' or '.join(options)}?", options, rewrites)
        chosen = defaults[0]
        for d in dims:
            if d != chosen:
                self.alternatives[f"{labels[d]} instead"] = rewrites[labels[d]]
        return chosen

    def _qualifies_next(self, m: Mention, mentions: list[Mention]) -> bool:
        """"rep team", "account industry": a noun naming a table's rows right before another
        dimension of the same table is only whose that dimension is."""
        nxt = next((o for o in mentions if o is not m and o.chars[0] >= m.chars[1]
                    and not self.reading.source[m.chars[1]:o.chars[0]].strip()), None)
        if nxt is None or "dimension" not in nxt.kinds() or "value" in m.kinds():
            return False
        mine = {self.table_of(s) for s in m.original if s.kind in ("entity", "dimension")}
        theirs = {self.table_of(s) for s in nxt.senses if s.kind == "dimension"}
        names = {s.name for s in m.senses if s.kind == "dimension"}
        return bool(mine & theirs) and not names & {s.name for s in nxt.senses}

    def _same_named(self, dims: list[str], tables: set[str], roots: list[str]) -> list[str]:
        """The one reachable dimension named like an unreachable one (store country for country)."""
        words = {self.model.dimensions[d].label.lower().split()[-1] for d in dims}
        others = [d.name for d in self.model.dimensions.values()
                  if d.name not in dims and d.label.lower().split()[-1] in words]
        reachable = self.reachable_dims(others, tables, roots)
        return reachable if len(reachable) == 1 else []

    def noun_after_value(self, m: Mention, mentions: list[Mention]) -> bool:
        """"the books category", "enterprise customers": the word only names what the value
        right before it is (a dimension on the value's own table)."""
        tables = {self.model.dimensions[s.name].column.table for s in m.senses if s.kind == "dimension"}
        return any(o.end == m.start and any(s.kind == "value" and
                                            self.model.dimensions[s.name].column.table in tables
                                            for s in o.senses) for o in mentions)

    def rewrite(self, mention: Mention, words: str) -> str:
        start, end = mention.chars
        return self.reading.source[:start] + words + self.reading.source[end:]

    def _is_metric_word(self, word: str) -> bool:
        return any(s.kind == "metric" for s in self.vocab.senses.get((word,), []))

    def _is_dim_word(self, word: str, dims: set[str]) -> bool:
        senses = self.vocab.senses.get((word,), [])
        return any(s.kind == "dimension" and s.name in dims for s in senses)

    # -- filters ------------------------------------------------------------------------------
    def filters(self, mentions: list[Mention], tables: set[str], roots: list[str],
                verb: str, what: str, all_mentions: list[Mention] | None = None) -> list[ValueFilter]:
        grouped: dict[tuple[str, bool], list[str]] = {}
        last: tuple[str, bool, int] | None = None  # dimension, negated, end of the last value
        for m in mentions:
            values = [s for s in m.senses if s.kind == "value"]
            if not values or self._verb_not_value(m):
                continue
            dims = self.reachable_dims(list(dict.fromkeys(s.name for s in values)), tables, roots)
            if not dims:
                where = " or ".join(self.model.dimensions[s.name].label.lower() for s in values)
                raise NeedsClarification(
                    f"{what} can't be filtered by {where} \"{values[0].value}\". "
                    f"Try another filter or {verb}.")
            if self.reading.correction_in(*m.chars) is not None:
                self._check_spelt(m, self.value_of(values, dims[0]), dims[0])
            dims = self._of_noun(m, values, dims, all_mentions or mentions)
            if len(dims) > 1:
                dims = self._qualified(m, dims, all_mentions or mentions) or dims
            if len(dims) > 1:
                dims = self.nearest_dims(dims, tables)
            if len(dims) > 1:
                preferred = [d for d in dims if self.model.dimensions[d].is_default(tables)]
                if len(preferred) != 1:
                    options = [f"{self.model.dimensions[d].label} {self.value_of(values, d)}"
                               for d in dims]
                    raise NeedsClarification(f"Do you mean {' or '.join(options)}?", options)
                dims = preferred
            dim = dims[0]
            value = self.value_of(values, dim)
            self._check_spelt(m, value, dim)
            negate = m.negated
            if last and last[0] == dim and last[1] and m.prefix[-1:] in (["and"], ["or"], ["nor"]) \
                    and m.start == last[2] + 1:
                negate = True  # "excluding books and beauty": both excluded
            last = (dim, negate, m.end)
            bucket = grouped.setdefault((dim, negate), [])
            if value not in bucket:
                bucket.append(value)
        return [ValueFilter(dim, vals, neg) for (dim, neg), vals in grouped.items()]

    def _of_noun(self, m: Mention, values: list[Sense], dims: list[str], mentions: list[Mention]) -> list[str]:
        """"EMEA stores", "berlin customers": a value right before a noun describes the noun's
        rows, so it is the value's dimension those rows have (the store's region); a value the
        noun's rows cannot have is asked about, never applied to something else."""
        noun = next((o for o in mentions if o is not m and o.chars[0] >= m.chars[1]
                     and not self.reading.source[m.chars[1]:o.chars[0]].strip()), None)
        if noun is None:
            return dims
        nouns = [s for s in noun.original if s.kind in ("entity", "dimension")]
        tables = {t for s in nouns for t in [self.table_of(s)] if t}
        if not tables or any(s.kind == "value" for s in m.original if s.name in
                             {n.name for n in nouns}):
            return dims
        own = [d for d in dims if any(self.model.join_path(t, self.model.dimensions[d].column.table) is not None
                                      for t in tables)]
        if own:
            return own
        noun_label = nouns[0]
        what = (self.model.entities[noun_label.name].label if noun_label.kind == "entity"
                else self.model.dimensions[noun_label.name].label)
        labels = " or ".join(self.model.dimensions[d].label.lower() for d in dims)
        value = self.value_of(values, dims[0])
        raise NeedsClarification(f"{what}s don't have a {labels}, so I can't read \"{value} "
                                 f"{self.reading.source[noun.chars[0]:noun.chars[1]]}\". Did you mean "
                                 f"{labels} {value}?", [f"{self.model.dimensions[d].label} {value}" for d in dims])

    def _qualified(self, m: Mention, dims: list[str], mentions: list[Mention]) -> list[str]:
        """"stores in Germany": a value after "<noun> in" qualifies that noun, so the value's
        dimension on the noun's own table is meant (the store's country)."""
        if not set(m.before[-2:]) & _QUALIFIER_PREPOSITIONS:
            return []
        head = next((o for o in reversed(mentions) if o.end <= m.start and m.start - o.end <= 2), None)
        if head is None:
            return []
        nouns = [s for s in head.original if s.kind in ("entity", "dimension")] or head.senses
        tables = {self.table_of(s) for s in nouns} - {None}
        return [d for d in dims if self.model.dimensions[d].column.table in tables]

    def table_of(self, sense: Sense) -> str | None:
        if sense.kind == "entity":
            return self.model.entities[sense.name].table
        if sense.kind in ("dimension", "value"):
            return self.model.dimensions[sense.name].column.table
        if sense.kind == "metric":
            metric = self.model.metrics[sense.name]
            return metric.roots[0] if len(metric.tables) == 1 else None
        return None

    def _check_spelt(self, m: Mention, value: str, dim: str) -> None:
        """A filter value only from words the question spelt: a corrected word is asked about."""
        correction = self.reading.correction_in(*m.chars)
        if correction is None:
            return
        label = self.model.dimensions[dim].label.lower()
        option = value
        rewrite = self.reading.source[:m.chars[0]] + value.lower() + self.reading.source[m.chars[1]:]
        raise NeedsClarification(f"Did you mean {value} ({label}) for \"{correction.original}\"?",
                                 [option], {option: rewrite})

    @staticmethod
    def _verb_not_value(m: Mention) -> bool:
        """"how many tickets did customers open": the verb, not the status "Open"."""
        return m.end - m.start == 1 and m.next_word in ("", "in", "on", "during", "since", "last", "this") \
            and any((s.value or "").lower() in _VERB_LIKE_VALUES for s in m.senses if s.kind == "value") \
            and bool(set(m.before) & {"did", "do", "does", "will", "to"})

    @staticmethod
    def value_of(values: list[Sense], dim: str) -> str:
        return next(s.value for s in values if s.name == dim and s.value is not None)

    # -- conditions ---------------------------------------------------------------------------
    def metric_conditions(self, conditions: list[NumericCondition], mentions: list[Mention],
                          metrics: list[str]) -> list[Condition]:
        named = [(m, s.name) for m in mentions for s in m.senses if s.kind == "metric"]
        out = []
        for cond in conditions:
            target = nearest(cond, named) or metrics[0]
            if cond.money and self.model.metrics[target].format != "currency":
                money = [m for m in metrics if self.model.metrics[m].format == "currency"]
                if len(money) != 1:
                    raise NeedsClarification(f"Which amount should be {cond.op} {cond.value:,.0f}? "
                                             f"{self.model.metrics[target].label} is not an amount of money.")
                target = money[0]
            if target not in metrics:
                metrics.append(target)
            value, high = cond.value, cond.high
            if self.model.metrics[target].format == "percent" and not cond.percent and value > 1:
                value, high = value / 100, (high / 100 if high is not None else None)
            out.append(Condition(target, cond.op, value, high))
        return out

    # -- checks -------------------------------------------------------------------------------
    def check_combinable(self, query: SemanticQuery) -> None:
        times = {str(self.model.metrics[m].time) for m in query.metrics}
        undated = [self.model.metrics[m].label for m in query.metrics if self.model.metrics[m].time is None]
        if undated and (query.time_range or query.grain):
            raise NeedsClarification(f"{' and '.join(undated)} has no date to filter or trend on; "
                                     "ask without a time period.")
        if len(times) > 1 and (query.time_range or query.grain):
            raise NeedsClarification(
                f"{self.metric_labels(query.metrics)} are measured on different dates "
                f"({', '.join(sorted(times))}); ask for them one at a time.")
        needed = set().union(*(self.model.metrics[m].tables for m in query.metrics))
        needed |= {self.model.dimensions[d].column.table for d in query.dimensions}
        needed |= {self.model.dimensions[f.dimension].column.table for f in query.filters}
        if not any(self.model.reachable(r, needed) for r in self.roots(query.metrics)):
            raise NeedsClarification(
                f"I can't combine {self.metric_labels(query.metrics)} with that breakdown and "
                "filter in one answer. Could you ask for fewer breakdowns?")


def nearest(cond: NumericCondition, named: list[tuple[Mention, str]]) -> str | None:
    """The metric or measure a condition is about: named right after it ("over 1M in
    revenue") or right before it ("revenue over 1M", "that cost more than $500")."""
    best: tuple[int, str] | None = None
    for m, name in named:
        after = m.chars[0] - cond.end
        before = cond.start - m.chars[1]
        gap = after if 0 <= after <= 14 else before if 0 <= before <= 26 else None
        if gap is not None and (best is None or gap < best[0]):
            best = (gap, name)
    return best[1] if best else None
