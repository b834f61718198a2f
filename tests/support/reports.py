"""A district of five communities whose week 2026-W49 was lived through the real services:
requests filed and moved along the closed loop, a published roster with a decline and a
served duty, bookings, points earned, reversed and redeemed, and in-office party members
of two work units. The service clock of tests/support/services.py moves the time.

What happened (the figures the tests expect are worked out from this):

* 维北 (RA), grids A1 and A2 — 2026-11-23 (W48): r0 filed, never accepted.
  2026-11-30 09:00: r1 resolved by 党员甲 and rated 5; r2 started by 党员甲; r3 resolved by
  党员乙 (not rated) — all three in A1; in A2: r4 withdrawn, r5 accepted only, r6 rejected.
  2026-12-01 10:00: r2 resolved (after its 11-30 17:30 deadline: late) and rated 3.
  Roster: Monday 18–20 needs 2 (党员甲 served, 志愿者丙 declined), Tuesday 18–20 needs 1
  (党员乙, not served). Logs: 党员甲 2 h from the served duty, 志愿者丙 1.5 h on 12-02,
  党员甲 1 h on 11-20 (W47). Points: 30 for the Monday evening duty (×1.5), 10 for 志愿者丙,
  reversed. Bookings of a Wednesday clinic: 2 booked, 1 waiting, 1 cancelled.
* 同心 (RB): b1 resolved by 党员丁 and rated 4, b2 withdrawn; 党员丁 logged 0.5 h on 12-01.
* 兴华 (RC): c1 resolved and rated 3.  永安 (RD) and 新民 (RE): nothing.
"""
from datetime import date, datetime, time
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from tests.support.roster import make_template  # noqa: F401 (fixture)
from tests.support.services import clock, make_service_type  # noqa: F401 (fixtures)
from volunteer_app.accounts.models import Role
from volunteer_app.accounts.policy import Actor
from volunteer_app.extensions import db
from volunteer_app.people.models import ClaimedPost, PartyMemberReport, ServiceLog
from volunteer_app.points import service as points
from volunteer_app.roster import service as roster
from volunteer_app.roster.models import Assignment

WEEK = "2026-W49"
MONDAY = datetime(2026, 11, 30, 9, 0)
TUESDAY = datetime(2026, 12, 1, 10, 0)  # "now" when the reports are read


