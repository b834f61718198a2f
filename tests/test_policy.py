"""The access policy: its table, the rule that only it decides, and the registry's entry points."""
import ast
import re
from datetime import date
from pathlib import Path

import pytest

from tests.support.policy_matrix import Entry, check_entry
from volunteer_app.accounts import policy
from volunteer_app.holidays import service as holidays
from volunteer_app.people import service as people
from volunteer_app.places import service as places
from volunteer_app.places.models import Community
from volunteer_app.portal import service as portal

APP = Path(__file__).resolve().parents[1] / "volunteer_app"


#: The domains whose services already take the actor (the others are being converted).
ACTOR_TAKING = ("accounts", "holidays", "notifications", "people", "places", "points", "portal", "reports",
                "roster", "service_requests", "visits")


def service_modules() -> list[Path]:
    """Every module of a domain's rules: ``service.py`` or a ``service`` package."""
    return [p for p in APP.rglob("*.py") if ("service" in p.parts or p.name == "service.py")
            and p.relative_to(APP).parts[0] in ACTOR_TAKING]


def test_every_action_the_code_asks_for_is_in_the_table_and_every_entry_is_used():
    asked = set()
    for path in APP.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        asked |= set(re.findall(r'"([a-z_]+\.[a-z_.]+)"', text)) & set(policy.PERMISSIONS)
        for name in re.findall(r'policy\.(?:require|may|where|get)\(\s*[\w.]+,\s*"([^"]+)"', text):
            assert name in policy.PERMISSIONS, f"{path.name} asks for unknown action {name!r}"
    assert asked == set(policy.PERMISSIONS), f"never asked for: {set(policy.PERMISSIONS) - asked}"


def test_services_take_the_actor_instead_of_reading_the_request():
    """Only pages and API find out who is asking; the rules are given the actor."""
    offenders = []
    for path in service_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [alias.name for alias in node.names]
            elif isinstance(node, ast.Name):
                names = [node.id]
            if any(n in ("flask_login", "current_user", "current_actor", "current_scope") for n in names):
                offenders.append(f"{path.relative_to(APP)}:{node.lineno}")
    assert not offenders, offenders


@pytest.mark.parametrize("role, reach_here, reach_away", [
    ("admin", True, True), ("coordinator", True, False), ("grid_worker", False, False),
    ("volunteer", False, False), ("resident", False, False),
])
def test_a_managed_record_is_reached_by_its_coordinator_and_the_admin(world, role, reach_here, reach_away):
    actor = world.actor(role)
    assert policy.may(actor, "records.write", world.here.station) is reach_here
    assert policy.may(actor, "records.write", world.elsewhere.station) is reach_away


def test_a_grid_worker_manages_their_grid_and_sees_its_community(world):
    actor = world.actor("grid_worker")
    assert policy.may(actor, "records.write", world.here.volunteer)  # a record in the grid
    assert not policy.may(actor, "records.write", world.here.station)  # the community's, not the grid's
    assert policy.may(actor, "places.read", world.here.community)
    assert not policy.may(actor, "places.read", world.elsewhere.community)


def test_lists_select_what_may_allows(world):
    """``where`` (for lists) and ``may`` (for one record) agree on every role."""
    from sqlalchemy import select

    from volunteer_app.extensions import db
    from volunteer_app.people.models import Volunteer

    everyone = [world.here.volunteer, world.elsewhere.volunteer]
    for role in world.users:
        actor = world.actor(role)
        for action in ("records.read", "records.write"):
            listed = set(db.session.scalars(select(Volunteer.id).where(policy.where(actor, action, Volunteer))))
            assert listed == {v.id for v in everyone if policy.may(actor, action, v)}, (role, action)


def test_a_role_that_may_not_gets_403_and_a_record_beyond_reach_404(world):
    from volunteer_app.errors import Forbidden, NotFound

    with pytest.raises(Forbidden):
        policy.require(world.actor("volunteer"), "records.write", world.here.station)
    with pytest.raises(NotFound):
        policy.require(world.actor("coordinator"), "records.write", world.elsewhere.station)


# --- the registry's entry points ------------------------------------------------------------------

def _token_of(user) -> int:
    from volunteer_app.accounts.service import create_token

    return create_token(user, "for the test")[1].id


