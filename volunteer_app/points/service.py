"""Rules of points and exchange (积分兑换): who earns how much, what can be redeemed,
gifts within the community's limits, statements and partner settlements.

Every balance change goes through ``ledger.post_transfer``; this module
decides which transfers to post and guards them with the account locks.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, exists, false, func, or_, select, true, update
from sqlalchemy.orm import aliased, selectinload

from ..accounts.models import Role, User
from ..accounts.scoping import current_scope
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..holidays.service import day_status
from ..models_base import utcnow
from ..notifications.service import Note, coordinators_of, notify
from ..people.models import Resident, Volunteer
from ..places.models import Community
from ..places.service import parent_in_scope
from ..resources import ResourceService
from ..clock import CHINA_TIME
from . import ledger
from .ledger import InsufficientPoints, lock_accounts, post_transfer, reversal_of, reverse_transfer
from .models import (
    AccountKind, Approval, CatalogueItem, Earning, EarningRule, EarningStatus, Entry, ItemKind, Partner, PointAccount,
    Redemption, RedemptionStatus, Transfer, TransferKind,
)

COORDINATORS = (Role.admin, Role.coordinator)
MULTIPLIERS = ("evening", "holiday", "callout")  # each names a ``<flag>_percent`` column of the rule
NIGHT_ENDS = time(6, 0)  # service starting before this counts as evening (night) service too


def is_coordinator(user: User) -> bool:
    return user.role in COORDINATORS


def local_naive(moment: datetime) -> datetime:
    """Rosters keep naive China time; an aware moment is converted first."""
    return moment.astimezone(CHINA_TIME).replace(tzinfo=None) if moment.tzinfo else moment


def month_start_utc(year: int, month: int) -> datetime:
    """The UTC instant at which a local (China) calendar month begins."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=CHINA_TIME).astimezone(timezone.utc)


# --- accounts ---------------------------------------------------------------------------------


def volunteer_account(volunteer: Volunteer) -> PointAccount:
    return ledger.get_or_create_account(f"volunteer:{volunteer.id}", AccountKind.volunteer, volunteer.community_id,
                                        volunteer.name, volunteer_id=volunteer.id)


def resident_account(resident: Resident) -> PointAccount:
    return ledger.get_or_create_account(f"resident:{resident.id}", AccountKind.resident, resident.community_id,
                                        resident.name, resident_id=resident.id)


def partner_account(partner: Partner) -> PointAccount:
    return ledger.get_or_create_account(f"partner:{partner.id}", AccountKind.partner, partner.community_id,
                                        partner.name, partner_id=partner.id)


COMMUNITY_ACCOUNT_LABELS = {
    AccountKind.community_pool: "积分池 pool",
    AccountKind.holding: "待兑付 orders in progress",
    AccountKind.issuance: "积分发行 issuance",
}


def community_account(kind: AccountKind, community_id: int) -> PointAccount:
    """The community's pool, holding or issuance account."""
    community = db.session.get(Community, community_id)
    return ledger.get_or_create_account(f"{kind.value}:{community_id}", kind, community_id,
                                        f"{community.name} {COMMUNITY_ACCOUNT_LABELS[kind]}")


def own_account(user: User) -> PointAccount:
    """The caller's own account (a volunteer's, or a resident's), created on first use."""
    if user.volunteer_id is not None:
        return volunteer_account(db.session.get(Volunteer, user.volunteer_id))
    if user.resident_id is not None:
        return resident_account(db.session.get(Resident, user.resident_id))
    raise NotFound("Your user is not linked to a volunteer or resident, so it has no points account")


def _same_holder(volunteer_column, resident_column, volunteer_id: int | None, resident_id: int | None):
    """Rows linked to the given volunteer or resident (nothing when both are None)."""
    pairs = ((volunteer_column, volunteer_id), (resident_column, resident_id))
    conditions = [column == value for column, value in pairs if value is not None]
    return or_(*conditions) if conditions else false()


def own_account_clause(user: User):
    return _same_holder(PointAccount.volunteer_id, PointAccount.resident_id, user.volunteer_id, user.resident_id)


def holders_of(account: PointAccount) -> list[User]:
    """The users who hold ``account``, to notify them."""
    return list(db.session.scalars(select(User).where(
        _same_holder(User.volunteer_id, User.resident_id, account.volunteer_id, account.resident_id))))


def owns(user: User, account: PointAccount) -> bool:
    return bool((account.volunteer_id is not None and account.volunteer_id == user.volunteer_id)
                or (account.resident_id is not None and account.resident_id == user.resident_id))


def accounts_query(user: User, args: dict):
    statement = select(PointAccount).where(or_(current_scope().clause(PointAccount), own_account_clause(user)))
    for key in ("community_id", "kind"):
        if args.get(key) is not None:
            statement = statement.where(getattr(PointAccount, key) == args[key])
    return statement.order_by(PointAccount.id)


