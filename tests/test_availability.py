"""Weekly patterns read through Chinese holidays and 调休 make-up days."""
from datetime import date, datetime, time

import pytest

from volunteer_app.extensions import db
from volunteer_app.holidays.models import HolidayOverride
from volunteer_app.holidays.service import day_status, import_overrides, unknown_years
from volunteer_app.people.availability import windows_for
from volunteer_app.people.models import AvailabilityException, DaySelector, HolidayMode

# 2026-10-10 is a Saturday worked in lieu of the National Day week (调休);
# 2026-10-01 is National Day (a Thursday); 2026-10-17 is an ordinary Saturday.
MAKEUP_SATURDAY = date(2026, 10, 10)
NATIONAL_DAY = date(2026, 10, 1)
ORDINARY_SATURDAY = date(2026, 10, 17)


def test_day_status_from_package(app_ctx):
    assert day_status(MAKEUP_SATURDAY).is_makeup_workday
    assert day_status(NATIONAL_DAY).is_public_holiday and day_status(NATIONAL_DAY).holiday_name == "国庆节"
    assert day_status(ORDINARY_SATURDAY).is_ordinary and not day_status(ORDINARY_SATURDAY).is_workday


def test_weekday_evenings_cover_makeup_saturday(make_volunteer):
    volunteer = make_volunteer(slots=[(DaySelector.workdays, "18:00", "21:00")])
    windows = windows_for(volunteer, MAKEUP_SATURDAY, ORDINARY_SATURDAY)
    days = {start.date() for start, _ in windows}
    assert MAKEUP_SATURDAY in days and ORDINARY_SATURDAY not in days
    assert (datetime(2026, 10, 10, 18), datetime(2026, 10, 10, 21)) in windows


def test_named_saturday_slot_skips_makeup_saturday(make_volunteer):
    volunteer = make_volunteer(slots=[(DaySelector.sat, "09:00", "12:00")])
    days = {start.date() for start, _ in windows_for(volunteer, MAKEUP_SATURDAY, ORDINARY_SATURDAY)}
    assert days == {ORDINARY_SATURDAY}


@pytest.mark.parametrize("mode,expected", [(HolidayMode.rest_day, True), (HolidayMode.off, False)])
def test_holidays_follow_the_volunteers_setting(make_volunteer, mode, expected):
    volunteer = make_volunteer(slots=[(DaySelector.rest_days, "09:00", "12:00"), (DaySelector.thu, "18:00", "20:00")],
                               holiday_mode=mode)
    windows = windows_for(volunteer, NATIONAL_DAY, NATIONAL_DAY)
    assert bool(windows) is expected
    assert all(start.hour == 9 for start, _ in windows)  # the Thursday slot does not apply on a holiday


def test_exceptions_cut_and_add_time(make_volunteer):
    volunteer = make_volunteer(slots=[(DaySelector.workdays, "08:00", "12:00"), (DaySelector.workdays, "12:00", "17:00")])
    monday = date(2026, 11, 30)
    volunteer.exceptions = [
        AvailabilityException(on_date=monday, available=False, start=time(10), end=time(11)),
        AvailabilityException(on_date=monday, available=True, start=time(19), end=time(21)),
        AvailabilityException(on_date=date(2026, 12, 1), available=False),
    ]
    db.session.commit()
    windows = windows_for(volunteer, monday, date(2026, 12, 1))
    assert windows == [
        (datetime(2026, 11, 30, 8), datetime(2026, 11, 30, 10)),  # touching slots joined, then cut
        (datetime(2026, 11, 30, 11), datetime(2026, 11, 30, 17)),
        (datetime(2026, 11, 30, 19), datetime(2026, 11, 30, 21)),
    ]


def test_available_at_filter_agrees_with_windows(make_volunteer, admin_api):
    evening = make_volunteer(name="晚上", slots=[(DaySelector.workdays, "18:00", "21:00")])
    weekend = make_volunteer(name="周末", slots=[(DaySelector.rest_days, "09:00", "17:00")])
    off = make_volunteer(name="节假日休", slots=[(DaySelector.rest_days, "09:00", "17:00")], holiday_mode=HolidayMode.off)

    def names(moment):
        return {v["name"] for v in admin_api.get(f"/volunteers?available_at={moment}").json["items"]}

    assert names("2026-10-10T19:00") == {"晚上"}  # 调休 Saturday is a workday
    assert names("2026-10-17T10:00") == {"周末", "节假日休"}
    assert names("2026-10-01T10:00") == {"周末"}
    for moment in ("2026-10-10T19:00", "2026-10-17T10:00", "2026-10-01T10:00"):
        at = datetime.fromisoformat(moment)
        expected = {v.name for v in (evening, weekend, off)
                    if any(s <= at < e for s, e in windows_for(v, at.date(), at.date()))}
        assert names(moment) == expected


def test_unknown_year_falls_back_and_warns_until_overridden(app_ctx):
    new_year = date(2027, 1, 1)  # beyond chinese-calendar 1.11
    assert unknown_years(new_year, new_year) == [2027]
    assert not day_status(new_year).is_public_holiday and day_status(new_year).is_workday
    import_overrides("date,type,name\n2027-01-01,holiday,元旦\n2027-01-04,workday,元旦调休\n")
    db.session.commit()
    assert day_status(new_year).holiday_name == "元旦"
    assert unknown_years(new_year, new_year) == []


def test_override_wins_over_package(app_ctx):
    db.session.add(HolidayOverride(day=ORDINARY_SATURDAY, is_workday=True, name="调休"))
    db.session.commit()
    assert day_status(ORDINARY_SATURDAY).is_makeup_workday


def test_bad_override_file_changes_nothing(app_ctx):
    from volunteer_app.errors import InvalidInput

    with pytest.raises(InvalidInput) as error:
        import_overrides("2027-01-01,holiday,元旦\n2027-13-01,holiday,bad\n")
    assert "line 2" in error.value.errors
    assert db.session.query(HolidayOverride).count() == 0


def test_holidays_api(admin_api):
    body = admin_api.get("/holidays?start=2026-10-01&end=2026-10-10").json
    assert body["days"][0]["is_public_holiday"] and body["days"][-1]["is_makeup_workday"]
    assert admin_api.put("/holidays/2027-02-06", json={"is_workday": True, "name": "春节调休"}).json["is_makeup_workday"]
    assert admin_api.get("/holidays?start=2026-10-10&end=2026-10-01").status_code == 422
