"""The grammar pass: every word of a question read by a parser, the vocabulary, or as filler.

Parsers run in a fixed order, each claiming the words it reads (``Reading``): numeric conditions,
shares, growth, time, counting, recency, ranking; then the vocabulary's phrases (metrics,
dimensions, values, entities, measures). The words left are filler in their context
(``engine.language.filler``) or unknown, and a question with unknown words is not answered: the
bot names them and suggests the closest words it knows.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field

from sqlglot import exp

from engine.errors import NeedsClarification
from engine.language.abbreviations import Abbreviations
from engine.language.absence import Absence, find_absence
from engine.language.conditions import NumericCondition, find_conditions
from engine.language.filler import (EVENT_VERBS, FOLLOW_UP_WORDS, FUNCTION_WORDS, MEASURE_WORDS,
                                    REQUEST_WORDS, FillerContext, filler_role)
from engine.language.measures import DerivedWords, find_derived
from engine.language.mentions import NEGATORS, Mention, scan
from engine.language.ranking import Ranking, find_ranking, find_recency
from engine.language.reading import Reading
from engine.language.spelling import SpellingCorrector
from engine.language.text import normalize
from engine.language.timeparse import MONTHS, NUMBER_WORDS, UNIT_ALIASES, TimeParse, parse_time
from engine.language.vocabulary import Sense, Vocabulary, normalize_token, tokenize
from engine.semantic_model import SemanticModel

AVERAGE_WORDS = {"average", "avg", "mean"}
# words the grammar reads: known, so never "corrected" into something else
GRAMMAR_WORDS = set("""
today yesterday tomorrow since after before until till through last past previous trailing prior
this current ytd qtd mtd wtd date far same period ago earlier fy day days week weeks month months
quarter quarters year years daily weekly monthly quarterly yearly annually annual trend trends
trending timeline history evolution top bottom best worst highest lowest largest smallest biggest
first most least fewest max maximum min minimum greatest leading strongest weakest higher lower
more less selling sold popular than greater above exceeding exceed exceeds fewer below equal
exactly thousand million billion percent dollars usd bucks recent latest newest oldest earliest
instead now how many count number list show display give find get time over busiest quietest
slowest fastest quickest cheapest longest shortest sort sorted sorting rank ranked ranking share
percentage proportion fraction portion growth increase decrease change changes delta grow grew
growing excluding except without exclude excl other minus non apart besides beside aside outside
excludes excepting average mean rate rates
""".split()) | set(MONTHS) | set(UNIT_ALIASES) | set(NUMBER_WORDS)
FILLER_WORDS = FUNCTION_WORDS | REQUEST_WORDS | MEASURE_WORDS | EVENT_VERBS | FOLLOW_UP_WORDS | {"us", "long", "new"}
_UNSUPPORTED_TIME = re.compile(r"\b(?:day|days) of (?:the )?week\b|\bweekdays?\b|\bweekends?\b|"
                               r"\bhour of (?:the )?day\b|\bby hour\b|\bhourly\b|\btime of day\b")
_SHARE = re.compile(r"\b(?:share|percentage|percent|proportion|fraction|portion|pct)\s+of\b|(?<!\w)%\s+of\b|"
                    r"\bas\s+a\s+(?:share|percentage|percent)\b|\b(?:share|shares|proportion)\b")
_GROWTH = re.compile(r"\b(?:growth(?:\s+rate)?|grow|grew|growing|change|changes|increase|increased|increasing|"
                     r"decrease|decreased|decreasing|delta|drop|dropped|dropping|declin(?:e|ed|ing)|rise|rose|rising|"
                     r"(?:go|goes|going|went|gone|trending)\s+(?:up|down))\b")
_COUNTING = re.compile(r"\bhow\s+many\b|\bnumber\s+of\b|\bcount\s+(?:of|the)\b|^\s*count\b")
_LIST_VERB = re.compile(r"\b(?:list|lists|listing|show|display|give|find|get|pull|fetch|enumerate|which|"
                        r"what are|who are|all)\b")
_UPPER = re.compile(r"\b[A-Z]{2,}\b")
_RATE = re.compile(r"\brates?\b")
_DURATION_WORDS = re.compile(r"\b(?:time|hours?|days?|minutes?|seconds?|duration)\b")
# "how long does it take to close ...": the duration metric named by its verb ("time to close")
_HOW_LONG = re.compile(r"\bhow\s+(?:long|many\s+(?:hours|days|minutes))(?:\s+(?:does|do|did|will|would|is|are|was|on\s+average))*"
                       r"(?:\s+(?:it|we|they|you|one|the\s+team|support|agents?))?(?:\s+(?:take|takes|took|taking|need|needs))?"
                       r"(?:\s+(?:us|them|you))?(?:\s+(?:on\s+average|to|for))*\s+([a-z]+)")
# "year over year", "qoq" (written out): a change against the previous period of that grain
_OVER = re.compile(r"\b(day|week|month|quarter|year)\s+(?:over|on|vs)\s+(?:the\s+)?(?:previous\s+|prior\s+)?\1\b")
# "break it down by", "split by": a breakdown follows
_BREAKDOWN = re.compile(r"\b(?:break|broken|breaking)\s+(?:it\s+|that\s+|this\s+|them\s+|these\s+)?down\b|"
                        r"\bsplit(?:ting)?\b|\bbreak\s*downs?\b|\bgrouped\b|\bgroup(?=\s+by)\b")
# words that set things side by side: periods (time grammar) or values ("apparel vs beauty")
_COMPARISON = re.compile(r"\b(?:vs|versus|compared|compare|comparing|comparison|against)\b")


# a superlative that names its measure by the measure's opposite ("cheapest": least expensive)
_OPPOSITES = {"cheapest": "expensive", "cheaper": "expensive", "smallest": "biggest", "smaller": "bigger"}


@dataclass
class Parsed:
    """What the grammar found before words are resolved against the model."""

    reading: Reading
    mentions: list[Mention]
    conditions: list[NumericCondition]
    time: TimeParse
    ranking: Ranking
    recency: tuple[str, int | None] | None
    listing_verb: bool
    counting: bool
    averaged: bool = False  # "average" said, outside a metric's own name
    how_much: bool = False
    share: bool = False  # "what share of", "percentage of"
    growth: bool = False  # "growth", "change": against the previous period
    derived: DerivedWords = field(default_factory=DerivedWords)  # median, %, ratio, "3+ times"
    absence: Absence | None = None  # "customers with no orders": rows with none of an event

    @property
    def counted(self) -> bool:
        """Ranked by how many rows there are ("the most common reason")."""
        return self.ranking.counted

    @property
    def source(self) -> str:
        """The normalised question (casual forms expanded, spelling fixed)."""
        return self.reading.source


class Grammar:
    """Reads questions against one model's vocabulary."""

    def __init__(self, model: SemanticModel, vocab: Vocabulary) -> None:
        self.model = model
        self.vocab = vocab
        self._tables: dict[tuple[str, str], str | None] = {}
        vocab_words = vocab.words()
        self.known_words = sorted(vocab_words - FILLER_WORDS)
        # a past form is dropped only for a word that is a whole term on its own ("hired" -> "hire",
        # the hires metric), never for part of one ("closed": "time to close" is not "close")
        single = {key[0] for key in vocab.senses if len(key) == 1}
        known = vocab_words | GRAMMAR_WORDS | FILLER_WORDS | NEGATORS | AVERAGE_WORDS
        known |= {normalize_token(w) for w in known}
        abbreviations = Abbreviations(vocab_words, known)
        self.speller = SpellingCorrector(known, vocab_words | GRAMMAR_WORDS, single, abbreviations)
        # word -> the metrics and dimensions whose phrases contain it ("support" in "support channel")
        self.concepts: dict[str, set[str]] = {}
        # table -> the words naming its rows: its entity's and its count's phrases ("support tickets")
        self.row_words: dict[str, set[str]] = {}
        for key, senses in vocab.senses.items():
            for word in key:
                self.concepts.setdefault(word, set()).update(
                    s.name for s in senses if s.kind in ("metric", "dimension"))
            for sense in senses:
                counts = sense.kind == "metric" and isinstance(model.metrics[sense.name].expression, exp.Count)
                table = self._table(sense) if counts or sense.kind == "entity" else None
                if table:
                    self.row_words.setdefault(table, set()).update(key)

    def _table(self, sense) -> str | None:  # noqa: ANN001
        key = (sense.kind, sense.name)
        if key not in self._tables:
            self._tables[key] = self._table_of(sense)
        return self._tables[key]

    def _table_of(self, sense) -> str | None:  # noqa: ANN001
        if sense.kind == "metric":
            metric = self.model.metrics[sense.name]
            return metric.roots[0] if len(metric.tables) == 1 else None
        if sense.kind in ("dimension", "value"):
            return self.model.dimensions[sense.name].column.table
        if sense.kind == "entity":
            return self.model.entities[sense.name].table
        return None

    def read(self, question: str, as_of: dt.date) -> Parsed:
        upper = {w.lower() for w in _UPPER.findall(question)}
        text, corrections = self.speller.fix_with_corrections(normalize(question))
        reading = Reading(text, corrections=corrections)
        unsupported = _UNSUPPORTED_TIME.search(text)
        if unsupported:
            raise NeedsClarification(
                f"I can't break results down by \"{unsupported[0]}\" yet; I can by day, week, month, "
                "quarter or year. Which of those do you want?", ["day", "week", "month", "quarter", "year"])
        conditions, rest = find_conditions(reading.text)
        reading.take("condition", rest)
        share = _SHARE.search(reading.text)
        if share:  # "what share of revenue comes from online": each value's part of the total
            reading.claim(share.start(), share.end(), "share")
        derived = find_derived(reading, conditions)
        growth = _GROWTH.search(reading.text)
        if growth:  # "revenue growth by month": change against the previous period
            reading.claim(growth.start(), growth.end(), "growth")
        growth = growth or _OVER.search(reading.text)
        time = parse_time(reading.text, as_of)
        reading.take("time", time.text)
        counting = _COUNTING.search(reading.text)
        if counting:
            reading.claim(counting.start(), counting.end(), "count")
        absence = find_absence(self.model, self.vocab, reading)
        recency, rest = find_recency(reading.text, self.vocab, reading.source)
        reading.take("recency", rest)
        for pattern, role in ((_BREAKDOWN, "breakdown"), (_COMPARISON, "comparison")):
            for m in pattern.finditer(reading.text):
                reading.claim(m.start(), m.end(), role)
        before_ranking = reading.text
        ranking, rest = find_ranking(reading.text, self.vocab, reading.source)
        reading.take("ranking", rest)
        durations = self._duration(reading)
        mentions, _ = scan(reading.text, self.vocab, upper)
        mentions += durations
        superlatives = self._superlative_measures(before_ranking, rest)
        for m in mentions:
            reading.claim(*m.chars, "/".join(sorted(m.kinds())))
        mentions += superlatives
        listing_verb = bool(_LIST_VERB.search(reading.text))  # after the vocabulary: "no-show" is a value
        for m in _RATE.finditer(reading.text):  # "no-show rate": a value's share of the rows
            derived.rates.append((m.start(), m.end()))
            reading.claim(m.start(), m.end(), "derived")
        averaged = self._claim_rest(reading, mentions)
        return Parsed(reading, mentions, conditions, time, ranking, recency, listing_verb,
                      counting is not None, averaged, bool(re.search(r"\bhow\s+much\b", text)),
                      share is not None, growth is not None, derived, absence)

    def _duration(self, reading: Reading) -> list[Mention]:
        """"how long does it take to close tickets": the duration metric whose name has the verb."""
        m = _HOW_LONG.search(reading.text)
        if not m:
            return []
        verb = normalize_token(m[1])
        stems = {verb, verb.rstrip("e"), verb[:-1] if verb.endswith("d") else verb}
        names_rows = any(s.kind == "entity" for s in self.vocab.senses.get((verb,), []))
        found = [] if names_rows else [
            name for key, senses in self.vocab.senses.items() for s in senses if s.kind == "metric"
            for name in [s.name] if self.model.metrics[name].format == "decimal"
            and any(w.rstrip("e") in {x.rstrip("e") for x in stems} for w in key)]
        found = list(dict.fromkeys(found))
        start, end = m.start(), m.end()
        if not found:  # "how long are appointments": the one average duration of the rows named
            found = [name for name, metric in self.model.metrics.items() if not metric.additive
                     and _DURATION_WORDS.search(f"{metric.label} {metric.name.replace('_', ' ')}".lower())
                     and self._names_rows_of(reading.text[m.start(1):], metric.roots[0])]
            # the rows named are read by the duration too ("how long are appointments")
        if len(found) != 1:
            return []
        reading.claim(start, end, "metric")
        return [Mention(-1, -1, [Sense("metric", found[0])], chars=(start, end))]

    def _names_rows_of(self, text: str, table: str) -> bool:
        """Whether ``text`` names the rows of ``table`` ("appointments"), not just a value of it."""
        for word, _, _ in tokenize(text):
            for sense in self.vocab.senses.get((word,), []):
                if sense.kind == "entity" and self.model.entities[sense.name].table == table:
                    return True
        return False

    def _superlative_measures(self, before: str, after: str) -> list[Mention]:
        """Measures named by the ranking words themselves: "biggest" orders rank by order value."""
        found = []
        for word, start, end in tokenize(before):
            if after[start:end].strip():
                continue  # not part of the ranking words
            word = _OPPOSITES.get(word, word)  # "the cheapest products": the lowest price
            senses = [s for s in self.vocab.senses.get((word,), []) if s.kind == "measure"]
            if senses:
                found.append(Mention(-1, -1, senses, chars=(start, end)))
        return found

    def _claim_rest(self, reading: Reading, mentions: list[Mention]) -> bool:
        """Claim the words left as negators, "average", restated concepts or filler; report the
        others. Returns whether "average" was said outside a metric's own name."""
        mentioned = {s.name for m in mentions for s in m.senses}
        tables = {t for m in mentions for s in m.senses for t in [self._table(s)] if t}
        row_words = set().union(*(self.row_words.get(t, set()) for t in tables))
        kinds = {s.kind for m in mentions for s in m.senses}
        source_tokens = tokenize(reading.source)
        raw = [reading.source[s:e] for _, s, e in source_tokens]
        context = FillerContext(
            named_anything=bool(kinds) or "how much" in reading.source,
            named_duration=any(self.model.metrics[s.name].format == "decimal" and "time" in
                               self.model.metrics[s.name].label.lower()
                               for m in mentions for s in m.senses if s.kind == "metric"),
            counts_own_creation=self._counts_own_creation,
            inflected=self.speller.inflected)
        averaged = False
        unknown: list[str] = []
        for i, (word, start, end) in enumerate(source_tokens):
            if not reading.text[start:end].strip():
                continue  # already read
            word_raw = raw[i]
            if word_raw in NEGATORS or word in NEGATORS:
                reading.claim(start, end, "negation")
            elif word_raw in AVERAGE_WORDS:
                averaged = True
                reading.claim(start, end, "average")
            elif self.concepts.get(word, set()) & mentioned or word in row_words:
                # a word that restates a concept already named ("csat for phone support"), or
                # names the rows of what is named ("the most common reason for contacting support")
                reading.claim(start, end, "restates")
            else:
                role = filler_role(raw, i, context) or (filler_role([word], 0, context)
                                                        if word != word_raw else None)
                if role is not None:
                    reading.claim(start, end, f"filler:{role}")
                else:
                    unknown.append(word_raw)
        if unknown:
            self._report(unknown, reading)
        return averaged

    def _counts_own_creation(self, word: str) -> bool:
        """"new orders", "new tickets": a count of an entity's own rows, dated by their own
        date, so "new" adds nothing; not "new buyers" (first-time buyers are another measure)."""
        keys = {(e.key.table, e.key.column) for e in self.model.entities.values()}
        for sense in self.vocab.senses.get((normalize_token(word),), []):
            if sense.kind != "metric":
                continue
            metric = self.model.metrics[sense.name]
            counted = {(c.table, c.name) for c in metric.expression.find_all(exp.Column)}
            if isinstance(metric.expression, exp.Count) and metric.time is not None \
                    and len(counted) == 1 and counted <= keys and next(iter(counted))[0] == metric.time.table:
                return True
        return False

    def _report(self, unknown: list[str], reading: Reading) -> None:
        suggestions = self.suggest(unknown)
        rewrites = {}
        for word, close in suggestions:
            rewrites[close] = re.sub(rf"\b{re.escape(word)}\b", close, reading.source, count=1)
        words = ", ".join(f"\"{w}\"" for w in dict.fromkeys(unknown))
        hint = f" Did you mean: {', '.join(c for _, c in suggestions)}?" if suggestions else ""
        metrics = ", ".join(m.label.lower() for m in self.model.metrics.values())
        dims = ", ".join([d.label.lower() for d in self.model.dimensions.values()][:8])
        raise NeedsClarification(f"I don't know {words} in this data.{hint} I can answer about "
                                 f"{metrics}, broken down by {dims}, ...",
                                 [c for _, c in suggestions], rewrites, uncertain=True)

    def suggest(self, unknown: list[str]) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for word in dict.fromkeys(unknown):
            if not word.isalpha():
                continue
            for close in difflib.get_close_matches(word, self.known_words, n=2, cutoff=0.7):
                if close != word and close not in [c for _, c in found]:
                    found.append((word, close))
        return found