def get_account(user: User, account_id: int) -> PointAccount:
    account = db.session.get(PointAccount, account_id)
    if account is None or not (current_scope().allows(account.community_id) or owns(user, account)):
        raise NotFound(f"points account {account_id} not found")
    return account


def statement_query(account: PointAccount):
    """The account's entries, newest first, each with its running balance."""
    return (select(Entry).where(Entry.account_id == account.id).options(selectinload(Entry.transfer))
            .order_by(Entry.id.desc()))


# --- earning rules ------------------------------------------------------------------------------


def default_rule(community_id: int) -> EarningRule:
    """The rule of a community that has not set one: the column defaults (never saved)."""
    rule = EarningRule(community_id=community_id, rates={})
    for column in EarningRule.__table__.columns:
        if column.default is not None and column.default.is_scalar and getattr(rule, column.key) is None:
            setattr(rule, column.key, column.default.arg)
    return rule


def rule_for(community_id: int) -> EarningRule:
    rule = db.session.scalar(select(EarningRule).where(EarningRule.community_id == community_id))
    return rule if rule is not None else default_rule(community_id)


def earning_terms(rule: EarningRule, minutes: int, service_type: str | None, at: datetime,
                  flags: set[str]) -> tuple[int, int, int, list[str]]:
    """``(rate, percent, points, flags)`` for service under ``rule``, before the weekly cap.

    Evening and holiday are read from the time; the caller adds "callout".
    The largest applicable multiplier counts (they do not stack); points are
    rounded down, so a rule never pays a fraction.
    """
    unknown = set(flags) - set(MULTIPLIERS)
    if unknown:
        raise InvalidInput("Unknown earning flag", {"flags": [f"unknown: {', '.join(sorted(unknown))}"]})
    flags = set(flags)
    if at.time() >= rule.evening_from or at.time() < NIGHT_ENDS:
        flags.add("evening")
    if day_status(at.date()).is_public_holiday:
        flags.add("holiday")
    rate = rule.rates.get(service_type, rule.default_rate) if service_type else rule.default_rate
    percent = max([100] + [getattr(rule, f"{flag}_percent") for flag in flags])
    return rate, percent, minutes * rate * percent // 6000, sorted(flags)


def _earning_for(source_kind: str, source_id: int) -> Earning | None:
    return db.session.scalar(select(Earning).where(Earning.source_kind == source_kind, Earning.source_id == source_id))


def earn_for_source(source_kind: str, source_id: int, volunteer_id: int, community_id: int, minutes: int,
                    service_type: str | None, at: datetime, flags: set[str]) -> Transfer | None:
    """Post the points for one served source, exactly once; the transfer, or None if nothing was posted.

    Called again for the same source it returns the first result (the unique
    source key makes a concurrent double post fail instead of paying twice).
    A source whose earning was reversed (un-served) earns afresh when served
    again; one a coordinator rejected does not. With coordinator approval the
    earning waits as ``pending`` and None is returned.
    """
    if type(minutes) is not int or minutes <= 0:
        raise InvalidInput("Service time must be a positive whole number of minutes", {"minutes": ["must be ≥ 1"]})
    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise InvalidInput(f"Unknown volunteer {volunteer_id}", {"volunteer_id": ["no such volunteer"]})
    if db.session.get(Community, community_id) is None:
        raise InvalidInput(f"Unknown community {community_id}", {"community_id": ["no such community"]})
    earning = _earning_for(source_kind, source_id)
    if earning is not None and earning.status != EarningStatus.reversed:
        return earning.transfer if earning.status == EarningStatus.posted else None
    at = local_naive(at)
    rule = rule_for(community_id)
    rate, percent, points, all_flags = earning_terms(rule, minutes, service_type, at, flags)
    if earning is None:
        earning = Earning(source_kind=source_kind, source_id=source_id)
        db.session.add(earning)
    earning.volunteer_id, earning.community_id, earning.at, earning.minutes = volunteer.id, community_id, at, minutes
    earning.service_type, earning.flags, earning.rate, earning.percent = service_type, all_flags, rate, percent
    earning.base_points, earning.points, earning.status, earning.reason = points, 0, EarningStatus.pending, ""
    db.session.flush()
    if rule.approval == Approval.coordinator:
        return None
    return post_earning(earning, rule)


