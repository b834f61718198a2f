"""Turn a volunteer's weekly pattern into dated windows, with holidays and 调休.

One function (``applicable_selectors``) decides which pattern lines apply on
a day; both the Python expansion (for roster problems) and the SQL filter
(``available_at`` in lists) use it, so the two cannot disagree.
"""
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, exists, or_, select

from ..holidays.service import DayStatus, day_statuses
from .models import AvailabilityException, AvailabilitySlot, DaySelector, HolidayMode, Volunteer

WEEKDAY_SELECTORS = [DaySelector.mon, DaySelector.tue, DaySelector.wed, DaySelector.thu,
                     DaySelector.fri, DaySelector.sat, DaySelector.sun]


def applicable_selectors(status: DayStatus, holiday_mode: HolidayMode) -> set[DaySelector]:
    """Pattern lines that apply on this day for a volunteer with this holiday setting."""
    if status.is_public_holiday:
        return set() if holiday_mode == HolidayMode.off else {DaySelector.rest_days}
    selectors = {DaySelector.workdays if status.is_workday else DaySelector.rest_days}
    if status.is_ordinary:
        selectors.add(WEEKDAY_SELECTORS[status.day.weekday()])
    return selectors


Window = tuple[datetime, datetime]


def merge(windows: list[Window]) -> list[Window]:
    """Join windows that overlap or touch."""
    merged: list[list[datetime]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def subtract(windows: list[Window], cut: Window) -> list[Window]:
    result = []
    for start, end in windows:
        if cut[1] <= start or end <= cut[0]:
            result.append((start, end))
            continue
        if start < cut[0]:
            result.append((start, cut[0]))
        if cut[1] < end:
            result.append((cut[1], end))
    return result


def windows_for(volunteer: Volunteer, first: date, last: date, statuses: dict[date, DayStatus] | None = None) -> list[Window]:
    """Dated availability windows in ``[first, last]`` (days inclusive), merged."""
    statuses = statuses or day_statuses(first, last)
    windows: list[Window] = []
    day = first
    while day <= last:
        selectors = applicable_selectors(statuses[day], volunteer.holiday_mode)
        for slot in volunteer.availability:
            if slot.days in selectors:
                windows.append((datetime.combine(day, slot.start), datetime.combine(day, slot.end)))
        day += timedelta(days=1)
    for exception in volunteer.exceptions:
        if not first <= exception.on_date <= last:
            continue
        start = datetime.combine(exception.on_date, exception.start or time(0))
        end = datetime.combine(exception.on_date, exception.end) if exception.end else start + timedelta(days=1)
        if exception.available:
            windows.append((start, end))
    windows = merge(windows)
    for exception in volunteer.exceptions:
        if exception.available or not first <= exception.on_date <= last:
            continue
        start = datetime.combine(exception.on_date, exception.start or time(0))
        end = datetime.combine(exception.on_date, exception.end) if exception.end else start + timedelta(days=1)
        windows = subtract(windows, (start, end))
    return windows


def available_at_clause(moment: datetime):
    """SQL condition: the volunteer's pattern and exceptions make them free at ``moment``."""
    status = day_statuses(moment.date(), moment.date())[moment.date()]
    at = moment.time()
    covers_slot = and_(AvailabilitySlot.start <= at, AvailabilitySlot.end > at)
    by_pattern = []
    for mode in HolidayMode:
        selectors = applicable_selectors(status, mode)
        if selectors:
            by_pattern.append(and_(
                Volunteer.holiday_mode == mode,
                exists(select(AvailabilitySlot.id).where(
                    AvailabilitySlot.volunteer_id == Volunteer.id,
                    AvailabilitySlot.days.in_(selectors),
                    covers_slot,
                )),
            ))

    def exception(available: bool):
        return exists(select(AvailabilityException.id).where(
            AvailabilityException.volunteer_id == Volunteer.id,
            AvailabilityException.on_date == moment.date(),
            AvailabilityException.available.is_(available),
            or_(AvailabilityException.start.is_(None),
                and_(AvailabilityException.start <= at, AvailabilityException.end > at)),
        ))

    return and_(or_(*by_pattern, exception(True)), ~exception(False))


def away_during(volunteer: Volunteer, start: datetime, end: datetime) -> bool:
    """A dated absence (leave, away that day, or some hours of it) overlaps ``start``–``end``."""
    for exception in volunteer.exceptions:
        if exception.available:
            continue
        begins = datetime.combine(exception.on_date, exception.start or time(0))
        ends = datetime.combine(exception.on_date, exception.end) if exception.end else begins + timedelta(days=1)
        if begins < end and start < ends:
            return True
    return False
