"""Gifts and grants: a volunteer gives points to a resident in difficulty or to the pool,
within the community's limits; a coordinator grants points from the pool.
"""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased

from ...accounts import policy
from ...accounts.policy import Actor
from ...clock import CHINA_TIME
from ...errors import Forbidden, InvalidInput
from ...extensions import db
from ...models_base import utcnow
from ...people.models import Resident, Volunteer
from ...places.models import Community
from ..ledger import lock_accounts, post_transfer
from ..models import AccountKind, PointAccount, Transfer, TransferKind
from .accounts import community_account, resident_account, volunteer_account
from .common import month_start_utc
from .earning import rule_for


def gifted_this_month(actor: Actor, sender: PointAccount, now: datetime) -> int:
    """Gifts sent in the current local month that were not reversed."""
    policy.require(actor, "points.read", sender)
    local = now.astimezone(CHINA_TIME)
    start, end = month_start_utc(local.year, local.month), month_start_utc(local.year, local.month + 1)
    reversal = aliased(Transfer)
    return db.session.scalar(select(func.coalesce(func.sum(Transfer.amount), 0)).where(
        Transfer.from_account_id == sender.id, Transfer.kind == TransferKind.gift,
        Transfer.created_at >= start, Transfer.created_at < end,
        ~exists().where(reversal.reverses_id == Transfer.id)))


def gift(actor: Actor, sender: PointAccount, amount: int, resident_id: int | None, to_pool: bool,
         memo: str) -> Transfer:
    """A volunteer gives points from their own account to a resident in difficulty or to the community pool
    (time bank)."""
    policy.require(actor, "points.gift", sender)
    if sender.kind != AccountKind.volunteer:
        raise Forbidden(_l("Only volunteers give points."), code="volunteers_only")
    rule = rule_for(sender.community_id)
    if not rule.gifts_enabled:
        raise Forbidden(_l("This community's rules do not allow gifts of points."), code="gifts_disabled")
    if amount > rule.gift_max_per_transfer:
        text = _l("At most %(max)s points per gift.", max=rule.gift_max_per_transfer)
        raise InvalidInput(text, {"amount": [text]}, code="gift_too_large")
    if to_pool:
        target = community_account(AccountKind.community_pool, sender.community_id)
    else:
        resident = db.session.get(Resident, resident_id)
        if resident is None or resident.community_id != sender.community_id:
            raise InvalidInput(_l("Not a resident of your community."),
                               {"resident_id": [_l("Not a resident of your community.")]}, code="unknown_resident")
        if rule.gift_priority_only and not resident.priority_groups:
            text = _l("Gifts go only to residents in difficulty (低保, 残疾, 独居 …).")
            raise InvalidInput(text, {"resident_id": [text]}, code="not_in_priority_group")
        target = resident_account(resident)
    lock_accounts(sender, target)
    sent = gifted_this_month(actor, sender, utcnow())
    if sent + amount > rule.gift_max_per_month:
        text = _l("At most %(left)s more points this month (the limit is %(limit)s a month).",
                  left=max(0, rule.gift_max_per_month - sent), limit=rule.gift_max_per_month)
        raise InvalidInput(text, {"amount": [text]}, code="monthly_gift_limit")
    return post_transfer(sender, target, amount, TransferKind.gift, sender.community_id, memo=memo, field="amount")


def grant(actor: Actor, community_id: int, amount: int, resident_id: int | None, volunteer_id: int | None,
          memo: str) -> Transfer:
    """A coordinator gives points from the community pool to one of its residents or volunteers."""
    policy.require(actor, "points.manage")
    community = policy.parent(actor, Community, community_id, "community_id", "points.manage")
    if resident_id is not None:
        holder, field = db.session.get(Resident, resident_id), "resident_id"
    else:
        holder, field = db.session.get(Volunteer, volunteer_id), "volunteer_id"
    if holder is None or holder.community_id != community.id:
        raise InvalidInput(_l("Not in this community."), {field: [_l("Not in this community.")]},
                           code="other_community")
    target = resident_account(holder) if resident_id is not None else volunteer_account(holder)
    pool = community_account(AccountKind.community_pool, community.id)
    return post_transfer(pool, target, amount, TransferKind.grant, community.id, memo=memo, field="amount")


def gift_recipients(actor: Actor, sender: PointAccount) -> list[Resident]:
    """Residents a volunteer may give points to under the community's rule (in difficulty only, if it says so)."""
    policy.require(actor, "points.gift", sender)
    rule = rule_for(sender.community_id)
    if sender.kind != AccountKind.volunteer or not rule.gifts_enabled:
        return []
    statement = select(Resident).where(Resident.community_id == sender.community_id)
    if rule.gift_priority_only:
        statement = statement.where(Resident.priority_groups.any())
    return list(db.session.scalars(statement.order_by(Resident.name, Resident.id).limit(500)))
