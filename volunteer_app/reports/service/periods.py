"""The period of a report: an ISO week or a calendar month of China local time."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_

from ...clock import CHINA_TIME, IsoWeek, month_text
from ...errors import InvalidInput
from ...service_requests import service as requests_service

PERIOD_HELP = _l("Enter an ISO week such as 2026-W48 or a month such as 2026-11.")


@dataclass(frozen=True)
class Period:
    """An ISO week or a calendar month of China local time: ``first`` up to (not including) ``after``."""

    label: str
    kind: str  # "week" or "month"
    first: date
    after: date

    @property
    def last(self) -> date:
        return self.after - timedelta(days=1)

    @property
    def start(self) -> datetime:
        """Local naive start, for the columns kept in China time (requests, rosters, bookings)."""
        return datetime.combine(self.first, time.min)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.after, time.min)

    @property
    def utc_start(self) -> datetime:
        """The same instant in UTC, for the columns kept in UTC (when an order was fulfilled)."""
        return self.start.replace(tzinfo=CHINA_TIME).astimezone(timezone.utc)

    @property
    def utc_end(self) -> datetime:
        return self.end.replace(tzinfo=CHINA_TIME).astimezone(timezone.utc)


def week_of(day: date) -> Period:
    year, number, weekday = day.isocalendar()
    monday = day - timedelta(days=weekday - 1)
    return Period(f"{year}-W{number:02d}", "week", monday, monday + timedelta(days=7))


def month_of(day: date) -> Period:
    first = day.replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    return Period(f"{first:%Y-%m}", "month", first, after)


def previous(period: Period) -> Period:
    """The week or month before."""
    if period.kind == "week":
        return week_of(period.first - timedelta(days=7))
    return month_of(period.first - timedelta(days=1))


def parse_period(text: str | None) -> Period:
    """``2026-W48`` or ``2026-11`` of the years served; anything else is refused naming ``period`` (422)."""
    text = (text or "").strip()
    try:
        return week_of(IsoWeek(text).monday)
    except ValueError:  # not a week (of the years served): perhaps a month
        pass
    try:
        month = month_text(text)
    except ValueError:
        raise InvalidInput(PERIOD_HELP, {"period": [PERIOD_HELP]}, code="bad_period") from None
    return month_of(date(int(month[:4]), int(month[5:]), 1))


def today() -> date:
    return requests_service.now().date()


def _in(column, period: Period, utc: bool = False):
    start, end = (period.utc_start, period.utc_end) if utc else (period.start, period.end)
    return and_(column >= start, column < end)
