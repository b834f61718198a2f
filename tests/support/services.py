"""A community with a menu, a station, residents, volunteers and their API clients,
on a fixed clock (Monday 2026-11-30 09:00, an ordinary week); filing and moving requests."""
from datetime import datetime

import pytest

from volunteer_app.accounts.models import Role
from volunteer_app.extensions import db
from volunteer_app.people.models import DaySelector, PriorityGroup, ResidentPriorityGroup
from volunteer_app.places.models import Community
from volunteer_app.points import ledger
from volunteer_app.points import service as points
from volunteer_app.points.models import AccountKind, TransferKind
from volunteer_app.service_requests import service
from volunteer_app.service_requests.models import ServiceLocation, ServiceType

NOW = datetime(2026, 11, 30, 9, 0)  # Monday of 2026-W49
WEEK = "2026-W49"


@pytest.fixture()
def clock(monkeypatch):
    """The service's clock, fixed at ``NOW``; ``clock.set(...)`` moves it."""
    class Clock:
        moment = NOW

        def set(self, moment: datetime) -> None:
            self.moment = moment

    fixed = Clock()
    monkeypatch.setattr(service, "now", lambda: fixed.moment)
    return fixed


def file(api, town, key=None, **changes):
    """File a repair request through the API (with an idempotency key if given); the response."""
    body = {"service_type_id": town["repair"].id, "description": "厨房下水道堵了",
            "preferred_windows": [{"start": "2026-12-01T14:00", "end": "2026-12-01T16:00"}], **changes}
    headers = {"Idempotency-Key": key} if key else {}
    return api.post("/service-requests", json=body, headers=headers)


def move(api, request_id, to, **fields):
    """Ask for a request's transition ``to``; the response."""
    return api.post(f"/service-requests/{request_id}/transitions", json={"to": to, **fields})


def fund_resident(resident, amount: int) -> int:
    """Give a resident a starting balance (as a coordinator's grant would); the account id."""
    account = points.resident_account(resident)
    issuance = points.community_account(AccountKind.issuance, resident.community_id)
    ledger.post_transfer(issuance, account, amount, TransferKind.grant, resident.community_id, memo="starting balance")
    db.session.commit()
    return account.id


def balance(account_id: int) -> int:
    db.session.expire_all()
    return db.session.get(points.PointAccount, account_id).balance


@pytest.fixture()
def make_service_type(app_ctx):
    def make(community_id, code="clinic", name="义诊", station=None, location=ServiceLocation.station, **fields):
        obj = ServiceType(community_id=community_id, code=code, name=name, location=location,
                          station_id=station.id if station else None, duration_min=fields.pop("duration_min", 30),
                          skills=list(fields.pop("skills", [])), time_limits=fields.pop("time_limits", {}), **fields)
        db.session.add(obj)
        db.session.commit()
        return obj
    return make


@pytest.fixture()
def town(clock, make_grid, make_building, make_station, make_resident, make_volunteer, make_skill, make_user, api_as,
         make_service_type):
    """One community: a station open Mon–Fri 08:30–17:30 and Sat 09:00–12:00, a clinic and a
    repair service, two residents (one 低保), a grid worker, a coordinator and two volunteers."""
    grid = make_grid()
    community = db.session.get(Community, grid.community_id)
    building = make_building(grid=grid)
    station = make_station(community=community, name="党群服务站")
    station.opening_hours = station.opening_hours + [{"weekday": 5, "start": "09:00", "end": "12:00"}]
    db.session.commit()
    repair_skill = make_skill(code="repair", name_zh="维修", name_en="Repair")
    clinic = make_service_type(community.id, station=station, duration_min=10)
    repair = make_service_type(community.id, code="repair", name="维修", location=ServiceLocation.home,
                               skills=["repair"], duration_min=60, points_price=20, station=station)
    residents = [make_resident(building=building, name=name) for name in ("李秀英", "王建国")]
    residents[1].priority_groups = [ResidentPriorityGroup(group=PriorityGroup.low_income)]
    db.session.commit()
    accounts = [fund_resident(residents[0], 100)]  # the regular resident pays for priced services
    near = make_volunteer(grid=grid, name="近志愿者", skills=[repair_skill],
                          slots=[(DaySelector.workdays, "08:00", "20:00"), (DaySelector.rest_days, "08:00", "20:00")])
    far = make_volunteer(grid=grid, name="远志愿者", skills=[repair_skill],
                         slots=[(DaySelector.workdays, "08:00", "20:00"), (DaySelector.rest_days, "08:00", "20:00")])
    far.lat, far.lon = far.lat + 0.01, far.lon + 0.01
    db.session.commit()
    coordinator = make_user(communities=[community], username="coord")
    grid_worker = make_user(grids=[grid], username="gridworker")
    resident_users = [make_user(role=Role.resident, resident_id=r.id, username=f"resident{i}")
                      for i, r in enumerate(residents)]
    volunteer_users = [make_user(role=Role.volunteer, volunteer_id=v.id, username=f"vol{i}")
                       for i, v in enumerate((near, far))]
    return {
        "community": community, "grid": grid, "building": building, "station": station,
        "clinic": clinic, "repair": repair, "residents": residents, "volunteers": [near, far],
        "coordinator": api_as(coordinator), "grid_worker": api_as(grid_worker),
        "resident_apis": [api_as(u) for u in resident_users], "volunteer_apis": [api_as(u) for u in volunteer_users],
        "resident_users": resident_users, "resident_account_id": accounts[0],
    }


@pytest.fixture()
def event_payload(town):
    def payload(**changes):
        base = {"service_type_id": town["clinic"].id, "starts_at": "2026-12-02T09:00", "ends_at": "2026-12-02T11:30",
                "capacity_per_slot": 2}
        return {**base, **changes}
    return payload


@pytest.fixture()
def make_event(town, event_payload):
    def make(**changes):
        created = town["coordinator"].post("/service-events", json=event_payload(**changes))
        assert created.status_code == 201, created.json
        slots = town["coordinator"].get(f"/service-events/{created.json['id']}/slots").json
        return created.json, slots
    return make