def post_earning(earning: Earning, rule: EarningRule) -> Transfer | None:
    """Apply the weekly cap and post; the cap is read under the volunteer's account lock."""
    volunteer = db.session.get(Volunteer, earning.volunteer_id)
    if volunteer is None:
        raise Conflict("The volunteer of this earning no longer exists", {"volunteer_id": ["deleted"]})
    source = community_account(AccountKind.issuance, earning.community_id)
    target = volunteer_account(volunteer)
    lock_accounts(source, target)
    points = earning.base_points
    if rule.weekly_cap is not None:
        monday = datetime.combine(earning.at.date() - timedelta(days=earning.at.weekday()), time.min)
        used = db.session.scalar(select(func.coalesce(func.sum(Earning.points), 0)).where(
            Earning.volunteer_id == earning.volunteer_id, Earning.community_id == earning.community_id,
            Earning.status == EarningStatus.posted, Earning.at >= monday, Earning.at < monday + timedelta(days=7),
            Earning.id != earning.id))
        points = max(0, min(points, rule.weekly_cap - used))
    earning.points = points
    if points == 0:
        earning.status = EarningStatus.capped
        db.session.flush()
        return None
    transfer = post_transfer(source, target, points, TransferKind.earning, earning.community_id,
                             memo=f"{earning.source_kind} {earning.source_id}: {earning.minutes} min",
                             details={"earning_id": earning.id, "rate": earning.rate, "percent": earning.percent,
                                      "flags": earning.flags, "base_points": earning.base_points,
                                      "capped": points < earning.base_points})
    earning.status, earning.transfer_id = EarningStatus.posted, transfer.id
    db.session.flush()  # the version check: a concurrent approval of the same earning fails here
    return transfer


def reverse_source(source_kind: str, source_id: int, reason: str) -> Transfer | None:
    """Undo the earning of a source (it was not served after all): post the reversing transfer once.

    Returns the reversal (the same one when called again), or None when
    nothing had been posted. Refused (422) if the volunteer has already spent
    the points: a balance never goes negative.
    """
    earning = _earning_for(source_kind, source_id)
    if earning is None or earning.status == EarningStatus.rejected:
        return None
    if earning.status == EarningStatus.reversed:
        return reversal_of(earning.transfer) if earning.transfer is not None else None
    posted = earning.status == EarningStatus.posted
    earning.status, earning.reason = EarningStatus.reversed, reason[:200]
    db.session.flush()  # claim the change (version check) before moving points
    if not posted:
        return None
    return reverse_transfer(earning.transfer, reason or f"{source_kind} {source_id} reversed")


