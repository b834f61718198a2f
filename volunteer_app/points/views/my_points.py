"""A volunteer's or resident's own points: the catalogue with redemption (ask, confirm, order),
the statement, earnings and orders, and gifts (volunteers only).
"""
import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from marshmallow import ValidationError

from ...accounts.policy import current_actor
from ...errors import NotFound
from ...extensions import db
from ...models_base import utcnow
from ...places.models import Building, Community
from ...resources import PageArgs, commit, paginate
from ...views import RECORD_ID, FormProblems, blank_to_none, load_query, names_by_id, save
from .. import schemas, service
from ..models import AccountKind, CatalogueItem, EarningStatus, PointAccount, RedemptionStatus
from . import bp
from .common import CATALOGUE_PER_PAGE, PER_PAGE, service_types, shown, status_of


#: Orders shown on the overview.
RECENT = 5


# --- my points ------------------------------------------------------------------------------------

def my_account() -> PointAccount | None:
    """The caller's own account, opened on first use; None when the user holds no points."""
    try:
        account = service.own_account(current_actor())
    except NotFound:
        return None
    commit()
    return account


def require_my_account() -> PointAccount:
    account = my_account()
    if account is None:
        raise NotFound(_("Your user is not linked to a volunteer or resident, so it has no points."))
    return account


def render_my_points(account: PointAccount | None, problems: FormProblems | None = None, target: int | None = None,
                     values: dict | None = None):
    context = {"account": account, "problems": problems, "target": target, "values": values or {}}
    if account is not None:
        actor = current_actor()
        args = load_query(schemas.ItemQuery())
        catalogue = paginate(service.items.filtered(actor, args).order_by(
            CatalogueItem.community_id, CatalogueItem.partner_id, CatalogueItem.price, CatalogueItem.id),
            args["page"], CATALOGUE_PER_PAGE)
        orders = db.session.scalars(service.redemptions_query(actor, {"account_id": account.id})
                                    .limit(RECENT)).all()
        pending = []
        if account.kind == AccountKind.volunteer:
            pending = db.session.scalars(service.earnings_query(actor, {
                "volunteer_id": account.volunteer_id, "status": EarningStatus.pending})).all()
        context.update(catalogue=catalogue, args=args, orders=orders, pending=pending,
                       communities=names_by_id(Community, [i.community_id for i in catalogue["items"]]),
                       shortfalls={item.id: service.Quote(item, 1, account.balance).shortfall
                                   for item in catalogue["items"]})
    return render_template("points/my.html", **context), status_of(problems)


@bp.get("/points/my")
@login_required
def my_points():
    return render_my_points(my_account())


def redeem_values(source) -> tuple[dict, dict]:
    """A redeem form (the catalogue's ask, the confirmation's send) as its values and the schema's input."""
    values = {key: source.get(key, "").strip() for key in ("item_id", "quantity", "idempotency_key", "note")}
    data = blank_to_none(values, ("item_id", "quantity", "idempotency_key"))
    data["note"] = values["note"]
    return values, data


def redeem_refused(account: PointAccount, problems: FormProblems, values: dict):
    """The catalogue again, the refusal shown at the item."""
    db.session.expire_all()
    target = int(values["item_id"]) if values["item_id"].isdigit() else None
    return render_my_points(account, shown(problems), target, values)


@bp.get("/points/my/redeem")
@login_required
def my_redeem_confirm():
    """The step before redeeming: the item, its points and the balance after; nothing is taken yet."""
    account = require_my_account()
    values, data = redeem_values(request.args)
    data.pop("idempotency_key")  # the confirmation makes one
    offer, problems = save(schemas.RedemptionIn(), data,
                           lambda loaded: service.quote(current_actor(), account, loaded["item_id"],
                                                        loaded["quantity"]))
    if problems is not None:
        return redeem_refused(account, problems, values)
    return render_template("points/redeem_confirm.html", account=account, offer=offer, note=values["note"],
                           key=uuid.uuid4().hex)


