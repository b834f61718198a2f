"""Factory fixtures with sensible defaults, so a test states only what it is about."""
import itertools
from datetime import date, time

import pytest

from volunteer_app.accounts.models import CoordinatorScope, Role, User
from volunteer_app.accounts.service import create_token, hash_password
from volunteer_app.extensions import db
from volunteer_app.people.models import AvailabilitySlot, DaySelector, Resident, Skill, Volunteer
from volunteer_app.places.models import Building, Community, Grid, Station, StationType, Subdistrict

_serial = itertools.count(1)
CENTRE = (43.8800, 125.3200)  # Changchun


def _n() -> int:
    return next(_serial)


def _phone() -> str:
    return f"139{_n():08d}"


@pytest.fixture()
def make_subdistrict(app_ctx):
    def make(code=None, name="南关街道"):
        obj = Subdistrict(code=code or f"SD{_n()}", name=name)
        db.session.add(obj)
        db.session.commit()
        return obj
    return make


@pytest.fixture()
def make_community(make_subdistrict):
    def make(code=None, name="维北社区", subdistrict=None):
        obj = Community(code=code or f"C{_n()}", name=name, subdistrict_id=(subdistrict or make_subdistrict()).id,
                        lat=CENTRE[0], lon=CENTRE[1])
        db.session.add(obj)
        db.session.commit()
        return obj
    return make


@pytest.fixture()
def make_grid(make_community):
    def make(community=None, code=None, name="第一网格", lat=CENTRE[0], lon=CENTRE[1]):
        obj = Grid(code=code or f"G{_n()}", name=name, community_id=(community or make_community()).id, lat=lat, lon=lon)
        db.session.add(obj)
        db.session.commit()
        return obj
    return make


@pytest.fixture()
def make_building(make_grid):
    def make(grid=None, code=None, name="1号楼"):
        grid = grid or make_grid()
        obj = Building(code=code or f"B{_n()}", name=name, grid_id=grid.id, community_id=grid.community_id,
                       lat=grid.lat + 0.001, lon=grid.lon + 0.001)
        db.session.add(obj)
        db.session.commit()
        return obj
    return make


@pytest.fixture()
def make_station(make_community):
    def make(community=None, code=None, name="红色驿站", station_type=StationType.red_post, **fields):
        community = community or make_community()
        obj = Station(code=code or f"S{_n()}", name=name, station_type=station_type, community_id=community.id,
                      lat=CENTRE[0], lon=CENTRE[1],
                      opening_hours=[{"weekday": d, "start": "08:30", "end": "17:30"} for d in range(5)], **fields)
        db.session.add(obj)
        db.session.commit()
        return obj
    return make


@pytest.fixture()
def make_skill(app_ctx):
    def make(code=None, name_zh="理发", name_en="Haircut"):
        obj = Skill(code=code or f"skill{_n()}", name_zh=name_zh, name_en=name_en)
        db.session.add(obj)
        db.session.commit()
        return obj
    return make


@pytest.fixture()
def make_volunteer(make_grid):
    def make(grid=None, name="张伟", phone=None, skills=(), slots=((DaySelector.workdays, "18:00", "21:00"),), **fields):
        grid = grid or make_grid()
        obj = Volunteer(name=name, phone=phone or _phone(), community_id=grid.community_id, grid_id=grid.id,
                        lat=grid.lat, lon=grid.lon, joined_on=fields.pop("joined_on", date(2026, 1, 1)), **fields)
        obj.skills = list(skills)
        obj.availability = [AvailabilitySlot(days=d, start=time.fromisoformat(s), end=time.fromisoformat(e))
                            for d, s, e in slots]
        db.session.add(obj)
        db.session.commit()
        return obj
    return make


@pytest.fixture()
def make_resident(make_building):
    def make(building=None, name="李秀英", phone=None, **fields):
        building = building or make_building()
        obj = Resident(name=name, phone=phone or _phone(), community_id=building.community_id,
                       grid_id=building.grid_id, building_id=building.id, **fields)
        db.session.add(obj)
        db.session.commit()
        return obj
    return make


DEFAULT_PASSWORD = "correct-horse-1"
_default_hash: list[str] = []


def _password_hash(password: str) -> str:
    """argon2 is slow on purpose; hash the usual test password once per run."""
    if password != DEFAULT_PASSWORD:
        return hash_password(password)
    if not _default_hash:
        _default_hash.append(hash_password(DEFAULT_PASSWORD))
    return _default_hash[0]


@pytest.fixture()
def make_user(app_ctx):
    def make(role=Role.coordinator, communities=(), grids=(), pii=False, username=None, password=DEFAULT_PASSWORD,
             **fields):
        user = User(username=username or f"user{_n()}", display_name="测试用户", role=role, can_view_pii=pii,
                    password_hash=_password_hash(password), **fields)
        user.scopes = [CoordinatorScope(community_id=c.id) for c in communities] + \
                      [CoordinatorScope(grid_id=g.id) for g in grids]
        db.session.add(user)
        db.session.commit()
        return user
    return make


class ApiClient:
    """Calls ``/api/v1`` with a real bearer token of one user.

    A new test client per call: Flask's test client is not thread-safe, and
    bearer calls need no cookies, so concurrency tests can share this object.
    """

    def __init__(self, app, token: str):
        self.app = app
        self.headers = {"Authorization": f"Bearer {token}"}

    def __getattr__(self, method):
        def call(path, **kwargs):
            headers = {**self.headers, **kwargs.pop("headers", {})}
            return getattr(self.app.test_client(), method)("/api/v1" + path, headers=headers, **kwargs)
        return call


@pytest.fixture()
def api_as(client):
    def make(user) -> ApiClient:
        plain, _ = create_token(user, "test")
        db.session.commit()
        return ApiClient(client.application, plain)
    return make


@pytest.fixture()
def admin_api(make_user, api_as):
    return api_as(make_user(role=Role.admin, pii=True, username="admin"))
