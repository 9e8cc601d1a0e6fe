"""Ranking and recency grammar: "top 5", "the 3 biggest", "which region has the most", "the
best-selling brand", "the 5 most recent orders".

A singular superlative ("the best month", "which store has the most orders") asks for one row;
a plural one ("which stores have the most orders") for a ranking. A number next to the ranking
word is the limit ("top 5", "which 4 stores", "the 2 biggest Consumer customers").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.language.timeparse import NUMBER_WORDS
from engine.language.vocabulary import Vocabulary, normalize_token

DEFAULT_TOP = 10
_NUM = r"\d{1,4}|" + "|".join(k for k in NUMBER_WORDS if k != "a")
_SUPERLATIVES = (r"best|worst|highest|lowest|largest|smallest|biggest|greatest|fewest|most|least|top|"
                 r"bottom|busiest|quietest|slowest|fastest|quickest|cheapest|strongest|weakest|"
                 r"longest|shortest")
_RANK_N = re.compile(r"\b(top|bottom|best|worst|highest|lowest|largest|smallest|biggest|first|"
                     rf"busiest|quietest|slowest|fastest|quickest|cheapest|strongest|weakest)\s+({_NUM})(?:\s+(most|least))?\b")
_N_RANK = re.compile(rf"\b({_NUM})\s+(?:most\s+|least\s+)?({_SUPERLATIVES})\b")
_WHICH_N = re.compile(rf"\b(?:which|what)\s+({_NUM})\b(?!\s*(?:%|percent|days?|weeks?|months?|quarters?|years?)\b)")
_SHOW_N = re.compile(rf"\b(?:show|give|list|just|only|make it)\s+(?:me\s+)?(?:the\s+)?(?:top\s+|first\s+)?({_NUM})\b"
                     r"(?!\s*(?:%|percent|days?|weeks?|months?|quarters?|years?)\b)")
_BEST_SELLING = re.compile(r"\b(?:best|top|most)[\s-]+(?:selling|sold|popular)\b")
_WORST_SELLING = re.compile(r"\b(?:worst|least)[\s-]+(?:selling|sold|popular)\b")
# "the most common reason", "least used feature": ranked by how many rows there are
_MOST_COMMON = re.compile(r"\b(most|least)[\s-]+(?:common|commonly|frequent|frequently|often|used|usual)\b")
_TOP = re.compile(r"\btop\b")
_BOTTOM = re.compile(r"\bbottom\b")
_HIGH = re.compile(r"\b(?:highest|most|largest|biggest|max|maximum|greatest|leading|best|strongest|"
                   r"higher|more|busiest|longest|sort(?:ed)?(?= by)|rank(?:ed)?(?= by))\b")
_LOW = re.compile(r"\b(?:lowest|least|fewest|smallest|min|minimum|worst|weakest|lower|less|cheapest|"
                  r"quietest|slowest|shortest)\b")
# on a duration ("resolution time") the quickest is the lowest
_QUICK = re.compile(r"\b(?:fastest|quickest)\b")
_WHICH = re.compile(r"\b(?:which|what|who)\b")
_ASC_WORDS = {"bottom", "worst", "lowest", "smallest", "least", "fewest", "quietest", "slowest",
              "cheapest", "weakest", "shortest", "fastest", "quickest"}
_RECENCY = re.compile(rf"\b(?:({_NUM})\s+)?(most\s+recent|latest|newest|recent|last|oldest|earliest|"
                      rf"first)(?:\s+({_NUM}))?\b")


def count_of(word: str | None) -> int | None:
    if not word:
        return None
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def _blank(text: str, m: re.Match[str]) -> str:
    return text[: m.start()] + " " * (m.end() - m.start()) + text[m.end():]


@dataclass
class Ranking:
    order: str | None  # "desc" | "asc"
    limit: int | None
    end: int | None  # where the ranking words ended (None: no ranking)
    quantity_end: int | None  # where "the most"/"the fewest" ended: the noun after it is counted
    counted: bool = False  # "the most common ...": ranked by the count of rows
    word: str = ""  # the ranking word ("fastest" is the lowest duration, but the highest growth)

    @property
    def ranked(self) -> bool:
        return self.end is not None


def find_recency(text: str, vocab: Vocabulary | None = None,
                 source: str = "") -> tuple[tuple[str, int | None] | None, str]:
    """("desc"|"asc", N) for "the 5 most recent", "the oldest", and the text without it; "the
    latest order" (a singular noun) is one."""
    m = _RECENCY.search(text)
    if not m:
        return None, text
    word = m[2].replace("  ", " ")
    order = "asc" if word in ("oldest", "earliest", "first") else "desc"
    count = count_of(m[1] or m[3])
    if count is None and vocab is not None and _singular_noun_after(source or text, m.end(), vocab):
        count = 1
    return (order, count), _blank(text, m)


