"""What an answer adds when its period lies outside the data: "orders run from 1 Jan 2023 to
31 Dec 2025", so "no data matched" (or a zero) explains itself instead of looking like a fact."""

from __future__ import annotations

import datetime as dt

from engine.domain import DateRange
from engine.semantic_model import ColumnRef, SemanticModel
from engine.semantic_query import SemanticQuery
from engine.language.timeparse import range_label
from engine.values import TimeRanges


def _day(day: dt.date) -> str:
    return f"{day.day} {day.strftime('%b %Y')}"


def _time_column(query: SemanticQuery, model: SemanticModel) -> ColumnRef | None:
    if query.entity:
        return model.entities[query.entity].time
    return model.metrics[query.metrics[0]].time if query.metrics else None


def _noun(ref: ColumnRef, model: SemanticModel) -> str:
    """What the time column dates: the entity listed by it ("orders"), else its table's name."""
    entity = next((e for e in model.entities.values() if e.time == ref), None)
    name = entity.label.lower() if entity else ref.table.replace("_", " ")
    return name if name.endswith("s") else f"{name}s"


def _outside(period: DateRange, first: dt.date, last: dt.date) -> bool:
    return period.end < first or period.start > last


def range_note(query: SemanticQuery | None, model: SemanticModel, ranges: TimeRanges) -> str:
    """"orders run from 1 Jan 2023 to 31 Dec 2025" when the asked period (or one of the compared
    periods) lies wholly outside the data's range; "" otherwise or when the range is unknown."""
    if query is None:
        return ""
    ref = _time_column(query, model)
    if ref is None or str(ref) not in ranges:
        return ""
    first, last = ranges[str(ref)]
    covered = f"{_noun(ref, model)} run from {_day(first)} to {_day(last)}"
    if query.compare:
        empty = [range_label(p) for p in query.compare if _outside(p, first, last)]
        if not empty:
            return ""
        return f"{' and '.join(empty)} {'has' if len(empty) == 1 else 'have'} no data: {covered}"
    if query.time_range is not None and _outside(query.time_range, first, last):
        return covered
    return ""


def with_range_note(message: str, note: str) -> str:
    """The summary sentence with the note appended: "...: no data matched; orders run from ..."."""
    if not note:
        return message
    return f"{message.rstrip().rstrip('.')}; {note}."
