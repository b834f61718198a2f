"""Attendance (签到 / 签退): signed station codes, scans, the coordinator's ticks, and served minutes feeding
hours and points."""
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from volunteer_app.accounts.models import User
from volunteer_app.accounts.policy import Actor
from volunteer_app.clock import CHINA_TIME
from volunteer_app.errors import InvalidInput, NotFound
from volunteer_app.extensions import db
from volunteer_app.people.models import ServiceLog
from volunteer_app.points.models import Earning, EarningStatus
from volunteer_app.roster import service
from volunteer_app.roster.models import Assignment, Demand

from tests.roster.test_urgent_and_exports import planned_and_published

MOMENT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 18:00 in China


def china(day: int, hour: int, minute: int = 0) -> datetime:
    """An aware moment of 2026-12-<day> in China time."""
    return datetime(2026, 12, day, hour, minute, tzinfo=CHINA_TIME)


def test_a_live_code_holds_for_its_window_and_the_next_then_expires(district):
    station = district["station"]
    code = service.live_code(station, MOMENT)
    service.verify_code(station.id, code, MOMENT)
    service.verify_code(station.id, code, MOMENT + timedelta(seconds=service.CODE_WINDOW_S))  # read just before it turned
    with pytest.raises(InvalidInput) as expired:
        service.verify_code(station.id, code, MOMENT + timedelta(seconds=2 * service.CODE_WINDOW_S))
    assert expired.value.code == "checkin_code_expired"


@pytest.mark.parametrize("tamper", [
    lambda code: code[:-1] + ("0" if code[-1] != "0" else "1"),  # a changed signature
    lambda code: "w" + str(int(code.split(".")[0][1:]) + 1) + "." + code.split(".")[1],  # a later window, same signature
    lambda code: "p" + code[1:],  # a live code passed off as printed
    lambda code: "",
    lambda code: "w99999999999999999999.abc",
])
def test_a_tampered_code_is_refused(district, tamper):
    station = district["station"]
    with pytest.raises(InvalidInput) as refused:
        service.verify_code(station.id, tamper(service.live_code(station, MOMENT)), MOMENT)
    assert refused.value.code == "bad_checkin_code"


def test_a_code_is_its_stations_own(district, make_station):
    other = make_station(community=district["community"], name="第二驿站")
    with pytest.raises(InvalidInput) as refused:
        service.verify_code(other.id, service.live_code(district["station"], MOMENT), MOMENT)
    assert refused.value.code == "bad_checkin_code"


def test_a_printed_code_lasts_its_days(district):
    station = district["station"]
    code = service.printed_code(station, date(2026, 12, 1))
    service.verify_code(station.id, code, china(1, 8))
    service.verify_code(station.id, code, china(1, 8) + timedelta(days=service.PRINTED_DAYS - 1))
    for moment in (china(1, 8) + timedelta(days=service.PRINTED_DAYS), china(1, 8) - timedelta(days=1)):
        with pytest.raises(InvalidInput) as expired:
            service.verify_code(station.id, code, moment)
        assert expired.value.code == "checkin_code_expired"


def _duty(district):
    """A published Tuesday 18:00–20:00 duty and the actor of its volunteer."""
    week_id = planned_and_published(district)
    assignment = db.session.scalars(select(Assignment).join(Demand).where(
        Assignment.week_id == week_id, Demand.start == datetime(2026, 12, 1, 18, 0))).first()
    user = db.session.scalar(select(User).where(User.volunteer_id == assignment.volunteer_id))
    return assignment, Actor.of(user)


def test_scanning_in_and_out_serves_the_attended_minutes_which_earn_the_points(district):
    assignment, volunteer = _duty(district)
    station = district["station"]
    with pytest.raises(NotFound):  # an hour before the grace: no duty here yet
        service.scan(volunteer, station.id, service.live_code(station, china(1, 17, 0)), china(1, 17, 0))
    service.scan(volunteer, station.id, service.live_code(station, china(1, 17, 50)), china(1, 17, 50))
    db.session.commit()
    assert assignment.checked_in_at == datetime(2026, 12, 1, 17, 50) and assignment.served_at is None
    service.scan(volunteer, station.id, service.live_code(station, china(1, 19, 20)), china(1, 19, 20))
    db.session.commit()
    assert assignment.checked_out_at == datetime(2026, 12, 1, 19, 20) and assignment.served_at is not None
    log = db.session.scalar(select(ServiceLog).where(ServiceLog.assignment_id == assignment.id))
    earning = db.session.scalar(select(Earning).where(Earning.source_id == assignment.id))
    assert service.served_minutes(assignment) == log.minutes == earning.minutes == 90  # not the scheduled 120
    assert sum(r.minutes for r in service.served_records(assignment.volunteer_id, date(2026, 12, 1), date(2026, 12, 1))) == 90
    assert earning.status == EarningStatus.posted and earning.points == earning.base_points > 0

    with pytest.raises(NotFound) as done:  # both times recorded: a third scan finds no open duty
        service.scan(volunteer, station.id, service.live_code(station, china(1, 19, 25)), china(1, 19, 25))
    assert done.value.code == "no_duty_here"


