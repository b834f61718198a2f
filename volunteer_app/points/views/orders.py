"""Orders: one order with its history and the actions the viewer may take, and the coordinators'
list of orders by status.
"""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ...accounts.models import User
from ...accounts.policy import current_actor
from ...extensions import db
from ...resources import paginate
from ...views import RECORD_ID, FormProblems, load_query, names_by_id, save, scoped_options, staff_required
from .. import schemas, service
from ..labels import POINTS_LABELS
from ..models import Partner, Redemption, RedemptionStatus, Transfer
from . import bp
from .common import (
    PER_PAGE, allowed_actions, managed_communities, next_url, shown, status_of,
)
from ...labels import label


# --- one order ---------------------------------------------------------------------------------------

def render_order(order: Redemption, problems: FormProblems | None = None):
    actor = current_actor()
    history = service.order_history(actor, order)
    users = names_by_id(User, [h["user_id"] for h in history])
    transfers = names_by_id(Transfer, [order.hold_transfer_id, order.settle_transfer_id, order.refund_transfer_id])
    return render_template("points/order.html", order=order, history=history, users=users, transfers=transfers,
                           problems=problems, actions=allowed_actions(order),
                           mine=service.owns(actor, order.account)), status_of(problems)


@bp.get(f"/points/redemptions/<{RECORD_ID}:order_id>")
@login_required
def order(order_id: int):
    """The order a notification links to: its status history, amounts and what the viewer may do."""
    return render_order(service.get_redemption(current_actor(), order_id))


@bp.post(f"/points/redemptions/<{RECORD_ID}:order_id>/<any(approve, fulfil, reject, cancel):action>")
@login_required
def order_action(order_id: int, action: str):
    actor = current_actor()
    found = service.get_redemption(actor, order_id)  # 404 for orders the caller may not see
    changed, problems = save(schemas.ReasonIn(), {"reason": request.form.get("reason", "").strip()},
                             lambda loaded: service.change_status(actor, found, action, loaded["reason"]))
    if problems is not None:
        db.session.expire_all()
        problems = shown(problems)
        if problems.errors.pop("status", None) is not None:
            problems.message = _("This order is now “%(status)s”; that is no longer possible.",
                                 status=str(label("order", found.status)))
        return render_order(found, problems)
    flash(str(POINTS_LABELS["done"][action]) % {"id": changed.id}, "success")
    return redirect(next_url(url_for("points_pages.order", order_id=changed.id)))


# --- coordinators: orders by status -------------------------------------------------------------------

def orders_args() -> dict:
    args = load_query(schemas.RedemptionQuery())
    if "status" not in request.args:
        args["status"] = RedemptionStatus.requested
    return args


@bp.get("/points/manage/orders")
@staff_required
def orders():
    """Orders in the caller's communities (as the partners' community or the payers'), by status."""
    args = orders_args()
    page = paginate(service.redemptions_query(current_actor(), args), args["page"], PER_PAGE)
    partner_choices = scoped_options(service.partners, Partner.community_id, Partner.name)
    return render_template("points/orders.html", page=page, args=args, partners=partner_choices,
                           communities=managed_communities(), statuses=[s.value for s in RedemptionStatus])
