"""The words the bot knows, taken from the semantic model and the values in the lake.

Questions and vocabulary are normalised the same way (lower case, simple singular forms), then
matched longest phrase first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlglot import exp

from engine.semantic_model import SemanticModel

_TOKEN_RE = re.compile(r"[a-z0-9]+|&|\$|%")
MAX_PHRASE = 6


def normalize_token(token: str) -> str:
    if len(token) > 3 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """(normalised token, start, end) for each word of ``text``."""
    text = text.lower().replace("\u2019", "'")
    out = []
    for m in _TOKEN_RE.finditer(text):
        out.append((normalize_token(m.group(0)), m.start(), m.end()))
    return out


def phrase_key(text: str) -> tuple[str, ...]:
    return tuple(t for t, _, _ in tokenize(text))


@dataclass(frozen=True)
class Sense:
    """One meaning of a phrase: a metric, a dimension, or a value of a dimension."""

    kind: str  # "metric" | "dimension" | "value" | "entity" | "measure"
    name: str  # metric, dimension, entity or measure name
    value: str | None = None  # a dimension's value; for a measure, the entity it belongs to
    derived: bool = False  # not written in the model: an initialism of a value ("US")


@dataclass
class Vocabulary:
    senses: dict[tuple[str, ...], list[Sense]] = field(default_factory=dict)

    def add(self, phrase: str, sense: Sense) -> None:
        key = phrase_key(phrase)
        if not key:
            return
        bucket = self.senses.setdefault(key, [])
        if sense not in bucket:
            bucket.append(sense)
        if "&" in key:  # "home & kitchen" is also written "home and kitchen"
            alt = tuple("and" if t == "&" else t for t in key)
            alt_bucket = self.senses.setdefault(alt, [])
            if sense not in alt_bucket:
                alt_bucket.append(sense)

    def words(self) -> set[str]:
        return {w for key in self.senses for w in key}

    def add_initialisms(self) -> None:
        """"US", "UK", "NY": the initials of a value of two or more words, when no other
        phrase is spelt that way and no other value has the same initials."""
        found: dict[tuple[str, ...], list[Sense]] = {}
        for key, senses in self.senses.items():
            words = [w for w in key if w not in ("&", "and", "of", "de")]
            if len(words) < 2 or not all(w[0].isalpha() for w in words):
                continue
            initials = ("".join(w[0] for w in words),)
            for sense in senses:
                if sense.kind == "value":
                    bucket = found.setdefault(initials, [])
                    derived = Sense("value", sense.name, sense.value, derived=True)
                    if derived not in bucket:
                        bucket.append(derived)
        for initials, senses in found.items():
            if initials not in self.senses and len({s.value for s in senses}) == 1:
                self.senses[initials] = senses


_UNIT_WORDS = {"second", "minute", "hour", "day", "week", "month", "quarter", "year", "time", "date"}


def _add_head_nouns(vocab: Vocabulary, labels: list[tuple[tuple[str, ...], Sense, str]]) -> None:
    """"cases" for "Support cases", "rep" for "Sales rep(s)": the last word of a label of two or
    more words names it alone, when that word is no phrase of its own and every label it heads
    is about the same table (its count, its name, its rows)."""
    heads: dict[str, list[tuple[Sense, str]]] = {}
    for key, sense, table in labels:
        if len(key) >= 2 and key[-1].isalpha() and key[-1] not in _UNIT_WORDS:
            heads.setdefault(key[-1], []).append((sense, table))
    for head, named in heads.items():
        if (head,) in vocab.senses or len({table for _, table in named}) != 1:
            continue
        vocab.senses[(head,)] = list(dict.fromkeys(Sense(s.kind, s.name, derived=True) for s, _ in named))


def build_vocabulary(model: SemanticModel, values: dict[str, list[str]]) -> Vocabulary:
    """Vocabulary of the model's metrics and dimensions and of the dimension ``values``."""
    vocab = Vocabulary()
    # labels (not synonyms) of counts, names and entities, by table: for head nouns
    labels: list[tuple[tuple[str, ...], Sense, str]] = []
    for metric in model.metrics.values():
        for phrase in [metric.name.replace("_", " "), metric.label, *metric.synonyms]:
            vocab.add(phrase, Sense("metric", metric.name))
        if "(" not in metric.label and isinstance(metric.expression, exp.Count) and len(metric.tables) == 1:
            labels.append((phrase_key(metric.label), Sense("metric", metric.name), metric.roots[0]))
    for dim in model.dimensions.values():
        for phrase in [dim.name.replace("_", " "), dim.label, *dim.synonyms]:
            vocab.add(phrase, Sense("dimension", dim.name))
        labels.append((phrase_key(dim.label), Sense("dimension", dim.name), dim.column.table))
    for entity in model.entities.values():
        for phrase in [entity.name.replace("_", " "), entity.label, *entity.synonyms]:
            vocab.add(phrase, Sense("entity", entity.name))
        labels.append((phrase_key(entity.label), Sense("entity", entity.name), entity.table))
        for measure in entity.measures.values():
            for phrase in [measure.name.replace("_", " "), measure.label, *measure.synonyms]:
                vocab.add(phrase, Sense("measure", measure.name, entity.name))
    for dim_name, dim_values in values.items():
        for value in dim_values:
            vocab.add(value, Sense("value", dim_name, value))
        dim = model.dimensions.get(dim_name)
        for alias, canonical in (dim.value_synonyms.items() if dim else ()):
            if canonical in dim_values:
                vocab.add(alias, Sense("value", dim_name, canonical))
    vocab.add_initialisms()
    _add_head_nouns(vocab, labels)
    return vocab