def test_the_coordinators_tick_corrects_the_times_and_the_points_follow(district):
    assignment, _ = _duty(district)
    api = district["coordinator"]
    ticked = api.put(f"/roster/assignments/{assignment.id}/attendance",
                     json={"checked_in_at": "2026-12-01T18:00", "checked_out_at": "2026-12-01T19:00"})
    assert ticked.status_code == 200, ticked.json
    assert ticked.json["served_minutes"] == 60 and ticked.json["checked_out_at"] == "2026-12-01T19:00"
    first = db.session.scalar(select(Earning).where(Earning.source_id == assignment.id))
    assert first.minutes == 60
    # staying on: capped at the duty plus the grace
    assert api.put(f"/roster/assignments/{assignment.id}/attendance", json={
        "checked_in_at": "2026-12-01T17:00", "checked_out_at": "2026-12-01T23:00"}).json["served_minutes"] == 150
    db.session.expire_all()
    earning = db.session.scalar(select(Earning).where(Earning.source_id == assignment.id))
    assert earning.minutes == 150 and earning.status == EarningStatus.posted
    assert db.session.scalars(select(ServiceLog.minutes).where(ServiceLog.assignment_id == assignment.id)).all() == [150]
    # cleared: the duty stays served, at its scheduled minutes
    assert api.put(f"/roster/assignments/{assignment.id}/attendance", json={
        "checked_in_at": None, "checked_out_at": None}).json["served_minutes"] == 120
    refused = api.put(f"/roster/assignments/{assignment.id}/attendance", json={
        "checked_in_at": "2026-12-01T19:00", "checked_out_at": "2026-12-01T18:00"})
    assert refused.status_code == 422 and refused.json["error"] == "checkout_before_checkin"
    ahead = api.put(f"/roster/assignments/{assignment.id}/attendance", json={
        "checked_in_at": "2027-01-05T18:00", "checked_out_at": None})
    assert ahead.status_code == 422 and ahead.json["error"] == "attendance_in_future"
    volunteer_api = district["volunteer_apis"][district["volunteer_ids"].index(assignment.volunteer_id)]
    assert volunteer_api.put(f"/roster/assignments/{assignment.id}/attendance", json={
        "checked_in_at": None, "checked_out_at": None}).status_code == 403


def test_the_attendance_workbook_lists_times_and_counted_minutes(district):
    assignment, _ = _duty(district)
    api = district["coordinator"]
    api.put(f"/roster/assignments/{assignment.id}/attendance",
            json={"checked_in_at": "2026-12-01T18:05", "checked_out_at": "2026-12-01T19:35"})
    response = api.get(f"/roster/weeks/{assignment.week_id}/attendance.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[1] == ("日期", "时间", "岗位", "志愿者", "签到", "签退", "计入分钟", "已服务")
    mine = [r for r in rows[2:] if r[4] == "18:05"]
    assert mine == [("2026-12-01", "18:00-20:00", "晚间值守", assignment.volunteer.name, "18:05", "19:35", 90, "是")]


def test_checking_in_through_the_api_now(district):
    """The scan as the phone sends it: a duty at the station now (a call-out accepted), the live code."""
    api = district["coordinator"]
    station = district["station"]
    start = datetime.now(CHINA_TIME).replace(tzinfo=None, second=0, microsecond=0) - timedelta(minutes=5)
    callout = api.post("/roster/callouts", json={
        "community_id": district["community_id"], "title": "应急值守", "station_id": station.id, "needed": 1,
        "radius_m": 20000, "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")}).json
    invited = callout["invites"][0]["volunteer_id"]
    volunteer_api = district["volunteer_apis"][district["volunteer_ids"].index(invited)]
    assert volunteer_api.post(f"/my/callouts/{callout['id']}/answer", json={"accept": True}).status_code == 200
    shown = api.get(f"/roster/stations/{station.id}/check-in-code").json
    assert shown["url"].endswith(f"/checkin/{station.id}?c={shown['code']}")
    assert volunteer_api.get(f"/roster/stations/{station.id}/check-in-code").status_code == 403
    bad = volunteer_api.post(f"/roster/stations/{station.id}/check-in", json={"code": shown["code"][:-2] + "00"})
    assert bad.status_code == 422 and bad.json["error"] == "bad_checkin_code"
    done = volunteer_api.post(f"/roster/stations/{station.id}/check-in", json={"code": shown["code"]})
    assert done.status_code == 200, done.json
    assert done.json["checked_in_at"] is not None and done.json["checked_out_at"] is None
    other = district["volunteer_apis"][(district["volunteer_ids"].index(invited) + 1) % 5]
    nothing = other.post(f"/roster/stations/{station.id}/check-in", json={"code": shown["code"]})
    assert nothing.status_code == 404 and nothing.json["error"] == "no_duty_here"
