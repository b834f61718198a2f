"""Who may do what: the one place that decides access.

Every service function takes the acting ``Actor`` explicitly and asks
``require(actor, action, record)`` before it reads or changes anything;
lists are narrowed by ``where(actor, action, model)``. ``api.py`` and the
pages only find the actor (``current_actor``) and pass it on.

An action is a role rule plus a *reach*: how the record must relate to
the actor. A record outside the actor's reach answers 404 like an unknown
id (we never confirm that a record exists elsewhere); a role that may not
do the action at all answers 403.
"""
import enum
from dataclasses import dataclass, field
from functools import cached_property

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, or_, select, true

from ..errors import Forbidden, InvalidInput, NotFound
from ..extensions import db
from .models import Role, User
from .scoping import Scope

STAFF = frozenset({Role.admin, Role.coordinator})
ADMINS = frozenset({Role.admin})
EVERYONE = frozenset(Role)
VOLUNTEERS = frozenset({Role.volunteer})
RESIDENTS = frozenset({Role.resident})

NOT_FOUND = _l("Not found among the records you manage.")


class Reach(enum.Enum):
    """How a record must relate to the actor for the action to apply to it."""

    ANY = "any"  # no record involved, or every record: the role alone decides
    MANAGED = "managed"  # in a community or grid the actor coordinates
    VISIBLE = "visible"  # MANAGED, or in a community holding one of the actor's grids (reading)
    HOME = "home"  # staff: VISIBLE; residents and volunteers: their own community
    OWN = "own"  # the actor's own record (its volunteer, resident or user); staff: MANAGED


@dataclass(frozen=True)
class Permission:
    roles: frozenset[Role]
    reach: Reach
    denied: object = _l("Your role may not do this.")
    code: str = "forbidden"


def staff(reach: Reach = Reach.MANAGED, **denial) -> Permission:
    return Permission(STAFF, reach, **denial)


MAY_NOT_WRITE = {"denied": _l("Your role may not change these records."), "code": "role_may_not_write"}
COORDINATOR_ONLY = {"denied": _l("Only a coordinator may do this."), "code": "coordinator_only"}

#: Every action the services check, by domain. A new entry point adds its line here.
PERMISSIONS: dict[str, Permission] = {
    # registry records (places, people, skills, duty templates, demands …) through ResourceService
    "records.read": staff(),
    "records.write": staff(**MAY_NOT_WRITE),
    "places.read": staff(Reach.VISIBLE),
    "places.write_top": Permission(ADMINS, Reach.ANY, **MAY_NOT_WRITE),
    "service_menu.read": Permission(EVERYONE, Reach.HOME),
    "skills.read": Permission(EVERYONE, Reach.ANY),
    "skills.write": Permission(ADMINS, Reach.ANY, **MAY_NOT_WRITE),
    "accounts.manage": Permission(ADMINS, Reach.ANY),
    # notifications
    "outbox.read": staff(),
    "outbox.retry": staff(),
    "group_robots.manage": staff(),
    "channels.choose_own": Permission(EVERYONE, Reach.ANY),
    "audit.read": Permission(ADMINS, Reach.ANY),
    # visits: grid workers in their grids, coordinators in their communities; the visiting frequencies are a
    # community's (its grid workers read them); a report may name any community the actor sees a grid of
    "visits.read": staff(),
    "visits.record": staff(),
    "visits.report": staff(Reach.VISIBLE),
    "visits.frequencies.read": staff(Reach.VISIBLE),
    "visits.frequencies.write": staff(),
}


@dataclass(frozen=True)
class Place:
    """Where a record about to be created will live, for asking the policy before it exists."""

    community_id: int | None
    grid_id: int | None = None


@dataclass(eq=False)
class Actor:
    """The person (or the system, for the command line and jobs) on whose behalf a service acts."""

    user: User | None
    role: Role
    scope: Scope = field(repr=False)

    @classmethod
    def of(cls, user: User) -> "Actor":
        return cls(user, user.role, Scope.for_user(user))

    @classmethod
    def system(cls) -> "Actor":
        """Operations commands and background jobs act for the whole installation."""
        return cls(None, Role.admin, Scope(True, frozenset(), frozenset(), frozenset()))

    @property
    def id(self) -> int | None:
        return self.user.id if self.user is not None else None

    @property
    def volunteer_id(self) -> int | None:
        return self.user.volunteer_id if self.user is not None else None

    @property
    def resident_id(self) -> int | None:
        return self.user.resident_id if self.user is not None else None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF

    @property
    def can_view_pii(self) -> bool:
        return self.user is None or self.user.can_view_pii

    @cached_property
    def home_community(self) -> int | None:
        """The community a resident's or volunteer's account belongs to (tables by name:
        identity sits below the people domain)."""
        tables = db.metadata.tables
        for table, record_id in (("residents", self.resident_id), ("volunteers", self.volunteer_id)):
            if record_id is not None:
                people = tables[table]
                return db.session.scalar(select(people.c.community_id).where(people.c.id == record_id))
        return None


