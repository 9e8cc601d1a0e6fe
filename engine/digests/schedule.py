"""Schedules: presets as standard cron in an IANA time zone, next runs with croniter, and the
same schedule as an EventBridge Scheduler expression.

Cron arithmetic is croniter's (DST gaps move a run to the first valid minute after it); a wall
time that happens twice when clocks go back runs once, at its first occurrence, as EventBridge
Scheduler does.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from engine.errors import BotError

PRESETS = ("hourly", "daily", "weekdays", "weekly", "monthly")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EB_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
MAX_MONTH_DAY = 28  # every month has it: "monthly on the 31st" would skip months silently


class ScheduleError(BotError):
    """A schedule the bot cannot keep: an unknown time zone, an impossible time or day."""


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` ("Europe/Berlin", "UTC"); ScheduleError when there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ScheduleError(f"I don't know the time zone \"{name}\". Use an IANA name such as "
                            "Europe/Berlin, America/New_York or UTC.") from None


@dataclass(frozen=True)
class Schedule:
    """When a digest runs: a preset (or cron) at a wall time in an IANA time zone."""

    preset: str  # hourly | daily | weekdays | weekly | monthly | cron
    timezone: str
    hour: int = 9
    minute: int = 0
    weekday: int = 0  # weekly: 0 = Monday
    month_day: int = 1  # monthly
    cron_expr: str | None = None  # preset "cron": a 5-field expression given as is

    def __post_init__(self) -> None:
        zone(self.timezone)
        if self.preset not in (*PRESETS, "cron"):
            raise ScheduleError(f"Unknown schedule \"{self.preset}\"; choose one of {', '.join(PRESETS)}.")
        if not (0 <= self.hour <= 23 and 0 <= self.minute <= 59):
            raise ScheduleError(f"{self.hour}:{self.minute:02d} is not a time of day.")
        if not 0 <= self.weekday <= 6:
            raise ScheduleError("The day of the week must be Monday to Sunday.")
        if not 1 <= self.month_day <= MAX_MONTH_DAY:
            raise ScheduleError(f"Monthly digests run on day 1 to {MAX_MONTH_DAY} of the month (every month "
                                "has those days).")
        if self.preset == "cron" and not (self.cron_expr and croniter.is_valid(self.cron_expr)
                                          and len(self.cron_expr.split()) == 5):
            raise ScheduleError(f"\"{self.cron_expr}\" is not a five-field cron expression.")

    @property
    def cron(self) -> str:
        """Standard 5-field cron (minute hour day-of-month month day-of-week, 0 = Sunday)."""
        if self.preset == "cron":
            return str(self.cron_expr)
        m, h = self.minute, self.hour
        return {"hourly": f"{m} * * * *", "daily": f"{m} {h} * * *", "weekdays": f"{m} {h} * * 1-5",
                "weekly": f"{m} {h} * * {(self.weekday + 1) % 7}",
                "monthly": f"{m} {h} {self.month_day} * *"}[self.preset]

    def describe(self) -> str:
        """E.g. "every Monday at 09:00 (Europe/Berlin)"."""
        at = f"{self.hour:02d}:{self.minute:02d}"
        words = {"hourly": f"every hour at minute {self.minute:02d}", "daily": f"every day at {at}",
                 "weekdays": f"every weekday (Monday to Friday) at {at}",
                 "weekly": f"every {DAY_NAMES[self.weekday]} at {at}",
                 "monthly": f"on day {self.month_day} of every month at {at}",
                 "cron": f"on cron \"{self.cron_expr}\""}[self.preset]
        return f"{words} ({self.timezone})"

    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    def next_after(self, instant: dt.datetime) -> dt.datetime:
        """The first run strictly after ``instant`` (aware), in UTC."""
        tz = self.tz()
        local = instant.astimezone(tz)
        it = croniter(self.cron, local)
        while True:
            candidate: dt.datetime = it.get_next(dt.datetime)
            if not _repeated_wall_time(candidate, tz):
                return candidate.astimezone(dt.timezone.utc)

    def latest_at_or_before(self, instant: dt.datetime) -> dt.datetime:
        """The last run at or before ``instant``, in UTC: a missed run runs once, for its latest slot."""
        tz = self.tz()
        probe = instant.astimezone(tz) + dt.timedelta(seconds=1)
        it = croniter(self.cron, probe)
        while True:
            candidate: dt.datetime = it.get_prev(dt.datetime)
            if not _repeated_wall_time(candidate, tz):
                return candidate.astimezone(dt.timezone.utc)

    def eventbridge_expression(self) -> str:
        """The schedule as EventBridge Scheduler's ``cron(min hour dom month dow year)``; it goes with
        ``ScheduleExpressionTimezone`` = ``self.timezone``."""
        minute, hour, dom, month, dow = self.cron.split()
        if dom != "*" and dow != "*":
            raise ScheduleError("EventBridge cannot combine a day of the month with a day of the week.")
        if dow == "*":
            return f"cron({minute} {hour} {dom} {month} ? *)"
        return f"cron({minute} {hour} ? {month} {_eb_days(dow)} *)"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> "Schedule":
        return cls(preset=str(data["preset"]), timezone=str(data["timezone"]), hour=int(data.get("hour", 9)),  # type: ignore[arg-type]
                   minute=int(data.get("minute", 0)), weekday=int(data.get("weekday", 0)),  # type: ignore[arg-type]
                   month_day=int(data.get("month_day", 1)), cron_expr=data.get("cron_expr"))  # type: ignore[arg-type]


def _repeated_wall_time(candidate: dt.datetime, tz: ZoneInfo) -> bool:
    """True for the second occurrence of a wall time that happens twice (clocks going back)."""
    naive = candidate.replace(tzinfo=None)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    return first.utcoffset() != second.utcoffset() and candidate.utcoffset() == second.utcoffset()


def _eb_days(field: str) -> str:
    """Cron day-of-week numbers (0 or 7 = Sunday) as EventBridge day names (MON, MON-FRI, ...)."""
    def name(token: str) -> str:
        if not token.isdigit():
            return token.upper()
        return _EB_DAYS[(int(token) - 1) % 7]
    parts = []
    for part in field.split(","):
        low, sep, high = part.partition("-")
        parts.append(name(low) + (sep + name(high) if sep else ""))
    return ",".join(parts)


def parse_instant(text: str) -> dt.datetime:
    """An ISO date-time ("2025-06-16T09:00", "...Z", "...+02:00") as an aware UTC datetime; naive means UTC."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ScheduleError(f"\"{text}\" is not an ISO date-time such as 2025-06-16T09:00:00+02:00.") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def iso_utc(instant: dt.datetime) -> str:
    """The one spelling of an instant used in job ids and EventBridge's scheduled-time: 2025-06-16T07:00:00Z."""
    return instant.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_text(instant: dt.datetime, timezone: str) -> str:
    """E.g. "Mon 23 Jun 2025, 09:00 CEST": an instant as the schedule's owner reads it."""
    local = instant.astimezone(zone(timezone))
    return f"{local.strftime('%a')} {local.day} {local.strftime('%b %Y, %H:%M')} {local.tzname()}"


_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_hhmm(text: str) -> tuple[int, int]:
    """"09:30" -> (9, 30); ScheduleError otherwise."""
    m = _HHMM.match(text.strip())
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise ScheduleError(f"\"{text}\" is not a time such as 09:30.")
    return int(m[1]), int(m[2])
