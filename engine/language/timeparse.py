"""Time expressions in questions: ranges ("last quarter", "in March", "Q3 2024") and grains.

Relative dates are resolved against an as-of date: "last N days" are the N days ending on it;
"this week/month/quarter/year" run from the period's start through it; "last
week/month/quarter/year" are the previous full calendar period (weeks start on Monday); a month
or quarter named without a year is its latest occurrence that starts on or before the as-of date.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

from engine.domain import DateRange
from engine.language.dates import (LAST_DAY, NAMED_DAY_RE, CalendarError, latest_month, latest_quarter, month_range,
                                   named_day, outside_calendar, period_end, period_start, quarter_range, shift)

GRAINS = ("day", "week", "month", "quarter", "year")

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))

UNIT_ALIASES = {
    "day": "day", "days": "day", "d": "day", "week": "week", "weeks": "week", "wk": "week",
    "wks": "week", "month": "month", "months": "month", "mo": "month", "mos": "month",
    "quarter": "quarter", "quarters": "quarter", "qtr": "quarter", "qtrs": "quarter",
    "year": "year", "years": "year", "yr": "year", "yrs": "year", "y": "year",
}
_UNIT_RE = "|".join(sorted(UNIT_ALIASES, key=len, reverse=True))
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a": 1}
_NUM_RE = r"\d{1,3}|" + "|".join(NUMBER_WORDS)


@dataclass
class TimeParse:
    range: DateRange | None
    grain: str | None
    text: str  # the question with the time words blanked out
    compare: list[DateRange] = field(default_factory=list)  # "2024 vs 2025": the periods, in order
    # "vs the year before" said without a period of its own: the unit to shift the thread's
    # period by ("custom": the same number of days before); None when not said
    shift_unit: str | None = None
    # "year over year" (yoy) with a finer grain: each period against the same one a year before
    over: str | None = None


_COMPARE_RE = re.compile(r"\b(?:vs|versus|compared|compare|against|relative\s+to|and|or|over)\b")
_SAME_PERIOD_RE = re.compile(r"\b(?:the\s+)?same\s+(?:period|time|months?|days?)\s+(last|previous|prior)\s+"
                             rf"({_UNIT_RE})\b|\b(?:a|one|1)\s+({_UNIT_RE})\s+(?:ago|before|earlier)\b|"
                             r"\b(?:the\s+)?(?:previous|prior|preceding)\s+period\b|"
                             rf"\b(?:the\s+)?({_UNIT_RE})\s+(?:before|prior)\b")


def _num(text: str) -> int:
    return int(text) if text.isdigit() else NUMBER_WORDS[text]


def _point(text: str, as_of: dt.date) -> DateRange | None:
    """A single named period: a date, a month (with or without year), a quarter or a year."""
    text = text.strip()
    named = named_day(text, as_of)
    if named is not None:
        return named
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if m:
        day = dt.date(int(m[1]), int(m[2]), int(m[3]))
        return DateRange(day, day, text)
    m = re.fullmatch(rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\.?,?(?:\s+(\d{{4}}))?", text)
    if m:  # "1 March 2025", "31st of march"
        month = MONTHS[m[2]]
        year = int(m[3]) if m[3] else latest_month(as_of, month)
        try:
            day = dt.date(year, month, int(m[1]))
        except ValueError:
            return None
        return DateRange(day, day, text)
    m = re.fullmatch(r"(?:week|wk)\s*(\d{1,2})(?:,?\s+(\d{4}))?", text)
    if m:  # ISO week: "week 23", "week 23 2024"
        year = int(m[2]) if m[2] else as_of.year
        try:
            start = dt.date.fromisocalendar(year, int(m[1]), 1)
        except ValueError:
            return None
        if not m[2] and start > as_of:
            start = dt.date.fromisocalendar(year - 1, int(m[1]), 1)
        return DateRange(start, start + dt.timedelta(days=6), text)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if m:
        return month_range(int(m[1]), int(m[2]), text)
    m = re.fullmatch(rf"({_MONTH_RE})\.?(?:\s+(\d{{1,2}})(?:st|nd|rd|th)?)?,?(?:\s+(\d{{4}}))?", text)
    if m:
        month = MONTHS[m[1]]
        year = int(m[3]) if m[3] else latest_month(as_of, month)
        if m[2]:
            day = dt.date(year, month, int(m[2]))
            return DateRange(day, day, text)
        return month_range(year, month, text)
    m = re.fullmatch(r"q([1-4])(?:\s*(\d{4}))?|(\d{4})\s*q([1-4])", text)
    if m:
        quarter = int(m[1] or m[4])
        year = int(m[2] or m[3]) if (m[2] or m[3]) else latest_quarter(as_of, quarter)
        return quarter_range(year, quarter, text)
    m = re.fullmatch(r"(?:fy\s*)?(\d{4})", text)
    if m and 1990 <= int(m[1]) <= 2100:
        year = int(m[1])
        return DateRange(dt.date(year, 1, 1), dt.date(year, 12, 31), text)
    if text in ("today", "yesterday"):
        day = as_of if text == "today" else as_of - dt.timedelta(days=1)
        return DateRange(day, day, text)
    return None


_POINT_RE = (rf"(?:the\s+)?(?:{NAMED_DAY_RE})(?:,?\s+\d{{4}})?|\d{{4}}-\d{{1,2}}(?:-\d{{1,2}})?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTH_RE})\.?,?"
             rf"(?:\s+\d{{4}})?|(?:week|wk)\s*\d{{1,2}}(?:,?\s+\d{{4}})?|(?:{_MONTH_RE})\.?(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?,?"
             rf"(?:\s+\d{{4}})?|q[1-4](?:\s*\d{{4}})?|\d{{4}}\s*q[1-4]|(?:fy\s*)?\d{{4}}|today|yesterday")

_GRAIN_PATTERNS = [
    (r"\b(?:daily|per day|by day|each day|day by day|by date|per date|(?:(?<=which )|(?<=what )|(?<=best )|(?<=worst )|(?<=busiest )|(?<=biggest )|(?<=highest )|(?<=lowest )|(?<=strongest )|(?<=weakest )|(?<=slowest )|(?<=quietest ))(?:day|date))\b", "day"),
    (r"\b(?:weekly|per week|by week|each week|week over week|wow|(?:(?<=which )|(?<=what )|(?<=best )|(?<=worst )|(?<=busiest )|(?<=biggest )|(?<=highest )|(?<=lowest )|(?<=strongest )|(?<=weakest )|(?<=slowest )|(?<=quietest ))week)\b", "week"),
    (r"\b(?:monthly|per month|by month|each month|month over month|mom|month by month|"
     r"(?:(?<=which )|(?<=what )|(?<=best )|(?<=worst )|(?<=busiest )|(?<=biggest )|(?<=highest )|(?<=lowest )|(?<=strongest )|(?<=weakest )|(?<=slowest )|(?<=quietest ))month)\b", "month"),
    (r"\b(?:quarterly|per quarter|by quarter|each quarter|by qtr|quarter over quarter|qoq|"
     r"(?:(?<=which )|(?<=what )|(?<=best )|(?<=worst )|(?<=busiest )|(?<=biggest )|(?<=highest )|(?<=lowest )|(?<=strongest )|(?<=weakest )|(?<=slowest )|(?<=quietest ))quarter)\b", "quarter"),
    (r"\b(?:yearly|annually|annual|per year|by year|each year|year over year|yoy|by yr|per yr|"
     r"(?:(?<=which )|(?<=what )|(?<=best )|(?<=worst )|(?<=busiest )|(?<=biggest )|(?<=highest )|(?<=lowest )|(?<=strongest )|(?<=weakest )|(?<=slowest )|(?<=quietest ))year)\b", "year"),
]
_TREND_RE = r"\b(?:trend|trends|trending|over time|timeline|time series|evolution|history)\b"


def range_label(period: DateRange) -> str:
    """A period as people name it: "2024", "Q3 2024", "Mar 2025", else its first and last day."""
    start, end = period.start, period.end
    if start.day == 1 and end == period_end(start, "year") and start.month == 1:
        return str(start.year)
    if start.day == 1 and start.month % 3 == 1 and end == period_end(start, "quarter"):
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if start.day == 1 and end == period_end(start, "month"):
        return start.strftime("%b %Y")
    return period.describe()


def parse_time(text: str, as_of: dt.date) -> TimeParse:
    """Find the time range (or the periods compared) and the grain in a lower-cased question.

    Raises CalendarError for a date that does not exist or a range outside the calendar.
    """
    parsed = _parse_time(text, as_of)
    if parsed.range is not None and parsed.range.end > LAST_DAY:
        raise outside_calendar(parsed.range.label, as_of)
    return parsed


def _parse_time(text: str, as_of: dt.date) -> TimeParse:
    original = text
    same = _SAME_PERIOD_RE.search(text)
    if same:  # "vs the same period last year", "vs the week before": blanked, applied below
        text = text[: same.start()] + " " * (same.end() - same.start()) + text[same.end():]
    found, text, unit, at = _find_range(text, as_of)
    compare: list[DateRange] = []
    if found is not None and same:
        named = same[2] or same[3] or same[4]
        try:
            compare = [_shifted(found, UNIT_ALIASES[named] if named else "custom"), found]
        except (CalendarError, OverflowError):
            raise outside_calendar(same[0].strip(), as_of) from None
    elif found is not None and _COMPARE_RE.search(text):
        baseline_first = _COMPARE_BEFORE.search(original[:at]) is not None
        if baseline_first and unit:  # "revenue compared to last year": this year so far vs then
            current = DateRange(period_start(as_of, unit), as_of, f"this {unit}")
            compare = [_shifted(current, unit), current]
        else:
            second, rest, second_unit, _ = _find_range(text, as_of)
            bare = _BARE_LAST.search(text)
            unit_of_found = next((u for u in GRAINS if found.label in (f"this {u}", f"{u} to date", f"last {u}")), None)
            if second is None and bare and unit_of_found:  # "this year vs last": the year before
                compare = [_shifted(found, unit_of_found), found]
                text = text[: bare.start()] + " " * (bare.end() - bare.start()) + text[bare.end():]
            if second is not None:
                if second_unit:  # "this year vs last year": the same days one year earlier
                    second = _shifted(found, second_unit)
                if second.end < found.start or second.start > found.end:
                    compare = sorted([found, second], key=lambda r: r.start)
                    text = rest
                    while _COMPARE_RE.search(text):  # "2023 vs 2024 vs 2025"
                        more, rest, _, _ = _find_range(text, as_of)
                        if more is None or any(not (more.end < r.start or more.start > r.end) for r in compare):
                            break
                        compare = sorted([*compare, more], key=lambda r: r.start)
                        text = rest
    shift_unit = None
    if same and found is None:
        named = same[2] or same[3] or same[4]
        shift_unit = UNIT_ALIASES[named] if named else "custom"
    if compare:
        found = DateRange(compare[0].start, max(r.end for r in compare), "compared periods")
    parsed = _with_grain(found, text, compare)
    parsed.shift_unit = shift_unit
    return parsed


def shifted(period: DateRange, unit: str) -> DateRange:
    """The same stretch of days one ``unit`` earlier (``"custom"``: as many days right before)."""
    return _shifted(period, unit)


_BARE_LAST = re.compile(r"(?<=vs|us|to|st)\s+(?:the\s+)?(?:last|previous|prior)\b(?!\s+(?:\d+\s+)?\w+)|"
                        r"(?<=vs|us|to|st)\s+(?:the\s+)?(?:last|previous|prior|one before)\s*$")
_COMPARE_BEFORE = re.compile(r"\b(?:vs\.?|versus|compared\s+(?:to|with)|against|relative\s+to)\s+"
                             r"(?:the\s+)?$")


def previous_period(period: DateRange) -> DateRange:
    """The period before ``period``: the previous calendar year, quarter or month when it is
    one, else the same number of days right before it."""
    for unit in ("year", "quarter", "month"):
        if period.start == period_start(period.start, unit) and \
                period.end in (period_end(period.start, unit), ) :
            return _shifted(period, unit)
    if period.start == period_start(period.start, "year") and period.end.year == period.start.year:
        return _shifted(period, "year")  # year to date: the same days a year earlier
    return _shifted(period, "custom")


def _shifted(period: DateRange, unit: str) -> DateRange:
    """The same stretch of days one ``unit`` earlier ("same period last year")."""
    if unit == "custom":
        days = (period.end - period.start).days + 1
        return DateRange(period.start - dt.timedelta(days=days), period.start - dt.timedelta(days=1),
                         "previous period")
    return DateRange(shift(period.start, unit, -1), shift(period.end, unit, -1), f"previous {unit}")


def _find_range(text: str, as_of: dt.date) -> tuple[DateRange | None, str, str | None, int]:
    """The first time range in ``text``, the text with it blanked, for "last <unit>" the unit
    (so a comparison shifts like-for-like), and where it started."""
    found: DateRange | None = None
    unit_seen: str | None = None
    at = len(text)

    def take(pattern: str, build) -> None:  # noqa: ANN001 - small local helper
        nonlocal text, found, at
        if found is not None:
            return
        for m in re.finditer(pattern, text):
            result = _built(build, m, as_of)
            if result is not None:
                found, at = result, m.start()
                text = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end():]
                return

    take(rf"\b({_MONTH_RE})\.?\s*(?:-|–|to|through|thru|until)\s*({_MONTH_RE})\.?(?:,?\s+(\d{{4}}))?\b",
         lambda m: _month_span(m, as_of))
    take(rf"\b(?:in\s+|during\s+|for\s+)?(?:the\s+)?({_ORDINAL_RE})\s+(quarter|qtr|half)(?:\s+of)?(?:\s+(?:the\s+)?(?:fiscal\s+)?(?:year\s+)?(\d{{4}}))?\b",
         lambda m: _ordinal_period(m, as_of))
    take(r"\b(?:in\s+|during\s+|for\s+)?h([12])(?:\s*(\d{4}))?\b",
         lambda m: _half(int(m[1]), int(m[2]) if m[2] else None, as_of, m[0].strip()))
    take(rf"\b(?:between|from)\s+({_POINT_RE})\s+(?:and|to|until|till|through|-)\s+({_POINT_RE})\b",
         lambda m: _between(m, as_of))
    take(r"\bfrom\s+(\d{4}-\d{1,2}-\d{1,2})\b", lambda m: _since(m, as_of))  # a date: onwards
    take(rf"\b(?:since|after|starting(?:\s+(?:in|on|from))?)\s+({_POINT_RE})\b",
         lambda m: _since(m, as_of))
    take(rf"\b(?:in\s+|during\s+|for\s+)?(?:the\s+)?(?:last|past|previous|trailing|prior)\s+({_NUM_RE})\s+({_UNIT_RE})\b",
         lambda m: _last_n(m, as_of))
    take(r"\b(?:year|quarter|month|week)\s*to\s*date\b|\b(?:ytd|qtd|mtd|wtd)\b|\bso far this (?:year|quarter|month|week)\b",
         lambda m: _to_date(m[0], as_of))
    take(r"\b(?:since|from)\s+the\s+(?:start|beginning)\s+of\s+(?:the|this)\s+(year|quarter|month|week)\b",
         lambda m: _to_date(f"so far this {m[1]}", as_of))  # "since the start of the year"
    take(rf"\b(?:in\s+|during\s+|for\s+|over\s+)?(?:the\s+)?(?:past|trailing)\s+({_UNIT_RE})\b",
         lambda m: _last_n(m, as_of, 1))  # "the past year": the 12 months up to today
    take(rf"\b(?:in\s+|during\s+|for\s+)?(?:the\s+)?(this|current|last|previous|prior)\s+({_UNIT_RE})\b",
         lambda m: _this_or_last(m, as_of))
    take(rf"\b(?:in\s+|on\s+|during\s+|for\s+)?({_POINT_RE})\b", lambda m: _point(m[1], as_of))
    if found is not None and found.label.startswith("last ") and found.label.count(" ") == 1:
        unit_seen = found.label.split()[1]
    return found, text, unit_seen, at


def _built(build, m: re.Match[str], as_of: dt.date) -> DateRange | None:  # noqa: ANN001
    """``build(m)``, with the words named when they are no day on the calendar."""
    try:
        return build(m)
    except (CalendarError, OverflowError):
        raise outside_calendar(m[0].strip(), as_of) from None
    except ValueError as err:
        if "year" in str(err).lower():  # datetime's "year 0 is out of range": a relative date ran off
            raise outside_calendar(m[0].strip(), as_of) from None
        words = re.sub(r"^(?:(?:in|on|during|for|the)\s+)+", "", m[0].strip())
        raise CalendarError(f"\"{words}\" is not a date: {err}.") from None


_OVER_RE = re.compile(r"\b(day|week|month|quarter|year)\s+(?:over|on|vs)\s+(?:the\s+)?(?:previous\s+|prior\s+)?\1\b")


def _with_grain(found: DateRange | None, text: str, compare: list[DateRange]) -> TimeParse:
    grain: str | None = None
    over = _OVER_RE.search(text)
    if over:  # "year over year": a change column against the same period one unit before
        text = text[: over.start()] + " " * (over.end() - over.start()) + text[over.end():]
    for pattern, name in _GRAIN_PATTERNS:
        m = re.search(pattern, text)
        if m is None and re.search(r"\b(?:by|per)\b", text):  # "by channel and month"
            m = re.search(rf"\band\s+(?:by\s+)?{name}\b", text)
        if m:
            grain = name
            text = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end():]
            break
    m = re.search(_TREND_RE, text)
    if m:  # "trend": over time, at the grain asked for or one that fits the range
        grain = grain or _default_grain(found)
        text = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end():]
    unit = over[1] if over else None
    if unit and grain is None:
        grain = unit
    parsed = TimeParse(found, grain, text, compare)
    if unit and GRAINS.index(grain) < GRAINS.index(unit):
        parsed.over = unit  # "revenue yoy by quarter": each quarter against the one a year before
    return parsed


def _default_grain(found: DateRange | None) -> str:
    if found is None:
        return "month"
    days = (found.end - found.start).days + 1
    if days <= 31:
        return "day"
    if days <= 92:
        return "week"
    return "month"


_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_ORDINAL_RE = "|".join(_ORDINALS)


def _month_span(m: re.Match[str], as_of: dt.date) -> DateRange | None:
    first, last = MONTHS[m[1]], MONTHS[m[2]]
    if last < first:
        return None
    year = int(m[3]) if m[3] else latest_month(as_of, last)
    start = dt.date(year, first, 1)
    return DateRange(start, period_end(dt.date(year, last, 1), "month"), m[0].strip())


def _ordinal_period(m: re.Match[str], as_of: dt.date) -> DateRange | None:
    n = _ORDINALS[m[1]]
    year = int(m[3]) if m[3] else None
    if m[2] == "half":
        return _half(n, year, as_of, m[0].strip()) if n <= 2 else None
    return quarter_range(year or latest_quarter(as_of, n), n, m[0].strip())


def _half(n: int, year: int | None, as_of: dt.date, label: str) -> DateRange:
    start_month = 1 if n == 1 else 7
    if year is None:
        year = as_of.year if start_month <= as_of.month else as_of.year - 1
    start = dt.date(year, start_month, 1)
    return DateRange(start, shift(start, "month", 6) - dt.timedelta(days=1), label)


def _between(m: re.Match[str], as_of: dt.date) -> DateRange | None:
    start, end = m[1], m[2]
    year = re.search(r"\b\d{4}$", end)
    if year and not re.search(r"\d{4}", start):  # "between 1 dec and 24 dec 2024": both in 2024
        start = f"{start} {year[0]}"
    first, second = _point(start, as_of), _point(end, as_of)
    if first is None or second is None or second.end < first.start:
        return None
    return DateRange(first.start, second.end, m[0].strip())


def _since(m: re.Match[str], as_of: dt.date) -> DateRange | None:
    first = _point(m[1], as_of)
    if first is None or first.start > as_of:
        return None
    if m[0].lstrip().startswith("after"):  # "opened after 2022": from the first day past it
        start = first.end + dt.timedelta(days=1)
        return DateRange(start, as_of, m[0].strip()) if start <= as_of else None
    return DateRange(first.start, as_of, m[0].strip())


def _last_n(m: re.Match[str], as_of: dt.date, n: int | None = None) -> DateRange:
    if n is not None:
        unit = UNIT_ALIASES[m[1]]
        start = shift(as_of, unit, -n) + dt.timedelta(days=1)
        return DateRange(start, as_of, f"past {unit}")
    n, unit = _num(m[1]), UNIT_ALIASES[m[2]]
    start = shift(as_of, unit, -n) + dt.timedelta(days=1)
    return DateRange(start, as_of, f"last {n} {unit}s")


def _to_date(words: str, as_of: dt.date) -> DateRange:
    unit = {"y": "year", "q": "quarter", "m": "month", "w": "week"}[words.split()[-1][0]] \
        if words.startswith("so far") else {"y": "year", "q": "quarter", "m": "month", "w": "week"}[words[0]]
    return DateRange(period_start(as_of, unit), as_of, f"{unit} to date")


def _this_or_last(m: re.Match[str], as_of: dt.date) -> DateRange:
    which, unit = m[1], UNIT_ALIASES[m[2]]
    if which in ("this", "current"):
        return DateRange(period_start(as_of, unit), as_of, f"this {unit}")
    start = period_start(shift(period_start(as_of, unit), unit, -1), unit)
    return DateRange(start, period_end(start, unit), f"last {unit}")
