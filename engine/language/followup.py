"""Follow-ups in a thread: the previous question changed by what the new one says.

A follow-up replaces what it names ("now by units", "top 3 instead", "and for 2023?") and keeps
the rest; one that says it extends ("and split by segment as well", "also by channel") adds its
breakdown to the previous ones.
"""

from __future__ import annotations

import re
from dataclasses import replace

from engine.language.grammar import Parsed
from engine.semantic_query import SemanticQuery

FOLLOW_UP = re.compile(r"^\s*(?:and|now|what about|how about|what of|instead|only|just|same|also|"
                       r"then|ok|okay|but|make it|switch to|change to|break (?:it|that|this) down|"
                       r"split (?:it|that|this)|show (?:it|that|this|me that)|for|in|excluding|"
                       r"without|except|top|bottom|how is (?:that|this|it))\b|\binstead\b|"
                       r"\b(?:it|that|this) by\b|\b(?:as well|too|also|additionally)\s*[?.!]*\s*$")
_EXTENDS = re.compile(r"\b(?:as well|too|also|additionally|in addition)\b")


def is_follow_up(parsed: Parsed) -> bool:
    return bool(FOLLOW_UP.search(parsed.source))


def names_measure(parsed: Parsed) -> bool:
    return any(s.kind == "measure" for m in parsed.mentions for s in m.senses)


def refine(previous: SemanticQuery, update: SemanticQuery, parsed: Parsed) -> SemanticQuery:
    """The previous question of the thread changed by what the follow-up says."""
    merged = {(f.dimension, f.negate): f for f in previous.filters}
    extends = bool(_EXTENDS.search(parsed.source)) and bool(update.dimensions)
    if extends:
        dims = list(dict.fromkeys([*previous.dimensions, *update.dimensions]))
    else:
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
    return replace(
        previous,
        metrics=list(update.metrics or previous.metrics),
        dimensions=dims if not previous.entity else [],
        filters=list(merged.values()),
        time_range=time_range, compare=compare,
        grain=update.grain or previous.grain,
        order=update.order or previous.order,
        limit=update.limit if update.limit is not None else previous.limit,
        conditions=list(conditions.values()),
        sort=update.sort if parsed.recency or names_measure(parsed) else previous.sort,
        count=update.count if previous.entity else False,
        notes=list(update.notes), alternatives=dict(update.alternatives),
    )
