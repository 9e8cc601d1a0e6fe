"""The question as the grammar reads it: lower case, shorthand and casual forms written out.

Only English forms are listed here ("hw" -> how, "w/o" -> without, "@" -> at); abbreviations of
the model's own words ("prods", "qty", "pmt") are derived from the vocabulary instead
(``engine.language.abbreviations``).
"""

from __future__ import annotations

import re

CASUAL = {
    "hw": "how", "hwo": "how", "wat": "what", "wht": "what", "whats": "what is", "what's": "what is",
    "hows": "how is", "how's": "how is", "wheres": "where is", "where's": "where is",
    "u": "you", "ur": "your", "r": "are", "gimme": "give me", "lemme": "let me", "wanna": "want to",
    "pls": "please", "plz": "please", "thx": "thanks", "thru": "through", "tho": "though",
    "yday": "yesterday", "yest": "yesterday", "tmrw": "tomorrow", "avg": "average", "tot": "total",
    "no.": "number", "nr": "number", "num": "number", "#": "number", "cnt": "count",
    "yrly": "yearly", "mthly": "monthly", "wkly": "weekly", "qtrly": "quarterly",
    "yoy": "year over year", "qoq": "quarter over quarter", "mom": "month over month",
    "wow": "week over week", "ppl": "people", "btw": "", "pct": "percent", "vs.": "vs",
    "v.": "vs", "v/s": "vs", "w/o": "without", "w/": "with", "&amp;": "&",
    "rn": "right now", "atm": "at the moment", "asap": "", "fyi": "", "imo": "",
    "hr": "hour", "hrs": "hours", "mins": "minutes", "secs": "seconds",
}
# contractions written out: "weren't cancelled" is a negation the grammar must see
_NOT = {"don't": "do not", "doesn't": "does not", "didn't": "did not", "isn't": "is not",
        "aren't": "are not", "wasn't": "was not", "weren't": "were not", "won't": "will not",
        "haven't": "have not", "hasn't": "has not", "hadn't": "had not", "can't": "can not",
        "cannot": "can not", "couldn't": "could not", "wouldn't": "would not", "shouldn't": "should not",
        "dont": "do not", "doesnt": "does not", "didnt": "did not", "isnt": "is not", "arent": "are not",
        "wasnt": "was not", "werent": "were not"}
CASUAL.update(_NOT)
_WORD = re.compile(r"[a-z][a-z'./]*[a-z/.]|[a-z]|#")
# "+" between words joins them ("apparel + beauty"); after a number it is "or more" ("5+")
_PLUS = re.compile(r"(?<=[a-z])\s*\+\s*(?=[a-z])")
_AT = re.compile(r"(?<![\w.])@(?![\w.])|(?<=\s)@(?=\$|\d)")


def expand_casual(text: str) -> str:
    """Lower-case text with casual forms written out ("hw many" -> "how many")."""
    def repl(m: re.Match[str]) -> str:
        word = m.group(0)
        if word in CASUAL:
            return CASUAL[word]
        bare = word.rstrip(".")
        if bare in CASUAL and bare != word:
            return CASUAL[bare] + word[len(bare):].replace(".", " ")
        return word

    return _WORD.sub(repl, text)


# "the lowest rated clinic", "top-rated products": ranked by the rating
_RATED = re.compile(r"\b(best|worst|highest|lowest|top|most|least|better|worse)[\s-]+rated\b")
_TIMES_OR_MORE = re.compile(r"\b(\d+)\s+times\s+(or more|or less|or fewer|and up|and above|plus|\+)")
_ONCE = re.compile(r"\b(more than|at least|at most|exactly|over|under|fewer than|less than|no more than)\s+"
                   r"(once|twice)\b|\b(twice)\b")


def normalize(question: str) -> str:
    """The question in lower case, shorthand and casual forms written out."""
    text = question.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = _RATED.sub(r"\1 rating", text)
    text = _TIMES_OR_MORE.sub(r"\1 \2 times", text)  # "3 times or more" is "3 or more times"
    text = _ONCE.sub(lambda m: (f"{m[1]} " if m[1] else "") + ("1 times" if m[2] == "once" else "2 times"), text)
    text = text.replace("\u2013", "-").replace("\u2014", " - ")
    text = _AT.sub(" at ", text)
    text = _PLUS.sub(" and ", text)
    return expand_casual(text)
