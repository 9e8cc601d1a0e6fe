"""The schedule-phrase grammar: "every Monday at 9 post revenue by region last week here".

``read_phrase`` tells a message that asks for a schedule from a plain question and reads it:

- when: every day / morning / evening / weekday / week / month / hour, each ..., on Mondays,
  every Monday, weekdays, daily / weekly / monthly / hourly (next to a time or a delivery verb),
  on the 15th (of every month); "at 9", "at 9:30", "at 5 pm", "at noon", "8am"; a time zone
  ("Europe/Berlin", "UTC", "Berlin time"), else the owner's profile time zone;
- where: "here" / "in this channel" (the default: where it was asked), "me" ("send me",
  "alert me": a direct message), "#channel";
- condition: "only if not empty", "only when it changed", and alerts: "alert me / tell #x /
  notify me / let me know when <question> goes above / exceeds / drops below N [%]" or
  "increases / decreases by N [%]"; an alert without a "when" runs every hour;
- what: the rest, which must read as a question.

A message with a schedule the grammar cannot fully read ("every other Tuesday", "quarterly",
nothing left to post) is a ``NeedsForm`` with what it did read, so the surface opens the form
prefilled instead of guessing. A message without schedule words is None: a plain question.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import available_timezones

from engine.digests.conditions import Condition
from engine.digests.schedule import DAY_NAMES, Schedule, ScheduleError, zone

_DAYS = {name.lower(): i for i, name in enumerate(DAY_NAMES)}
_DAYS.update({name[:3].lower(): i for i, name in enumerate(DAY_NAMES)})
_DAYS.update({"tues": 1, "weds": 2, "thur": 3, "thurs": 3})
_DAY_RE = "|".join(sorted(_DAYS, key=len, reverse=True))
_NUMBER = r"\$?(\d+(?:[.,]\d+)*)\s*(k|m|thousand|million)?\s*(%|percent|pct)?"


@dataclass
class SchedulePhrase:
    """A schedule request read from words. ``timezone`` is None when the words named none."""

    question: str
    preset: str
    hour: int = 9
    minute: int = 0
    weekday: int = 0
    month_day: int = 1
    timezone: str | None = None
    target: str = "here"  # here | me | channel
    channel: str | None = None  # the channel's name or id, for target "channel"
    condition: Condition = field(default_factory=Condition)
    value_in_percent: bool = False  # "above 10 %": the threshold was said as a percentage

    def schedule(self, default_timezone: str) -> Schedule:
        return Schedule(self.preset, self.timezone or default_timezone, self.hour, self.minute,
                        self.weekday, self.month_day)


@dataclass
class NeedsForm:
    """A schedule the words do not fully say: the form opens with what was read."""

    reason: str
    question: str = ""
    partial: dict[str, object] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _city_zones() -> dict[str, str]:
    cities: dict[str, str] = {}
    for name in available_timezones():
        if "/" in name and not name.startswith(("Etc/", "SystemV/")):
            cities.setdefault(name.rsplit("/", 1)[1].replace("_", " ").lower(), name)
    return cities


class _Text:
    """The message being read; consumed spans are blanked so what is left is the question."""

    def __init__(self, text: str) -> None:
        self.original = text
        self.low = text.lower()

    def take(self, pattern: str, flags: int = 0) -> re.Match[str] | None:
        m = re.search(pattern, self.low, flags)
        if m:
            self.blank(m.start(), m.end())
        return m

    def blank(self, start: int, end: int) -> None:
        self.low = self.low[:start] + " " * (end - start) + self.low[end:]

    def find(self, pattern: str) -> re.Match[str] | None:
        return re.search(pattern, self.low)

    def left(self) -> str:
        return " ".join(self.low.split())


_RECURRENCE = (rf"\b(?:every|each)\s+(?:day|morning|evening|night|weekday|working\s+day|business\s+day|week|month|"
               rf"hour|{_DAY_RE})s?\b|\bon\s+(?:weekdays|(?:{_DAY_RE})s)\b|\b(?:weekdays|(?:{_DAY_RE})s)\s+at\b|"
               r"\b(?:daily|weekly|monthly|hourly)\b")
_UNSUPPORTED = (r"\b(?:every|each)\s+(?:other|second|2nd|third|3rd|fourth|\d+|two|three|four|few|couple)\b|"
                r"\bbi-?weekly\b|\bfortnightly\b|\btwice\b|\b(?:every|each)\s+(?:quarter|year)\b|\bannually\b|"
                r"\bquarterly\s+(?:digest|report|summary|update)\b|\bon\s+the\s+last\s+day\b|\blast\s+day\s+of\b")
_ALERT = (r"^(?:please\s+|pls\s+)?(?:alert|notify|tell|warn|ping|message|dm|let)\s+(me|us|here|this\s+channel|"
          r"the\s+channel|#[\w-]+)(?:\s+know)?\s+(?:when(?:ever)?|if|once|as\s+soon\s+as)\s+")
_VERBS = r"^(?:please\s+|pls\s+)?(?:post|send|share|give|show|deliver|report|drop|put|dm|message|tell|remind)\b(?:\s+(?:me|us))?"
_TIME_OR_VERB = (r"\bat\s+\d|\bat\s+(?:noon|midnight)\b|\b\d{1,2}(?::\d{2})?\s*(?:am|pm)\b|\b(?:post|send|share|deliver|"
                 r"remind|dm)\b|\bhere\b|#[\w-]+|\bthis\s+channel\b|\b(?:digest|report)\b")
_ABOVE = (r"(?:goes|go|gets|get|is|are|rises?|climbs?|jumps?|stays?)?\s*(?:above|over|beyond|past|higher\s+than|more\s+than|"
          r"greater\s+than)|exceeds?|surpass(?:es)?|tops?|crosses|passes")
_BELOW = (r"(?:goes|go|gets|get|is|are|falls?|drops?|dips?|sinks?|stays?)?\s*(?:below|under|beneath|lower\s+than|less\s+than)")
_UP = r"(?:increases?|rises?|grows?|goes\s+up|jumps?|climbs?)\s+by"
_DOWN = r"(?:decreases?|drops?|falls?|declines?|goes\s+down|shrinks?|dips?)\s+by"


def read_phrase(text: str) -> SchedulePhrase | NeedsForm | None:
    """Read a schedule request; None when ``text`` is a plain question."""
    t = _Text(" ".join(text.replace("’", "'").split()).rstrip("?.! "))
    alert = t.find(_ALERT)
    recurring = t.find(_RECURRENCE)
    unsupported = t.find(_UNSUPPORTED)
    # "every Monday ..." opening a message asks for a schedule; "daily revenue" is a grain
    at_start = bool(recurring and recurring.start() == 0 and re.match(r"(?:every|each|on)\b", recurring[0]))
    if not alert and not unsupported and not (recurring and (at_start or t.find(_TIME_OR_VERB))):
        return None
    if unsupported:
        return NeedsForm("I can post hourly, daily, on weekdays, weekly on a day, or monthly on a day (1-28). "
                         f"I couldn't read \"{unsupported[0]}\": pick the schedule in the form.",
                         _question_guess(t, unsupported))
    phrase = SchedulePhrase(question="", preset="daily")
    problems: list[str] = []
    if alert:
        _alert(t, alert, phrase, problems)
    _when(t, phrase, bool(alert), problems)
    _time(t, phrase, problems)
    _zone(t, phrase)
    _target(t, phrase)
    _only_if(t, phrase)
    phrase.question = _clean(t)
    if problems:
        return NeedsForm(" ".join(problems), phrase.question, _partial(phrase))
    if not phrase.question:
        return NeedsForm("I understood the schedule but not what to post: write the question in the form.",
                         "", _partial(phrase))
    if re.search(r"\b(?:every|each|daily|weekly|monthly|hourly|at)\b", phrase.question):
        return NeedsForm(f"I couldn't read the whole schedule in \"{text}\": check it in the form.",
                         phrase.question, _partial(phrase))
    return phrase


def _question_guess(t: _Text, span: re.Match[str]) -> str:
    t.blank(span.start(), span.end())
    return _clean(t)


def _partial(phrase: SchedulePhrase) -> dict[str, object]:
    return {"preset": phrase.preset, "hour": phrase.hour, "minute": phrase.minute, "weekday": phrase.weekday,
            "month_day": phrase.month_day, "timezone": phrase.timezone, "target": phrase.target,
            "channel": phrase.channel, "condition": phrase.condition.to_dict()}


def _alert(t: _Text, alert: re.Match[str], phrase: SchedulePhrase, problems: list[str]) -> None:
    who = alert[1]
    t.blank(alert.start(), alert.end())
    if who in ("me", "us"):
        phrase.target = "me" if who == "me" else "here"
    elif who.startswith("#"):
        phrase.target, phrase.channel = "channel", who[1:]
    phrase.preset = "hourly"  # until a "when" says otherwise
    rest = t.low
    best: tuple[int, str, re.Match[str]] | None = None
    for op, words in (("increased_by", _UP), ("decreased_by", _DOWN), ("above", _ABOVE), ("below", _BELOW)):
        for m in re.finditer(rf"\s((?:{words}))\s+{_NUMBER}(?=\s|$)", rest):
            if best is None or m.start() > best[0] or (m.start() == best[0] and op.endswith("_by")):
                best = (m.start(), op, m)
    if best is None:
        problems.append("I couldn't read the alert's condition: say e.g. \"goes above 20\" or "
                        "\"drops by 10 %\", or set it in the form.")
        return
    _, op, m = best
    t.blank(m.start(), m.end())
    value = float(m[2].replace(",", "")) * {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6}.get(m[3] or "", 1)
    percent_said = bool(m[4])
    phrase.condition = Condition("threshold", op, value, percent=percent_said and op.endswith("_by"))
    phrase.value_in_percent = percent_said and not op.endswith("_by")


@dataclass(frozen=True)
class _Period:
    """A period named in words ("weekly", "every month on the 15th") and how the day it runs on is said."""

    preset: str
    words: str  # the period; its groups hold the day when it is said with it
    day_words: str  # the day said elsewhere in the message ("weekly ... on Fridays")
    day_field: str  # the SchedulePhrase field the day sets
    read_day: Callable[[str], int]
    default_day: str | None = None  # without a day said: None keeps the field's default
    days: range | None = None  # the days it can run on, else ``out_of_range`` (and the default day)
    out_of_range: str = ""


_ORDINAL = r"(\d{1,2})(?:st|nd|rd|th)?"
_PERIODS = (
    _Period("weekly", r"\b(?:every|each)\s+week\b|\bweekly\b", rf"\bon\s+({_DAY_RE})s?\b", "weekday",
            _DAYS.__getitem__),
    _Period("monthly", rf"\bon\s+the\s+{_ORDINAL}(?:\s+(?:day\s+)?of\s+(?:every|each|the)\s+month)?\b|"
                       rf"\b(?:every|each)\s+month\b(?:\s+on\s+the\s+{_ORDINAL})?|"
                       rf"\bmonthly\b(?:\s+on\s+the\s+{_ORDINAL})?|\b(?:the\s+)?first\s+of\s+(?:every|each|the)\s+month\b",
            rf"\bon\s+the\s+{_ORDINAL}\b", "month_day", int, default_day="1", days=range(1, 29),
            out_of_range="Monthly digests run on day 1 to 28 of the month; pick one in the form."),
)


def _when(t: _Text, phrase: SchedulePhrase, alert: bool, problems: list[str]) -> None:
    m = t.take(rf"\b(?:every|each)\s+({_DAY_RE})\b|\bon\s+({_DAY_RE})s\b|\b({_DAY_RE})s\s+(?=at\b)|"
               rf"\b(?:weekly\s+)?on\s+({_DAY_RE})s?\b")
    if m:
        phrase.preset, phrase.weekday = "weekly", _DAYS[next(g for g in m.groups() if g)]
        return
    m = t.take(r"\b(?:every|each)\s+(?:weekday|working\s+day|business\s+day)s?\b|\bon\s+weekdays\b|\bweekdays\b|"
               r"\bmonday\s+(?:to|through|-)\s+friday\b|\bmon-fri\b")
    if m:
        phrase.preset = "weekdays"
        return
    m = t.take(r"\b(?:every|each)\s+(morning|evening|night|day)\b|\bdaily\b")
    if m:
        phrase.preset = "daily"
        if m.lastindex and m[1] in ("morning", "evening", "night"):
            phrase.hour = {"morning": 8, "evening": 18, "night": 21}[m[1]]
        return
    m = t.take(r"\b(?:every|each)\s+hour\b|\bhourly\b")
    if m:
        phrase.preset = "hourly"
        return
    for period in _PERIODS:
        m = t.take(period.words)
        if m:
            _period_day(t, m, period, phrase, problems)
            return
    if not alert:
        problems.append("I couldn't tell how often to post: pick it in the form.")


def _period_day(t: _Text, m: re.Match[str], period: _Period, phrase: SchedulePhrase, problems: list[str]) -> None:
    phrase.preset = period.preset
    said = next((g for g in m.groups() if g), None)
    if said is None:
        extra = t.take(period.day_words)
        said = extra[1] if extra else period.default_day
    if said is None:
        return
    day = period.read_day(said)
    if period.days is not None and day not in period.days:
        problems.append(period.out_of_range)
        day = period.read_day(period.default_day or "")
    setattr(phrase, period.day_field, day)


def _time(t: _Text, phrase: SchedulePhrase, problems: list[str]) -> None:
    m = t.take(r"\bat\s+(noon|midday|midnight)\b")
    if m:
        phrase.hour, phrase.minute = (0, 0) if m[1] == "midnight" else (12, 0)
        return
    m = t.take(r"\b(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)(?=\W|$)") or \
        t.take(r"\bat\s+(\d{1,2})(?::|\.|h)?(\d{2})?\b(?:\s*(am|pm|a\.m\.|p\.m\.|o'?clock|h))?")
    if not m:
        return
    hour, minute, half = int(m[1]), int(m[2] or 0), (m[3] or "").replace(".", "")
    if half in ("am", "pm"):
        if not 1 <= hour <= 12:
            problems.append(f"\"{m[0].strip()}\" is not a time of day.")
            return
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        problems.append(f"\"{m[0].strip()}\" is not a time of day.")
        return
    if phrase.preset == "hourly":
        phrase.minute = minute
        if m[2] is None and half == "":  # "hourly at 9": not a minute; a daily run at 9 was meant
            phrase.preset, phrase.hour = "daily", hour
        return
    phrase.hour, phrase.minute = hour, minute


def _zone(t: _Text, phrase: SchedulePhrase) -> None:
    m = re.search(r"\b([A-Za-z]+/[A-Za-z_]+(?:/[A-Za-z_]+)?)\b", t.original)
    if m:
        try:
            zone(m[1])
        except ScheduleError:
            pass
        else:
            phrase.timezone = m[1]
            t.take(rf"(?:\bin\s+|\()?{re.escape(m[1].lower())}\)?")
            return
    m = t.take(r"(?:\bin\s+)?\b(utc|gmt)\b")
    if m:
        phrase.timezone = "UTC"
        return
    m = t.find(r"\b(?:in\s+)?([a-z]+(?:\s[a-z]+)?)\s+time\b")
    if m:
        for words in (m[1], m[1].split()[-1]):
            if words in _city_zones():
                phrase.timezone = _city_zones()[words]
                start = m.start() + m[0].find(words) if words != m[1] else m.start()
                t.blank(start, m.end())
                return


def _target(t: _Text, phrase: SchedulePhrase) -> None:
    m = t.take(r"\b(?:in|to|into|on)\s+#([\w-]+)|(?<!\w)#([\w-]+)")
    if m:
        phrase.target, phrase.channel = "channel", m[1] or m[2]
        return
    if t.take(r"\b(?:in|to|into)\s+(?:this|the)\s+(?:channel|chat|conversation)\b|\bhere\b"):
        phrase.target = "here"
        return
    if t.take(r"\b(?:to|for)\s+me\b|\b(?:by|in\s+a|as\s+a|via)\s+(?:dm|direct\s+message)\b") or \
            t.find(r"\b(?:send|dm|message|email|give|remind|tell|alert|notify|ping|show)\s+me\b"):
        t.take(r"\b(send|dm|message|email|give|remind|tell|alert|notify|ping|show)\s+me\b")
        phrase.target = "me"


def _only_if(t: _Text, phrase: SchedulePhrase) -> None:
    if t.take(r"\b(?:but\s+)?only\s+(?:if|when)\s+(?:it'?s\s+|it\s+is\s+|the\s+result\s+is\s+)?not\s+empty\b|"
              r"\bunless\s+(?:it'?s\s+|it\s+is\s+)?empty\b|\b(?:but\s+)?only\s+(?:if|when)\s+there\s+(?:are|is)\s+"
              r"(?:any\s+)?(?:results?|rows?|any)\b|\bif\s+there\s+are\s+any\b|\bskip\s+(?:it\s+)?(?:if|when)\s+empty\b"):
        phrase.condition = Condition("not_empty")
        return
    if t.take(r"\b(?:but\s+)?only\s+(?:if|when)\s+(?:it|the\s+result|something|anything)\s+(?:has\s+)?"
              r"(?:changes|changed|is\s+different)\b|\bwhen(?:ever)?\s+it\s+changes\b|\bif\s+(?:it|anything)\s+changed\b"):
        phrase.condition = Condition("changed")


def _clean(t: _Text) -> str:
    text = t.left()
    text = re.sub(_VERBS, " ", text).strip()
    text = re.sub(r"^(?:a|an|the)?\s*(?:digest|report|summary|update|alert)\s+(?:of|on|with|about)\s+", "", text)
    text = re.sub(r"^(?:schedule|please|pls)\s+", "", text)
    text = re.sub(r"\s+(?:,|and|please|pls)\s*$", "", text)
    text = re.sub(r"^[,:;\-\s]+|[,:;\-\s]+$", "", text)
    text = re.sub(r"\s*,\s*", " ", text)
    text = re.sub(r"\b(?:post|send|share)\s+(?:it\s+)?$", "", text).strip()
    return " ".join(text.split())
