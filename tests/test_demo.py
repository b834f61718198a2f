"""The demo district: idempotent, the promised sizes, valid records, working logins."""
from collections import Counter

import pytest
from sqlalchemy import func, select

from tests.support.database import empty_all_tables
from volunteer_app import demo
from volunteer_app.accounts.models import Role, User
from volunteer_app.accounts.policy import Actor
from volunteer_app.accounts.service import authenticate, create_token
from volunteer_app.certificates.models import Certificate, CertificateState
from volunteer_app.extensions import db
from volunteer_app.people.models import (
    PartyMemberReport, Resident, ResidentPriorityGroup, ServiceLog, Skill, Volunteer,
)
from volunteer_app.people.schemas import ResidentIn, VolunteerIn
from volunteer_app.places.models import Building, Community, Grid, Station, StationType, Subdistrict
from volunteer_app.places.schemas import StationIn
from volunteer_app.points import ledger
from volunteer_app.points.models import Earning, EarningStatus, Redemption, RedemptionStatus
from volunteer_app.roster.service import served_records
from volunteer_app.service_requests.models import (
    Booking, BookingStatus, FollowUp, RequestEvent, RequestState, ServiceEvent, ServiceRequest, ServiceSlot,
)
from volunteer_app.validation import MAINLAND_MOBILE
from volunteer_app.visits import service as visits
from volunteer_app.visits.models import Visit, VisitKind, VisitNeed

PASSWORD = "demo-password-1"


@pytest.fixture(scope="module")
def seeded(app):
    """The demo district, seeded once for this module's tests (seeding takes seconds): they only read it,
    or add what the next ones do not look at (tokens, a plan job). Every other test starts from empty tables."""
    with app.app_context():
        empty_all_tables()
        logins = demo.seed(password=PASSWORD)
        db.session.commit()
        yield logins, None
        db.session.remove()


@pytest.fixture(autouse=True)
def end_the_transaction(seeded):
    """The shared session must not stay in a transaction between tests: on PostgreSQL a read left open
    holds locks that the next module's TRUNCATE would wait on forever."""
    yield
    db.session.rollback()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_loads_the_district_and_a_second_time_changes_nothing(seeded):
    logins, _ = seeded
    assert set(logins) == {"admin", "coord-yongan", "coord-xinghua", "coord-tongxin", "volunteer1", "resident1"}
    assert set(logins.values()) == {PASSWORD}
    tables = [t for t in db.metadata.sorted_tables]
    before = {t.name: count(t) for t in tables}
    assert demo.seed(password=PASSWORD) == {}
    db.session.commit()
    assert {t.name: count(t) for t in tables} == before


def test_counts_and_shape(seeded):
    assert [count(m) for m in (Subdistrict, Community, Grid, Building, Station)] == [1, 3, 12, 40, 8]
    assert count(Volunteer) == 300 and count(Resident) == 600
    assert count(PartyMemberReport) == 60 and count(ServiceLog) > 300
    assert {code for code, _, _ in demo.SKILLS} <= set(db.session.scalars(select(Skill.code)))
    types = Counter(db.session.scalars(select(Station.station_type)))
    assert set(types) == set(StationType)
    # Evening and weekend hours (延时错时服务) at every party centre.
    for station in db.session.scalars(select(Station).where(Station.station_type == StationType.party_center)):
        assert any(h["start"] >= "17:00" for h in station.opening_hours)
        assert any(h["weekday"] >= 5 for h in station.opening_hours)
    # Residents with priority groups, some in two.
    groups_per_resident = Counter(db.session.scalars(select(ResidentPriorityGroup.resident_id)))
    assert 100 < len(groups_per_resident) < 400 and max(groups_per_resident.values()) == 2
    # Party members report where they live, with posts and a target.
    for report in db.session.scalars(select(PartyMemberReport)):
        assert report.community_id == report.volunteer.community_id and report.claimed_posts
        assert report.volunteer.is_party_member and report.yearly_target_hours > 0