def _station(place):
    return {"code": f"S-{place.community.id}-x", "name": "驿站", "station_type": "red_post",
            "community_id": place.community.id, "lat": 43.88, "lon": 125.32}


def _resident(place):
    return {"name": "王芳", "phone": f"1370000{place.community.id:04d}", "building_id": place.building.id}


def _volunteer_in(place):
    return {"name": "赵强", "phone": f"1360000{place.community.id:04d}", "community_id": place.community.id,
            "grid_id": place.grid.id}


ENTRIES = [
    Entry("stations.get", lambda w, a, p: places.stations.get(a, p.station.id)),
    Entry("stations.create", lambda w, a, p: places.stations.create(a, _station(p))),
    Entry("stations.update", lambda w, a, p: places.stations.update(a, p.station, {"version": p.station.version,
                                                                                  "name": "新名"})),
    Entry("stations.delete", lambda w, a, p: places.stations.delete(a, p.station)),
    Entry("communities.get", lambda w, a, p: places.communities.get(a, p.community.id),
          allowed=frozenset({"admin", "coordinator", "grid_worker"})),
    Entry("communities.update", lambda w, a, p: places.communities.update(
        a, p.community, {"version": p.community.version, "name": "新社区"}), allowed=frozenset({"admin"})),
    Entry("grids.update", lambda w, a, p: places.grids.update(a, p.grid, {"version": p.grid.version, "name": "二"}),
          allowed=frozenset({"admin", "coordinator", "grid_worker"})),
    Entry("volunteers.get", lambda w, a, p: people.volunteers.get(a, p.volunteer.id),
          allowed=frozenset({"admin", "coordinator", "grid_worker"})),
    Entry("volunteers.create", lambda w, a, p: people.volunteers.create(a, _volunteer_in(p)),
          allowed=frozenset({"admin", "coordinator", "grid_worker"})),
    Entry("volunteers.update", lambda w, a, p: people.volunteers.update(a, p.volunteer, {
        "version": p.volunteer.version, "name": "张三"}), allowed=frozenset({"admin", "coordinator", "grid_worker"})),
    Entry("residents.get", lambda w, a, p: people.residents.get(a, p.resident.id),
          allowed=frozenset({"admin", "coordinator", "grid_worker"})),
    Entry("residents.create", lambda w, a, p: people.residents.create(a, _resident(p)),
          allowed=frozenset({"admin", "coordinator", "grid_worker"})),
    Entry("residents.delete", lambda w, a, p: people.residents.delete(a, p.resident),
          allowed=frozenset({"admin", "coordinator", "grid_worker"})),
    Entry("users.list", lambda w, a, p: portal.users.list(a, {"page": 1, "per_page": 5}),
          allowed=frozenset({"admin"})),
    Entry("users.update", lambda w, a, p: portal.users.update(a, w.users["volunteer"], {
        "version": w.users["volunteer"].version, "display_name": "新"}), allowed=frozenset({"admin"})),
    Entry("tokens.issue", lambda w, a, p: portal.issue_token(a, "phone", 30),
          allowed=frozenset({"admin", "coordinator", "grid_worker", "volunteer", "resident"}), placeless=True),
    Entry("tokens.withdraw_others", lambda w, a, p: portal.withdraw_token(a, _token_of(w.users["resident"])),
          allowed=frozenset({"admin"}), own=frozenset({"resident"}), placeless=True),
    Entry("audit", lambda w, a, p: portal.audit_query(a, {}), allowed=frozenset({"admin"}), placeless=True),
    Entry("holidays.override", lambda w, a, p: holidays.set_override(a, date(2027, 10, 8), True, "调休"),
          allowed=frozenset({"admin"}), placeless=True),
    Entry("ranking_consent", lambda w, a, p: people.set_ranking_consent(a, True, p.volunteer.version),
          allowed=frozenset(), own=frozenset({"volunteer"}), placeless=True),
]


@pytest.mark.parametrize("entry", ENTRIES, ids=str)
def test_each_registry_entry_point_with_each_role(world, entry):
    check_entry(world, entry)


def test_a_community_is_its_own_place_for_the_policy(world):
    assert Community.community_id is not None  # usable in SQL (the where clause above)
    assert world.here.community.community_id == world.here.community.id