@bp.post("/points/my/redeem")
@login_required
def my_redeem():
    """Redeem an item once confirmed; the key generated into the confirmation makes a double submit find the
    first order."""
    account = require_my_account()
    values, data = redeem_values(request.form)

    def redeem(loaded: dict):
        if not loaded.get("idempotency_key"):
            raise ValidationError({"idempotency_key": [_("This form is out of date. Reload the page.")]})
        return service.redeem(current_actor(), account, loaded["item_id"], loaded["quantity"],
                              loaded["idempotency_key"], loaded["note"])

    result, problems = save(schemas.RedemptionIn(), data, redeem)
    if problems is not None:
        return redeem_refused(account, problems, values)
    order, created = result
    if created:
        flash(_("Order No. %(id)s placed: %(item)s × %(quantity)s for %(points)s points. It waits for approval.",
                id=order.id, item=order.item.name, quantity=order.quantity, points=order.points), "success")
    else:
        flash(_("This order was already placed (No. %(id)s); nothing was redeemed twice.", id=order.id), "warning")
    return redirect(url_for("points_pages.order", order_id=order.id))


def render_statement(account: PointAccount, mine: bool):
    args = load_query(PageArgs())
    page = paginate(service.statement_query(current_actor(), account), args["page"], PER_PAGE)
    return render_template("points/statement.html", account=account, page=page, mine=mine,
                           community=db.session.get(Community, account.community_id))


@bp.get("/points/my/statement")
@login_required
def my_statement():
    return render_statement(require_my_account(), mine=True)


@bp.get(f"/points/accounts/<{RECORD_ID}:account_id>")
@login_required
def account_statement(account_id: int):
    """Any account the caller holds or manages; others' accounts are 404."""
    actor = current_actor()
    account = service.get_account(actor, account_id)
    return render_statement(account, mine=service.owns(actor, account))


@bp.get("/points/my/earnings")
@login_required
def my_earnings():
    account = require_my_account()
    if account.kind != AccountKind.volunteer:
        raise NotFound(_("Only volunteers earn points for service."))
    args = load_query(schemas.EarningQuery())
    args["volunteer_id"] = account.volunteer_id
    page = paginate(service.earnings_query(current_actor(), args), args["page"], PER_PAGE)
    return render_template("points/my_earnings.html", account=account, page=page, args=args,
                           statuses=[s.value for s in EarningStatus], service_types=service_types())


@bp.get("/points/my/orders")
@login_required
def my_orders():
    account = require_my_account()
    args = load_query(schemas.RedemptionQuery())
    args["account_id"] = account.id
    page = paginate(service.redemptions_query(current_actor(), args), args["page"], PER_PAGE)
    return render_template("points/my_orders.html", account=account, page=page, args=args,
                           statuses=[s.value for s in RedemptionStatus])


def render_gift(account: PointAccount, values: dict, problems: FormProblems | None = None):
    rule = service.rule_for(account.community_id)
    actor = current_actor()
    sent = service.gifted_this_month(actor, account, utcnow())
    residents = service.gift_recipients(actor, account)
    buildings = names_by_id(Building, [r.building_id for r in residents])
    return render_template("points/gift.html", account=account, rule=rule, sent=sent, residents=residents,
                           buildings=buildings, values=values, problems=problems), status_of(problems)


@bp.route("/points/my/gift", methods=["GET", "POST"])
@login_required
def my_gift():
    """Volunteers give points to a resident in difficulty or to the community pool, within the rule's limits."""
    account = require_my_account()  # the service refuses (403) anyone but the volunteer who holds it
    if request.method != "POST":
        return render_gift(account, {})
    values = {key: request.form.get(key, "").strip() for key in ("recipient", "amount", "memo")}
    data = {"amount": values["amount"] or None, "memo": values["memo"], "to_pool": values["recipient"] == "pool"}
    if values["recipient"] not in ("", "pool"):
        data["resident_id"] = values["recipient"]
    transfer, problems = save(schemas.GiftIn(), data, lambda loaded: service.gift(
        current_actor(), account, loaded["amount"], loaded.get("resident_id"), loaded["to_pool"], loaded["memo"]))
    if problems is not None:
        db.session.expire_all()
        return render_gift(account, values, shown(problems, resident_id="recipient", to_pool="recipient"))
    flash(_("Thank you! You gave %(amount)s points to %(name)s.", amount=transfer.amount,
            name=transfer.to_account.holder_name), "success")
    return redirect(url_for("points_pages.my_points"))
