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

from sqlglot import exp

from engine.language.conditions import NumericCondition, find_conditions
from engine.errors import NeedsClarification
from engine.language.refusal import check_not_mutating
from engine.semantic_model import SemanticModel
from engine.semantic_query import Condition, SemanticQuery, ValueFilter
from engine.language.spelling import SpellingCorrector, expand_casual
from engine.domain import DateRange
from engine.language.timeparse import MONTHS, NUMBER_WORDS, UNIT_ALIASES, parse_time, period_start, shift
from engine.language.vocabulary import MAX_PHRASE, Sense, Vocabulary, build_vocabulary, normalize_token, tokenize

STOPWORDS = set("""
a about across all also am an and any are as at be been by can could did do does done each
every for from get give got had has have how i in into is it its let like list many me much my
of on or our over per please pls plz show so some tell than that the their them there these
this those to total totals u us was we were what whats what's when where which who whose why
will with would you your yours overall breakdown break down split versus vs compared compare
against number count amount sum value figure figures data stat stats numbers see look looking
need want know find display return returns just only each both among between did make made
sold selling popular have having recent current latest respectively out during grouped group
within inside under thanks hi hey hello okay ok now instead again too then same also about
fetch pull enumerate listing lists where whom those up sell sells generate generated generating
bring brought earn earned earning make makes placed opened open created received raised came come
offer offers offered carry carries stock stocks exist exists available use uses used serve serves
paid paying performing performed performance performer performers doing sql query queries but
broken breaking
signed joined registered enrolled onboarded hired bought buy buying purchased unique distinct
volume volumes
went go do doing happen happened did our we breakdown look long take takes took
""".split())
AVERAGE_WORDS = {"average", "avg", "mean"}
# Words the time, ranking and condition grammar reads; known, so never "corrected" or "unknown".
GRAMMAR = set("""
today yesterday tomorrow since after before until till through last past previous trailing prior
this current ytd qtd mtd wtd date far same period ago earlier fy day days week weeks month months
quarter quarters year years daily weekly monthly quarterly yearly annually annual trend trends
trending timeline history evolution top bottom best worst highest lowest largest smallest biggest
first most least fewest max maximum min minimum greatest leading strongest weakest higher lower
more less selling sold popular than greater above exceeding exceed exceeds fewer below equal
exactly thousand million billion percent dollars usd bucks recent latest newest oldest earliest
instead now how many count number list show display give find get time over busiest quietest
slowest sort sorted sorting rank ranked ranking share percentage proportion fraction portion growth
increase decrease change changes delta grow grew growing
""".split()) | set(MONTHS) | set(UNIT_ALIASES) | set(NUMBER_WORDS)
BY_WORDS = {"by", "per", "each", "across", "every", "for each", "split", "breakdown"}
NEGATORS = {"excluding", "except", "without", "not", "exclude", "excl", "ex", "other", "minus", "non",
            "apart", "besides", "beside", "aside", "outside", "excludes", "excepting"}
VALUE_PREFIXES = {"in", "via", "through", "from", "using", "with"}
IGNORED = (STOPWORDS | NEGATORS | VALUE_PREFIXES | GRAMMAR | AVERAGE_WORDS | {"$", "&"}) - {
    "percent", "percentage"}
IGNORED |= {normalize_token(w) for w in IGNORED}  # questions are matched in normalised form ("does")


_NUM = r"\d{1,4}|" + "|".join(k for k in NUMBER_WORDS if k != "a")
_RANK_N = re.compile(r"\b(top|bottom|best|worst|highest|lowest|largest|smallest|biggest|first)\s+"
                     rf"({_NUM})\b")
_N_RANK = re.compile(rf"\b({_NUM})\s+(?:most\s+|least\s+)?(best|worst|highest|lowest|largest|smallest|"
                     r"biggest|most|least|top|bottom|greatest|fewest)\b")
_SHOW_N = re.compile(rf"\b(?:show|give|list|just|only|make it)\s+(?:me\s+)?(?:the\s+)?(?:top\s+|first\s+)?({_NUM})\b"
                     r"(?!\s*(?:%|percent|days?|weeks?|months?|quarters?|years?)\b)")
