"""What every part of resident services shares: the clock, row locks, and for whom one acts.

The clock is ``service.now`` (the package's): every module here reads it through ``now`` below,
so fixing it there, as the tests do, fixes it everywhere.
"""
import sys
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ...accounts import policy
from ...accounts.models import Role, User
from ...accounts.policy import Actor
from ...clock import IsoWeek
from ...errors import Forbidden, InvalidInput, NotFound
from ...extensions import db
from ...people.models import Resident
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


def reached(actor: Actor, action: str, record, missing: NotFound):
    """``record`` when ``action`` reaches it: 403 for a role that may not (the policy's refusal), else
    ``missing`` (a 404 naming what) for an unknown id and one beyond reach alike."""
    policy.require(actor, action)
    if record is None or not policy.may(actor, action, record):
        raise missing
    return record


def resident_for(actor: Actor, action: str, resident_id: int | None) -> Resident:
    """Whom the actor acts for under ``action``: residents for themselves; staff for a resident they
    manage (代办); volunteers, where the action lets them, for a resident of their community."""
    policy.require(actor, action)
    if actor.role == Role.resident:
        if actor.resident_id is None:
            raise Forbidden(_l("Your account is not linked to a resident record yet. "
                               "Please ask your community coordinator."), code="no_resident_record")
        if resident_id not in (None, actor.resident_id):
            only_yourself = _l("You may act only for yourself.")
            raise InvalidInput(only_yourself, {"resident_id": [only_yourself]}, code="own_behalf_only")
        return db.session.get(Resident, actor.resident_id)
    if resident_id is None:
        for_whom = _l("Choose the resident first.")
        raise InvalidInput(for_whom, {"resident_id": [for_whom]}, code="resident_required")
    if actor.is_staff:
        return policy.parent(actor, Resident, resident_id, "resident_id", action)
    resident = db.session.get(Resident, resident_id)
    if resident is None or resident.community_id != actor.home_community:
        unknown = _l("Not a resident of your community.")
        raise InvalidInput(unknown, {"resident_id": [unknown]}, code="unknown_resident")
    return resident


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
