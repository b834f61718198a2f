"""A community whose volunteer served duties (and has one only planned), with an issuer of certificates:
the area of tests/certificates."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from volunteer_app.accounts.models import Role
from volunteer_app.accounts.policy import Actor
from volunteer_app.certificates.models import CertificateIssuer
from volunteer_app.extensions import db
from volunteer_app.people.models import ServiceLog
from volunteer_app.roster.models import Assignment, AssignmentStatus, Demand, RosterWeek, WeekStatus
from volunteer_app.roster.service import mark_served

ID_NUMBER = "11010519491231002X"  # a valid check digit
PERIOD = (date(2026, 10, 1), date(2026, 11, 30))
TODAY = date(2026, 12, 3)


@dataclass
class Area:
    community: object
    grid: object
    station: object
    volunteer: object
    users: dict
    issuer: CertificateIssuer


def duty(station, volunteer, start: datetime, hours: float, title: str, served: bool) -> Assignment:
    """A published duty of ``volunteer``; marked served (考勤) through the roster's own rule when ``served``."""
    week_label = f"{start.isocalendar().year}-W{start.isocalendar().week:02d}"
    week = db.session.query(RosterWeek).filter_by(community_id=station.community_id, week=week_label).first()
    if week is None:
        week = RosterWeek(community_id=station.community_id, week=week_label, status=WeekStatus.published)
        db.session.add(week)
        db.session.flush()
    demand = Demand(week_id=week.id, title=title, station_id=station.id, start=start,
                    end=start + timedelta(hours=hours), needed=1, skills=[], priority=3, lat=station.lat,
                    lon=station.lon)
    db.session.add(demand)
    db.session.flush()
    assignment = Assignment(week_id=week.id, demand_id=demand.id, volunteer_id=volunteer.id,
                            status=AssignmentStatus.confirmed)
    db.session.add(assignment)
    db.session.flush()
    if served:
        mark_served(Actor.system(), assignment.id, True, TODAY)
    db.session.commit()
    return assignment


@pytest.fixture()
def area(make_community, make_grid, make_station, make_volunteer, make_user) -> Area:
    community = make_community(name="维北社区")
    grid = make_grid(community)
    station = make_station(community)
    volunteer = make_volunteer(grid, name="张伟", id_number=ID_NUMBER)
    duty(station, volunteer, datetime(2026, 10, 10, 9), 2, "敬老院陪护", served=True)
    duty(station, volunteer, datetime(2026, 11, 20, 18), 1.5, "晚间值守", served=True)
    duty(station, volunteer, datetime(2026, 11, 25, 18), 3, "只排了班", served=False)  # planned, never attended
    duty(station, volunteer, datetime(2026, 9, 30, 9), 4, "期前服务", served=True)  # before the period
    db.session.add(ServiceLog(volunteer_id=volunteer.id, served_on=date(2026, 11, 2), minutes=45,
                              description="社区补录:垃圾分类宣传"))
    issuer = CertificateIssuer(community_id=community.id, name="维北社区居民委员会", person_in_charge="李主任",
                               contact="010-88886666", prefix="WB")
    db.session.add(issuer)
    db.session.commit()
    users = {"coordinator": make_user(communities=[community], username="coord"),
             "volunteer": make_user(role=Role.volunteer, volunteer_id=volunteer.id, username="vol")}
    return Area(community, grid, station, volunteer, users, issuer)