_BEST_SELLING = re.compile(r"\b(?:best|top|most)[\s-]+(?:selling|sold|popular)\b")
_TOP = re.compile(r"\btop\b")
_BOTTOM = re.compile(r"\bbottom\b")
_HIGH = re.compile(r"\b(?:highest|most|largest|biggest|max|maximum|greatest|leading|best|strongest|"
                   r"higher|more|busiest|sort(?:ed)?(?= by)|rank(?:ed)?(?= by))\b")
_LOW = re.compile(r"\b(?:lowest|least|fewest|smallest|min|minimum|worst|weakest|lower|less|cheapest|"
                  r"quietest|slowest)\b")
_WHICH = re.compile(r"\b(?:which|what|who)\b")
_COMPARE = re.compile(r"\b(?:vs|versus|compared|compare|against)\b")
_ASC_WORDS = {"bottom", "worst", "lowest", "smallest", "least", "fewest", "quietest", "slowest"}
_RECENCY = re.compile(rf"\b(?:({_NUM})\s+)?(most\s+recent|latest|newest|recent|last|oldest|earliest|"
                      rf"first)(?:\s+({_NUM}))?\b")
_LIST_VERB = re.compile(r"\b(?:list|lists|listing|show|display|give|find|get|pull|fetch|enumerate|which|"
                        r"what are|who are|all)\b")
# time units the time grammar did not take ("revenue in the first quarter") mean it misread them
_UNIT_WORDS = {"day", "week", "month", "quarter", "year", "qtr", "half", "fortnight"}
_UNSUPPORTED_TIME = re.compile(r"\b(?:day|days) of (?:the )?week\b|\bweekdays?\b|\bweekends?\b|"
                               r"\bhour of (?:the )?day\b|\bby hour\b|\bhourly\b|\btime of day\b")
_SHARE = re.compile(r"\b(?:share|percentage|percent|proportion|fraction|portion|pct)\s+of\b|(?<!\w)%\s+of\b|"
                    r"\bas\s+a\s+(?:share|percentage|percent)\b")
_GROWTH = re.compile(r"\b(?:growth(?:\s+rate)?|grow|grew|growing|change|changes|increase|decrease|"
                     r"delta)\b")
_VERB_LIKE_VALUES = {"open", "close", "closed", "return", "cancel", "complete", "solve", "pending"}
_HAVE = re.compile(r"\b(?:do|does)\s+(?:we|you|i|they)\s+(?:have|sell|carry|offer|use|serve)\b|"
                   r"\bare\s+there\b|\bexist\b|\bavailable\b")
_COUNTING = re.compile(r"\bhow\s+many\b|\bnumber\s+of\b|\bcount\s+(?:of|the)\b|^\s*count\b")
_FOLLOW_UP = re.compile(r"^\s*(?:and|now|what about|how about|what of|instead|only|just|same|also|"
                        r"then|ok|okay|but|make it|switch to|change to|break (?:it|that|this) down|"
                        r"split (?:it|that|this)|show (?:it|that|this|me that)|for|in|excluding|"
                        r"without|except|top|bottom)\b|\binstead\b|\b(?:it|that|this) by\b")
DEFAULT_TOP = 10


@dataclass
class _Mention:
    start: int  # token index
    end: int
    senses: list[Sense]
    prefix: list[str] = field(default_factory=list)  # up to two raw words before the mention
    next_word: str = ""
    chars: tuple[int, int] = (0, 0)  # character span in the question text
    negated: bool = False  # a negator ("not", "excluding", "other than") comes before it
    before: list[str] = field(default_factory=list)  # up to four words before it

    def kinds(self) -> set[str]:
        return {s.kind for s in self.senses}


@dataclass
class _Parsed:
    """What the grammar found before words are resolved against the model."""

    source: str  # the normalised question (casual forms expanded, spelling fixed)
    mentions: list[_Mention]
    conditions: list[NumericCondition]
    time: object
    order: str | None
    limit: int | None
    ranked: bool
    recency: tuple[str, int | None] | None
    listing_verb: bool
    counting: bool
    averaged: bool = False  # "average" said, outside a metric's own name
    how_much: bool = False
    rank_end: int | None = None  # where "the most"/"the fewest" ended: the noun after it is counted
    share: bool = False  # "what share of", "percentage of"
    growth: bool = False  # "growth", "change": against the previous period


def _blank(text: str, m: re.Match[str]) -> str:
    return text[: m.start()] + " " * (m.end() - m.start()) + text[m.end():]


