"""The table-driven access test every domain uses: each service entry point, called by each role,
on a record inside the actor's reach and on one in another community.

A domain's test module lists its entry points as ``Entry(name, call, allowed)``: ``call(world, actor,
place)`` calls the service for a record made in ``place`` (``world.here`` or ``world.elsewhere``),
``allowed`` names the roles that may. ``check_entry`` then asserts, for every role:

- an allowed role acting in its own place is not refused (no 403/404 from the policy);
- a role not allowed is refused with 403 (or 404 when the record is beyond its reach anyway);
- nobody but the admin reaches a record in another community: 403 or 404, never success.
"""
from dataclasses import dataclass, field
from typing import Callable

import pytest

from volunteer_app.accounts.models import Role
from volunteer_app.accounts.policy import Actor
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db

ROLES = ("admin", "coordinator", "grid_worker", "volunteer", "resident")
STAFF = frozenset({"admin", "coordinator"})
REFUSED = (403, 404, "out_of_scope")  # out_of_scope: a parent id beyond reach, named in a 422


@dataclass
class Place:
    """One community with a grid, a building, a station, a volunteer and a resident."""

    community: object
    grid: object
    building: object
    station: object
    volunteer: object
    resident: object


@dataclass
class World:
    here: Place
    elsewhere: Place
    users: dict = field(default_factory=dict)

    def actor(self, role: str) -> Actor:
        return Actor.of(db.session.merge(self.users[role]))


@dataclass(frozen=True)
class Entry:
    name: str
    call: Callable  # (world, actor, place) -> anything
    allowed: frozenset = STAFF
    #: Roles that act on their own record (a volunteer's own duty …) rather than on a place's.
    own: frozenset = frozenset()
    #: The call names no record of a place (one's own profile …): there is nothing elsewhere to reach.
    placeless: bool = False

    def __str__(self) -> str:
        return self.name


def outcome(call: Callable) -> int | str:
    """200 when the call went through, else the status of the domain error it raised
    (the code, for a 422 that names a parent id beyond reach).

    A rule of the domain (422, 409) after the access check counts as "let through": the policy did
    not refuse. The session is rolled back either way, so cases do not see each other's writes.
    """
    try:
        call()
        status = 200
    except DomainError as error:
        status = error.code if error.code == "out_of_scope" else error.status
    finally:
        db.session.rollback()
    return status


@pytest.fixture()
def world(make_community, make_grid, make_building, make_station, make_volunteer, make_resident, make_user) -> World:
    def place(name: str) -> Place:
        community = make_community(name=name)
        grid = make_grid(community)
        building = make_building(grid)
        return Place(community, grid, building, make_station(community), make_volunteer(grid), make_resident(building))

    here, elsewhere = place("维北社区"), place("永安社区")
    users = {
        "admin": make_user(role=Role.admin, pii=True),
        "coordinator": make_user(communities=[here.community]),
        "grid_worker": make_user(grids=[here.grid]),
        "volunteer": make_user(role=Role.volunteer, volunteer_id=here.volunteer.id),
        "resident": make_user(role=Role.resident, resident_id=here.resident.id),
    }
    return World(here, elsewhere, users)


def check_entry(world: World, entry: Entry) -> None:
    """Walk ``entry`` through every role, in its own place and in another community."""
    failures = []
    for role in ROLES:
        actor = world.actor(role)
        at_home = outcome(lambda: entry.call(world, actor, world.here))
        if role in entry.allowed or role in entry.own:
            if at_home in REFUSED:
                failures.append(f"{role} was refused ({at_home}) in its own community")
        elif at_home not in REFUSED:
            failures.append(f"{role} may not, but got {at_home}")
        if role == "admin" or entry.placeless:
            continue
        actor = world.actor(role)
        away = outcome(lambda: entry.call(world, actor, world.elsewhere))
        if away not in REFUSED:
            failures.append(f"{role} reached another community's record ({away})")
    assert not failures, f"{entry.name}: " + "; ".join(failures)
