"""What every part of resident services shares: the clock, row locks, and who may see and do what.

The clock is ``service.now`` (the package's): every module here reads it through ``now`` below,
so fixing it there, as the tests do, fixes it everywhere.
"""
import sys
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import false, select, true, update

from ...accounts.models import Role, User
from ...clock import IsoWeek
from ...accounts.scoping import current_scope
from ...errors import Forbidden, InvalidInput
from ...extensions import db
from ...people.models import Resident, Volunteer
from ...places.service import parent_in_scope
from ...points import service as points
from ..models import ServiceType

MINUTE = "%Y-%m-%dT%H:%M"


def now() -> datetime:
    """The package's clock (``service.now``), looked up at each call."""
    return sys.modules[__package__].now()


def iso_week(moment: datetime) -> str:
    return IsoWeek.of(moment.date())


def lock_row(model, record_id: int, load: bool = True):
    """Hold a row against concurrent writers until commit, on both engines; return it fresh.

    PostgreSQL: ``SELECT … FOR UPDATE``. SQLite has no row locks, and pysqlite
    begins a transaction only at the first write, so a read-check-write could
    interleave with another writer's; a no-op UPDATE takes SQLite's single
    write lock now, which serialises the rest of this transaction.
    ``load=False`` only takes the lock (one round trip less while holding it).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        if not load:
            db.session.execute(select(model.id).where(model.id == record_id).with_for_update())
            return None
        return db.session.scalar(select(model).where(model.id == record_id).with_for_update()
                                 .execution_options(populate_existing=True))
    table = model.__table__
    db.session.execute(update(table).where(table.c.id == record_id).values(id=table.c.id))
    if load:
        return db.session.scalar(select(model).where(model.id == record_id).execution_options(populate_existing=True))
    return None


# --- who may see and do what -------------------------------------------------------------------


def is_staff(user: User) -> bool:
    return user.role in (Role.admin, Role.coordinator)


def home_community(user: User) -> int | None:
    """The community a resident's or volunteer's account belongs to."""
    if user.resident_id is not None:
        return db.session.scalar(select(Resident.community_id).where(Resident.id == user.resident_id))
    if user.volunteer_id is not None:
        return db.session.scalar(select(Volunteer.community_id).where(Volunteer.id == user.volunteer_id))
    return None


def readable(column):
    """The menu, events and the wish board are public within a community: coordinators
    read the communities they can see (a grid worker their grid's), residents and
    volunteers their own."""
    if is_staff(current_user):
        scope = current_scope()
        return true() if scope.everything else column.in_(scope.visible_communities)
    community = home_community(current_user)
    return column == community if community is not None else false()


def can_read(community_id: int | None) -> bool:
    if is_staff(current_user):
        scope = current_scope()
        return scope.everything or community_id in scope.visible_communities
    return community_id is not None and community_id == home_community(current_user)


def require_staff_in(community_id: int, grid_id: int | None = None, *, what) -> None:
    """403 unless the caller coordinates this community (grid); ``what`` (a lazy text) names what they may not change."""
    if not is_staff(current_user) or not current_scope().allows(community_id, grid_id):
        raise Forbidden(_l("Only a coordinator of this community may change %(what)s.", what=what),
                        code="coordinator_only")


def resident_for(user: User, resident_id: int | None, volunteers_may: bool = False) -> Resident:
    """Whom the caller acts for: residents for themselves; grid workers (代办) and, where
    allowed, volunteers for a resident of their community."""
    if user.role == Role.resident:
        if user.resident_id is None:
            raise Forbidden(_l("Your account is not linked to a resident record yet. "
                               "Please ask your community coordinator."), code="no_resident_record")
        if resident_id not in (None, user.resident_id):
            only_yourself = _l("You may act only for yourself.")
            raise InvalidInput(only_yourself, {"resident_id": [only_yourself]}, code="own_behalf_only")
        return db.session.get(Resident, user.resident_id)
    if resident_id is None:
        for_whom = _l("Choose the resident first.")
        raise InvalidInput(for_whom, {"resident_id": [for_whom]}, code="resident_required")
    if is_staff(user):
        return parent_in_scope(Resident, resident_id, "resident_id")
    if volunteers_may and user.volunteer_id is not None:
        resident = db.session.get(Resident, resident_id)
        if resident is not None and resident.community_id == home_community(user):
            return resident
        unknown = _l("Not a resident of your community.")
        raise InvalidInput(unknown, {"resident_id": [unknown]}, code="unknown_resident")
    raise Forbidden(_l("Your role may not act for residents."), code="may_not_act_for_residents")


def users_of_residents(resident_ids) -> list[User]:
    ids = [i for i in resident_ids if i is not None]
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(User.resident_id.in_(ids))))


def is_priority(resident: Resident | None) -> bool:
    """低保, 残疾, 独居老人 …: any priority group."""
    return bool(resident is not None and resident.priority_groups)


def price_for(service_type: ServiceType, resident: Resident | None) -> int:
    if service_type.free_for_priority_groups and is_priority(resident):
        return 0
    return service_type.points_price


def paying(resident: Resident, price: int, field: str):
    """Who pays ``price`` for the resident (None when free); a 422 naming ``field`` before anything is
    written when their points fall short (the charge, under the account's lock, has the last word)."""
    payer = points.service_payer(resident) if price else None
    if payer is not None and payer.balance < price:
        short = _l("Needs %(needed)s points, but the balance is %(balance)s.", needed=price, balance=payer.balance)
        raise points.InsufficientPoints(short, {field: [short]}, code="insufficient_points", balance=payer.balance,
                                        needed=price)
    return payer
