"""Grants from the pool, the accounts list, one transfer and its correction."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ...accounts import policy
from ...accounts.models import User
from ...accounts.policy import current_actor
from ...extensions import db
from ...people import service as people
from ...people.models import Resident, Volunteer
from ...places.models import Community
from ...resources import paginate
from ...views import RECORD_ID, FormProblems, load_query, names_by_id, save, scoped_options, staff_required
from .. import schemas, service
from ..ledger import reversal_of
from ..models import AccountKind, Transfer, TransferKind
from . import bp
from .common import PER_PAGE, managed_communities, shown, status_of


# --- grants, accounts, transfers and corrections ------------------------------------------------------------

@bp.get("/points/transfers/find")
@staff_required
def transfer_find():
    number = request.args.get("transfer_id", "").strip()
    if not number.isdigit() or not 1 <= int(number) <= 2**31 - 1:
        flash(_("Enter the number of a transfer (流水号), e.g. 12."), "error")
        return redirect(url_for("points_pages.manage"))
    return redirect(url_for("points_pages.transfer", transfer_id=int(number)))


def render_grants(values: dict, problems: FormProblems | None = None):
    communities = managed_communities()
    ids = [c.id for c in communities]
    volunteers = [v for v in scoped_options(people.volunteers, Volunteer.community_id, Volunteer.name)
                  if v.community_id in ids]
    residents = [r for r in scoped_options(people.residents, Resident.community_id, Resident.name)
                 if r.community_id in ids]
    return render_template("points/grants.html", communities=communities, values=values, problems=problems,
                           pools=service.account_of(current_actor(), AccountKind.community_pool, ids),
                           volunteers=volunteers,
                           residents=residents), status_of(problems)


@bp.route("/points/manage/grants", methods=["GET", "POST"])
@staff_required
def grants():
    """Give points from a community's pool to one of its residents or volunteers."""
    if request.method != "POST":
        communities = managed_communities()
        return render_grants({"community_id": str(communities[0].id) if len(communities) == 1 else ""})
    values = {key: request.form.get(key, "").strip() for key in ("community_id", "recipient", "amount", "memo")}
    data = {"community_id": values["community_id"] or None, "amount": values["amount"] or None,
            "memo": values["memo"]}
    kind, _sep, holder = values["recipient"].partition(":")
    if kind in ("volunteer", "resident") and holder:
        data[f"{kind}_id"] = holder
    transfer, problems = save(schemas.GrantIn(), data, lambda loaded: service.grant(
        current_actor(), loaded["community_id"], loaded["amount"], loaded.get("resident_id"), loaded.get("volunteer_id"),
        loaded["memo"]))
    if problems is not None:
        db.session.expire_all()
        return render_grants(values, shown(problems, resident_id="recipient", volunteer_id="recipient"))
    flash(_("%(amount)s points granted to %(name)s from the pool.", amount=transfer.amount,
            name=transfer.to_account.holder_name), "success")
    return redirect(url_for("points_pages.transfer", transfer_id=transfer.id))


@bp.get("/points/accounts")
@staff_required
def accounts():
    args = load_query(schemas.AccountQuery())
    text = request.args.get("q", "").strip()[:40]
    page = paginate(service.find_accounts(current_actor(), args, text), args["page"], PER_PAGE)
    return render_template("points/accounts.html", page=page, args=args, q=text, communities=managed_communities(),
                           names=names_by_id(Community, [a.community_id for a in page["items"]]),
                           kinds=[k.value for k in AccountKind])


def render_transfer(transfer: Transfer, problems: FormProblems | None = None):
    reversal = reversal_of(transfer)
    correctable = (policy.may(current_actor(), "points.manage", transfer)
                   and transfer.kind != TransferKind.reversal and reversal is None)
    return render_template("points/transfer.html", transfer=transfer, reversal=reversal, problems=problems,
                           correctable=correctable, order_id=(transfer.details or {}).get("redemption_id"),
                           creator=db.session.get(User, transfer.created_by_id) if transfer.created_by_id else None,
                           ), status_of(problems)


@bp.get(f"/points/transfers/<{RECORD_ID}:transfer_id>")
@login_required
def transfer(transfer_id: int):
    return render_transfer(service.get_transfer(current_actor(), transfer_id))


@bp.post(f"/points/transfers/<{RECORD_ID}:transfer_id>/reverse")
@staff_required
def transfer_reverse(transfer_id: int):
    """Correct a gift, grant or earning with a reversing transfer, saying why."""
    actor = current_actor()
    original = service.get_transfer(actor, transfer_id)
    reversal, problems = save(schemas.CorrectionIn(), {"reason": request.form.get("reason", "").strip()},
                              lambda loaded: service.correct(actor, original.id, loaded["reason"]))
    if problems is not None:
        db.session.expire_all()
        return render_transfer(original, shown(problems, transfer_id="reason"))
    flash(_("Transfer No. %(id)s corrected.", id=original.id), "success")
    return redirect(url_for("points_pages.transfer", transfer_id=reversal.id if reversal else original.id))