def permission(action: str) -> Permission:
    return PERMISSIONS[action]


def _owns(actor: Actor, record) -> bool:
    for attribute, mine in (("volunteer_id", actor.volunteer_id), ("resident_id", actor.resident_id),
                            ("user_id", actor.id)):
        if mine is not None and getattr(record, attribute, None) == mine:
            return True
    return False


def reaches(actor: Actor, reach: Reach, record) -> bool:
    """Whether ``record`` (anything with ``community_id`` and maybe ``grid_id``) is within reach."""
    if reach is Reach.ANY or record is None:
        return True
    scope = actor.scope
    community_id, grid_id = getattr(record, "community_id", None), getattr(record, "grid_id", None)
    managed = scope.allows(community_id, grid_id)
    if reach is Reach.MANAGED:
        return managed
    visible = managed or (scope.everything or community_id in scope.visible_communities)
    if reach is Reach.VISIBLE:
        return visible
    if reach is Reach.HOME:
        if actor.is_staff:
            return visible
        return community_id is not None and community_id == actor.home_community
    return managed if actor.is_staff else _owns(actor, record)  # Reach.OWN


def may(actor: Actor, action: str, record=None) -> bool:
    rule = permission(action)
    return actor.role in rule.roles and reaches(actor, rule.reach, record)


def require(actor: Actor, action: str, record=None) -> None:
    """403 when the actor's role may not do ``action``; 404 when ``record`` is beyond its reach."""
    rule = permission(action)
    if actor.role not in rule.roles:
        raise Forbidden(rule.denied, code=rule.code)
    if not reaches(actor, rule.reach, record):
        raise NotFound(NOT_FOUND)


def where(actor: Actor, action: str, model, community_column=None, grid_column=None):
    """The SQL condition selecting the rows of ``model`` that ``action`` reaches for ``actor``.

    Rows of a model without its own ``community_id`` name the columns that place them
    (e.g. a week's).
    """
    rule = permission(action)
    if actor.role not in rule.roles:
        return false()
    community = community_column if community_column is not None else getattr(model, "community_id", None)
    grid = grid_column if grid_column is not None else getattr(model, "grid_id", None)
    scope = actor.scope
    if rule.reach is Reach.ANY or scope.everything:
        return true()
    managed = [community.in_(scope.communities)] if scope.communities else []
    if scope.grids and grid is not None:
        managed.append(grid.in_(scope.grids))
    if rule.reach is Reach.MANAGED or (rule.reach is Reach.OWN and actor.is_staff):
        return or_(*managed) if managed else false()
    if rule.reach is Reach.OWN:
        owned = [getattr(model, attribute) == mine
                 for attribute, mine in (("volunteer_id", actor.volunteer_id), ("resident_id", actor.resident_id),
                                         ("user_id", actor.id))
                 if mine is not None and hasattr(model, attribute)]
        return or_(*owned) if owned else false()
    if rule.reach is Reach.HOME and not actor.is_staff:
        return community == actor.home_community if actor.home_community is not None else false()
    visible = scope.visible_communities
    return community.in_(visible) if visible else false()


def get(actor: Actor, action: str, model, record_id):
    """The record ``record_id`` of ``model`` if ``action`` reaches it, else 404 (or 403 for the role)."""
    rule = permission(action)
    if actor.role not in rule.roles:
        raise Forbidden(rule.denied, code=rule.code)
    record = db.session.get(model, record_id)
    if record is None or not reaches(actor, rule.reach, record):
        raise NotFound(NOT_FOUND)
    return record


def parent(actor: Actor, model, record_id: int | None, field_name: str, action: str = "records.write"):
    """A parent record named in input (``station_id`` …): unknown or beyond reach is a 422 naming the field
    (we never tell which)."""
    record = db.session.get(model, record_id) if record_id is not None else None
    if record is None or not may(actor, action, record):
        raise out_of_reach(field_name)
    return record


def out_of_reach(field_name: str) -> InvalidInput:
    return InvalidInput(NOT_FOUND, {field_name: [NOT_FOUND]}, code="out_of_scope")


def current_actor() -> Actor:
    """The actor of this request (pages and API only; services receive it), computed once."""
    actor = g.get("actor") if has_request_context() else None
    if actor is None:
        from flask_login import current_user

        if current_user.is_authenticated:
            actor = Actor.of(current_user._get_current_object())
        elif g.get("scope") is not None and g.scope.everything:  # scoping.use_system_scope() (commands, jobs)
            actor = Actor.system()
        else:
            raise RuntimeError("current_actor() needs a signed-in user")
        g.actor = actor
    return actor