def _count(word: str | None) -> int | None:
    if not word:
        return None
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


class Understanding:
    """Turns questions into SemanticQuery objects using the model's vocabulary."""

    def __init__(self, model: SemanticModel, values: dict[str, list[str]],
                 default_metric: str | None = None) -> None:
        self.model = model
        self.vocab: Vocabulary = build_vocabulary(model, values)
        self.default_metric = default_metric if default_metric in model.metrics else None
        vocab_words = self.vocab.words()
        self._known_words = sorted(vocab_words - STOPWORDS)
        # a past form is dropped only for a word that is a whole term on its own ("hired" -> "hire",
        # the hires metric), never for part of one ("closed": "time to close" is not "close")
        single = {key[0] for key in self.vocab.senses if len(key) == 1}
        self.speller = SpellingCorrector(vocab_words | IGNORED, vocab_words | GRAMMAR, single)
        # word -> the metrics and dimensions whose phrases contain it ("support" in "support channel")
        self._concepts: dict[str, set[str]] = {}
        for key, senses in self.vocab.senses.items():
            for word in key:
                self._concepts.setdefault(word, set()).update(
                    s.name for s in senses if s.kind in ("metric", "dimension"))

    # -- public -------------------------------------------------------------------------------
    def understand(self, question: str, as_of: dt.date,
                   previous: SemanticQuery | None = None) -> SemanticQuery:
        check_not_mutating(question)
        parsed = self._parse(question, as_of)
        follow_cue = previous is not None and bool(_FOLLOW_UP.search(parsed.source))
        entity = self._listing_entity(parsed)
        if entity is None and previous is not None and previous.entity and not any(
                "metric" in m.kinds() for m in parsed.mentions):
            entity, follow_cue = previous.entity, True  # "only online" after a listing
        if entity is not None:
            query = self._listing(entity, parsed, previous)
            if previous is not None and previous.entity == entity and follow_cue:
                return self._refine(previous, query, parsed)
            return query
        for m in parsed.mentions:
            m.senses = [s for s in m.senses if s.kind not in ("entity", "measure")]
            if any(0 <= m.chars[0] - c.end <= 3 for c in parsed.conditions) and "metric" in m.kinds():
                m.senses = [s for s in m.senses if s.kind == "metric"]  # "more than 80 employees"
        mentions = [m for m in parsed.mentions if m.senses]
        time = parsed.time
        metrics = self._metrics(mentions, parsed.ranked, bool(parsed.limit), parsed.rank_end)
        follow_up = previous is not None and (not metrics or follow_cue)
        if not metrics:
            if previous is not None:
                metrics = list(previous.metrics) if previous.metrics else []
            elif (parsed.ranked or parsed.how_much) and self.default_metric:
                metrics = [self.default_metric]
            elif parsed.counting:  # "how many contractors": count the rows the values describe
                metrics = self._count_metric(mentions)
            if not metrics and not parsed.ranked and (parsed.listing_verb or _HAVE.search(parsed.source)):
                values_query = self._values_listing(mentions)
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
        roots = self._roots(metrics)
        tables = set().union(*(self.model.metrics[m].tables for m in metrics))
        dims = self._dimensions(mentions, metrics, tables, roots, parsed)
        filters = self._filters(mentions, tables, roots, "measure", self._metric_labels(metrics))
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
        conditions = self._metric_conditions(parsed, mentions, metrics)
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

        if follow_up and previous is not None and previous.entity is None:
            update = SemanticQuery(metrics=metrics if metrics != previous.metrics else [],
                                   dimensions=group_by, filters=filters, time_range=time.range,
                                   grain=time.grain, order=cast(Literal["asc", "desc"] | None, parsed.order),
                                   limit=parsed.limit, conditions=conditions, compare=time.compare)
            return self._refine(previous, update, parsed)
        if parsed.order and not group_by and not time.grain and not time.compare:
            raise NeedsClarification(
                "Ranked by what? Name what to rank, e.g. \"top 5 products by revenue\" or "
                "\"which region has the highest revenue\".", self._dimension_list())
        query = SemanticQuery(metrics=metrics, dimensions=group_by, filters=filters,
                              time_range=time_range, grain=grain,
                              order=cast(Literal["asc", "desc"] | None, parsed.order),
                              limit=parsed.limit, conditions=conditions, compare=time.compare,
                              share=parsed.share, highlight=highlight,
                              growth=parsed.growth and not time.compare)
        self._check_combinable(query)
        return query

    # -- grammar ------------------------------------------------------------------------------
    def _parse(self, question: str, as_of: dt.date) -> _Parsed:
        text = expand_casual(question.lower().replace("\u2019", "'"))
        text = self.speller.fix(text)
        source = text
        unsupported = _UNSUPPORTED_TIME.search(text)
        if unsupported:
            raise NeedsClarification(
                f"I can't break results down by \"{unsupported[0]}\" yet; I can by day, week, month, "
                "quarter or year. Which of those do you want?", ["day", "week", "month", "quarter", "year"])
        conditions, text = find_conditions(text)
        share = _SHARE.search(text)
        if share:  # "what share of revenue comes from online": each value's part of the total
            text = _blank(text, share)
        growth = _GROWTH.search(text)
        if growth:  # "revenue growth by month": change against the previous period
            text = _blank(text, growth)
        time = parse_time(text, as_of)
        text = time.text
        counting = bool(_COUNTING.search(text))
        recency = None
        m = _RECENCY.search(text)
        if m:
            word = m[2].replace("  ", " ")
            order = "asc" if word in ("oldest", "earliest", "first") else "desc"
            recency = (order, _count(m[1] or m[3]))
            text = _blank(text, m)
        listing_verb = bool(_LIST_VERB.search(text))
        before_ranking = text
        order, limit, text, rank_end = self._ranking(text)
        ranked = rank_end is not None
        mentions, unknown = self._scan(text)
        mentions += self._superlative_measures(before_ranking, text)
        mentioned = {s.name for m in mentions for s in m.senses}
        # a word that restates a concept already named ("csat for phone support") is not unknown
        unknown = [w for w in unknown if not (self._concepts.get(w, set()) & mentioned)]
        if unknown:
            suggestions = self._suggest(unknown)
            rewrites = {}
            for word, close in suggestions:
                rewrites[close] = re.sub(rf"\b{re.escape(word)}\b", close, source, count=1)
            raise NeedsClarification(self._unknown_message(unknown),
                                     [c for _, c in suggestions], rewrites, uncertain=True)
        leftover = {w for w, _, _ in tokenize(self._unmatched(text, mentions))}
        return _Parsed(source, mentions, conditions, time, order, limit, ranked, recency,
                       listing_verb, counting, bool(leftover & AVERAGE_WORDS),
                       bool(re.search(r"\bhow\s+much\b", source)), self._quantity_end(before_ranking, rank_end),
                       share is not None, growth is not None)

    @staticmethod
    def _unmatched(text: str, mentions: list[_Mention]) -> str:
        for m in mentions:
            text = text[: m.chars[0]] + " " * (m.chars[1] - m.chars[0]) + text[m.chars[1]:]
        return text

    def _ranking(self, text: str) -> tuple[str | None, int | None, str, int | None]:
        """Order, limit, the text without the ranking words, and where those words ended."""
        m = _RANK_N.search(text)
        if m:
            return ("asc" if m[1] in _ASC_WORDS else "desc"), _count(m[2]), _blank(text, m), m.end()
        m = _N_RANK.search(text)
        if m:
            return ("asc" if m[2] in _ASC_WORDS else "desc"), _count(m[1]), _blank(text, m), m.end()
        m = _BEST_SELLING.search(text)
        if m:
            return "desc", (1 if self._asks_for_one(text, m) else None), _blank(text, m), m.end()
        m = _SHOW_N.search(text)
        if m:  # "show me 5", "just 3": that many, largest first
            return "desc", _count(m[1]), _blank(text, m), m.end()
        for pattern, order in ((_TOP, "desc"), (_BOTTOM, "asc")):
            m = pattern.search(text)
            if m:
                return order, DEFAULT_TOP, _blank(text, m), m.end()
        for pattern, order in ((_HIGH, "desc"), (_LOW, "asc")):
            m = pattern.search(text)
            if m:
                return order, (1 if self._asks_for_one(text, m) else None), _blank(text, m), m.end()
        return None, None, text, None

    @staticmethod
    def _quantity_end(before: str, rank_end: int | None) -> int | None:
        """Where "the most"/"the fewest" ended: the noun right after it is what is counted."""
        if rank_end is None:
            return None
        words = before[:rank_end].split()
        return rank_end if words and words[-1] in ("most", "least", "fewest", "more", "fewer", "less") else None

    def _asks_for_one(self, text: str, m: re.Match[str]) -> bool:
        """"which region has the highest ..." asks for one; "which stores ..." for a ranking."""
        which = _WHICH.search(text[: m.start()])
        if not which:
            return False
        around = text[which.end(): m.start()].split() + text[m.end():].split()[:1]
        return not any(normalize_token(w) != w and any(
            s.kind == "dimension" for s in self.vocab.senses.get((normalize_token(w),), []))
            for w in around)

    def _superlative_measures(self, before: str, after: str) -> list[_Mention]:
        """Measures named by the ranking words themselves: "biggest" orders rank by order value."""
        found = []
        for word, start, end in tokenize(before):
            if after[start:end].strip():
                continue  # not part of the ranking words
            senses = [s for s in self.vocab.senses.get((word,), []) if s.kind == "measure"]
            if senses:
                found.append(_Mention(-1, -1, senses, chars=(start, end)))
        return found

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
                    chars = (tokens[i][1], tokens[i + size - 1][2])
                    # "not paid by card": a negator up to four words back, since the last mention
                    since = max(0, i - 4, mentions[-1].end if mentions else 0)
                    negated = bool(set(words[since:i]) & NEGATORS)
                    mentions.append(_Mention(i, i + size, list(senses), prefix, nxt, chars, negated,
                                             words[max(0, i - 4):i]))
                    i += size
                    break
            else:
                word = words[i]
                if word in _UNIT_WORDS or word not in IGNORED and (len(word) > 1 or word.isdigit() or word == "%"):
                    unknown.append(word)  # a number or "%" nothing understood is not ignored
                i += 1
        return mentions, unknown

    def _unknown_message(self, unknown: list[str]) -> str:
        words = ", ".join(f"\"{w}\"" for w in dict.fromkeys(unknown))
        suggestions = [c for _, c in self._suggest(unknown)]
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        return (f"I don't know {words} in this data.{hint} I can answer about "
                f"{self._metric_list()}, broken down by {', '.join(self._dimension_list()[:8])}, ...")

    def _suggest(self, unknown: list[str]) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for word in dict.fromkeys(unknown):
            if not word.isalpha():
                continue
            for close in difflib.get_close_matches(word, self._known_words, n=2, cutoff=0.7):
                if close != word and close not in [c for _, c in found]:
                    found.append((word, close))
        return found

    def _metric_list(self) -> str:
        return ", ".join(m.label.lower() for m in self.model.metrics.values())

    def _dimension_list(self) -> list[str]:
        return [d.label.lower() for d in self.model.dimensions.values()]

    # -- listings -----------------------------------------------------------------------------
    def _listing_entity(self, parsed: _Parsed) -> str | None:
        """The entity whose rows are asked for ("the 5 most recent orders"), or None."""
        if not self.model.entities:
            return None
        entity_mentions = [m for m in parsed.mentions if "entity" in m.kinds()]
        if len(entity_mentions) != 1:
            return None
        candidate = entity_mentions[0]
        entity = next(s.name for s in candidate.senses if s.kind == "entity")
        for m in parsed.mentions:
            if m is candidate:
                continue
            own_measure = any(s.kind == "measure" and s.value == entity for s in m.senses)
            if "metric" in m.kinds() and not own_measure:
                return None  # "customers by revenue": an aggregate
            if "dimension" in m.kinds() and (set(m.prefix) & BY_WORDS or "value" not in m.kinds()) \
                    and not self._noun_after_value(m, parsed.mentions):
                return None  # "orders by channel", "countries with fewer than 100 orders"
        if parsed.time.grain:
            return None
        measure_named = any(s.kind == "measure" and s.value == entity
                            for m in parsed.mentions for s in m.senses)
        is_metric = any(s.kind == "metric" for s in candidate.senses)
        if parsed.counting:
            return entity if parsed.conditions or not is_metric else None
        if parsed.recency or parsed.conditions or (parsed.ranked and measure_named):
            return entity
        if parsed.listing_verb and not parsed.ranked:
            return entity
        return None

    def _listing(self, name: str, parsed: _Parsed, previous: SemanticQuery | None = None) -> SemanticQuery:
        entity = self.model.entities[name]
        label = entity.label.lower()
        mentions = [m for m in parsed.mentions if "entity" not in m.kinds()]
        for m in mentions:
            if "value" in m.kinds():
                m.senses = [s for s in m.senses if s.kind == "value"]
        tables = {c.table for c in entity.show} | {entity.table}
        filters = self._filters([m for m in mentions if "value" in m.kinds()], tables,
                                [entity.from_table], "list", f"{entity.label}s")
        named = [(m, s.name) for m in mentions for s in m.senses if s.kind == "measure" and s.value == name]
        time = parsed.time
        if (time.range or time.compare) and entity.time is None:
            raise NeedsClarification(f"{entity.label}s have no date to filter on; ask without a time "
                                     "period, or for a measure over time.")
        conditions: list[Condition] = []
        for cond in parsed.conditions:
            target = self._nearest(cond, named) or entity.default_measure
            if target is None:
                raise NeedsClarification(f"Which number about {label}s should be "
                                         f"{cond.op} {cond.value:g}?",
                                         [m.label for m in entity.measures.values()])
            conditions.append(Condition(target, cond.op, cond.value, cond.high))
        sort: str | None = None
        order = None
        limit = None
        if parsed.recency:
            order, limit = parsed.recency
            sort = "time" if entity.time else None
        if parsed.ranked and not named and previous is not None and previous.entity == name \
                and previous.sort:
            sort, order, limit = previous.sort, previous.order, parsed.limit  # "top 2 instead"
        elif parsed.ranked:
            measure = named[0][1] if named else entity.default_measure
            if measure is None:
                raise NeedsClarification(f"Rank {label}s by what?",
                                         [d.label for d in self.model.dimensions.values()][:5])
            sort, order, limit = measure, parsed.order, parsed.limit or limit
        if sort is None and entity.time is not None and not parsed.counting:
            sort, order = "time", "desc"
        return SemanticQuery(metrics=[], filters=filters, time_range=time.range,
                             order=cast(Literal["asc", "desc"] | None, order), limit=limit,
                             conditions=conditions, entity=name, sort=sort, count=parsed.counting)

    @staticmethod
    def _nearest(cond: NumericCondition, named: list[tuple[_Mention, str]]) -> str | None:
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

    def _metric_conditions(self, parsed: _Parsed, mentions: list[_Mention],
                           metrics: list[str]) -> list[Condition]:
        named = [(m, s.name) for m in mentions for s in m.senses if s.kind == "metric"]
        conditions = []
        for cond in parsed.conditions:
            target = self._nearest(cond, named) or metrics[0]
            if target not in metrics:
                metrics.append(target)
            value, high = cond.value, cond.high
            if self.model.metrics[target].format == "percent" and not cond.percent and value > 1:
                value, high = value / 100, (high / 100 if high is not None else None)
            conditions.append(Condition(target, cond.op, value, high))
        return conditions

    # -- resolving mentions -------------------------------------------------------------------
    def _metrics(self, mentions: list[_Mention], ranked: bool, has_limit: bool,
                 rank_end: int | None = None) -> list[str]:
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
                ranked_by_it = rank_end is not None and 0 <= m.chars[0] - rank_end <= 1  # "the most customers"
                # "which payment method do customers use most": the breakdown is already named
                other_breakdown = any("dimension" in o.kinds() and "metric" not in o.kinds()
                                      for o in mentions if o is not m)
                as_dim = not ranked_by_it and (bool(set(m.prefix) & BY_WORDS) or bool(metrics) or has_limit or
                                               (ranked and "value" not in kinds and not other_breakdown))
                if not as_dim and ranked and other_breakdown and not ranked_by_it:
                    m.senses = [s for s in m.senses if s.kind == "value"]  # a noun: whose choice is ranked
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

    def _values_listing(self, mentions: list[_Mention]) -> SemanticQuery | None:
        """"list our brands", "what categories do we have": the values of a dimension."""
        dims = [m for m in mentions if "dimension" in m.kinds() and "value" not in m.kinds()]
        if len(dims) != 1:
            return None
        names = [s.name for s in dims[0].senses if s.kind == "dimension"]
        if len(names) > 1:
            options = [self.model.dimensions[d].label for d in names]
            raise NeedsClarification(f"Do you mean {' or '.join(options)}?", options)
        table = self.model.dimensions[names[0]].column.table
        filters = self._filters([m for m in mentions if "value" in m.kinds()], {table}, [table],
                                "list", self.model.dimensions[names[0]].label)
        return SemanticQuery(metrics=[], dimensions=names, filters=filters)

    def _count_metric(self, mentions: list[_Mention]) -> list[str]:
        tables = {self.model.dimensions[s.name].column.table for m in mentions for s in m.senses
                  if s.kind in ("value", "dimension")}
        for name, metric in self.model.metrics.items():
            if metric.roots[0] in tables and isinstance(metric.expression, exp.Count):
                return [name]
        return []

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

    def _reachable_dims(self, names: list[str], tables: set[str], roots: list[str]) -> list[str]:
        ok = []
        for name in names:
            table = self.model.dimensions[name].column.table
            if any(self.model.reachable(r, tables | {table}) for r in roots):
                ok.append(name)
        return ok

    def _dimensions(self, mentions: list[_Mention], metrics: list[str], tables: set[str],
                    roots: list[str], parsed: _Parsed) -> list[tuple[str, bool]]:
        """Dimensions to group by, each with whether it was asked for explicitly ("by X")."""
        ranked = parsed.ranked or bool(parsed.limit)
        out: list[tuple[str, bool]] = []
        for m in mentions:
            dim_senses = [s.name for s in m.senses if s.kind == "dimension"]
            value_senses = [s for s in m.senses if s.kind == "value"]
            if not dim_senses:
                continue
            explicit = bool(set(m.prefix) & BY_WORDS)
            if not explicit and self._noun_after_value(m, mentions):
                m.senses = []  # "enterprise customers", "home and kitchen products": the value's noun
                continue
            if value_senses and not explicit and not ranked:
                value_dims = {s.name for s in value_senses}
                if (set(m.prefix) & VALUE_PREFIXES) or self._is_dim_word(m.next_word, value_dims) \
                        or self._is_metric_word(m.next_word):
                    continue  # "in store", "store channel", "store orders": the value, a filter
            m.senses = [s for s in m.senses if s.kind == "dimension"]
            reachable = self._reachable_dims(dim_senses, tables, roots)
            if not reachable:  # "stores by country": the one country these data have
                reachable = self._same_named(dim_senses, tables, roots)
            if not reachable:
                labels = " or ".join(self.model.dimensions[d].label.lower() for d in dim_senses)
                raise NeedsClarification(
                    f"{self._metric_labels(metrics)} can't be broken down by {labels}. "
                    "Which breakdown do you want?",
                    [self.model.dimensions[d].label for d in self._reachable_dims(
                        list(self.model.dimensions), tables, roots)])
            if len(reachable) > 1:
                options = [self.model.dimensions[d].label for d in reachable]
                raise NeedsClarification(
                    f"Do you mean {' or '.join(options)}?", options,
                    {o: self._rewrite(parsed.source, m, o.lower()) for o in options})
            out.append((reachable[0], explicit))
        return out

    def _same_named(self, dims: list[str], tables: set[str], roots: list[str]) -> list[str]:
        """The one reachable dimension named like an unreachable one (store country for country)."""
        words = {self.model.dimensions[d].label.lower().split()[-1] for d in dims}
        others = [d.name for d in self.model.dimensions.values()
                  if d.name not in dims and d.label.lower().split()[-1] in words]
        reachable = self._reachable_dims(others, tables, roots)
        return reachable if len(reachable) == 1 else []

    def _noun_after_value(self, m: _Mention, mentions: list[_Mention]) -> bool:
        """"the books category", "enterprise customers": the word only names what the value
        right before it is (a dimension on the value's own table)."""
        tables = {self.model.dimensions[s.name].column.table for s in m.senses if s.kind == "dimension"}
        return any(o.end == m.start and any(s.kind == "value" and
                                            self.model.dimensions[s.name].column.table in tables
                                            for s in o.senses) for o in mentions)

    @staticmethod
    def _rewrite(source: str, mention: _Mention, words: str) -> str:
        start, end = mention.chars
        return source[:start] + words + source[end:]

    def _is_metric_word(self, word: str) -> bool:
        return any(s.kind == "metric" for s in self.vocab.senses.get((word,), []))

    def _is_dim_word(self, word: str, dims: set[str]) -> bool:
        senses = self.vocab.senses.get((word,), [])
        return any(s.kind == "dimension" and s.name in dims for s in senses)

    def _filters(self, mentions: list[_Mention], tables: set[str], roots: list[str],
                 verb: str, what: str) -> list[ValueFilter]:
        grouped: dict[tuple[str, bool], list[str]] = {}
        last: tuple[str, bool, int] | None = None  # dimension, negated, end of the last value
        for m in mentions:
            values = [s for s in m.senses if s.kind == "value"]
            if not values or self._verb_not_value(m):
                continue
            dims = self._reachable_dims(list(dict.fromkeys(s.name for s in values)), tables, roots)
            if not dims:
                where = " or ".join(self.model.dimensions[s.name].label.lower() for s in values)
                raise NeedsClarification(
                    f"{what} can't be filtered by {where} \"{values[0].value}\". "
                    f"Try another filter or {verb}.")
            if len(dims) > 1:
                preferred = [d for d in dims if self.model.dimensions[d].prefer_for_values]
                if len(preferred) != 1:
                    options = [f"{self.model.dimensions[d].label} {self._value_of(values, d)}"
                               for d in dims]
                    raise NeedsClarification(f"Do you mean {' or '.join(options)}?", options)
                dims = preferred
            dim = dims[0]
            negate = m.negated
            if last and last[0] == dim and last[1] and m.prefix[-1:] in (["and"], ["or"], ["nor"]) \
                    and m.start == last[2] + 1:
                negate = True  # "excluding books and beauty": both excluded
            last = (dim, negate, m.end)
            bucket = grouped.setdefault((dim, negate), [])
            value = self._value_of(values, dim)
            if value not in bucket:
                bucket.append(value)
        return [ValueFilter(dim, vals, neg) for (dim, neg), vals in grouped.items()]

    @staticmethod
    def _verb_not_value(m: _Mention) -> bool:
        """"how many tickets did customers open": the verb, not the status "Open"."""
        return m.end - m.start == 1 and m.next_word in ("", "in", "on", "during", "since", "last", "this") \
            and any((s.value or "").lower() in _VERB_LIKE_VALUES for s in m.senses if s.kind == "value") \
            and bool(set(m.before) & {"did", "do", "does", "will", "to"})

    @staticmethod
    def _value_of(values: list[Sense], dim: str) -> str:
        return next(s.value for s in values if s.name == dim and s.value is not None)

    def _metric_labels(self, metrics: list[str]) -> str:
        return " and ".join(self.model.metrics[m].label for m in metrics)

    def _check_combinable(self, query: SemanticQuery) -> None:
        times = {str(self.model.metrics[m].time) for m in query.metrics}
        undated = [self.model.metrics[m].label for m in query.metrics if self.model.metrics[m].time is None]
        if undated and (query.time_range or query.grain):
            raise NeedsClarification(f"{' and '.join(undated)} has no date to filter or trend on; "
                                     "ask without a time period.")
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
    @staticmethod
    def _names_measure(parsed: _Parsed) -> bool:
        return any(s.kind == "measure" for m in parsed.mentions for s in m.senses)

    def _refine(self, previous: SemanticQuery, update: SemanticQuery, parsed: _Parsed) -> SemanticQuery:
        """The previous question of the thread changed by what the follow-up says."""
        merged = {(f.dimension, f.negate): f for f in previous.filters}
        dims = list(update.dimensions or previous.dimensions)
        for f in update.filters:
            merged[(f.dimension, f.negate)] = f
            if not update.dimensions and len(f.values) == 1 and not f.negate and f.dimension in dims:
                dims.remove(f.dimension)  # "by region" then "what about EMEA?": EMEA alone
        conditions = {c.target: c for c in previous.conditions}
        conditions.update({c.target: c for c in update.conditions})
        time_range, compare = previous.time_range, previous.compare
        if update.time_range is not None:
            time_range, compare = update.time_range, update.compare
        query = replace(
            previous,
            metrics=list(update.metrics or previous.metrics),
            dimensions=dims if not previous.entity else [],
            filters=list(merged.values()),
            time_range=time_range, compare=compare,
            grain=update.grain or previous.grain,
            order=update.order or previous.order,
            limit=update.limit if update.limit is not None else previous.limit,
            conditions=list(conditions.values()),
            sort=update.sort if parsed.recency or self._names_measure(parsed) else previous.sort,
            count=update.count if previous.entity else False,
        )
        if query.metrics:
            self._check_combinable(query)
        return query
