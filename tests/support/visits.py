"""Visits' fixtures: a community of two grids whose households include priority-group residents, its
staff, a service menu, another community, and the clock fixed at Monday 2026-11-30 09:00."""
from dataclasses import dataclass
from datetime import datetime

import pytest

from tests.support.services import make_service_type  # noqa: F401 (fixture)
from volunteer_app.accounts.models import Role
from volunteer_app.accounts.policy import Actor
from volunteer_app.extensions import db
from volunteer_app.people.models import PriorityGroup, ResidentPriorityGroup
from volunteer_app.places.models import Community
from volunteer_app.service_requests import service as requests_service
from volunteer_app.service_requests.models import ServiceLocation
from volunteer_app.visits import service
from volunteer_app.visits.service import common

NOW = datetime(2026, 11, 30, 9, 0)  # Monday of 2026-W49
G = PriorityGroup


@pytest.fixture()
def clock(monkeypatch):
    """The visits' clock and the requests' (a need filed as a request) at ``NOW``; ``clock.set`` moves both."""
    class Clock:
        moment = NOW

        def set(self, moment: datetime) -> None:
            self.moment = moment

    fixed = Clock()
    monkeypatch.setattr(common, "now", lambda: fixed.moment)
    monkeypatch.setattr(requests_service, "now", lambda: fixed.moment)
    return fixed


@dataclass
class Area:
    community: object
    grid_a: object
    grid_b: object
    building_a: object
    building_b: object
    residents: dict
    users: dict
    repair: object
    elsewhere: object  # a resident of another community

    def actor(self, name: str) -> Actor:
        return Actor.of(db.session.merge(self.users[name]))


@pytest.fixture()
def area(clock, make_community, make_grid, make_building, make_resident, make_user, make_service_type) -> Area:
    community = make_community(name="维北社区")
    grid_a, grid_b = make_grid(community, name="第一网格"), make_grid(community, name="第二网格")
    building_a, building_b = make_building(grid_a, name="1号楼"), make_building(grid_b, name="8号楼")
    people = {  # name: (building, door, priority groups)
        "王奶奶": (building_a, "1单元101", [G.elderly_alone]),
        "李大爷": (building_a, "1单元102", [G.disabled, G.elderly_alone]),
        "张家": (building_a, "2单元301", []),
        "赵家": (building_a, "2单元302", [G.low_income]),
        "刘家": (building_b, "1单元201", []),
        "陈阿姨": (building_b, "1单元202", [G.childless_elderly]),
    }
    residents = {}
    for name, (building, door, groups) in people.items():
        resident = make_resident(building=building, name=name, household=door)
        resident.priority_groups = [ResidentPriorityGroup(group=group) for group in groups]
        residents[name] = resident
    db.session.commit()
    other = make_resident(make_building(make_grid(make_community(name="永安社区"))), name="孙家")
    users = {
        "admin": make_user(role=Role.admin, pii=True, username="admin"),
        "coordinator": make_user(communities=[community], username="coord"),
        "grid_worker": make_user(grids=[grid_a], username="gridworker"),
        "stranger": make_user(communities=[db.session.get(Community, other.community_id)], username="stranger"),
        "volunteer": make_user(role=Role.volunteer, username="vol"),
    }
    repair = make_service_type(community.id, code="repair", name="维修", location=ServiceLocation.home)
    return Area(community, grid_a, grid_b, building_a, building_b, residents, users, repair, other)


@pytest.fixture()
def record(area):
    """``record(actor_name, resident_name or None, at=…, building=…, **fields)``: a committed visit."""
    def make(who: str, name: str | None, at: datetime | None = None, building=None, **fields):
        data = {**fields}
        if name is not None:
            data["resident_id"] = area.residents[name].id
        else:
            data["building_id"] = (building or area.building_a).id
        if at is not None:
            data["visited_at"] = at
        visit = service.visits.create(area.actor(who), data)
        db.session.commit()
        return visit
    return make
