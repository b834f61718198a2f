"""The business-hours clock: opening hours, holidays and 调休 make-up working days.

2026 facts (official calendar): Spring Festival is Sun 02-15 … Mon 02-23, with
Sat 02-14 and Sat 02-28 worked (调休); National Day is Thu 10-01 … Wed 10-07.
"""
from datetime import date, datetime, time

import chinese_calendar
import pytest

from volunteer_app.holidays.service import DayStatus
from volunteer_app.places.models import Station
from volunteer_app.service_requests.deadlines import OFFICE_HOURS, BusinessClock, OpeningHours, parse_limit


def official(day: date) -> DayStatus:
    """The package's calendar without the database (the app adds the admin's overrides on top)."""
    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    return DayStatus(day, chinese_calendar.is_workday(day), name if on_holiday else None, True)


@pytest.fixture()
def office():
    return BusinessClock(OFFICE_HOURS, official)


def station_clock(hours, closed_on_holidays=True, closures=()):
    station = Station(opening_hours=hours, closed_on_holidays=closed_on_holidays, closures=list(closures))
    return BusinessClock(OpeningHours.of_station(station), official)


def test_minutes_run_only_while_open(office):
    assert office.deadline(datetime(2026, 12, 1, 10, 0), "10m") == datetime(2026, 12, 1, 10, 10)
    assert office.deadline(datetime(2026, 12, 1, 17, 25), "10m") == datetime(2026, 12, 2, 8, 35)
    assert office.deadline(datetime(2026, 12, 4, 20, 0), "10m") == datetime(2026, 12, 7, 8, 40)  # Friday night
    assert office.deadline(datetime(2026, 12, 1, 16, 30), "2h") == datetime(2026, 12, 2, 9, 30)


def test_makeup_working_saturday_counts_and_the_holiday_does_not(office):
    # Friday 02-13 17:25: five minutes that day, the rest on 调休 Saturday 02-14 (a working day).
    assert office.deadline(datetime(2026, 2, 13, 17, 25), "10m") == datetime(2026, 2, 14, 8, 35)
    # After Saturday's close, the Spring Festival holiday runs to Monday 02-23: next is Tuesday.
    assert office.deadline(datetime(2026, 2, 14, 18, 0), "10m") == datetime(2026, 2, 24, 8, 40)
    assert office.deadline(datetime(2026, 2, 14, 18, 0), "0d") == datetime(2026, 2, 24, 17, 30)


def test_same_day_and_next_business_day(office):
    assert office.deadline(datetime(2026, 9, 30, 9, 0), "0d") == datetime(2026, 9, 30, 17, 30)
    assert office.deadline(datetime(2026, 9, 30, 9, 0), "1d") == datetime(2026, 10, 8, 17, 30)  # over 国庆
    assert office.deadline(datetime(2026, 9, 30, 16, 30), "2h") == datetime(2026, 10, 8, 9, 30)


def test_station_hours_holidays_and_closures():
    hours = [{"weekday": d, "start": "09:00", "end": "12:00"} for d in range(7)] + \
            [{"weekday": d, "start": "14:00", "end": "18:00"} for d in range(5)]
    open_on_holidays = station_clock(hours, closed_on_holidays=False, closures=["2026-12-02"])
    assert open_on_holidays.deadline(datetime(2026, 12, 1, 11, 50), "30m") == datetime(2026, 12, 1, 14, 20)
    assert open_on_holidays.deadline(datetime(2026, 12, 1, 17, 50), "30m") == datetime(2026, 12, 3, 9, 20)  # closure
    assert open_on_holidays.is_open(datetime(2026, 10, 3, 10, 0))  # a holiday Saturday: Saturday's hours
    assert open_on_holidays.is_open(datetime(2026, 10, 1, 15, 0))  # holiday Thursday: Thursday's own hours
    closed_on_holidays = station_clock(hours)
    assert not closed_on_holidays.is_open(datetime(2026, 10, 3, 10, 0))
    assert not closed_on_holidays.is_open(datetime(2026, 10, 1, 15, 0))
    # 调休 Saturday 2026-02-28 opens with weekday hours (including the afternoon band).
    assert closed_on_holidays.within_opening(datetime(2026, 2, 28, 14, 0), datetime(2026, 2, 28, 15, 0))
    assert closed_on_holidays.deadline(datetime(2026, 2, 28, 17, 0), "0d") == datetime(2026, 2, 28, 18, 0)


def test_a_clock_that_never_opens_falls_back_to_wall_time():
    statuses = lambda day: DayStatus(day, day.weekday() < 5, None, True)  # noqa: E731
    never = BusinessClock(OpeningHours(tuple(() for _ in range(7))), statuses)
    start = datetime(2030, 5, 6, 10, 0)
    assert never.deadline(start, "10m") == datetime(2030, 5, 6, 10, 10)
    assert never.deadline(start, "0d") == datetime.combine(date(2030, 5, 6), time(23, 59))


def test_unknown_years_use_plain_weekdays_and_overrides_win():
    """A year the calendar package does not know: weekends only, unless the admin entered days."""
    known = {date(2031, 1, 1): DayStatus(date(2031, 1, 1), False, "元旦", True)}
    statuses = lambda day: known.get(day) or DayStatus(day, day.weekday() < 5, None, False)  # noqa: E731
    clock = BusinessClock(OFFICE_HOURS, statuses)
    assert clock.deadline(datetime(2030, 12, 31, 17, 0), "1h") == datetime(2031, 1, 2, 9, 0)


def test_limits_are_parsed_strictly():
    assert parse_limit("10m") == (10, "m") and parse_limit("0d") == (0, "d")
    for bad in ("", "10", "m", "1.5h", "-1d", "10 m"):
        with pytest.raises(ValueError):
            parse_limit(bad)