def find_ranking(text: str, vocab: Vocabulary, source: str = "") -> tuple[Ranking, str]:
    """The ranking in ``text`` and the text without its words. ``source`` is the question
    before other parsers blanked words of it (the noun after "the best" may be a time word)."""
    m = _MOST_COMMON.search(text)
    if m:
        one = _singular_noun_after(source or text, m.end(), vocab)
        return Ranking("asc" if m[1] == "least" else "desc", 1 if one else None, m.end(), None, True), \
            _blank(text, m)
    order, limit, rest, end = _ranking(text, vocab, source or text)
    word = text[:end].split()[-1] if end else ""
    return Ranking(order, limit, end, _quantity_end(text, end), word=word), rest


# words between a superlative and its noun that do not change what is ranked ("best performing store")
_BETWEEN = {"performing", "selling", "sold", "rated", "paying", "spending", "ordering", "ordered",
            "used", "common", "popular", "frequent", "valuable", "profitable", "active"}


def _singular_noun_after(source: str, end: int, vocab: Vocabulary) -> bool:
    """"the best month", "top brand in sports", "the busiest week": the superlative's noun is a
    singular breakdown (or time unit), so one row is asked for. In a compound ("ticket topics")
    the last noun decides."""
    head: str | None = None
    for raw in source[end:].split()[:4]:
        word = raw.strip("?,.!;:'\"-")
        if not word or (word in _BETWEEN and head is None):
            continue
        if word in _TIME_UNITS and head is None:
            return True
        senses = vocab.senses.get((normalize_token(word),), [])
        if not any(s.kind in ("dimension", "entity", "value") for s in senses):
            break
        head = word
        if raw != word.rstrip():  # punctuation ends the noun phrase
            break
    if head is None:
        return False
    senses = vocab.senses.get((normalize_token(head),), [])
    return normalize_token(head) == head and any(s.kind in ("dimension", "entity") for s in senses)


_TIME_UNITS = {"day", "date", "week", "month", "quarter", "year"}


def _ranking(text: str, vocab: Vocabulary, source: str) -> tuple[str | None, int | None, str, int | None]:
    m = _RANK_N.search(text)
    if m:  # "top 5", "top 5 least expensive"
        ascending = m[1] in _ASC_WORDS or m[3] == "least"
        return ("asc" if ascending else "desc"), count_of(m[2]), _blank(text, m), m.end()
    m = _N_RANK.search(text)
    if m:
        return ("asc" if m[2] in _ASC_WORDS else "desc"), count_of(m[1]), _blank(text, m), m.end()
    for pattern, order in ((_BEST_SELLING, "desc"), (_WORST_SELLING, "asc")):
        m = pattern.search(text)
        if m:
            return order, (1 if _asks_for_one(text, m, vocab, source) else None), _blank(text, m), m.end()
    m = _WHICH_N.search(text)
    if m:  # "which 4 stores had the most orders": that many
        rest = _blank(text, m)
        order, _, rest, end = _ranking(rest, vocab, source)
        return order or "desc", count_of(m[1]), rest, end or m.end()
    m = _SHOW_N.search(text)
    if m:  # "show me 5", "just 3": that many, largest first
        return "desc", count_of(m[1]), _blank(text, m), m.end()
    for pattern, order in ((_TOP, "desc"), (_BOTTOM, "asc")):
        m = pattern.search(text)
        if m:  # "top products": ten; "top brand": one
            one = _singular_noun_after(source, m.end(), vocab)
            return order, (1 if one else DEFAULT_TOP), _blank(text, m), m.end()
    for pattern, order in ((_HIGH, "desc"), (_LOW, "asc"), (_QUICK, "asc")):
        m = pattern.search(text)
        if m:
            return order, (1 if _asks_for_one(text, m, vocab, source) else None), _blank(text, m), m.end()
    return None, None, text, None


def _quantity_end(before: str, rank_end: int | None) -> int | None:
    """Where "the most"/"the fewest" ended: the noun right after it is what is counted."""
    if rank_end is None:
        return None
    words = before[:rank_end].split()
    return rank_end if words and words[-1] in ("most", "least", "fewest", "more", "fewer", "less") else None


def _asks_for_one(text: str, m: re.Match[str], vocab: Vocabulary, source: str) -> bool:
    """"which region has the highest ..." and "the best month" ask for one; "which stores ..."
    and "the best months" for a ranking."""
    which = _WHICH.search(text[: m.start()])
    if not which:
        return _singular_noun_after(source, m.end(), vocab)
    around = text[which.end(): m.start()].split() + text[m.end():].split()[:1]
    return not any(normalize_token(w) != w and any(
        s.kind == "dimension" for s in vocab.senses.get((normalize_token(w),), []))
        for w in around)
