"""Redemptions (兑换): an order holds its points and stock under the payer's account lock;
the partner's community approves, fulfils (the points go to the partner) or ends it
(the points and stock go back).
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

from ...accounts import policy
from ...accounts.policy import Actor
from ...errors import Conflict, Forbidden, InvalidInput, NotFound
from ...extensions import db
from ...models_base import utcnow
from ...notifications.service import Note, coordinators_of, notify
from ..labels import POINTS_LABELS
from ..ledger import InsufficientPoints, lock_accounts, post_transfer, reverse_transfer
from ..models import AccountKind, CatalogueItem, PointAccount, Redemption, RedemptionStatus, Transfer, TransferKind
from .accounts import community_account, holders_of, own_account, owns, partner_account
from .registry import cross_allowed


HOLDERS = (AccountKind.volunteer, AccountKind.resident)


def payer_account(actor: Actor, account_id: int | None) -> PointAccount:
    """Volunteers and residents pay from their own account; staff name one they manage (at the counter)."""
    if not policy.may(actor, "points.counter"):
        account = own_account(actor)
        if account_id is not None and account_id != account.id:
            raise InvalidInput(_l("You can only pay from your own account."),
                               {"account_id": [_l("Not your account.")]}, code="not_your_account")
        return account
    if account_id is None:
        raise InvalidInput(_l("Say whose points pay."), {"account_id": [_l("Choose whose points pay.")]},
                           code="payer_required")
    account = db.session.get(PointAccount, account_id)
    if account is None or account.kind not in HOLDERS or not policy.may(actor, "points.counter", account):
        raise InvalidInput(_l("No volunteer or resident account among the records you manage."),
                           {"account_id": [_l("No volunteer or resident account among the records you manage.")]},
                           code="out_of_scope")
    return account


def _change_stock(item: CatalogueItem, delta: int) -> bool:
    """Guarded stock change (never below zero); bumps the version so a stale edit of the item gets 409."""
    table = CatalogueItem.__table__
    statement = update(table).where(table.c.id == item.id, table.c.stock.is_not(None))
    if delta < 0:
        statement = statement.where(table.c.stock >= -delta)
    changed = db.session.execute(statement.values(stock=table.c.stock + delta, version=table.c.version + 1)).rowcount
    db.session.expire(item, ["stock", "version"])
    return changed == 1


@dataclass(frozen=True)
class Quote:
    """What redeeming ``quantity`` of ``item`` costs a payer holding ``balance`` points."""

    item: CatalogueItem
    quantity: int
    balance: int

    @property
    def points(self) -> int:
        return self.item.price * self.quantity

    @property
    def balance_after(self) -> int:
        return self.balance - self.points

    @property
    def shortfall(self) -> int:
        """Points missing; 0 when the balance covers it."""
        return max(0, self.points - self.balance)

    def check(self) -> None:
        """Refuse what the balance or the stock cannot cover, naming the quantity."""
        if self.shortfall:
            raise InsufficientPoints.for_field("quantity", self.points, self.balance)
        if self.item.stock is not None and self.quantity > self.item.stock:
            raise _sold_out(self.item)


def _sold_out(item: CatalogueItem) -> InvalidInput:
    text = _l("Only %(stock)s left in stock.", stock=item.stock)
    return InvalidInput(text, {"quantity": [text]}, code="sold_out", stock=item.stock)


def _offered(payer: PointAccount, item_id: int) -> CatalogueItem:
    """An item on offer to this payer (active, its partner active, the community rules allowing)."""
    item = db.session.get(CatalogueItem, item_id)
    if item is None or not item.active or not item.partner.active:
        raise InvalidInput(_l("This item is not on offer."), {"item_id": [_l("This item is not on offer.")]},
                           code="not_on_offer")
    if not cross_allowed(payer.community_id, item.community_id):
        text = _l("This item is offered in another community, and the rules do not allow redeeming there.")
        raise InvalidInput(text, {"item_id": [text]}, code="cross_community")
    return item


def quote(actor: Actor, payer: PointAccount, item_id: int, quantity: int) -> Quote:
    """What a redemption would take, checked as ``redeem`` checks it; nothing is held or written."""
    policy.require(actor, "points.redeem", payer)
    offer = Quote(_offered(payer, item_id), quantity, payer.balance)
    offer.check()
    return offer


def redeem(actor: Actor, payer: PointAccount, item_id: int, quantity: int, key: str,
           note: str) -> tuple[Redemption, bool]:
    """Place an order and hold its points; ``(order, created)``.

    Under the payer's account lock: a known idempotency key returns the first
    order; then balance and stock are checked and taken in one transaction.
    """
    policy.require(actor, "points.redeem", payer)
    item = _offered(payer, item_id)
    holding = community_account(AccountKind.holding, item.community_id)
    lock_accounts(payer, holding)
    existing = db.session.scalar(select(Redemption).where(Redemption.account_id == payer.id,
                                                          Redemption.idempotency_key == key))
    if existing is not None:
        if (existing.item_id, existing.quantity) != (item.id, quantity):
            raise Conflict(_l("This idempotency key was used for a different order."),
                           {"idempotency_key": [_l("Already used by order No. %(id)s.", id=existing.id)]},
                           code="idempotency_key_reused", existing={"id": existing.id})
        return existing, False
    offer = Quote(item, quantity, payer.balance)
    offer.check()
    points = offer.points
    if item.stock is not None and not _change_stock(item, -quantity):
        raise _sold_out(item)
    order = Redemption(account_id=payer.id, payer_community_id=payer.community_id, item_id=item.id,
                       partner_id=item.partner_id, community_id=item.community_id, idempotency_key=key,
                       quantity=quantity, unit_price=item.price, points=points, note=note, requested_by_id=actor.id)
    db.session.add(order)
    db.session.flush()
    hold = post_transfer(payer, holding, points, TransferKind.redemption, item.community_id,
                         memo=f"{item.name} ×{quantity}", details={"redemption_id": order.id}, field="quantity")
    order.hold_transfer_id = hold.id
    db.session.flush()
    if not policy.may(actor, "points.counter"):  # staff at the counter need no reminder
        notify(coordinators_of(item.community_id), Note(
            "redemption", _l("Points order to approve: %(item)s × %(quantity)s", item=item.name, quantity=quantity),
            _l("%(name)s, %(points)s points", name=payer.name, points=points), f"/points/redemptions/{order.id}"))
    return order, True


# action → (statuses it may start from, status it leads to)
TRANSITIONS = {
    "approve": ((RedemptionStatus.requested,), RedemptionStatus.approved),
    "fulfil": ((RedemptionStatus.approved,), RedemptionStatus.fulfilled),
    "reject": ((RedemptionStatus.requested,), RedemptionStatus.rejected),
    "cancel": ((RedemptionStatus.requested, RedemptionStatus.approved), RedemptionStatus.cancelled),
}


def _readable(actor: Actor):
    """SQL: orders the actor may read, with the partner's community or paid from an account the actor may
    read (their own; staff: their communities' payers)."""
    accounts = select(PointAccount.id).where(policy.where(actor, "points.read", PointAccount))
    return or_(policy.where(actor, "points.read", Redemption), Redemption.account_id.in_(accounts))


def _readable_order(actor: Actor, order: Redemption | None) -> Redemption:
    """``order`` if the actor may read it (as ``_readable`` says), else 404."""
    if order is None or not (policy.may(actor, "points.read", order)
                             or policy.may(actor, "points.read", order.account)):
        raise NotFound(policy.NOT_FOUND)
    return order


def redemptions_query(actor: Actor, args: dict):
    """Orders: the partners' community and the payer's community see them, and the payer."""
    statement = select(Redemption).where(_readable(actor))
    for key in ("status", "partner_id", "account_id", "community_id"):
        if args.get(key) is not None:
            statement = statement.where(getattr(Redemption, key) == args[key])
    return statement.order_by(Redemption.id.desc())


def get_redemption(actor: Actor, order_id: int) -> Redemption:
    return _readable_order(actor, db.session.get(Redemption, order_id))


def may_act(actor: Actor, order: Redemption, action: str) -> None:
    """The partner's community decides; the payer may only withdraw a request nobody has approved yet."""
    if policy.may(actor, "points.handle_order", order):
        return
    if action == "cancel" and policy.may(actor, "points.withdraw_order", order.account):
        if order.status != RedemptionStatus.requested:
            raise Conflict(_l("An approved order can only be cancelled by the community."),
                           {"status": [POINTS_LABELS["order"][order.status.value]]}, code="already_approved")
        return
    refusal = policy.permission("points.handle_order")  # 403 even to staff who see the order as the payer's
    raise Forbidden(refusal.denied, code=refusal.code)


def change_status(actor: Actor, order: Redemption, action: str, reason: str = "") -> Redemption:
    """Move an order along requested → approved → fulfilled, or end it; points follow the status."""
    may_act(actor, order, action)
    starts, target = TRANSITIONS[action]
    if order.status not in starts:
        text = _l("This order is now “%(status)s”; that step is no longer possible.",
                  status=POINTS_LABELS["order"][order.status.value])
        raise Conflict(text, {"status": [text]}, code="wrong_status")
    if action == "reject" and not reason.strip():
        raise InvalidInput(_l("Say why."), {"reason": [_l("Say why.")]}, code="reason_required")
    order.status, order.decided_by_id, order.reason = target, actor.id, reason.strip()[:200]
    db.session.flush()  # the version check: of two concurrent decisions, only one gets past here
    status = POINTS_LABELS["order"][target.value]
    if target == RedemptionStatus.fulfilled:
        holding = community_account(AccountKind.holding, order.community_id)
        settle = post_transfer(holding, partner_account(order.partner), order.points, TransferKind.settlement,
                               order.community_id, memo=f"{order.item.name} ×{order.quantity}",
                               details={"redemption_id": order.id})
        order.settle_transfer_id, order.fulfilled_at = settle.id, utcnow()
    elif target in (RedemptionStatus.rejected, RedemptionStatus.cancelled):
        refund = reverse_transfer(db.session.get(Transfer, order.hold_transfer_id),
                                  _l("%(status)s: %(item)s × %(quantity)s", status=status, item=order.item.name,
                                     quantity=order.quantity))
        order.refund_transfer_id = refund.id
        _change_stock(order.item, order.quantity)
    db.session.flush()
    if not owns(actor, order.account):
        what = {"item": order.item.name, "quantity": order.quantity}
        detail = (_l("%(item)s × %(quantity)s: %(reason)s", reason=order.reason, **what) if order.reason
                  else _l("%(item)s × %(quantity)s", **what))
        notify(holders_of(order.account), Note("redemption", _l("Points order: %(status)s", status=status),
                                               detail, f"/points/redemptions/{order.id}"))
    return order


def order_history(actor: Actor, order: Redemption) -> list[dict]:
    """Each status of an order, oldest first, read from the audit log: ``at``, ``user_id``, ``status``, ``reason``."""
    from ...accounts.models import AuditLog

    _readable_order(actor, order)
    rows = db.session.scalars(select(AuditLog).where(
        AuditLog.entity == Redemption.__tablename__, AuditLog.entity_id == str(order.id)).order_by(AuditLog.id))
    history = []
    for row in rows:
        status, reason = row.changes.get("status"), row.changes.get("reason")
        if row.action == "create":
            history.append({"at": row.at, "user_id": row.user_id, "status": status, "reason": ""})
        elif isinstance(status, list):
            history.append({"at": row.at, "user_id": row.user_id, "status": status[1],
                            "reason": reason[1] if isinstance(reason, list) else ""})
    return history