def test_services_and_points_flow_end_to_end(seeded):
    """Requests in every state with their history, booked events, earnings, and orders at every step;
    the ledger balances and every slot counter matches its bookings."""
    states = dict(db.session.execute(select(ServiceRequest.state, func.count()).group_by(ServiceRequest.state)).all())
    assert set(states) == set(RequestState) and states[RequestState.rated] > sum(states.values()) / 2
    for request in db.session.scalars(select(ServiceRequest)):
        history = request.history
        assert history[0].to_state == RequestState.submitted and history[-1].to_state == request.state
        assert all(a.to_state == b.from_state for a, b in zip(history, history[1:]))
        assert all(a.at <= b.at for a, b in zip(history, history[1:]))
        assert (request.rating is not None) == (request.state == RequestState.rated)
        if request.state == RequestState.rated:
            earning = db.session.scalar(select(Earning).where(Earning.source_kind == "request",
                                                              Earning.source_id == request.id))
            assert earning.status == EarningStatus.posted and earning.volunteer_id == request.volunteer_id
    assert any(e.late for e in db.session.scalars(select(RequestEvent)))  # some steps ran late
    assert db.session.scalar(select(func.count()).select_from(FollowUp)) > 0
    for slot in db.session.scalars(select(ServiceSlot)):
        live = db.session.scalar(select(func.count()).select_from(Booking).where(
            Booking.slot_id == slot.id, Booking.status == BookingStatus.booked))
        assert slot.booked == live <= slot.capacity
    assert count(Booking) > 0
    orders = dict(db.session.execute(select(Redemption.status, func.count()).group_by(Redemption.status)).all())
    assert orders.get(RedemptionStatus.fulfilled, 0) >= 3 and RedemptionStatus.requested in orders
    report = ledger.verify()
    assert report.ok and report.transfers > 100, report.problems


def test_demo_events_cut_their_times_as_long_as_the_menu_says(seeded):
    events = db.session.scalars(select(ServiceEvent)).all()
    assert events and all(e.slot_minutes == e.service_type.duration_min for e in events)


def test_visits_cover_most_households_and_their_needs_went_on(seeded):
    from datetime import date, timedelta

    first_of_month = date.today().replace(day=1)
    last_month = visits.report(Actor.system(), (first_of_month - timedelta(days=1)).replace(day=1), first_of_month)
    assert last_month["totals"].coverage > 0.8 and last_month["totals"].visits > 500
    assert 0 < visits.overdue_count(Actor.system()) < count(Resident) // 5  # a few priority-group visits left late
    needs = db.session.scalars(select(VisitNeed)).all()
    assert {need.outcome for need in needs} >= {"solved", "open", "in_progress", "resolved"}
    for need in (n for n in needs if n.request_id):  # raised in a visit to the household that filed it
        assert need.request.resident_id == need.visit.resident_id
        assert need.visit.visited_at < need.request.submitted_at
    assert any(need.wish_id for need in needs)
    kinds = set(db.session.scalars(select(Visit.kind)))
    assert kinds == set(VisitKind)
    night = db.session.scalars(select(Visit).where(Visit.kind == VisitKind.night)).all()
    assert night and all(visit.resident_id is None for visit in night)


def test_certificates_are_issued_one_revoked_and_replaced_and_their_hours_are_the_logs(seeded):
    certificates = db.session.scalars(select(Certificate).order_by(Certificate.id)).all()
    states = Counter(c.state for c in certificates)
    assert states[CertificateState.issued] >= 6 and states[CertificateState.revoked] == 1
    assert states[CertificateState.applied] and states[CertificateState.accepted]
    revoked = next(c for c in certificates if c.state == CertificateState.revoked)
    assert revoked.replaced_by.facts["replaces"] == revoked.number
    volunteer1 = db.session.scalar(select(User.volunteer_id).where(User.username == "volunteer1"))
    assert any(c.volunteer_id == volunteer1 and c.number for c in certificates)
    for c in (c for c in certificates if c.facts):
        served = served_records(c.volunteer_id, c.period_start, c.period_end)
        assert c.facts["total_minutes"] == sum(r.minutes for r in served) > 0


def test_every_record_passes_the_api_schemas(seeded):
    volunteers = db.session.scalars(select(Volunteer)).all()
    for v in volunteers:
        VolunteerIn().load({
            "name": v.name, "phone": v.phone, "id_number": v.id_number, "community_id": v.community_id,
            "grid_id": v.grid_id, "building_id": v.building_id, "lat": v.lat, "lon": v.lon,
            "skills": [s.code for s in v.skills],
            "availability": [{"days": s.days.value, "start": f"{s.start:%H:%M}", "end": f"{s.end:%H:%M}"}
                             for s in v.availability],
            "max_hours_per_week": v.max_hours_per_week, "max_distance_m": v.max_distance_m,
            "status": v.status.name, "is_party_member": v.is_party_member, "joined_on": v.joined_on.isoformat(),
        })
    for r in db.session.scalars(select(Resident)):
        ResidentIn().load({"name": r.name, "phone": r.phone, "id_number": r.id_number, "building_id": r.building_id,
                           "household": r.household, "priority_groups": [g.group.name for g in r.priority_groups],
                           "notes": r.notes})
    for s in db.session.scalars(select(Station)):
        StationIn().load({"code": s.code, "name": s.name, "station_type": s.station_type.name,
                          "community_id": s.community_id, "lat": s.lat, "lon": s.lon, "opening_hours": s.opening_hours})
    for model in (Volunteer, Resident):  # one phone per community
        pairs = db.session.execute(select(model.community_id, model.phone)).all()
        assert len(pairs) == len(set(pairs))
    # Homes are clustered around Changchun, inside their grid's neighbourhood.
    assert all(abs(v.lat - demo.CENTRE[0]) < 0.05 and abs(v.lon - demo.CENTRE[1]) < 0.05 for v in volunteers)


