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
    OWN = "own"  # the actor's own record (its volunteer, resident or user); staff: also MANAGED
    SELF = "self"  # the actor's own record only, whatever the role: staff reach no one else's (answering a duty)


@dataclass(frozen=True)
class Permission:
    roles: frozenset[Role]
    reach: Reach
    denied: object = _l("Your role may not do this.")
    code: str = "forbidden"
    #: Also needs the account's permission to see personal information (``User.can_view_pii``).
    pii: bool = False


def staff(reach: Reach = Reach.MANAGED, **denial) -> Permission:
    return Permission(STAFF, reach, **denial)


MAY_NOT_WRITE = {"denied": _l("Your role may not change these records."), "code": "role_may_not_write"}
COORDINATOR_ONLY = {"denied": _l("Only a coordinator may do this."), "code": "coordinator_only"}
ACT_FOR_RESIDENTS = {"denied": _l("Your role may not act for residents."), "code": "may_not_act_for_residents"}

#: Every action the services check, by domain. A new entry point adds its line here.
PERMISSIONS: dict[str, Permission] = {
    # registry records (places, people, skills, duty templates, demands …) through ResourceService
    "pages.staff": staff(Reach.ANY, denied=_l("This page is for community staff only."), code="staff_only"),
    "records.read": staff(),
    "records.write": staff(**MAY_NOT_WRITE),
    "places.read": staff(Reach.VISIBLE),
    "places.write_top": Permission(ADMINS, Reach.ANY, **MAY_NOT_WRITE),
    "skills.read": Permission(EVERYONE, Reach.ANY),
    "skills.write": Permission(ADMINS, Reach.ANY, **MAY_NOT_WRITE),
    "accounts.manage": Permission(ADMINS, Reach.ANY),
    "holidays.manage": Permission(ADMINS, Reach.ANY),
    "tokens.manage_own": Permission(EVERYONE, Reach.OWN),
    # notifications
    "outbox.read": staff(),
    "outbox.retry": staff(),
    "group_robots.manage": staff(),
    "channels.choose_own": Permission(EVERYONE, Reach.ANY),
    "audit.read": Permission(ADMINS, Reach.ANY),
    # roster
    # (a week, call-out or community is reached as its community's record; a duty, job or swap through its week)
    "roster.read": staff(),  # weeks, plan jobs, versions, swaps, call-outs, the workbook, the to-do
    "roster.draft": staff(**MAY_NOT_WRITE),  # plan or re-solve a week; pin, forbid, re-ask, move in its draft
    "roster.publish": staff(**MAY_NOT_WRITE),  # publish a week; decide a swap (a new published version)
    "roster.attendance": staff(**MAY_NOT_WRITE),  # mark a duty served (考勤), tick its check-in and check-out
    "roster.station_code": staff(),  # show or print a station's check-in code (a station is its community's)
    "roster.check_in": Permission(EVERYONE, Reach.SELF),  # scan a station's code: check in to one's own duty
    "teams.read": staff(),  # a community's teams, their members
    "teams.write": staff(**MAY_NOT_WRITE),
    "teams.lead": Permission(EVERYONE, Reach.SELF),  # a team's leader: its members and their answers
    "roster.callout": staff(**MAY_NOT_WRITE),  # create, widen, close an emergency call-out
    "roster.own_duty": Permission(EVERYONE, Reach.SELF),  # one's duties: list, answer, ask to swap; one's feed
    "roster.invitation": Permission(EVERYONE, Reach.SELF),  # a call-out invitation addressed to oneself
    # service_requests: the menu, events and the wish board are public within a community (Reach.HOME);
    # residents act for themselves, staff for a resident they manage (代办), volunteers where a rule lets them
    # (their own community's residents: checked by the service); a request's reach is who it is to
    # (service.roles_in: its staff, its assigned volunteer, its requester)
    "service_menu.read": Permission(EVERYONE, Reach.HOME),
    "service_menu.write": staff(**MAY_NOT_WRITE),
    "service_events.read": Permission(EVERYONE, Reach.HOME),
    "service_events.manage": staff(denied=_l("Only a coordinator of this community may change %(what)s.",
                                             what=_l("events")), code="coordinator_only"),
    "service_bookings.book": Permission(STAFF | RESIDENTS, Reach.MANAGED, **ACT_FOR_RESIDENTS),
    "service_bookings.read": Permission(EVERYONE, Reach.OWN),
    "service_bookings.cancel": Permission(EVERYONE, Reach.OWN),
    "service_bookings.attendance": staff(),  # tick a resident's 到场 at a booked slot
    "service_requests.file": Permission(EVERYONE, Reach.MANAGED),
    "service_requests.manage": staff(),
    "follow_ups.manage": staff(),
    "wishes.read": Permission(EVERYONE, Reach.HOME),
    "wishes.post": Permission(STAFF | RESIDENTS, Reach.MANAGED, **ACT_FOR_RESIDENTS),
    "wishes.manage": staff(),
    # points: holders see and spend their own account; staff keep their communities' books
    "points.read": Permission(EVERYONE, Reach.OWN),  # accounts, statements, earnings, orders, transfers
    "points.redeem": Permission(EVERYONE, Reach.OWN),  # pay from an account: one's own, or (staff) one they manage
    "points.counter": staff(),  # staff name the account that pays, at the counter
    "points.gift": Permission(VOLUNTEERS, Reach.OWN, denied=_l("Only volunteers give points."), code="volunteers_only"),
    "points.handle_order": staff(denied=_l("You may not do this to this order."), code="may_not_act"),  # approve …
    "points.withdraw_order": Permission(VOLUNTEERS | RESIDENTS, Reach.OWN),  # the payer's own request, on its account
    "points.manage": staff(),  # a community's pool: grants, corrections, earnings awaiting approval
    "points.settle": staff(),  # a partner's monthly settlement
    "points.check_books": Permission(ADMINS, Reach.ANY),  # reads the whole installation's ledger
    # reports: staff open a report on a community they see; it counts only the records they manage
    "reports.read": staff(Reach.VISIBLE),
    "reports.count": staff(),
    # visits: grid workers in their grids, coordinators in their communities; the visiting frequencies are a
    # community's (its grid workers read them); a report may name any community the actor sees a grid of
    "visits.read": staff(),
    "visits.record": staff(),
    "visits.report": staff(Reach.VISIBLE),
    "visits.frequencies.read": staff(Reach.VISIBLE),
    "visits.frequencies.write": staff(),
    # certificates (志愿服务记录证明): a volunteer applies for and reads their own (staff for one they manage);
    # the community's coordinators accept, issue, reject, revoke and correct, set the issuer and keep the register
    "certificates.apply": Permission(VOLUNTEERS | STAFF, Reach.OWN),
    "certificates.read": Permission(VOLUNTEERS | STAFF, Reach.OWN),
    "certificates.manage": staff(**COORDINATOR_ONLY),
    # phone numbers (个人信息保护法, the minimum necessary): lists stay masked; staff see the full number of one
    # person they manage where a page's task needs it (a call-out, a request, the duty sheet: people/contact.py),
    # audited; a registry export with full numbers also needs the account's PII permission, audited
    "phones.reveal": staff(),
    "phones.export_full": staff(Reach.ANY, pii=True, denied=_l(
        "Only accounts allowed to see personal information may export full numbers."), code="pii_permission_required"),
    # login
    "login_qr.create": staff(),  # a one-time login QR code for a resident or volunteer the actor manages
    "login_codes.read": Permission(ADMINS, Reach.ANY),  # login codes awaiting use (their digits in development mode)
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
    if reach is Reach.SELF:
        return _owns(actor, record)
    return _owns(actor, record) or (actor.is_staff and managed)  # Reach.OWN


def _role_may(actor: Actor, rule: Permission) -> bool:
    return actor.role in rule.roles and (not rule.pii or actor.can_view_pii)


def may(actor: Actor, action: str, record=None) -> bool:
    rule = permission(action)
    return _role_may(actor, rule) and reaches(actor, rule.reach, record)


def require(actor: Actor, action: str, record=None) -> None:
    """403 when the actor's role (or account, for personal information) may not do ``action``; 404 when
    ``record`` is beyond its reach."""
    rule = permission(action)
    if not _role_may(actor, rule):
        raise Forbidden(rule.denied, code=rule.code)
    if not reaches(actor, rule.reach, record):
        raise NotFound(NOT_FOUND)


def where(actor: Actor, action: str, model, community_column=None, grid_column=None):
    """The SQL condition selecting the rows of ``model`` that ``action`` reaches for ``actor``.

    Rows of a model without its own ``community_id`` name the columns that place them
    (e.g. a week's).
    """
    rule = permission(action)
    if not _role_may(actor, rule):
        return false()
    community = community_column if community_column is not None else getattr(model, "community_id", None)
    grid = grid_column if grid_column is not None else getattr(model, "grid_id", None)
    scope = actor.scope
    if rule.reach is Reach.SELF:  # before the admin's everything: their own rows only, as anyone's
        return _owned(actor, model)
    if rule.reach is Reach.ANY or scope.everything:
        return true()
    managed = [community.in_(scope.communities)] if scope.communities else []
    if scope.grids and grid is not None:
        managed.append(grid.in_(scope.grids))
    if rule.reach is Reach.MANAGED:
        return or_(*managed) if managed else false()
    if rule.reach is Reach.OWN:
        owned = _owned(actor, model)
        return or_(owned, *managed) if actor.is_staff and managed else owned
    if rule.reach is Reach.HOME and not actor.is_staff:
        return community == actor.home_community if actor.home_community is not None else false()
    visible = scope.visible_communities
    return community.in_(visible) if visible else false()


def _owned(actor: Actor, model):
    owned = [getattr(model, attribute) == mine
             for attribute, mine in (("volunteer_id", actor.volunteer_id), ("resident_id", actor.resident_id),
                                     ("user_id", actor.id))
             if mine is not None and hasattr(model, attribute)]
    return or_(*owned) if owned else false()


def get(actor: Actor, action: str, model, record_id):
    """The record ``record_id`` of ``model`` if ``action`` reaches it, else 404 (or 403 for the role)."""
    rule = permission(action)
    if not _role_may(actor, rule):
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

        if not current_user.is_authenticated:
            raise RuntimeError("current_actor() needs a signed-in user")
        actor = Actor.of(current_user._get_current_object())
        g.actor = actor
    return actor
