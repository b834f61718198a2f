"""Which days are working days: chinese-calendar, overridden by the admin's table.

chinese-calendar only knows the years up to its release. Overrides always
win; a year that neither knows falls back to plain weekdays/weekends and is
reported by ``unknown_years`` so the page can warn the coordinator.
"""
import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar
from flask_babel import lazy_gettext as _l
from sqlalchemy import extract, select

from ..accounts import policy
from ..accounts.policy import Actor
from ..errors import InvalidInput, NotFound
from ..extensions import db
from .models import HolidayOverride


@dataclass(frozen=True)
class DayStatus:
    day: date
    is_workday: bool
    holiday_name: str | None  # set on public holidays only
    known: bool  # False when we fell back to plain weekends

    @property
    def is_public_holiday(self) -> bool:
        return self.holiday_name is not None

    @property
    def is_makeup_workday(self) -> bool:  # 调休: a weekend day that is worked
        return self.is_workday and self.day.weekday() >= 5

    @property
    def is_ordinary(self) -> bool:
        """A day whose kind matches its weekday (no holiday, no 调休)."""
        return not self.is_public_holiday and self.is_workday == (self.day.weekday() < 5)


def _from_package(day: date) -> DayStatus | None:
    try:
        workday = chinese_calendar.is_workday(day)
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    holiday_name = None
    if on_holiday and name:
        holiday_name = _chinese_name(name)
    return DayStatus(day, workday, holiday_name, True)


def _chinese_name(english: str) -> str:
    for holiday in chinese_calendar.Holiday:
        if holiday.value == english or holiday.name == english:
            return holiday.chinese
    return english


def day_statuses(start: date, end: date) -> dict[date, DayStatus]:
    """Status of every day in ``[start, end]``, with one query for the overrides."""
    overrides = {
        o.day: o
        for o in db.session.scalars(
            select(HolidayOverride).where(HolidayOverride.day >= start, HolidayOverride.day <= end)
        )
    }
    override_years = set(
        db.session.scalars(
            select(extract("year", HolidayOverride.day)).where(
                extract("year", HolidayOverride.day).in_(list(range(start.year, end.year + 1)))
            ).distinct()
        )
    )
    result = {}
    day = start
    while day <= end:
        override = overrides.get(day)
        if override is not None:
            status = DayStatus(day, override.is_workday, None if override.is_workday else (override.name or "假日"), True)
        else:
            status = _from_package(day) or DayStatus(day, day.weekday() < 5, None, int(day.year) in override_years)
        result[day] = status
        day += timedelta(days=1)
    return result


def day_status(day: date) -> DayStatus:
    return day_statuses(day, day)[day]


def unknown_years(start: date, end: date) -> list[int]:
    """Years in the range for which neither the package nor an admin gave the official days."""
    return sorted({s.day.year for s in day_statuses(start, end).values() if not s.known})


def import_overrides(text: str) -> int:
    """Load ``date,type,name`` lines (type: holiday | workday); all or nothing.

    Lets an admin enter next year's official notice before the package knows it.
    """
    rows = []
    errors: dict[str, list[str]] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or row[0].strip().startswith("#") or row[0].strip() in {"date", "日期"}:
            continue
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            errors[f"line {number}"] = [_l("%(text)s is not a date: write it as YYYY-MM-DD.", text=repr(row[0]))]
            continue
        kind = row[1].strip().lower() if len(row) > 1 else ""
        if kind not in {"holiday", "workday", "假日", "班"}:
            errors[f"line {number}"] = [_l("The type must be holiday or workday.")]
            continue
        name = row[2].strip() if len(row) > 2 else ""
        rows.append((day, kind in {"workday", "班"}, name))
    if errors:
        raise InvalidInput(_l("The holiday file has errors; nothing was entered."), errors, code="bad_holiday_file")
    for day, is_workday, name in rows:
        override = db.session.get(HolidayOverride, day) or HolidayOverride(day=day)
        override.is_workday = is_workday
        override.name = name
        db.session.add(override)
    db.session.flush()
    return len(rows)


def set_override(actor: Actor, day: date, is_workday: bool, name: str) -> DayStatus:
    """An admin enters an official holiday or 调休 working day; it wins over the package."""
    policy.require(actor, "holidays.manage")
    override = db.session.get(HolidayOverride, day) or HolidayOverride(day=day)
    override.is_workday, override.name = is_workday, name
    db.session.add(override)
    db.session.flush()
    return day_status(day)


def remove_override(actor: Actor, day: date) -> None:
    policy.require(actor, "holidays.manage")
    override = db.session.get(HolidayOverride, day)
    if override is None:
        raise NotFound(_l("No override on %(day)s.", day=day.isoformat()))
    db.session.delete(override)
    db.session.flush()
