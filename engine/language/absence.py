"""Anti-joins: the rows of an entity that have none of an event ("customers with no orders",
"products that never sold", "stores with zero sales last month", "nobody bought", "haven't
ordered since March").

The grammar finds the cue ("no", "zero", "without any", "never", "did not", "nobody", "... nothing")
and the event it negates: a measure or rows named after the cue ("no support cases"), or a verb
("never sold", "didn't buy") read as the model's phrase for it. The cue and the event's words are
claimed here; values inside the event ("no online orders") are left to the vocabulary and become
conditions on the event's rows, inside the anti-join.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from engine.language.reading import Reading
from engine.language.vocabulary import MAX_PHRASE, Vocabulary, normalize_token, tokenize
from engine.semantic_model import SemanticModel

# the cues, each followed by the event (a noun phrase or a verb)
_CUE = re.compile(r"\b(?:with\s+|had\s+|have\s+|has\s+)?(?:no|zero)\s+(?!one\b)|\bwithout\s+(?:any\s+)?|"
                  r"\bnever\s+(?:ever\s+)?|\b(?:have|has|had|did|do|does)\s+not\s+(?:yet\s+)?|"
                  r"\b(?:nobody|no\s+one|noone)\s+")
# "bought nothing", "ordered nothing": the verb comes first
_NOTHING = re.compile(r"\b(\w+)\s+nothing\b")
# the object of a verb said without naming anything ("didn't buy anything", "use the product")
_EMPTY_OBJECTS = {"anything", "something", "nothing", "it", "them", "product", "products", "service",
                  "app", "stuff", "any", "a", "an", "the", "one", "single", "yet"}
_ARTICLES = {"a", "an", "any", "the", "single", "one"}
# verbs whose event the model names by a noun: tried in order against the vocabulary
_VERB_NOUNS = {
    "sell": ["sold", "sales", "units sold", "revenue"],
    "buy": ["bought", "sales", "purchases", "orders"],
    "order": ["ordered", "orders", "order"],
    "use": ["used", "usage", "use"],
    "respond": ["responded", "responses", "response"],
    "pay": ["paid", "payments", "invoices"],
}
_VERB_FORMS = {
    "sell": {"sell", "sells", "sold", "selling", "sale"},
    "buy": {"buy", "buys", "bought", "buying", "purchase", "purchased", "purchases", "purchasing", "spend",
            "spent"},
    "order": {"order", "ordered", "orders", "ordering"},
    "use": {"use", "used", "uses", "using"},
    "respond": {"respond", "responded", "responds", "answer", "answered"},
    "pay": {"pay", "paid", "pays"},
}
# verbs with an object that names the event ("opened a ticket", "placed an order", "had a case")
_LIGHT_VERBS = {"had", "have", "has", "placed", "place", "made", "make", "opened", "open", "raised", "raise",
                "filed", "file", "submitted", "submit", "logged", "log", "got", "get", "received", "receive",
                "created", "create", "contacted", "contact", "generated", "generate"}


@dataclass
class Absence:
    """The event an entity's rows must have none of: a metric (its rows, filter and time)."""

    metric: str
    start: int  # span of the cue and the event in the question
    end: int
    words: str  # what was said ("no orders"), for the summary


def _phrase_metric(model: SemanticModel, vocab: Vocabulary, words: list[str]) -> str | None:
    """The metric a phrase names: a metric sense (counts first), or an entity's count."""
    senses = vocab.senses.get(tuple(words), [])
    metrics = [s.name for s in senses if s.kind == "metric"]
    counts = [m for m in metrics if isinstance(model.metrics[m].expression, exp.Count)]
    if metrics:
        return (counts or metrics)[0] if len(set(counts or metrics)) == 1 else None
    for s in senses:
        if s.kind == "entity":
            entity = model.entities[s.name]
            found = [m.name for m in model.metrics.values() if isinstance(m.expression, exp.Count)
                     and m.filter_expression is None and m.roots and m.roots[0] == entity.table
                     and any(c.table == entity.key.table and c.name == entity.key.column
                             for c in m.expression.find_all(exp.Column))]
            if found:
                return found[0]
    return None


def find_absence(model: SemanticModel, vocab: Vocabulary, reading: Reading) -> Absence | None:
    """The anti-join the question asks for, claimed in ``reading``, or None."""
    text = reading.text
    tokens = tokenize(text)
    for cue in _CUE.finditer(text):
        after = [t for t in tokens if t[1] >= cue.end()]
        found = _event(model, vocab, after)
        if found is not None:
            metric, noun, end = found
            return _claim(reading, vocab, metric, cue.start(), end, noun)
    for m in _NOTHING.finditer(text):
        metric = _verb_metric(model, vocab, normalize_token(m[1]), m[1])
        if metric is not None:
            return _claim(reading, vocab, metric, m.start(), m.end(), m.start())
    return None


def _claim(reading: Reading, vocab: Vocabulary, metric: str, start: int, end: int, noun: int) -> Absence:
    """Claim the cue and the event's words; values inside it ("no online orders") stay for the
    vocabulary, as conditions on the event's rows."""
    words = " ".join(reading.source[start:end].split())
    for word, s, e in tokenize(reading.text[start:end]):
        if start + s >= noun or not any(x.kind == "value" for x in vocab.senses.get((word,), [])):
            reading.claim(start + s, start + e, "absence")
    return Absence(metric, start, end, words)


def _event(model: SemanticModel, vocab: Vocabulary,
           after: list[tuple[str, int, int]]) -> tuple[str, int, int] | None:
    """The metric named right after a cue, and where its words end."""
    if not after:
        return None
    words = [w for w, _, _ in after]
    verb = words[0]
    light = verb in _LIGHT_VERBS
    start = 1 if light else 0
    # a noun phrase: up to two value words ("online", "overdue") before the noun of the event
    for skip in range(start, min(start + 4, len(words))):
        if skip > start and words[skip - 1] not in _ARTICLES and not vocab.senses.get((words[skip - 1],)):
            break
        for size in range(min(MAX_PHRASE, len(words) - skip), 0, -1):
            metric = _phrase_metric(model, vocab, words[skip:skip + size])
            if metric is not None:
                return metric, after[skip][1], _with_empty_object(after, skip + size)
    family_metric = _verb_metric(model, vocab, normalize_token(verb), verb)
    if family_metric is None:
        return None
    return family_metric, after[0][1], _with_empty_object(after, 1)


def _with_empty_object(after: list[tuple[str, int, int]], i: int) -> int:
    """Where the event's words end, with a verb's empty object ("didn't buy anything", "didn't
    use the product") read with it."""
    end = after[i - 1][2]
    for word, _, word_end in after[i:i + 2]:
        if word not in _EMPTY_OBJECTS:
            break
        end = word_end
    return end


def _verb_metric(model: SemanticModel, vocab: Vocabulary, lemma: str, raw: str) -> str | None:
    """The metric a verb names: the vocabulary's phrase for it ("used"), or its family's nouns."""
    for family, forms in _VERB_FORMS.items():
        if raw in forms or lemma in forms:
            for phrase in _VERB_NOUNS[family]:
                metric = _phrase_metric(model, vocab, [normalize_token(w) for w in phrase.split()])
                if metric is not None:
                    return metric
            return None
    return None
