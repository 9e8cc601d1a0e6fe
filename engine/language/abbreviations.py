"""Abbreviations of the model's own words, derived rather than listed: "prods", "cats", "qty",
"pmt", "dept", "mgr", "cust", "rev".

An abbreviation keeps the first letters of a word and then only consonants of the rest, in
order ("dept" = "dep" + "t" of department, "qty" = "q" + "ty" of quantity); a prefix of three
letters or more counts too ("prod", "cust"). A plural "s" may follow ("prods", "cats"). It is
read as a word only when exactly one vocabulary word fits, preferring words it is a prefix of;
otherwise it stays unknown and the bot asks.
"""

from __future__ import annotations

_VOWELS = set("aeiou")


def _fits(abbrev: str, word: str) -> bool:
    """``abbrev`` = a prefix of ``word`` + a subsequence of the consonants after it."""
    if abbrev[0] != word[0] or len(abbrev) >= len(word):
        return False
    for split in range(len(abbrev), 0, -1):
        head, tail = abbrev[:split], abbrev[split:]
        if not word.startswith(head):
            continue
        if any(c in _VOWELS for c in tail):
            continue
        rest = iter(word[split:])
        if all(c in rest for c in tail):
            return True
    return False


class Abbreviations:
    """Reads abbreviations against a fixed set of full words."""

    def __init__(self, words: set[str], known: set[str]) -> None:
        self.words = sorted(w for w in words if len(w) >= 4 and w.isalpha())
        self.known = known  # words that are words in their own right: never an abbreviation
        self._cache: dict[str, str | None] = {}

    def expand(self, token: str) -> str | None:
        """The one word ``token`` abbreviates, or None."""
        if token in self._cache:
            return self._cache[token]
        found = None
        if 3 <= len(token) <= 8 and token.isalpha() and token not in self.known:
            found = self._expand(token)
            if found is None and token.endswith("s") and len(token) >= 3:  # "prods", "hrs"
                stem = self._expand(token[:-1])
                found = stem + "s" if stem else None
        self._cache[token] = found
        return found

    def _expand(self, token: str) -> str | None:
        if len(token) < 2:
            return None
        fitting = [w for w in self.words if len(w) > len(token) + 1 and _fits(token, w)]
        prefixed = [w for w in fitting if w.startswith(token)]
        if len(prefixed) == 1:
            return prefixed[0]
        if not prefixed and len(fitting) == 1:
            return fitting[0]
        return None
