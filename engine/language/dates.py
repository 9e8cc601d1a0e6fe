"""Calendar arithmetic and named days, for reading time expressions (engine/language/timeparse.py).

Periods start on their calendar boundary (weeks on Monday); shifting by months keeps the day of
the month where it exists (31 Jan + 1 month = 28 or 29 Feb); a shift past the calendar's ends is
a CalendarError. Named days ("Black Friday", "christmas") resolve in a given year.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from engine.domain import DateRange
from engine.errors import BotError


class CalendarError(BotError):
    """A date the calendar cannot hold: no such day ("2024-13-45"), or a relative range reaching
    before 1 Jan 1 or past 30 Dec 9999 (the SQL compares with the day after a range's end)."""


LAST_DAY = dt.date.max - dt.timedelta(days=1)


def outside_calendar(words: str, as_of: dt.date) -> CalendarError:
    """The CalendarError for ``words`` read as of ``as_of`` reaching past the calendar's ends."""
    return CalendarError(f"\"{words}\" as of {_day(as_of)} falls outside the calendar I can query "
                         f"({_day(dt.date.min)} - {_day(LAST_DAY)}). Name a period inside it.")


def _day(day: dt.date) -> str:
    return f"{day.day} {day.strftime('%b')} {day.year:04d}"


def period_start(day: dt.date, unit: str) -> dt.date:
    """The first day of the day / week (Monday) / month / quarter / year holding ``day``."""
    if unit == "day":
        return day
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return dt.date(day.year, 1, 1)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months``, its day of the month cut to the target month's last day."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def shift(day: dt.date, unit: str, n: int) -> dt.date:
    """``day`` moved by ``n`` units (negative goes back); CalendarError past the calendar's ends."""
    try:
        if unit == "day":
            return day + dt.timedelta(days=n)
        if unit == "week":
            return day + dt.timedelta(weeks=n)
        if unit == "month":
            return add_months(day, n)
        if unit == "quarter":
            return add_months(day, 3 * n)
        return add_months(day, 12 * n)
    except (OverflowError, ValueError):
        raise outside_calendar(f"{n:+} {unit}", day) from None


def period_end(start: dt.date, unit: str) -> dt.date:
    """The last day of the ``unit`` starting on ``start``."""
    return shift(start, unit, 1) - dt.timedelta(days=1)


def month_range(year: int, month: int, label: str) -> DateRange:
    """The whole month, labelled ``label``."""
    start = dt.date(year, month, 1)
    return DateRange(start, period_end(start, "month"), label)


def quarter_range(year: int, quarter: int, label: str) -> DateRange:
    """The whole quarter (1-4), labelled ``label``."""
    start = dt.date(year, 3 * (quarter - 1) + 1, 1)
    return DateRange(start, period_end(start, "quarter"), label)


def latest_month(as_of: dt.date, month: int) -> int:
    """The year of the latest ``month`` starting on or before ``as_of``."""
    return as_of.year if month <= as_of.month else as_of.year - 1


def latest_quarter(as_of: dt.date, quarter: int) -> int:
    """The year of the latest ``quarter`` starting on or before ``as_of``."""
    return as_of.year if 3 * (quarter - 1) + 1 <= as_of.month else as_of.year - 1


def _thanksgiving(year: int) -> dt.date:
    first = dt.date(year, 11, 1)
    return first + dt.timedelta(days=(3 - first.weekday()) % 7 + 21)  # the fourth Thursday


# named days: (pattern, the day in a given year)
NAMED_DAYS: list[tuple[str, object]] = [
    (r"black\s+friday", lambda y: _thanksgiving(y) + dt.timedelta(days=1)),
    (r"cyber\s+monday", lambda y: _thanksgiving(y) + dt.timedelta(days=4)),
    (r"thanksgiving(?:\s+day)?", _thanksgiving),
    (r"christmas\s+eve|xmas\s+eve", lambda y: dt.date(y, 12, 24)),
    (r"(?:christmas|xmas)(?:\s+day)?", lambda y: dt.date(y, 12, 25)),
    (r"boxing\s+day", lambda y: dt.date(y, 12, 26)),
    (r"new\s+year'?s?\s+eve", lambda y: dt.date(y, 12, 31)),
    (r"new\s+year'?s?(?:\s+day)?", lambda y: dt.date(y, 1, 1)),
    (r"valentine'?s?(?:\s+day)?", lambda y: dt.date(y, 2, 14)),
    (r"halloween", lambda y: dt.date(y, 10, 31)),
]
NAMED_DAY_RE = "|".join(f"(?:{p})" for p, _ in NAMED_DAYS)


_NAMED_DAY_PATTERNS = [(re.compile(rf"(?:the\s+)?({pattern})(?:,?\s+(\d{{4}}))?"), day_of)
                       for pattern, day_of in NAMED_DAYS]
_ANY_NAMED_DAY = re.compile(rf"(?:the\s+)?(?:{NAMED_DAY_RE})")


def named_day(text: str, as_of: dt.date) -> DateRange | None:
    """"Black Friday 2024", "christmas": the day, in the year named or its latest occurrence."""
    if not _ANY_NAMED_DAY.match(text):
        return None
    for pattern, day_of in _NAMED_DAY_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            year = int(m[2]) if m[2] else as_of.year
            day = day_of(year)  # type: ignore[operator]
            if not m[2] and day > as_of:
                day = day_of(year - 1)  # type: ignore[operator]
            return DateRange(day, day, text)
    return None
