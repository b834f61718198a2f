"""Deadlines on a business-hours clock: "accept within 10 minutes of opening time",
"resolve the same day".

A request filed at 20:00 on a Friday cannot be late at 20:10: its ten
minutes run from Monday's opening, or from the first working day after a
holiday. The clock reads a station's weekly opening hours, its extra closed
dates, whether it closes on public holidays, and the official calendar
(holidays and 调休 make-up working days, via ``holidays.service``): on a
make-up working day a station opens with its weekday hours.

Limits are short strings so a service type states them plainly:
``10m`` / ``2h`` are minutes / hours of opening time; ``0d`` is the close of
the same business day (of the next one if the clock starts after closing),
``1d`` the close of the business day after that, and so on.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Callable

from ..holidays.service import DayStatus

LIMIT = re.compile(r"^(\d{1,4})([mhd])$")
STEPS = ("accept", "dispatch", "start", "resolve", "rate")
DEFAULT_LIMITS = {"accept": "10m", "dispatch": "30m", "start": "2h", "resolve": "0d", "rate": "3d"}
SEARCH_DAYS = 400  # a clock that never opens in this long falls back to wall-clock time

Band = tuple[time, time]


def parse_limit(text: str) -> tuple[int, str]:
    """``"10m"`` → ``(10, "m")``; ValueError for anything else."""
    match = LIMIT.match(text or "")
    if not match:
        raise ValueError(f"{text!r} is not a limit like 10m, 2h or 0d")
    return int(match.group(1)), match.group(2)


def effective_limits(stored: dict | None) -> dict[str, str]:
    """A service type's limits with the defaults filled in for the steps it leaves out."""
    return {**DEFAULT_LIMITS, **(stored or {})}


def _band(row: dict) -> Band:
    return time.fromisoformat(row["start"]), time.fromisoformat(row["end"])


@dataclass(frozen=True)
class OpeningHours:
    """Weekly bands per weekday (0 = Monday), plus the station's closing rules."""

    weekly: tuple[tuple[Band, ...], ...]
    closed_on_holidays: bool = True
    closures: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def of_station(cls, station) -> "OpeningHours":
        """The station's hours; a station that states none keeps office hours."""
        if not station.opening_hours:
            return OFFICE_HOURS
        weekly: list[list[Band]] = [[] for _ in range(7)]
        for row in station.opening_hours:
            weekly[row["weekday"]].append(_band(row))
        return cls(tuple(tuple(sorted(b)) for b in weekly), bool(station.closed_on_holidays),
                   frozenset(date.fromisoformat(d) for d in station.closures or []))

    @property
    def workday_bands(self) -> tuple[Band, ...]:
        """Hours on a 调休 make-up working day: the first weekday (Mon–Fri) that opens."""
        return next((bands for bands in self.weekly[:5] if bands), ())

    def bands_on(self, status: DayStatus) -> tuple[Band, ...]:
        day = status.day
        if day in self.closures:
            return ()
        if status.is_public_holiday or (not status.is_workday and day.weekday() < 5):
            return () if self.closed_on_holidays else self.weekly[day.weekday()]
        if status.is_makeup_workday:
            return self.workday_bands
        return self.weekly[day.weekday()]


OFFICE_HOURS = OpeningHours(tuple([((time(8, 30), time(17, 30)),)] * 5 + [(), ()]), closed_on_holidays=True)


def calendar_lookup(chunk_days: int = 62) -> Callable[[date], DayStatus]:
    """Day statuses from the database calendar, fetched a couple of months at a time."""
    from ..holidays.service import day_statuses

    cache: dict[date, DayStatus] = {}

    def status_of(day: date) -> DayStatus:
        if day not in cache:
            cache.update(day_statuses(day, day + timedelta(days=chunk_days - 1)))
        return cache[day]

    return status_of


class BusinessClock:
    """Adds opening time to a moment; ``status_of`` says what kind of day a date is."""

    def __init__(self, hours: OpeningHours, status_of: Callable[[date], DayStatus] | None = None):
        self.hours = hours
        self.status_of = status_of or calendar_lookup()

    def open_spans(self, day: date) -> list[tuple[datetime, datetime]]:
        return [(datetime.combine(day, start), datetime.combine(day, end))
                for start, end in self.hours.bands_on(self.status_of(day))]

    def is_open(self, moment: datetime) -> bool:
        return any(start <= moment < end for start, end in self.open_spans(moment.date()))

    def within_opening(self, start: datetime, end: datetime) -> bool:
        """Does ``[start, end]`` fit inside one opening band of its day?"""
        return start.date() == end.date() and any(
            s <= start and end <= e for s, e in self.open_spans(start.date()))

    def _spans_from(self, moment: datetime):
        """Opening spans from ``moment`` on, clipped to it, for up to ``SEARCH_DAYS`` days."""
        for offset in range(SEARCH_DAYS):
            day = moment.date() + timedelta(days=offset)
            for start, end in self.open_spans(day):
                if end > moment:
                    yield max(start, moment), end

    def add_minutes(self, moment: datetime, minutes: int) -> datetime:
        """The moment when ``minutes`` of opening time have passed since ``moment``."""
        left = minutes
        for start, end in self._spans_from(moment):
            span = int((end - start).total_seconds() // 60)
            if left <= span:
                return start + timedelta(minutes=left)
            left -= span
        return moment + timedelta(minutes=minutes)  # never opens: wall-clock time, never "no deadline"

    def close_of_business_day(self, moment: datetime, days_after: int = 0) -> datetime:
        """Close of the business day ``moment`` falls in (or the next one), ``days_after`` days later."""
        business_days_seen = -1
        current: date | None = None
        last_end: datetime | None = None
        for _, end in self._spans_from(moment):
            if end.date() != current:
                if business_days_seen == days_after:
                    return last_end
                current, business_days_seen = end.date(), business_days_seen + 1
            last_end = end
        if business_days_seen == days_after and last_end is not None:
            return last_end
        return datetime.combine(moment.date() + timedelta(days=days_after), time(23, 59))

    def deadline(self, moment: datetime, limit: str) -> datetime:
        amount, unit = parse_limit(limit)
        if unit == "d":
            return self.close_of_business_day(moment, amount)
        return self.add_minutes(moment, amount * (60 if unit == "h" else 1))
