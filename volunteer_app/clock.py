"""Time has one home: China time for people, ISO weeks for rosters.

Rosters are kept in China time without an offset; the database keeps
moments in UTC. URLs and the API name weeks as ISO weeks (``2026-W50``);
people read them as dates (``12月7日–13日``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from babel.dates import format_interval
from flask import has_request_context
from flask_babel import get_locale

DEFAULT_LOCALE = "zh_CN"  # the users' language
CHINA_TIME = timezone(timedelta(hours=8))  # no daylight saving since 1991
_ISO_WEEK = re.compile(r"(\d{4})-W(\d{2})")


def now_local() -> datetime:
    """China time without an offset, as rosters are kept."""
    return datetime.now(CHINA_TIME).replace(tzinfo=None)


def today_local() -> date:
    return now_local().date()


@dataclass(frozen=True, order=True)
class IsoWeek:
    """An ISO week such as ``2026-W50``: Monday to Sunday."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """``2026-W50`` (``ValueError`` for anything else, including week 53 of a 52-week year)."""
        match = _ISO_WEEK.fullmatch(text or "")
        if not match:
            raise ValueError(f"not an ISO week: {text!r}")
        return cls.of(date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1))

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        year, number, _ = day.isocalendar()
        return cls(year, number)

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def shifted(self, weeks: int) -> IsoWeek:
        return IsoWeek.of(self.monday + timedelta(weeks=weeks))

    def label(self, locale: str | None = None) -> str:
        """The week as people read it: 12月7日–13日 / December 7 – 13 (the page's language, else Chinese)."""
        locale = locale or (get_locale() if has_request_context() else None) or DEFAULT_LOCALE
        return format_interval(self.monday, self.sunday, "MMMMd", locale=locale)

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"


def week_label(week: str | IsoWeek) -> str:
    """Template filter: ``{{ week.week|week_label }}``; text that is not a week is shown as it is."""
    try:
        return (week if isinstance(week, IsoWeek) else IsoWeek.parse(str(week))).label()
    except ValueError:
        return str(week)
