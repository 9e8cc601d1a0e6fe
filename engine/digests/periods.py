"""Relative periods of a frozen query, moved to each run's date.

A digest keeps the semantic query its question was read as, so a change of the rules cannot
change a subscription. Its dates must move, though: "last week" on Monday 9:00 in Berlin is the
previous Monday-Sunday there. When a digest is created, each period of the query is recognised
as a relation to the date it was read against (``spec_of``): a day some days back ("yesterday"),
a period to date ("this month", YTD), a full calendar period some periods back ("last week"), the
last N days, or a rolling stretch ("the past month"), optionally a year (or period) earlier as in
comparisons; anything else is a fixed period and stays as it is. Each run recomputes the periods
from those relations at its own date (``rebase``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from engine.domain import DateRange
from engine.language.timeparse import period_start, shift
from engine.semantic_query import SemanticQuery

Spec = dict[str, Any]
_UNITS = ("week", "month", "quarter", "year")


def _to_date(as_of: dt.date, unit: str) -> DateRange:
    return DateRange(period_start(as_of, unit), as_of, "")


def _full(as_of: dt.date, unit: str, back: int) -> DateRange:
    start = shift(period_start(as_of, unit), unit, -back)
    return DateRange(start, shift(start, unit, 1) - dt.timedelta(days=1), "")


def _rolling(as_of: dt.date, unit: str, n: int) -> DateRange:
    return DateRange(shift(as_of, unit, -n) + dt.timedelta(days=1), as_of, "")


def resolve(spec: Spec, as_of: dt.date, label: str = "") -> DateRange:
    """The period a spec means at ``as_of``."""
    kind = spec["kind"]
    if kind == "fixed":
        return DateRange(dt.date.fromisoformat(spec["start"]), dt.date.fromisoformat(spec["end"]), label)
    if kind == "days_back":
        day = as_of - dt.timedelta(days=int(spec["days"]))
        found = DateRange(day, day, "")
    elif kind == "to_date":
        found = _to_date(as_of, spec["unit"])
    elif kind == "full":
        found = _full(as_of, spec["unit"], int(spec["back"]))
    elif kind == "last_days":
        found = DateRange(as_of - dt.timedelta(days=int(spec["days"]) - 1), as_of, "")
    else:  # rolling
        found = _rolling(as_of, spec["unit"], int(spec["n"]))
    if spec.get("earlier"):
        unit, n = spec["earlier"]
        found = DateRange(shift(found.start, unit, -int(n)), shift(found.end, unit, -int(n)), "")
    return DateRange(found.start, found.end, label)


def _candidates(as_of: dt.date, label: str) -> list[Spec]:
    """Relations to try, the ones the period's own words suggest first (on a Monday "this week" and
    "today" are the same day; the words decide)."""
    words = label.lower()
    specs: list[Spec] = [{"kind": "days_back", "days": d} for d in range(0, 8)]
    specs += [{"kind": "to_date", "unit": u} for u in _UNITS]
    specs += [{"kind": "full", "unit": u, "back": b} for u in ("day", *_UNITS) for b in range(1, 4)
              if u != "day"]
    specs += [{"kind": "rolling", "unit": u, "n": n} for u in ("week", "month", "year") for n in (1, 2, 3, 6, 12)]
    specs += [{"kind": "last_days", "days": d} for d in range(2, 400)]

    def rank(spec: Spec) -> int:
        kind = spec["kind"]
        if kind == "days_back":
            return 0 if ("today" in words or "yesterday" in words or "day" in words) else 3
        if kind == "to_date":
            return 0 if ("this" in words or "to date" in words or "so far" in words or "td" in words) else 2
        if kind == "rolling":
            return 0 if ("past" in words or "rolling" in words) else 4
        if kind == "last_days":
            return 1 if "days" in words else 5
        return 1
    return sorted(specs, key=rank)


_RELATIVE = re.compile(r"\b(?:today|yesterday|this|last|past|previous|prior|preceding|before|ago|so far|"
                       r"to date|ytd|qtd|mtd|wtd|days?|weeks?|months?|quarters?|years?)\b")
_NAMED = re.compile(r"\b(?:\d{4}|q[1-4]|h[12]|since|between|from)\b")


def spec_of(period: DateRange, as_of: dt.date) -> Spec:
    """How ``period`` relates to ``as_of``: the first relation that reproduces it, else fixed.

    Only periods said in relative words move; a named one ("2024", "Q3", "since March") stays."""
    words = period.label.lower()
    if not _RELATIVE.search(words) or _NAMED.search(words):
        return {"kind": "fixed", "start": period.start.isoformat(), "end": period.end.isoformat()}
    for earlier in (None, ("year", 1), ("quarter", 1), ("month", 1), ("week", 1)):
        for spec in _candidates(as_of, period.label):
            if earlier:
                spec = {**spec, "earlier": list(earlier)}
            found = resolve(spec, as_of)
            if (found.start, found.end) == (period.start, period.end):
                return spec
    return {"kind": "fixed", "start": period.start.isoformat(), "end": period.end.isoformat()}


def specs_of(query: SemanticQuery, as_of: dt.date) -> dict[str, Any]:
    """The specs of a query's range and of each compared period."""
    return {"time_range": spec_of(query.time_range, as_of) if query.time_range else None,
            "compare": [spec_of(p, as_of) for p in query.compare]}


def rebase(query: SemanticQuery, specs: dict[str, Any], as_of: dt.date) -> SemanticQuery:
    """A copy of ``query`` with its periods recomputed for ``as_of``."""
    moved = SemanticQuery.from_dict(query.to_dict())
    compare = specs.get("compare") or []
    if compare and len(compare) == len(moved.compare):
        moved.compare = [resolve(s, as_of, p.label) for s, p in zip(compare, moved.compare)]
    if moved.compare:  # a comparison's range spans its periods
        moved.time_range = DateRange(min(p.start for p in moved.compare), max(p.end for p in moved.compare),
                                     query.time_range.label if query.time_range else "compared periods")
    elif specs.get("time_range") and moved.time_range is not None:
        moved.time_range = resolve(specs["time_range"], as_of, moved.time_range.label)
    return moved