def get(api, path: str, **query) -> dict:
    """An API read that must answer 200; its JSON."""
    response = api.get(path, query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def move(api, request_id: int, to: str, **fields) -> dict:
    response = api.post(f"/service-requests/{request_id}/transitions", json={"to": to, **fields})
    assert response.status_code == 200, response.json
    return response.json


def file(api, service_type, resident) -> int:
    response = api.post("/service-requests", json={"service_type_id": service_type.id, "resident_id": resident.id,
                                                   "description": "楼道灯不亮"})
    assert response.status_code == 201, response.json
    return response.json["id"]


def start(api, service_type, resident, volunteer) -> int:
    """File, accept, dispatch to ``volunteer`` and start: a request being handled."""
    request_id = file(api, service_type, resident)
    move(api, request_id, "accepted")
    move(api, request_id, "dispatched", volunteer_id=volunteer.id)
    move(api, request_id, "in_progress")
    return request_id


def resolve(api, request_id: int, rating: int | None = None) -> None:
    move(api, request_id, "resolved", note="已修好")
    if rating is not None:
        move(api, request_id, "rated", rating=rating)  # staff: after a phone call (回访)


@pytest.fixture()
def district(clock, make_community, make_grid, make_building, make_station, make_resident, make_volunteer,  # noqa: F811
             make_user, api_as, make_service_type, make_template):  # noqa: F811
    communities = {code: make_community(code=f"R{code}", name=name) for code, name in
                   (("A", "维北社区"), ("B", "同心社区"), ("C", "兴华社区"), ("D", "永安社区"), ("E", "新民社区"))}
    a, b, c = communities["A"], communities["B"], communities["C"]
    a1, a2 = make_grid(community=a, name="维北一网格"), make_grid(community=a, name="维北二网格")
    b1, c1 = make_grid(community=b, name="同心一网格"), make_grid(community=c, name="兴华一网格")
    for community in (communities["D"], communities["E"]):
        make_grid(community=community, name=f"{community.name}网格")
    station_a = make_station(community=a, name="维北红色驿站", grid_id=a1.id)
    station_b, station_c = make_station(community=b, name="同心驿站"), make_station(community=c, name="兴华驿站")
    make_template(station_a, weekday=0, start="18:00", end="20:00", needed=2, title="晚间值守")
    make_template(station_a, weekday=1, start="18:00", end="20:00", needed=1, title="晚间值守")
    home = {grid.id: make_building(grid=grid) for grid in (a1, a2, b1, c1)}
    resident_a1 = make_resident(building=home[a1.id], name="李秀英")
    resident_a2 = make_resident(building=home[a2.id], name="王建国")
    resident_a3 = make_resident(building=home[a1.id], name="赵淑芬")
    resident_b, resident_c = make_resident(building=home[b1.id], name="孙大爷"), make_resident(building=home[c1.id])
    member_1 = make_volunteer(grid=a1, name="党员甲", is_party_member=True)
    member_2 = make_volunteer(grid=a1, name="党员乙", is_party_member=True)
    helper = make_volunteer(grid=a2, name="志愿者丙")
    member_4 = make_volunteer(grid=b1, name="党员丁", is_party_member=True)
    volunteer_c = make_volunteer(grid=c1, name="志愿者戊")
    repair = {community.id: make_service_type(community.id, code="repair", name="维修", station=station)
              for community, station in ((a, station_a), (b, station_b), (c, station_c))}
    clinic = make_service_type(a.id, code="clinic", name="义诊", station=station_a)

    coordinator_a = make_user(communities=[a], username="coord-a")
    coordinator_b = make_user(communities=[b], username="coord-b")
    grid_worker = make_user(grids=[a2], username="grid-a2")
    admin = make_user(role=Role.admin, username="admin")
    helper_user = make_user(role=Role.volunteer, volunteer_id=helper.id, username="helper")
    api_a, api_b, api_admin = api_as(coordinator_a), api_as(coordinator_b), api_as(admin)

    # 双报到: two members of the tax office, one of the hospital, with their claimed posts
    def report(volunteer, unit, organization, community, posts=()):
        db.session.add(PartyMemberReport(
            volunteer_id=volunteer.id, work_unit=unit, party_organization=organization, community_id=community.id,
            reported_on=date(2026, 3, 1), yearly_target_hours=20,
            claimed_posts=[ClaimedPost(station_id=station_a.id, weekday=d, start=time(s), end=time(e))
                           for d, s, e in posts]))
    report(member_1, "市税务局", "市税务局机关党委", a, [(0, 17, 21)])
    report(member_2, "市税务局", "市税务局机关党委", a, [(1, 18, 20), (2, 18, 20)])
    report(member_4, "区人民医院", "区人民医院党总支", b)
    db.session.commit()

    # requests (工单)
    clock.set(datetime(2026, 11, 23, 10, 0))
    r0 = file(api_a, repair[a.id], resident_a1)
    clock.set(MONDAY)
    r1 = start(api_a, repair[a.id], resident_a1, member_1)
    resolve(api_a, r1, rating=5)
    r2 = start(api_a, repair[a.id], resident_a1, member_1)
    r3 = start(api_a, repair[a.id], resident_a1, member_2)
    resolve(api_a, r3)
    r4 = file(api_a, repair[a.id], resident_a2)
    move(api_a, r4, "cancelled", reason="已自行解决")
    r5 = file(api_a, repair[a.id], resident_a2)
    move(api_a, r5, "accepted")
    r6 = file(api_a, repair[a.id], resident_a2)
    move(api_a, r6, "rejected", reason="不属于服务范围")
    b_1 = start(api_b, repair[b.id], resident_b, member_4)
    resolve(api_b, b_1, rating=4)
    move(api_b, file(api_b, repair[b.id], resident_b), "cancelled", reason="重复提交")
    c_1 = start(api_admin, repair[c.id], resident_c, volunteer_c)
    resolve(api_admin, c_1, rating=3)

    # bookings of a Wednesday clinic: two 30-minute slots of two places
    event = api_a.post("/service-events", json={"service_type_id": clinic.id, "starts_at": "2026-12-02T09:00",
                                                 "ends_at": "2026-12-02T10:00",
                                                 "capacity_per_slot": 2})
    assert event.status_code == 201, event.json
    first_slot, second_slot = [s["id"] for s in api_a.get(f"/service-events/{event.json['id']}/slots").json]
    for resident, slot, waitlist in ((resident_a1, first_slot, False), (resident_a2, first_slot, False),
                                     (resident_a3, first_slot, True), (resident_a2, second_slot, False)):
        booked = api_a.post("/bookings", json={"slot_id": slot, "resident_id": resident.id, "waitlist": waitlist})
        assert booked.status_code == 201, booked.json
    cancelled = api_a.post(f"/bookings/{booked.json['id']}/cancel", json={"reason": "临时有事"})
    assert cancelled.status_code == 200, cancelled.json

    # the roster: published, one decline, one duty served
    week = roster.week_for(Actor.system(), a.id, WEEK)
    db.session.commit()
    monday_duty, tuesday_duty = sorted(week.demands, key=lambda d: d.start)
    roster.publish_pairs(week, {(monday_duty.id, member_1.id), (monday_duty.id, helper.id),
                                (tuesday_duty.id, member_2.id)}, None, "test")
    db.session.commit()
    live = {(x.demand_id, x.volunteer_id): x for x in db.session.scalars(select(Assignment))}
    declined = live[monday_duty.id, helper.id]
    roster.answer(Actor.of(helper_user), declined.id, declined.version, confirm=False, reason="加班")
    roster.mark_served(Actor.system(), live[monday_duty.id, member_1.id].id, True, date(2026, 12, 7))
    db.session.add_all([ServiceLog(volunteer_id=helper.id, served_on=date(2026, 12, 2), minutes=90),
                        ServiceLog(volunteer_id=member_1.id, served_on=date(2026, 11, 20), minutes=60),
                        ServiceLog(volunteer_id=member_4.id, served_on=date(2026, 12, 1), minutes=30)])
    points.earn_for_source("test", 1, helper.id, a.id, 60, None, datetime(2026, 12, 2, 10, 0), set())
    points.reverse_source("test", 1, "entered twice")
    db.session.commit()

    # 2026-12-01: r2 resolved after its deadline, rated 3 on the phone
    clock.set(TUESDAY)
    resolve(api_a, r2, rating=3)

    return SimpleNamespace(
        communities=communities, a=a, b=b, grids={"A1": a1, "A2": a2, "B1": b1}, station_a=station_a,
        members=(member_1, member_2, member_4), helper=helper, requests=(r0, r1, r2, r3, r4, r5, r6),
        coordinator_a=coordinator_a, grid_worker=grid_worker, api_a=api_a, api_b=api_b, api_admin=api_admin,
        api_grid=api_as(grid_worker), api_helper=api_as(helper_user),
    )