def earn_for_assignment(assignment) -> Transfer | None:
    """Roster hook: the coordinator confirmed that ``assignment`` was served."""
    from ..roster.models import CallOut

    demand = assignment.demand
    community_id = demand.week.community_id
    rates = rule_for(community_id).rates
    service_type = next((skill for skill in demand.skills if skill in rates), demand.kind.value)
    is_callout = db.session.scalar(select(CallOut.id).where(CallOut.demand_id == demand.id)) is not None
    minutes = int((demand.end - demand.start).total_seconds() // 60)
    return earn_for_source("assignment", assignment.id, assignment.volunteer_id, community_id, minutes, service_type,
                           demand.start, {"callout"} if is_callout else set())


def reverse_assignment(assignment, reason: str = "no longer marked as served") -> Transfer | None:
    """Roster hook: the served mark was taken back."""
    return reverse_source("assignment", assignment.id, reason)


def earnings_query(user: User, args: dict):
    own = Earning.volunteer_id == user.volunteer_id if user.volunteer_id is not None else false()
    statement = select(Earning).where(or_(current_scope().clause(Earning), own))
    for key in ("community_id", "volunteer_id", "status"):
        if args.get(key) is not None:
            statement = statement.where(getattr(Earning, key) == args[key])
    return statement.order_by(Earning.id.desc())


def get_earning_to_decide(earning_id: int) -> Earning:
    earning = db.session.get(Earning, earning_id)
    if earning is None or not current_scope().allows(earning.community_id):
        raise NotFound(f"earning {earning_id} not found")
    if earning.status != EarningStatus.pending:
        raise Conflict(f"earning is {earning.status.value}; only pending ones are decided",
                       {"status": [earning.status.value]})
    return earning


def approve_earning(earning_id: int, user: User) -> Earning:
    earning = get_earning_to_decide(earning_id)
    earning.decided_by_id = user.id
    post_earning(earning, rule_for(earning.community_id))
    return earning


def reject_earning(earning_id: int, user: User, reason: str) -> Earning:
    earning = get_earning_to_decide(earning_id)
    if not reason.strip():
        raise InvalidInput("Say why", {"reason": ["required when rejecting"]})
    earning.status, earning.reason, earning.decided_by_id = EarningStatus.rejected, reason.strip()[:200], user.id
    db.session.flush()
    return earning


# --- registry: rules, partners, catalogue -------------------------------------------------------------


def home_community_id(user: User) -> int | None:
    if user.volunteer_id is not None:
        return db.session.scalar(select(Volunteer.community_id).where(Volunteer.id == user.volunteer_id))
    if user.resident_id is not None:
        return db.session.scalar(select(Resident.community_id).where(Resident.id == user.resident_id))
    return None


def cross_allowed(payer_community_id: int, offer_community_id: int) -> bool:
    """Points cross a community border only if the rules on both sides allow it."""
    return payer_community_id == offer_community_id or (
        rule_for(payer_community_id).cross_community and rule_for(offer_community_id).cross_community)


def catalogue_communities(user: User) -> set[int]:
    """Communities whose catalogue a volunteer or resident may redeem from."""
    home = home_community_id(user)
    if home is None:
        return set()
    if not rule_for(home).cross_community:
        return {home}
    return {home} | set(db.session.scalars(select(EarningRule.community_id).where(EarningRule.cross_community)))


class CommunityRecordService(ResourceService):
    """Coordinators read and write their scope; volunteers and residents read what concerns them."""

    def readable_communities(self, user: User) -> set[int]:
        return catalogue_communities(user)

    def public_clause(self):
        return true()

    def base_query(self):
        from flask_login import current_user

        if is_coordinator(current_user):
            return super().base_query()
        return select(self.model).where(self.model.community_id.in_(self.readable_communities(current_user)),
                                        self.public_clause())

    def visible(self, obj) -> bool:
        from flask_login import current_user

        if is_coordinator(current_user):
            return super().visible(obj)
        return db.session.scalar(self.base_query().where(self.model.id == obj.id)) is not None

    def filtered(self, args):
        statement = super().filtered(args)
        for key in ("community_id", "partner_id", "kind", "active"):
            if args.get(key) is not None and hasattr(self.model, key):
                statement = statement.where(getattr(self.model, key) == args[key])
        return statement

    def apply(self, obj, data: dict):
        for key, value in data.items():
            setattr(obj, key, value)
        db.session.add(obj)
        db.session.flush()
        return obj

    def keep_community(self, obj, data: dict) -> None:
        if "community_id" in data and data["community_id"] != obj.community_id:
            raise InvalidInput("A record cannot move to another community",
                               {"community_id": ["cannot be changed; create a new record there"]})


class RuleService(CommunityRecordService):
    model, what = EarningRule, "earning rule"

    def readable_communities(self, user: User) -> set[int]:
        home = home_community_id(user)
        return {home} if home is not None else set()

    def create(self, data: dict) -> EarningRule:
        community = parent_in_scope(Community, data["community_id"], "community_id")
        existing = db.session.scalar(select(EarningRule.id).where(EarningRule.community_id == community.id))
        if existing is not None:
            raise Conflict("This community already has its earning rule",
                           {"community_id": [f"already has rule {existing}; change that one"]},
                           existing={"id": existing})
        return self.apply(EarningRule(), data)

    def update(self, rule: EarningRule, data: dict) -> EarningRule:
        self.keep_community(rule, data)
        return self.apply(rule, data)


class PartnerService(CommunityRecordService):
    model, what = Partner, "partner"

    def public_clause(self):
        return Partner.active

    def create(self, data: dict) -> Partner:
        parent_in_scope(Community, data["community_id"], "community_id")
        return self.apply(Partner(), data)

    def update(self, partner: Partner, data: dict) -> Partner:
        self.keep_community(partner, data)
        return self.apply(partner, data)

    def delete(self, partner: Partner) -> None:
        used = db.session.scalar(select(func.count(CatalogueItem.id)).where(CatalogueItem.partner_id == partner.id))
        has_account = db.session.scalar(select(PointAccount.id).where(PointAccount.partner_id == partner.id))
        if used or has_account:
            raise Conflict("The partner has catalogue items or a points account; set active=false instead",
                           {"active": ["deactivate instead of deleting"]})
        super().delete(partner)


class ItemService(CommunityRecordService):
    model, what = CatalogueItem, "catalogue item"

    def public_clause(self):
        return and_(CatalogueItem.active, CatalogueItem.partner_id.in_(select(Partner.id).where(Partner.active)))

    def create(self, data: dict) -> CatalogueItem:
        item = CatalogueItem()
        return self.update(item, data)

    def update(self, item: CatalogueItem, data: dict) -> CatalogueItem:
        if "partner_id" in data and data["partner_id"] != item.partner_id:
            partner = parent_in_scope(Partner, data["partner_id"], "partner_id")
            if item.id is not None and partner.community_id != item.community_id:
                raise InvalidInput("An item cannot move to another community",
                                   {"partner_id": ["partner is in another community"]})
            data["community_id"] = partner.community_id
        merged = {key: data.get(key, getattr(item, key)) for key in ("kind", "stock", "face_value_fen")}
        if merged["kind"] == ItemKind.goods and merged["stock"] is None:
            raise InvalidInput("Goods need a stock", {"stock": ["required for goods (0 or more)"]})
        if (merged["kind"] == ItemKind.fee_discount) != (merged["face_value_fen"] is not None):
            raise InvalidInput("A fee discount, and only a fee discount, has a face value",
                               {"face_value_fen": ["required for fee_discount, not allowed otherwise"]})
        return self.apply(item, data)

    def delete(self, item: CatalogueItem) -> None:
        if db.session.scalar(select(Redemption.id).where(Redemption.item_id == item.id).limit(1)) is not None:
            raise Conflict("The item has orders; set active=false instead",
                           {"active": ["deactivate instead of deleting"]})
        super().delete(item)


rules = RuleService()
partners = PartnerService()
items = ItemService()


# --- redemptions ---------------------------------------------------------------------------------------


def payer_account(user: User, account_id: int | None) -> PointAccount:
    """Volunteers and residents pay from their own account; a coordinator names one in scope (at the counter)."""
    if not is_coordinator(user):
        account = own_account(user)
        if account_id is not None and account_id != account.id:
            raise InvalidInput("You can only pay from your own account", {"account_id": ["not your account"]})
        return account
    if account_id is None:
        raise InvalidInput("Say whose points pay", {"account_id": ["required when a coordinator orders"]})
    account = db.session.get(PointAccount, account_id)
    if account is None or not current_scope().allows(account.community_id) or \
            account.kind not in (AccountKind.volunteer, AccountKind.resident):
        raise InvalidInput(f"Unknown account {account_id}",
                           {"account_id": ["no volunteer or resident account in your scope"]})
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
            raise InsufficientPoints(f"{self.points} points needed, the balance is {self.balance}",
                                     {"quantity": [f"needs {self.points} points, the balance is {self.balance}"]},
                                     balance=self.balance, needed=self.points)
        if self.item.stock is not None and self.quantity > self.item.stock:
            raise _sold_out(self.item)


def _sold_out(item: CatalogueItem) -> InvalidInput:
    return InvalidInput(f"Only {item.stock} left", {"quantity": [f"only {item.stock} in stock"]}, stock=item.stock)


def _offered(payer: PointAccount, item_id: int) -> CatalogueItem:
    """An item on offer to this payer (active, its partner active, the community rules allowing)."""
    item = db.session.get(CatalogueItem, item_id)
    if item is None or not item.active or not item.partner.active:
        raise InvalidInput(f"Unknown item {item_id}", {"item_id": ["no such item on offer"]})
    if not cross_allowed(payer.community_id, item.community_id):
        raise InvalidInput("This item is offered in another community, and the rules do not allow redeeming there",
                           {"item_id": ["offered in another community; cross-community redemption is not allowed"]})
    return item


def quote(payer: PointAccount, item_id: int, quantity: int) -> Quote:
    """What a redemption would take, checked as ``redeem`` checks it; nothing is held or written."""
    offer = Quote(_offered(payer, item_id), quantity, payer.balance)
    offer.check()
    return offer


def redeem(payer: PointAccount, item_id: int, quantity: int, key: str, note: str,
           user: User) -> tuple[Redemption, bool]:
    """Place an order and hold its points; ``(order, created)``.

    Under the payer's account lock: a known idempotency key returns the first
    order; then balance and stock are checked and taken in one transaction.
    """
    item = _offered(payer, item_id)
    holding = community_account(AccountKind.holding, item.community_id)
    lock_accounts(payer, holding)
    existing = db.session.scalar(select(Redemption).where(Redemption.account_id == payer.id,
                                                          Redemption.idempotency_key == key))
    if existing is not None:
        if (existing.item_id, existing.quantity) != (item.id, quantity):
            raise Conflict("This idempotency key was used for a different order",
                           {"idempotency_key": [f"already used by order {existing.id}"]}, existing={"id": existing.id})
        return existing, False
    offer = Quote(item, quantity, payer.balance)
    offer.check()
    points = offer.points
    if item.stock is not None and not _change_stock(item, -quantity):
        raise _sold_out(item)
    order = Redemption(account_id=payer.id, payer_community_id=payer.community_id, item_id=item.id,
                       partner_id=item.partner_id, community_id=item.community_id, idempotency_key=key,
                       quantity=quantity, unit_price=item.price, points=points, note=note, requested_by_id=user.id)
    db.session.add(order)
    db.session.flush()
    hold = post_transfer(payer, holding, points, TransferKind.redemption, item.community_id,
                         memo=f"{item.name} ×{quantity}", details={"redemption_id": order.id}, field="quantity")
    order.hold_transfer_id = hold.id
    db.session.flush()
    if not is_coordinator(user):
        notify(coordinators_of(item.community_id), Note(
            "redemption", f"积分兑换申请 / redemption: {item.name} ×{quantity}", f"{payer.name}, {points} 积分",
            f"/points/redemptions/{order.id}"))
    return order, True


# action → (statuses it may start from, status it leads to)
TRANSITIONS = {
    "approve": ((RedemptionStatus.requested,), RedemptionStatus.approved),
    "fulfil": ((RedemptionStatus.approved,), RedemptionStatus.fulfilled),
    "reject": ((RedemptionStatus.requested,), RedemptionStatus.rejected),
    "cancel": ((RedemptionStatus.requested, RedemptionStatus.approved), RedemptionStatus.cancelled),
}
STATUS_ZH = {
    RedemptionStatus.requested: "待审核", RedemptionStatus.approved: "已同意", RedemptionStatus.fulfilled: "已兑付",
    RedemptionStatus.rejected: "已拒绝", RedemptionStatus.cancelled: "已取消",
}


def redemptions_query(user: User, args: dict):
    scope = current_scope()
    own = select(PointAccount.id).where(own_account_clause(user))
    visible = [Redemption.account_id.in_(own)]
    if scope.everything:
        visible = [true()]
    elif scope.communities:
        visible += [Redemption.community_id.in_(scope.communities),
                    Redemption.payer_community_id.in_(scope.communities)]
    statement = select(Redemption).where(or_(*visible))
    for key in ("status", "partner_id", "account_id", "community_id"):
        if args.get(key) is not None:
            statement = statement.where(getattr(Redemption, key) == args[key])
    return statement.order_by(Redemption.id.desc())


def get_redemption(user: User, order_id: int) -> Redemption:
    order = db.session.get(Redemption, order_id)
    scope = current_scope()
    if order is None or not (scope.allows(order.community_id) or scope.allows(order.payer_community_id)
                             or owns(user, order.account)):
        raise NotFound(f"redemption {order_id} not found")
    return order


def may_act(user: User, order: Redemption, action: str) -> None:
    """The partner's community decides; the payer may only withdraw a request nobody has approved yet."""
    if is_coordinator(user) and current_scope().allows(order.community_id):
        return
    if action == "cancel" and owns(user, order.account):
        if order.status != RedemptionStatus.requested:
            raise Conflict("An approved order can only be cancelled by the community",
                           {"status": [order.status.value]})
        return
    raise Forbidden(f"You may not {action} this order")


def change_status(order: Redemption, action: str, user: User, reason: str = "") -> Redemption:
    """Move an order along requested → approved → fulfilled, or end it; points follow the status."""
    starts, target = TRANSITIONS[action]
    if order.status not in starts:
        raise Conflict(f"order {order.id} is {order.status.value}; it cannot be {target.value}",
                       {"status": [f"is {order.status.value}; {action} needs {' or '.join(s.value for s in starts)}"]})
    if action == "reject" and not reason.strip():
        raise InvalidInput("Say why", {"reason": ["required when rejecting"]})
    order.status, order.decided_by_id, order.reason = target, user.id, reason.strip()[:200]
    db.session.flush()  # the version check: of two concurrent decisions, only one gets past here
    if target == RedemptionStatus.fulfilled:
        holding = community_account(AccountKind.holding, order.community_id)
        settle = post_transfer(holding, partner_account(order.partner), order.points, TransferKind.settlement,
                               order.community_id, memo=f"{order.item.name} ×{order.quantity}",
                               details={"redemption_id": order.id})
        order.settle_transfer_id, order.fulfilled_at = settle.id, utcnow()
    elif target in (RedemptionStatus.rejected, RedemptionStatus.cancelled):
        refund = reverse_transfer(db.session.get(Transfer, order.hold_transfer_id),
                                  f"{STATUS_ZH[target]}: {order.item.name} ×{order.quantity}")
        order.refund_transfer_id = refund.id
        _change_stock(order.item, order.quantity)
    db.session.flush()
    if not owns(user, order.account):
        detail = f"{order.item.name} ×{order.quantity}" + (f": {order.reason}" if order.reason else "")
        notify(holders_of(order.account), Note("redemption", f"积分兑换{STATUS_ZH[target]} / order {target.value}",
                                               detail, f"/points/redemptions/{order.id}"))
    return order


# --- gifts and grants ------------------------------------------------------------------------------------


def gifted_this_month(sender: PointAccount, now: datetime) -> int:
    """Gifts sent in the current local month that were not reversed."""
    local = now.astimezone(CHINA_TIME)
    start, end = month_start_utc(local.year, local.month), month_start_utc(local.year, local.month + 1)
    reversal = aliased(Transfer)
    return db.session.scalar(select(func.coalesce(func.sum(Transfer.amount), 0)).where(
        Transfer.from_account_id == sender.id, Transfer.kind == TransferKind.gift,
        Transfer.created_at >= start, Transfer.created_at < end,
        ~exists().where(reversal.reverses_id == Transfer.id)))


def gift(sender: PointAccount, amount: int, resident_id: int | None, to_pool: bool, memo: str) -> Transfer:
    """A volunteer gives points to a resident in difficulty or to the community pool (time bank)."""
    if sender.kind != AccountKind.volunteer:
        raise Forbidden("Only volunteers give points")
    rule = rule_for(sender.community_id)
    if not rule.gifts_enabled:
        raise Forbidden("This community's rules do not allow gifts of points")
    if amount > rule.gift_max_per_transfer:
        raise InvalidInput("Gift too large", {"amount": [f"at most {rule.gift_max_per_transfer} per gift"]})
    if to_pool:
        target = community_account(AccountKind.community_pool, sender.community_id)
    else:
        resident = db.session.get(Resident, resident_id)
        if resident is None or resident.community_id != sender.community_id:
            raise InvalidInput(f"Unknown resident {resident_id}",
                               {"resident_id": ["no such resident in your community"]})
        if rule.gift_priority_only and not resident.priority_groups:
            raise InvalidInput("Gifts go to residents in difficulty",
                               {"resident_id": ["not in a priority group (低保, 残疾, 独居 …)"]})
        target = resident_account(resident)
    lock_accounts(sender, target)
    sent = gifted_this_month(sender, utcnow())
    if sent + amount > rule.gift_max_per_month:
        raise InvalidInput("Monthly gift limit reached",
                           {"amount": [f"at most {max(0, rule.gift_max_per_month - sent)} more this month "
                                       f"(limit {rule.gift_max_per_month})"]})
    return post_transfer(sender, target, amount, TransferKind.gift, sender.community_id, memo=memo, field="amount")


def grant(community_id: int, amount: int, resident_id: int | None, volunteer_id: int | None, memo: str) -> Transfer:
    """A coordinator gives points from the community pool to one of its residents or volunteers."""
    community = parent_in_scope(Community, community_id, "community_id")
    if resident_id is not None:
        holder, field = db.session.get(Resident, resident_id), "resident_id"
    else:
        holder, field = db.session.get(Volunteer, volunteer_id), "volunteer_id"
    if holder is None or holder.community_id != community.id:
        raise InvalidInput(f"Unknown {field}", {field: ["not in this community"]})
    target = resident_account(holder) if resident_id is not None else volunteer_account(holder)
    pool = community_account(AccountKind.community_pool, community.id)
    return post_transfer(pool, target, amount, TransferKind.grant, community.id, memo=memo, field="amount")


# --- priced services (bookings and requests) ------------------------------------------------------------------


def service_payer(resident: Resident) -> PointAccount:
    """Who pays for a resident's priced service: the points of the user linked to the resident (a volunteer's
    own account if they volunteer too), else the resident's account (gifts and grants land there)."""
    user = db.session.scalar(select(User).where(User.resident_id == resident.id).limit(1))
    return own_account(user) if user is not None else resident_account(resident)


def can_pay(payer: PointAccount, amount: int) -> bool:
    """Whether ``payer`` holds ``amount`` now; under its lock, so a charge that follows cannot fail."""
    lock_accounts(payer)
    return payer.balance >= amount


def charge_service(payer: PointAccount, amount: int, community_id: int, memo: str, details: dict,
                   field: str) -> Transfer | None:
    """The payer pays a priced service into the community pool; None when it is free.

    Refused with a 422 naming ``field`` when the balance is short (nothing is written).
    """
    if amount <= 0:
        return None
    pool = community_account(AccountKind.community_pool, community_id)
    return post_transfer(payer, pool, amount, TransferKind.service_charge, community_id, memo=memo,
                         details=details, field=field)


def refund_service(charge: Transfer | None, reason: str) -> Transfer | None:
    """Give a service's points back (cancelled, rejected, called off): at most once."""
    if charge is None or reversal_of(charge) is not None:
        return None
    return reverse_transfer(charge, reason)


# --- transfers and corrections ------------------------------------------------------------------------------


def get_transfer(user: User, transfer_id: int) -> Transfer:
    """Visible to the communities on either side of it, and to the holders of its two accounts."""
    transfer = db.session.get(Transfer, transfer_id)
    sides = (transfer.from_account, transfer.to_account) if transfer is not None else ()
    scope = current_scope()
    if transfer is None or not (scope.allows(transfer.community_id)
                                or any(scope.allows(a.community_id) or owns(user, a) for a in sides)):
        raise NotFound(f"transfer {transfer_id} not found")
    return transfer


def correct(transfer: Transfer, reason: str) -> Transfer:
    """A coordinator's correction: reverse a gift, a grant or an earning (orders are cancelled instead)."""
    if transfer.kind == TransferKind.earning:
        earning = db.session.scalar(select(Earning).where(Earning.transfer_id == transfer.id))
        if earning is None or earning.status != EarningStatus.posted:
            raise Conflict(f"transfer {transfer.id} is already reversed", {"transfer_id": ["already reversed"]})
        return reverse_source(earning.source_kind, earning.source_id, reason)
    if transfer.kind not in (TransferKind.gift, TransferKind.grant):
        raise Conflict(f"A {transfer.kind.value} transfer is corrected through its order (reject or cancel)",
                       {"transfer_id": [f"is a {transfer.kind.value}"]})
    return reverse_transfer(transfer, reason)


# --- reports ----------------------------------------------------------------------------------------------


def parse_month(text: str) -> tuple[int, int]:
    year, month = text.split("-")
    return int(year), int(month)


def settlement(partner: Partner, from_month: str, to_month: str) -> dict:
    """What was redeemed with a partner (fulfilled orders), per local month and item."""
    first, last = parse_month(from_month), parse_month(to_month)
    start, end = month_start_utc(*first), month_start_utc(last[0], last[1] + 1)
    orders = db.session.scalars(select(Redemption).where(
        Redemption.partner_id == partner.id, Redemption.status == RedemptionStatus.fulfilled,
        Redemption.fulfilled_at >= start, Redemption.fulfilled_at < end).options(selectinload(Redemption.item))
        .order_by(Redemption.fulfilled_at)).all()
    months: dict[str, dict] = {}
    for order in orders:
        fulfilled = order.fulfilled_at if order.fulfilled_at.tzinfo else order.fulfilled_at.replace(tzinfo=timezone.utc)
        month = fulfilled.astimezone(CHINA_TIME).strftime("%Y-%m")
        bucket = months.setdefault(month, {"month": month, "orders": 0, "quantity": 0, "points": 0, "lines": {}})
        line = bucket["lines"].setdefault((order.item_id, order.unit_price), {
            "item_id": order.item_id, "item_name": order.item.name, "kind": order.item.kind.value,
            "unit_price": order.unit_price, "orders": 0, "quantity": 0, "points": 0})
        for target in (bucket, line):
            target["orders"] += 1
            target["quantity"] += order.quantity
            target["points"] += order.points
    report_months = [{**m, "lines": list(m["lines"].values())} for m in months.values()]
    return {
        "partner_id": partner.id, "partner_name": partner.name, "community_id": partner.community_id,
        "from_month": from_month, "to_month": to_month, "months": report_months,
        "total_orders": sum(m["orders"] for m in report_months),
        "total_points": sum(m["points"] for m in report_months),
    }


def check_books() -> ledger.LedgerReport:
    """The ledger's invariants, plus what the orders say the holding and partner accounts must hold."""
    report = ledger.verify()
    negative = db.session.scalars(select(CatalogueItem.id).where(CatalogueItem.stock < 0)).all()
    report.problems.extend(f"item {item_id}: negative stock" for item_id in negative)
    open_orders = dict(db.session.execute(
        select(Redemption.community_id, func.sum(Redemption.points))
        .where(Redemption.status.in_((RedemptionStatus.requested, RedemptionStatus.approved)))
        .group_by(Redemption.community_id)).all())
    fulfilled = dict(db.session.execute(
        select(Redemption.partner_id, func.sum(Redemption.points))
        .where(Redemption.status == RedemptionStatus.fulfilled).group_by(Redemption.partner_id)).all())
    for account in db.session.scalars(select(PointAccount).where(
            PointAccount.kind.in_((AccountKind.holding, AccountKind.partner)))):
        expected = (open_orders.get(account.community_id) if account.kind == AccountKind.holding
                    else fulfilled.get(account.partner_id)) or 0
        if account.balance != expected:
            report.problems.append(f"account {account.id} ({account.kind.value}): balance {account.balance} "
                                   f"!= {expected} from the orders")
    return report


def this_year_months(today: date) -> tuple[str, str]:
    return f"{today.year}-01", f"{today:%Y-%m}"


# --- queries for the pages ---


def order_history(order: Redemption) -> list[dict]:
    """Each status of an order, oldest first, read from the audit log: ``at``, ``user_id``, ``status``, ``reason``."""
    from ..accounts.models import AuditLog

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


def account_of(kind: AccountKind, community_ids) -> dict[int, PointAccount]:
    """The communities' accounts of one kind that exist already (read-only: none is opened here)."""
    keys = [f"{kind.value}:{community_id}" for community_id in community_ids]
    if not keys:
        return {}
    return {account.community_id: account
            for account in db.session.scalars(select(PointAccount).where(PointAccount.owner_key.in_(keys)))}


def find_accounts(user: User, args: dict, text: str | None):
    """``accounts_query`` narrowed to holders whose name contains ``text``."""
    statement = accounts_query(user, args)
    return statement.where(PointAccount.name.contains(text, autoescape=True)) if text else statement


def gift_recipients(sender: PointAccount) -> list[Resident]:
    """Residents a volunteer may give points to under the community's rule (in difficulty only, if it says so)."""
    rule = rule_for(sender.community_id)
    if sender.kind != AccountKind.volunteer or not rule.gifts_enabled:
        return []
    statement = select(Resident).where(Resident.community_id == sender.community_id)
    if rule.gift_priority_only:
        statement = statement.where(Resident.priority_groups.any())
    return list(db.session.scalars(statement.order_by(Resident.name, Resident.id).limit(500)))
