"""The points ledger (积分账本): accounts, balanced transfers, append-only entries;
the earning rules of a community; partners, their catalogue, and redemption orders.

Every movement is a ``Transfer`` with exactly two ``Entry`` rows (−amount from
one account, +amount to another), so the total over all accounts is always
zero: each community has an ``issuance`` account from which earnings come.
Transfers and entries are never updated or deleted; a correction is a new
transfer that ``reverses`` the original. ``PointAccount.balance`` is a cache
of the sum of the account's entries, written in the same transaction as they
are, and checked against them by ``points verify``.
"""
import enum
from datetime import datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON, Boolean, CheckConstraint, DateTime, Enum, ForeignKey, Index, Integer, String, Time, UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import Audited, TimestampMixin, VersionedMixin, utcnow
from ..stored_words import Worded
from .labels import POINTS_LABELS


def _enum(cls: type[enum.Enum], length: int = 16) -> Enum:
    return Enum(cls, native_enum=False, length=length)


class AccountKind(str, enum.Enum):
    volunteer = "volunteer"
    resident = "resident"  # a resident in difficulty can receive gifts and redeem them
    community_pool = "community_pool"  # 社区积分池: gifts to the community, grants from it
    partner = "partner"  # redemption partner (物业公司, 红心超市): what it is owed for fulfilled orders
    holding = "holding"  # points of a community's orders that are requested or approved, not yet fulfilled
    issuance = "issuance"  # where a community's earnings come from; the only account that goes negative


COMMUNITY_ACCOUNTS = frozenset({AccountKind.community_pool, AccountKind.holding, AccountKind.issuance})


