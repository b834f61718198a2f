"""Time has one home: China time for people, ISO weeks for rosters.

Rosters are kept in China time without an offset; the database keeps
moments in UTC. URLs and the API name weeks as ISO weeks (``2026-W50``);
people read them as dates (``12月7日–13日``).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from babel.dates import format_interval
from flask import has_request_context
from flask_babel import get_locale

DEFAULT_LOCALE = "zh_CN"  # the users' language
CHINA_TIME = timezone(timedelta(hours=8))  # no daylight saving since 1991
_ISO_WEEK = re.compile(r"(\d{4})-W(\d{2})", re.ASCII)
_MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)


def now_local() -> datetime:
    """China time without an offset, as rosters are kept."""
    return datetime.now(CHINA_TIME).replace(tzinfo=None)


def today_local() -> date:
    return now_local().date()


#: The years the app serves: a date outside them is a typing slip, and one near year 1 or 9999 would overflow
#: the week and day arithmetic behind it (a 500, not the caller's 422). Input is bounded to them.
YEARS_SERVED = range(2000, 2100)


class OutsideYearsServed(ValueError):
    """A well-formed date, week or month in a year the app does not serve."""


def check_year(year: int) -> None:
    if year not in YEARS_SERVED:
        raise OutsideYearsServed(f"year {year} is outside {YEARS_SERVED.start}–{YEARS_SERVED.stop - 1}")


class IsoWeek(str):
    """An ISO week such as ``2026-W50``: Monday to Sunday.

    It is its canonical text (a ``str``), so it is stored, compared (in
    calendar order), put in URLs and sent as the text weeks always were;
    parsing is what makes one, so every week that came in as text is a real
    week of a year the app serves. Weeks counted from a date (``of``,
    ``shifted``) are not bounded: the app's own dates are.
    """

    __slots__ = ()

    def __new__(cls, text: str) -> IsoWeek:
        """``2026-W50`` (``ValueError`` for anything else, including week 53 of a 52-week year;
        ``OutsideYearsServed`` for a week with no day in ``YEARS_SERVED``, so every week of a served day parses)."""
        match = _ISO_WEEK.fullmatch(text or "")
        if not match:
            raise ValueError(f"not an ISO week: {text!r}")
        year, number = int(match.group(1)), int(match.group(2))
        if YEARS_SERVED.start - 1 <= year < YEARS_SERVED.stop:  # 1999-W52 ends on 2 January 2000
            week = cls.of(date.fromisocalendar(year, number, 1))
            if week.monday.year in YEARS_SERVED or week.sunday.year in YEARS_SERVED:
                return week
        raise OutsideYearsServed(f"{text} has no day in {YEARS_SERVED.start}–{YEARS_SERVED.stop - 1}")

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        """The week a day falls in."""
        year, number, _ = day.isocalendar()
        return str.__new__(cls, f"{year:04d}-W{number:02d}")

    @property
    def year(self) -> int:
        return int(self[:4])

    @property
    def number(self) -> int:
        return int(self[6:])

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def days(self) -> list[date]:
        """Monday to Sunday."""
        return [self.monday + timedelta(days=i) for i in range(7)]

    def shifted(self, weeks: int) -> IsoWeek:
        return IsoWeek.of(self.monday + timedelta(weeks=weeks))

    def label(self, locale: str | None = None) -> str:
        """The week as people read it: 12月7日–13日 / December 7 – 13 (the page's language, else Chinese)."""
        locale = locale or (get_locale() if has_request_context() else None) or DEFAULT_LOCALE
        return format_interval(self.monday, self.sunday, "MMMMd", locale=locale)


def month_text(text: str) -> str:
    """``2026-11``, checked: a real month of a year the app serves (``ValueError`` / ``OutsideYearsServed``)."""
    match = _MONTH.fullmatch(text or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"not a month: {text!r}")
    check_year(int(match.group(1)))
    return text


def week_label(week: str | IsoWeek) -> str:
    """Template filter: ``{{ week.week|week_label }}``; text that is not a week is shown as it is."""
    try:
        return (week if isinstance(week, IsoWeek) else IsoWeek(week)).label()
    except ValueError:
        return str(week)
