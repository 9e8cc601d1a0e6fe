"""Phrases of the vocabulary found in a question, longest first, with the words around them."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.language.filler import FUNCTION_WORDS
from engine.language.vocabulary import MAX_PHRASE, Sense, Vocabulary, tokenize

NEGATORS = {"excluding", "except", "without", "not", "exclude", "excl", "ex", "other", "minus", "non",
            "apart", "besides", "beside", "aside", "outside", "excludes", "excepting"}


@dataclass
class Mention:
    start: int  # token index
    end: int
    senses: list[Sense]
    prefix: list[str] = field(default_factory=list)  # up to two raw words before the mention
    next_word: str = ""
    chars: tuple[int, int] = (0, 0)  # character span in the question text
    negated: bool = False  # a negator ("not", "excluding", "other than") comes before it
    before: list[str] = field(default_factory=list)  # up to four words before it
    original: list[Sense] = field(default_factory=list)  # the senses as scanned, before resolution

    def __post_init__(self) -> None:
        if not self.original:
            self.original = list(self.senses)

    def kinds(self) -> set[str]:
        return {s.kind for s in self.senses}


def scan(text: str, vocab: Vocabulary, upper: set[str] | None = None) -> tuple[list[Mention], list[tuple[str, int, int]]]:
    """Mentions of vocabulary phrases in ``text`` and the words that are none (with spans).

    A derived sense (the initialism "us") that is also a function word is read only when the
    question wrote it in capitals or after "the"/"in": "in the US", not "show us".
    """
    upper = upper or set()
    tokens = tokenize(text)
    words = [t for t, _, _ in tokens]
    mentions: list[Mention] = []
    rest: list[tuple[str, int, int]] = []
    i = 0
    while i < len(words):
        for size in range(min(MAX_PHRASE, len(words) - i), 0, -1):
            senses = vocab.senses.get(tuple(words[i:i + size]))
            if senses and size == 1 and words[i] in FUNCTION_WORDS and all(s.derived for s in senses) \
                    and words[i] not in upper and (i == 0 or words[i - 1] not in ("the", "in")):
                senses = None
            if senses:
                prefix = [w for w in words[max(0, i - 2):i]]
                nxt = words[i + size] if i + size < len(words) else ""
                chars = (tokens[i][1], tokens[i + size - 1][2])
                # "not paid by card": a negator up to four words back, since the last mention
                since = max(0, i - 4, mentions[-1].end if mentions else 0)
                negated = bool(set(words[since:i]) & NEGATORS)
                mentions.append(Mention(i, i + size, list(senses), prefix, nxt, chars, negated,
                                        words[max(0, i - 4):i]))
                i += size
                break
        else:
            rest.append(tokens[i])
            i += 1
    return mentions, rest
