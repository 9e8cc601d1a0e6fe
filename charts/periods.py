"""Time on a chart axis: period starts as ordinals (so gaps show), and ticks labelled the way
people write periods ("Jan 2025", "Feb", "Q1 2025", "W23", "2 Dec")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

GRAINS = ("day", "week", "month", "quarter", "year")
MAX_TICKS = 12


def as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def infer_grain(days: Sequence[dt.date]) -> str:
    """The grain of period starts when the question did not say (an AI planner's SQL)."""
    unique = sorted(set(days))
    if len(unique) < 2:
        return "day"
    if all(d.month == 1 and d.day == 1 for d in unique):
        return "year"
    if all(d.day == 1 and d.month % 3 == 1 for d in unique):
        return "quarter"
    if all(d.day == 1 for d in unique):
        return "month"
    gaps = {(b - a).days for a, b in zip(unique, unique[1:])}
    if all(d.weekday() == unique[0].weekday() for d in unique) and min(gaps) >= 7:
        return "week"
    return "day"


def ordinal(day: dt.date, grain: str) -> int:
    """Consecutive periods get consecutive numbers."""
    if grain == "year":
        return day.year
    if grain == "quarter":
        return day.year * 4 + (day.month - 1) // 3
    if grain == "month":
        return day.year * 12 + day.month - 1
    if grain == "week":
        return (day.toordinal() - 1) // 7  # day 1 (1 Jan 0001) is a Monday: weeks start on Mondays
    return day.toordinal()


def label(day: dt.date, grain: str, with_year: bool = True, sep: str = " ") -> str:
    """One period as people write it ("Jan 2025", "Q1 2025", "W23 2025", "2 Dec 2025");
    ``with_year`` False drops a year the axis already showed; ``sep`` goes before the year."""
    if grain == "year":
        return str(day.year)
    if grain == "quarter":
        text = f"Q{(day.month - 1) // 3 + 1}"
    elif grain == "month":
        text = day.strftime("%b")
    elif grain == "week":
        text = f"W{day.isocalendar()[1]}"
    else:
        text = f"{day.day} {day.strftime('%b')}"
    year = day.isocalendar()[0] if grain == "week" else day.year
    return f"{text}{sep}{year}" if with_year else text


def _step(count: int, grain: str) -> int:
    """Label every n-th period: whole quarters of months, whole months of weeks or days."""
    if count <= MAX_TICKS:
        return 1
    nice = {"month": (3, 6, 12), "week": (2, 4, 8, 13, 26), "day": (7, 14, 28, 56, 91, 182),
            "quarter": (2, 4, 8), "year": (2, 5, 10)}[grain]
    for step in nice:
        if count / step <= MAX_TICKS:
            return step
    return -(-count // MAX_TICKS)


def ticks(days: Sequence[dt.date], grain: str) -> tuple[list[int], list[str]]:
    """Tick positions (ordinals) and labels for period starts: at most MAX_TICKS, aligned to whole
    quarters (months), the year written under the first tick and wherever it changes."""
    unique = sorted(set(days))
    if not unique:
        return [], []
    first = ordinal(unique[0], grain)
    step = _step(ordinal(unique[-1], grain) - first + 1, grain)
    chosen = unique
    if step > 1:
        if grain == "month" and step in (3, 6, 12):  # start on a quarter (or half, or January)
            chosen = [d for d in unique if (d.month - 1) % step == 0] or unique[::step]
        else:
            chosen = [d for d in unique if (ordinal(d, grain) - first) % step == 0]
    positions, labels, year = [], [], None
    for day in chosen:
        positions.append(ordinal(day, grain))
        shown_year = day.isocalendar()[0] if grain == "week" else day.year
        # the year under the first tick and wherever it changes: "Jan\n2025", "Feb", ... "Jan\n2026"
        # (a label without its year keeps an empty second line, so all labels align at the top)
        labels.append(label(day, grain, with_year=shown_year != year, sep="\n") if shown_year != year
                      else label(day, grain, with_year=False) + ("\n " if grain != "year" else ""))
        year = shown_year
    return positions, labels


def within_labels(days: Sequence[dt.date], grain: str, length: int) -> list[str]:
    """Labels for positions 0..length-1 inside a period (compared periods on one axis): "Jan".. for
    months, "Q1".. for quarters, "W1".. for weeks, weekdays or "Day n" for days."""
    start = min(days) if days else dt.date(2000, 1, 1)
    if grain == "month":
        return [dt.date(2000, (start.month - 1 + i) % 12 + 1, 1).strftime("%b") for i in range(length)]
    if grain == "quarter":
        return [f"Q{((start.month - 1) // 3 + i) % 4 + 1}" for i in range(length)]
    if grain == "week":
        return [f"W{i + 1}" for i in range(length)]
    if grain == "day" and length <= 7:
        return [(start + dt.timedelta(days=i)).strftime("%a") for i in range(length)]
    if grain == "year":
        return [f"Year {i + 1}" for i in range(length)]
    return [f"Day {i + 1}" for i in range(length)]