def test_logins_work_with_password_and_token(seeded, app):
    logins, _ = seeded
    client = app.test_client()
    for username, password in logins.items():
        assert authenticate(username, password) is not None, username
    db.session.commit()
    users = {u.username: u for u in db.session.scalars(select(User))}
    # Staff messages (declines, swaps, overdue requests) can reach each coordinator's phone.
    assert all(MAINLAND_MOBILE.match(u.phone or "") for u in users.values() if u.role == Role.coordinator)
    assert users["admin"].role == Role.admin and users["admin"].can_view_pii
    assert users["volunteer1"].volunteer_id and users["resident1"].resident_id

    def get(username, path):
        plain, _ = create_token(users[username], "test")
        db.session.commit()
        return client.get("/api/v1" + path, headers={"Authorization": f"Bearer {plain}"})

    assert get("admin", "/volunteers?per_page=1").json["total"] == 300
    yongan = db.session.scalar(select(Community).where(Community.code == "yongan"))
    in_yongan = db.session.scalar(
        select(func.count()).select_from(Volunteer).where(Volunteer.community_id == yongan.id))
    response = get("coord-yongan", "/volunteers?per_page=1")
    assert response.status_code == 200 and response.json["total"] == in_yongan == 100
    assert "*" in response.json["items"][0]["phone"]  # coordinators see masked phones
    assert get("volunteer1", "/me").json["username"] == "volunteer1"


def test_demo_weeks_can_be_planned(seeded, app, monkeypatch):
    """The demo district plans a real week: evening and weekend duty, filled and explained."""
    from volunteer_app.accounts.policy import Actor
    from volunteer_app.extensions import db
    from volunteer_app.places.models import Community
    from volunteer_app.roster.models import JobStatus, PlanJob
    from volunteer_app.roster.service import request_plan, run_plan_job, week_for

    community = db.session.query(Community).filter_by(code="yongan").one()
    week = week_for(Actor.system(), community.id, "2026-W49")
    assert len(week.demands) >= 15
    assert any(d.title == "周六义诊" and d.skills == ["clinic"] for d in week.demands)
    job = request_plan(Actor.system(), week)
    db.session.commit()
    monkeypatch.setitem(app.config, "ROSTER_TIME_LIMIT_S", 5)
    run_plan_job(job.id)
    job = db.session.get(PlanJob, job.id)
    assert job.status == JobStatus.succeeded, job.error
    assert job.summary["scores"]["coverage"] > 0.8 * sum(d.needed * d.priority for d in week.demands)


def test_attendance_and_teams(seeded):
    from volunteer_app.roster.models import Assignment, Team
    from volunteer_app.roster.service import served_minutes

    attended = db.session.scalars(select(Assignment).where(Assignment.checked_out_at.is_not(None))).all()
    assert len(attended) > 20
    for assignment in attended:  # each served for its attended minutes, hours and points alike
        log = db.session.scalar(select(ServiceLog).where(ServiceLog.assignment_id == assignment.id))
        earning = db.session.scalar(select(Earning).where(Earning.source_kind == "assignment",
                                                          Earning.source_id == assignment.id))
        assert assignment.served_at is not None and log.minutes == earning.minutes == served_minutes(assignment)
    served_as_scheduled = db.session.scalars(select(Assignment).where(
        Assignment.served_at.is_not(None), Assignment.checked_in_at.is_(None))).all()
    assert served_as_scheduled and count(Assignment) > len(attended) + len(served_as_scheduled)  # some not recorded
    booked = db.session.scalars(select(Booking).where(Booking.status == BookingStatus.booked,
                                                      Booking.attended_at.is_not(None))).all()
    assert booked and all(b.starts_at <= b.attended_at for b in booked)
    teams = db.session.scalars(select(Team)).all()
    assert Counter(t.community_id for t in teams) == {c: 2 for c in db.session.scalars(select(Community.id))}
    assert all(t.leader in t.members for t in teams)
    leader = db.session.scalar(select(User).where(User.username == "volunteer1"))
    assert any(t.leader_id == leader.volunteer_id and t.name == "应急队" for t in teams)


def test_random_passwords_when_none_given(app_ctx):
    """Last in the module: it empties the tables the seeded tests share, and seeds without a password."""
    logins = demo.seed()
    assert len(set(logins.values())) == len(logins) and all(len(p) >= 12 for p in logins.values())

