"""Misspellings and abbreviations: "reveune", "categroy", "prods", "qty".

A misspelt word is replaced by the one known word within a small edit distance (transpositions
count as one edit), never by a guess between two; an abbreviation of a model word by that word.
Each replacement is recorded, so the summary can say it and a replacement that would become a
filter value can be asked about instead ("Did you mean Online?").
"""

from __future__ import annotations

import difflib
import re

from engine.language.abbreviations import Abbreviations
from engine.language.reading import Correction
from engine.language.vocabulary import normalize_token

_WORD = re.compile(r"[a-z]+")


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance, stopping early once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


_SUFFIXES = ("ations", "ation", "ions", "ion", "ings", "ing", "ed", "es", "s")


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


class SpellingCorrector:
    """Corrects words not in ``known`` to the closest of ``targets``, when one is clearly closest."""

    def __init__(self, known: set[str], targets: set[str], stems: set[str] | None = None,
                 abbreviations: Abbreviations | None = None) -> None:
        self.known = known
        self.abbreviations = abbreviations
        self.stems = stems if stems is not None else known  # words whose past form may be dropped
        self.targets = sorted(t for t in targets if len(t) >= 3 and t.isalpha())
        self._cache: dict[str, str | None] = {}
        self._stems: dict[str, set[str]] | None = None

    def correct(self, word: str) -> str | None:
        if word in self._cache:
            return self._cache[word]
        limit = 1 if len(word) <= 6 else 2
        best: list[str] = []
        best_distance = limit + 1
        for target in self.targets:
            if abs(len(target) - len(word)) > limit:
                continue
            d = edit_distance(word, target, min(limit, best_distance))
            if d < best_distance:
                best, best_distance = [target], d
            elif d == best_distance and d <= limit:
                best.append(target)
        if len(best) > 1:  # a tie: the candidate sharing the most letters in order, if one does
            ratios = sorted(((difflib.SequenceMatcher(None, word, t).ratio(), t) for t in best), reverse=True)
            best = [ratios[0][1]] if ratios[0][0] > ratios[1][0] else best
        found = best[0] if len(best) == 1 and best_distance <= limit else None
        self._cache[word] = found
        return found

    def inflected(self, word: str) -> bool:
        """"hired", "signed": a past form of a known word, the event the question filters on.
        Not "-ing" forms: "returning customers" names something the model does not know."""
        for suffix in ("ed", "d"):
            stem = word[: -len(suffix)]
            if word.endswith(suffix) and len(stem) >= 3 and (stem in self.stems or stem + "e" in self.stems):
                return True
        return False

    def fix(self, text: str) -> str:
        """``text`` with each unknown word of 4+ letters replaced by its correction, if any."""
        return self.fix_with_corrections(text)[0]

    def fix_with_corrections(self, text: str) -> tuple[str, list[Correction]]:
        """The text with abbreviations and misspellings replaced, and what was replaced
        (spans in the returned text)."""
        out: list[str] = []
        corrections: list[Correction] = []
        pos = 0
        length = 0
        for m in _WORD.finditer(text):
            word = m.group(0)
            replacement, kind = self._replacement(word)
            out.append(text[pos:m.start()])
            length += m.start() - pos
            out.append(replacement)
            if replacement != word and replacement.strip():
                corrections.append(Correction(word, replacement, length, length + len(replacement), kind))
            length += len(replacement)
            pos = m.end()
        out.append(text[pos:])
        return "".join(out), corrections

    def _replacement(self, word: str) -> tuple[str, str]:
        if word in self.known or normalize_token(word) in self.known:
            return word, ""
        if self.abbreviations is not None:
            expanded = self.abbreviations.expand(word)
            if expanded:
                return expanded, "abbreviation"
        if len(word) < 4:
            return word, ""
        if self.inflected(word):
            return word, ""  # "employees hired in 2023": the verb of a known noun, read as filler
        found = self.correct(normalize_token(word)) or self.correct(word) or self.derived_form(word)
        return (found or word), "spelling"

    def derived_form(self, word: str) -> str | None:
        """"cancellations" for "cancelled", "completions" for "completed": another form of one
        known word (the same stem), when exactly one has it."""
        stem = _stem(word)
        if len(stem) < 4:
            return None
        if self._stems is None:
            self._stems = {}
            for target in self.targets:
                self._stems.setdefault(_stem(target), set()).add(target)
        found = self._stems.get(stem, set())
        return next(iter(found)) if len(found) == 1 else None
