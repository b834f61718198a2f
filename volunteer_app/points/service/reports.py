"""Reports on the books: a partner's monthly settlement, and the check that the ledger and
the orders agree.
"""
from datetime import date, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ...accounts import policy
from ...accounts.policy import Actor
from ...clock import CHINA_TIME
from ...extensions import db
from .. import ledger
from ..models import AccountKind, CatalogueItem, Partner, PointAccount, Redemption, RedemptionStatus
from .common import month_start_utc


def parse_month(text: str) -> tuple[int, int]:
    year, month = text.split("-")
    return int(year), int(month)


def settlement(actor: Actor, partner_id: int, from_month: str, to_month: str) -> dict:
    """What was redeemed with a partner (fulfilled orders), per local month and item."""
    partner = policy.get(actor, "points.settle", Partner, partner_id)
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


def check_books(actor: Actor) -> ledger.LedgerReport:
    """The ledger's invariants, plus what the orders say the holding and partner accounts must hold."""
    policy.require(actor, "points.check_books")
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