class PointAccount(TimestampMixin, db.Model):
    """One holder's points. ``owner_key`` makes "one account per owner" a database fact."""

    __tablename__ = "point_accounts"
    __table_args__ = (
        CheckConstraint("kind = 'issuance' OR balance >= 0", name="not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AccountKind] = mapped_column(_enum(AccountKind))
    owner_key: Mapped[str] = mapped_column(String(40), unique=True)  # e.g. volunteer:12, pool:3
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id", ondelete="SET NULL"))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("point_partners.id", ondelete="SET NULL"))
    # A snapshot: statements must still name the holder after the person record is gone (a community's
    # accounts: the community's name).
    name: Mapped[str] = mapped_column(String(80))
    balance: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def holder_name(self) -> str:
        """The account as people read it: a person or partner by name, a community's by what it is."""
        if self.kind in COMMUNITY_ACCOUNTS:
            return str(_l("%(account)s of %(community)s", account=POINTS_LABELS["account"][self.kind.value],
                          community=self.name))
        return self.name


class TransferKind(str, enum.Enum):
    earning = "earning"  # issuance → volunteer, for service
    redemption = "redemption"  # payer → holding, when an order is placed
    settlement = "settlement"  # holding → partner, when the order is fulfilled
    gift = "gift"  # volunteer → resident or community pool
    grant = "grant"  # community pool → resident or volunteer
    reversal = "reversal"  # undoes ``reverses``: to → from, same amount
    service_charge = "service_charge"  # payer → community pool, for a priced service (booking or request)


class Transfer(db.Model):
    """A movement of points between two accounts; its two entries sum to zero."""

    __tablename__ = "point_transfers"
    __table_args__ = (
        CheckConstraint("amount > 0", name="positive"),
        CheckConstraint("from_account_id <> to_account_id", name="two_accounts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TransferKind] = mapped_column(_enum(TransferKind))
    amount: Mapped[int] = mapped_column(Integer)
    from_account_id: Mapped[int] = mapped_column(ForeignKey("point_accounts.id"), index=True)
    to_account_id: Mapped[int] = mapped_column(ForeignKey("point_accounts.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)  # whose books it is on
    # Unique: a transfer can be reversed once, whoever tries concurrently.
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("point_transfers.id"), unique=True)
    memo: Mapped[str] = mapped_column(String(200), default="")
    memo_words: Mapped[dict | None] = mapped_column(JSON)
    memo_text = Worded("memo")  # set and shown through this: the app's memos are kept as words
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    from_account: Mapped[PointAccount] = relationship(foreign_keys=[from_account_id], lazy="joined")
    to_account: Mapped[PointAccount] = relationship(foreign_keys=[to_account_id], lazy="joined")
    entries: Mapped[list["Entry"]] = relationship(back_populates="transfer", order_by="Entry.id")
    reverses: Mapped["Transfer | None"] = relationship(remote_side=[id], foreign_keys=[reverses_id])


class Entry(db.Model):
    """One side of a transfer on one account; ``balance_after`` is the running balance.

    Written right after the account row is locked, so on each account the ids
    follow the order in which the balance changed.
    """

    __tablename__ = "point_entries"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="not_zero"),
        Index("ix_point_entries_account_id_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("point_transfers.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("point_accounts.id"))
    amount: Mapped[int] = mapped_column(Integer)  # signed
    balance_after: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    transfer: Mapped[Transfer] = relationship(back_populates="entries")


def _append_only(mapper, connection, target) -> None:
    raise RuntimeError(f"{target.__tablename__} is an append-only ledger: post a reversing transfer instead")


for _ledger_model in (Transfer, Entry):
    event.listen(_ledger_model, "before_update", _append_only)
    event.listen(_ledger_model, "before_delete", _append_only)


class Approval(str, enum.Enum):
    auto = "auto"  # points are posted as soon as the service is confirmed
    coordinator = "coordinator"  # a coordinator of the community approves each earning


class EarningRule(Audited, VersionedMixin, db.Model):
    """How a community turns service into points, and what its volunteers may do with them.

    Multipliers are whole percentages (150 = ×1.5) so points stay integers;
    when several apply (a holiday evening call-out) the largest one counts.
    """

    __tablename__ = "point_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), unique=True)
    default_rate: Mapped[int] = mapped_column(Integer, default=10)  # points per hour of service
    rates: Mapped[dict] = mapped_column(JSON, default=dict)  # service type → points per hour
    evening_from: Mapped[time] = mapped_column(Time, default=time(18, 0))
    evening_percent: Mapped[int] = mapped_column(Integer, default=150)
    holiday_percent: Mapped[int] = mapped_column(Integer, default=200)
    callout_percent: Mapped[int] = mapped_column(Integer, default=200)
    weekly_cap: Mapped[int | None] = mapped_column(Integer)  # per volunteer; None: no cap
    approval: Mapped[Approval] = mapped_column(_enum(Approval, 12), default=Approval.auto)
    gifts_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    gift_priority_only: Mapped[bool] = mapped_column(Boolean, default=True)  # only residents of a 重点人群
    gift_max_per_transfer: Mapped[int] = mapped_column(Integer, default=50)
    gift_max_per_month: Mapped[int] = mapped_column(Integer, default=200)
    cross_community: Mapped[bool] = mapped_column(Boolean, default=False)


class EarningStatus(str, enum.Enum):
    pending = "pending"  # waiting for a coordinator's approval
    posted = "posted"
    capped = "capped"  # nothing posted: the weekly cap was already reached
    rejected = "rejected"  # refused by a coordinator, or its source was undone while pending
    reversed = "reversed"  # posted, then its source was undone


class Earning(TimestampMixin, db.Model):
    """The points due for one source (an assignment served, a request resolved and rated).

    Unique on the source, so a source earns at most once even when two
    requests post it at the same time.
    """

    __tablename__ = "point_earnings"
    __table_args__ = (UniqueConstraint("source_kind", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_kind: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int] = mapped_column(Integer)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id", ondelete="SET NULL"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)  # local time of the service
    minutes: Mapped[int] = mapped_column(Integer)
    service_type: Mapped[str | None] = mapped_column(String(32))
    flags: Mapped[list] = mapped_column(JSON, default=list)
    rate: Mapped[int] = mapped_column(Integer)
    percent: Mapped[int] = mapped_column(Integer)
    base_points: Mapped[int] = mapped_column(Integer)  # before the weekly cap
    points: Mapped[int] = mapped_column(Integer, default=0)  # what was posted
    status: Mapped[EarningStatus] = mapped_column(_enum(EarningStatus, 10), default=EarningStatus.pending)
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("point_transfers.id"))
    reason: Mapped[str] = mapped_column(String(200), default="")
    reason_words: Mapped[dict | None] = mapped_column(JSON)
    reason_text = Worded("reason")
    decided_by_id: Mapped[int | None] = mapped_column(Integer)

    transfer: Mapped[Transfer | None] = relationship()


class PartnerKind(str, enum.Enum):
    property_company = "property_company"  # 物业公司
    shop = "shop"  # 商户 / 红心物业超市
    service_provider = "service_provider"
    other = "other"


class Partner(Audited, VersionedMixin, db.Model):  # 兑换合作方
    __tablename__ = "point_partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[PartnerKind] = mapped_column(_enum(PartnerKind, 20))
    contact_name: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ItemKind(str, enum.Enum):
    service = "service"  # e.g. one carpet cleaning by the property company
    fee_discount = "fee_discount"  # a fixed amount off a fee (物业费抵扣)
    goods = "goods"  # goods with a stock


class CatalogueItem(Audited, VersionedMixin, db.Model):
    """Something a partner offers for points; ``stock`` None means unlimited (goods always have one)."""

    __tablename__ = "point_items"
    __table_args__ = (
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
        CheckConstraint("price > 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("point_partners.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)  # the partner's
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[ItemKind] = mapped_column(_enum(ItemKind, 12))
    price: Mapped[int] = mapped_column(Integer)  # points
    stock: Mapped[int | None] = mapped_column(Integer)
    face_value_fen: Mapped[int | None] = mapped_column(Integer)  # fee discounts: amount off, in fen
    description: Mapped[str] = mapped_column(String(256), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    partner: Mapped[Partner] = relationship()


class RedemptionStatus(str, enum.Enum):
    requested = "requested"
    approved = "approved"
    fulfilled = "fulfilled"
    rejected = "rejected"
    cancelled = "cancelled"


class Redemption(Audited, VersionedMixin, db.Model):
    """An order for a catalogue item, paid in points (the audit log keeps each status change).

    Unique on (paying account, idempotency key): a retried request finds the
    first order instead of paying twice.
    """

    __tablename__ = "point_redemptions"
    __table_args__ = (UniqueConstraint("account_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("point_accounts.id"), index=True)
    payer_community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("point_items.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("point_partners.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)  # the partner's
    idempotency_key: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    status: Mapped[RedemptionStatus] = mapped_column(_enum(RedemptionStatus, 10), default=RedemptionStatus.requested,
                                                     index=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(String(200), default="")  # why rejected or cancelled
    hold_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("point_transfers.id"))
    settle_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("point_transfers.id"))
    refund_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("point_transfers.id"))
    requested_by_id: Mapped[int | None] = mapped_column(Integer)
    decided_by_id: Mapped[int | None] = mapped_column(Integer)
    fulfilled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)

    account: Mapped[PointAccount] = relationship()
    item: Mapped[CatalogueItem] = relationship()
    partner: Mapped[Partner] = relationship()
