"""Points pages (积分兑换): my points, statement, earnings, catalogue and orders, gifts
(volunteers and residents); order details; the partner page with its orders and
monthly settlement; and the coordinators' rules, approvals, catalogue, grants,
corrections and ledger check.

Thin like the points API: a form becomes the dict the API's marshmallow
schema loads, the same service function runs, the request commits once, and a
refusal comes back as problems shown next to the field it names. Partners have
no logins of their own: the coordinators of a partner's community act for it.
"""
import re
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from marshmallow import Schema, ValidationError
from sqlalchemy import func, select

from ..accounts.models import Role, User
from ..accounts.scoping import current_scope
from ..errors import Conflict, Forbidden, NotFound
from ..extensions import db
from ..models_base import utcnow
from ..people import service as people
from ..people.models import Resident, Skill, Volunteer
from ..places import service as places
from ..places.models import Building, Community
from ..resources import PageArgs, commit, paginate, versioned_update
from ..views import (
    RECORD_ID, FormProblems, blank_to_none, flatten_errors, form_rows, form_view, hhmm, load_query, names_by_id,
    patch_schema, save, scoped_options, skill_name, staff_required, translate_error,
)
from . import schemas, service
from .ledger import reversal_of
from .models import (
    AccountKind, Approval, CatalogueItem, EarningRule, EarningStatus, ItemKind, Partner, PartnerKind, PointAccount,
    Redemption, RedemptionStatus, Transfer, TransferKind,
)

bp = Blueprint("points_pages", __name__)

#: Lines of a statement, earnings or orders on one page (phones scroll, but not forever).
PER_PAGE = 20
#: Catalogue items and partner lists on one page; a community offers a few dozen.
CATALOGUE_PER_PAGE = 60
#: Orders shown on the overview and per status on the partner page.
RECENT = 5
PARTNER_ORDERS = 50
#: Rate lines offered blank on the rules form, so it works without script.
BLANK_RATE_ROWS = 2


# --- labels -------------------------------------------------------------------------------------

POINTS_LABELS = {
    "transfer": {"earning": _l("Earned for service"), "redemption": _l("Redemption"),
                 "settlement": _l("Paid to the partner"), "gift": _l("Gift"), "grant": _l("Grant from the pool"),
                 "reversal": _l("Correction or refund")},
    "earning": {"pending": _l("Awaiting approval"), "posted": _l("Posted"), "capped": _l("Weekly cap reached"),
                "rejected": _l("Rejected"), "reversed": _l("Reversed")},
    "order": {"requested": _l("Awaiting approval"), "approved": _l("Approved, to be fulfilled"),
              "fulfilled": _l("Order fulfilled"), "rejected": _l("Rejected"), "cancelled": _l("Cancelled")},
    "action": {"approve": _l("Approve"), "fulfil": _l("Mark fulfilled"), "reject": _l("Reject"),
               "cancel": _l("Cancel the order")},
    "done": {"approve": _l("Order No. %(id)s approved."), "fulfil": _l("Order No. %(id)s fulfilled."),
             "reject": _l("Order No. %(id)s rejected; the points went back."),
             "cancel": _l("Order No. %(id)s cancelled; the points went back.")},
    "item_kind": {"service": _l("Service"), "fee_discount": _l("Fee discount"), "goods": _l("Goods")},
    "partner_kind": {"property_company": _l("Property company"), "shop": _l("Shop"),
                     "service_provider": _l("Service provider"), "other": _l("Other")},
    "approval": {"auto": _l("Automatically"), "coordinator": _l("After a coordinator approves")},
    "account": {"volunteer": _l("Volunteer"), "resident": _l("Resident"), "community_pool": _l("Community pool"),
                "partner": _l("Partner"), "holding": _l("Orders in progress"), "issuance": _l("Issuance")},
    "flag": {"evening": _l("Evening"), "holiday": _l("Public holiday"), "callout": _l("Emergency call-out")},
    "source": {"assignment": _l("Roster duty"), "request": _l("Service request")},
    "service_type": {"shift": _l("Duty shift"), "task": _l("Task")},
}

#: Service refusals are English API text; shown here in the page's language.
_POINTS_TEXTS: list[tuple[re.Pattern, object]] = [(re.compile(p), msg) for p, msg in (
    (r"needs (?P<needed>\d+) points, the balance is (?P<balance>-?\d+)",
     _l("Needs %(needed)s points, but the balance is %(balance)s.")),
    (r"only (?P<stock>\d+) in stock", _l("Only %(stock)s left in stock.")),
    (r"no such item on offer", _l("This item is not on offer.")),
    (r"offered in another community; cross-community redemption is not allowed",
     _l("This item is offered in another community, and the rules do not allow redeeming there.")),
    (r"at most (?P<max>\d+) per gift", _l("At most %(max)s points per gift.")),
    (r"at most (?P<left>\d+) more this month \(limit (?P<limit>\d+)\)",
     _l("At most %(left)s more points this month (the limit is %(limit)s a month).")),
    (r"no such resident in your community", _l("Not a resident of your community.")),
    (r"not in a priority group .*", _l("Gifts go only to residents in difficulty (低保, 残疾, 独居 …).")),
    (r"give either resident_id or to_pool=true", _l("Choose a resident or the community pool.")),
    (r"give either resident_id or volunteer_id", _l("Choose one resident or one volunteer.")),
    (r"not in this community", _l("Not in this community.")),
    (r"required when rejecting", _l("Say why.")),
    (r"required for goods \(0 or more\)", _l("Goods need a stock (0 or more).")),
    (r"required for fee_discount, not allowed otherwise",
     _l("A fee discount needs its amount in yuan; other kinds have none.")),
    (r"partner is in another community", _l("This partner is in another community.")),
    (r"cannot be changed; create a new record there", _l("Cannot move to another community.")),
    (r"already has rule \d+; change that one", _l("This community has its rules already.")),
    (r"already reversed", _l("Already corrected.")),
    (r"is a reversal", _l("A correction cannot itself be corrected.")),
    (r"is a (redemption|settlement)", _l("Orders are corrected by rejecting or cancelling the order.")),
    (r"deactivate instead of deleting", _l("It is in use: switch it off (not on offer) instead of deleting it.")),
    (r"must be a whole number of at least 1", _l("Enter a whole number of at least 1.")),
    (r"use YYYY-MM, e\.g\. \S+", _l("Enter a month as YYYY-MM, e.g. 2026-11.")),
    (r"must not be before from_month", _l("The last month must not be before the first.")),
    (r"send the Idempotency-Key header or this field", _l("This form is out of date. Reload the page.")),
)]


def status_of(problems: FormProblems | None) -> int:
    return problems.status if problems else 200


def points_label(kind: str, value) -> str:
    key = getattr(value, "value", value)
    text = POINTS_LABELS.get(kind, {}).get(key)
    return str(text) if text is not None else str(key)


def say(text: str) -> str:
    """A service or schema message in the page's language."""
    return translate_error(text, _POINTS_TEXTS)


def shown(problems: FormProblems | None, **renamed) -> FormProblems | None:
    """Translate the problems and move some under the form field that shows them (``resident_id="recipient"``)."""
    if problems is None:
        return None
    errors: dict[str, list[str]] = {}
    for key, messages in problems.errors.items():
        errors.setdefault(renamed.get(key, key), []).extend(say(m) for m in messages)
    problems.errors = errors
    return problems


def local_time(moment) -> str:
    """A stored UTC moment in China time (Flask-Babel's configured zone)."""
    return format_datetime(moment, "yyyy-MM-dd HH:mm") if moment else ""


@bp.app_template_filter("yuan")
def yuan(fen: int | None) -> str:
    return f"¥{Decimal(fen) / 100:.2f}" if fen is not None else ""


def yuan_to_fen(text: str):
    """``"10.5"`` → 1050; anything else is passed on for the schema to refuse."""
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return text
    fen = amount * 100
    return int(fen) if amount.is_finite() and fen == fen.to_integral_value() else text


def service_types() -> dict[str, str]:
    """Names of the service types an earning rule rates: duty shifts, tasks and the skills."""
    names = {code: points_label("service_type", code) for code in ("shift", "task")}
    names.update({skill.code: skill_name(skill) for skill in scoped_options(people.skills, Skill.code)})
    return names


def next_url(default: str) -> str:
    """Where a form came from (a local path only), else ``default``."""
    target = request.form.get("next", "")
    local = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if local else default


def allowed_actions(order: Redemption) -> list[str]:
    """What the current user may do to the order now, asked of the service's own rules."""
    actions = []
    for action, (starts, _target) in service.TRANSITIONS.items():
        if order.status not in starts:
            continue
        try:
            service.may_act(current_user, order, action)
        except (Forbidden, Conflict):
            continue
        actions.append(action)
    return actions


@bp.context_processor
def points_helpers():
    return {"points_label": points_label, "local_time": local_time, "allowed_actions": allowed_actions,
            "is_staff": current_user.is_authenticated and service.is_coordinator(current_user)}


def managed_communities() -> list[Community]:
    """Communities whose points the caller manages (a grid's community is visible, not managed)."""
    scope = current_scope()
    return [c for c in scoped_options(places.communities, Community.code) if scope.allows(c.id)]


def in_scope_community(community_id: int) -> Community:
    community = db.session.get(Community, community_id)
    if community is None or not current_scope().allows(community.id):
        raise NotFound(f"community {community_id} not found")
    return community


# --- my points ------------------------------------------------------------------------------------

def my_account() -> PointAccount | None:
    """The caller's own account, opened on first use; None when the user holds no points."""
    try:
        account = service.own_account(current_user)
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
        args = load_query(schemas.ItemQuery())
        catalogue = paginate(service.items.filtered(args).order_by(
            CatalogueItem.community_id, CatalogueItem.partner_id, CatalogueItem.price, CatalogueItem.id),
            args["page"], CATALOGUE_PER_PAGE)
        orders = db.session.scalars(service.redemptions_query(current_user, {"account_id": account.id})
                                    .limit(RECENT)).all()
        pending = []
        if account.kind == AccountKind.volunteer:
            pending = db.session.scalars(service.earnings_query(current_user, {
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
                           lambda loaded: service.quote(account, loaded["item_id"], loaded["quantity"]))
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
            raise ValidationError({"idempotency_key": ["send the Idempotency-Key header or this field"]})
        return service.redeem(account, loaded["item_id"], loaded["quantity"], loaded["idempotency_key"],
                              loaded["note"], current_user)

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
    page = paginate(service.statement_query(account), args["page"], PER_PAGE)
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
    account = service.get_account(current_user, account_id)
    return render_statement(account, mine=service.owns(current_user, account))


@bp.get("/points/my/earnings")
@login_required
def my_earnings():
    account = require_my_account()
    if account.kind != AccountKind.volunteer:
        raise NotFound(_("Only volunteers earn points for service."))
    args = load_query(schemas.EarningQuery())
    args["volunteer_id"] = account.volunteer_id
    page = paginate(service.earnings_query(current_user, args), args["page"], PER_PAGE)
    return render_template("points/my_earnings.html", account=account, page=page, args=args,
                           statuses=[s.value for s in EarningStatus], service_types=service_types())


@bp.get("/points/my/orders")
@login_required
def my_orders():
    account = require_my_account()
    args = load_query(schemas.RedemptionQuery())
    args["account_id"] = account.id
    page = paginate(service.redemptions_query(current_user, args), args["page"], PER_PAGE)
    return render_template("points/my_orders.html", account=account, page=page, args=args,
                           statuses=[s.value for s in RedemptionStatus])


def render_gift(account: PointAccount, values: dict, problems: FormProblems | None = None):
    rule = service.rule_for(account.community_id)
    sent = service.gifted_this_month(account, utcnow())
    residents = service.gift_recipients(account)
    buildings = names_by_id(Building, [r.building_id for r in residents])
    return render_template("points/gift.html", account=account, rule=rule, sent=sent, residents=residents,
                           buildings=buildings, values=values, problems=problems), status_of(problems)


@bp.route("/points/my/gift", methods=["GET", "POST"])
@login_required
def my_gift():
    """Volunteers give points to a resident in difficulty or to the community pool, within the rule's limits."""
    account = require_my_account()
    if account.kind != AccountKind.volunteer:
        raise Forbidden(_("Only volunteers give points."))
    if request.method != "POST":
        return render_gift(account, {})
    values = {key: request.form.get(key, "").strip() for key in ("recipient", "amount", "memo")}
    data = {"amount": values["amount"] or None, "memo": values["memo"], "to_pool": values["recipient"] == "pool"}
    if values["recipient"] not in ("", "pool"):
        data["resident_id"] = values["recipient"]
    transfer, problems = save(schemas.GiftIn(), data, lambda loaded: service.gift(
        account, loaded["amount"], loaded.get("resident_id"), loaded["to_pool"], loaded["memo"]))
    if problems is not None:
        db.session.expire_all()
        return render_gift(account, values, shown(problems, resident_id="recipient", to_pool="recipient"))
    flash(_("Thank you! You gave %(amount)s points to %(name)s.", amount=transfer.amount,
            name=transfer.to_account.name), "success")
    return redirect(url_for("points_pages.my_points"))


# --- one order ---------------------------------------------------------------------------------------

def render_order(order: Redemption, problems: FormProblems | None = None):
    history = service.order_history(order)
    users = names_by_id(User, [h["user_id"] for h in history])
    transfers = names_by_id(Transfer, [order.hold_transfer_id, order.settle_transfer_id, order.refund_transfer_id])
    return render_template("points/order.html", order=order, history=history, users=users, transfers=transfers,
                           problems=problems, actions=allowed_actions(order),
                           mine=service.owns(current_user, order.account)), status_of(problems)


@bp.get(f"/points/redemptions/<{RECORD_ID}:order_id>")
@login_required
def order(order_id: int):
    """The order a notification links to: its status history, amounts and what the viewer may do."""
    return render_order(service.get_redemption(current_user, order_id))


@bp.post(f"/points/redemptions/<{RECORD_ID}:order_id>/<any(approve, fulfil, reject, cancel):action>")
@login_required
def order_action(order_id: int, action: str):
    found = service.get_redemption(current_user, order_id)  # 404 for orders the caller may not see

    def change(loaded: dict):
        service.may_act(current_user, found, action)
        return service.change_status(found, action, current_user, loaded["reason"])

    changed, problems = save(schemas.ReasonIn(), {"reason": request.form.get("reason", "").strip()}, change)
    if problems is not None:
        db.session.expire_all()
        problems = shown(problems)
        if problems.errors.pop("status", None) is not None:
            problems.message = _("This order is now “%(status)s”; that is no longer possible.",
                                 status=points_label("order", found.status))
        return render_order(found, problems)
    flash(str(POINTS_LABELS["done"][action]) % {"id": changed.id}, "success")
    return redirect(next_url(url_for("points_pages.order", order_id=changed.id)))


# --- partners: their page, orders and settlement ----------------------------------------------------------

def partner_values(partner: Partner | None) -> dict:
    if partner is None:
        communities = managed_communities()
        return {"community_id": str(communities[0].id) if len(communities) == 1 else "",
                "kind": PartnerKind.property_company.value, "active": True}
    return {"community_id": str(partner.community_id), "name": partner.name, "kind": partner.kind.value,
            "contact_name": partner.contact_name, "active": partner.active, "version": str(partner.version)}


def partner_form_values(form) -> dict:
    values = {key: form.get(key, "").strip() for key in ("community_id", "name", "kind", "contact_name", "version")}
    values["active"] = bool(form.get("active"))
    return values


def partner_payload(values: dict, partner: Partner | None) -> dict:
    data = {"name": values["name"], "kind": values["kind"] or None, "contact_name": values["contact_name"],
            "active": values["active"]}
    if partner is None:  # a partner stays in its community
        data["community_id"] = values["community_id"] or None
    return data


def partner_form(partner: Partner | None):
    return form_view(
        service=service.partners, in_schema=schemas.PartnerIn, obj=partner,
        values_for=partner_values, values_from_form=partner_form_values, payload=partner_payload,
        render=lambda values, problems: render_template(
            "points/partner_form.html", partner=partner, values=values, problems=shown(problems),
            communities=managed_communities(), kinds=[k.value for k in PartnerKind]),
        saved_message=lambda p: _("Partner %(name)s saved.", name=p.name),
        next_url=lambda p: url_for("points_pages.partner", partner_id=p.id),
    )


@bp.get("/points/partners")
@staff_required
def partners():
    args = load_query(schemas.PartnerQuery())
    page = paginate(service.partners.filtered(args).order_by(Partner.community_id, Partner.name, Partner.id),
                    args["page"], CATALOGUE_PER_PAGE)
    ids = [p.id for p in page["items"]]
    open_orders = {}
    if ids:
        inner = service.redemptions_query(current_user, {}).where(
            Redemption.partner_id.in_(ids),
            Redemption.status.in_((RedemptionStatus.requested, RedemptionStatus.approved))).order_by(None).subquery()
        open_orders = dict(db.session.execute(
            select(inner.c.partner_id, func.count()).group_by(inner.c.partner_id)).all())
    return render_template("points/partners.html", page=page, args=args, open_orders=open_orders,
                           communities=managed_communities(),
                           names=names_by_id(Community, [p.community_id for p in page["items"]]),
                           kinds=[k.value for k in PartnerKind])


@bp.route("/points/partners/new", methods=["GET", "POST"])
@staff_required
def partner_new():
    return partner_form(None)


@bp.route(f"/points/partners/<{RECORD_ID}:partner_id>/edit", methods=["GET", "POST"])
@staff_required
def partner_edit(partner_id: int):
    return partner_form(service.partners.get(partner_id))


@bp.post(f"/points/partners/<{RECORD_ID}:partner_id>/delete")
@staff_required
def partner_delete(partner_id: int):
    partner = service.partners.get(partner_id)
    service.partners.require_writer()
    _done, problems = save(Schema(), {}, lambda _nothing: service.partners.delete(partner))
    if problems is not None:
        flash(" ".join(say(m) for messages in problems.errors.values() for m in messages), "error")
        return redirect(url_for("points_pages.partner", partner_id=partner_id))
    flash(_("Partner %(name)s deleted.", name=partner.name), "success")
    return redirect(url_for("points_pages.partners"))


def settlement_range() -> tuple[str, str, FormProblems | None]:
    """The month range asked for in the query (this year so far by default); bad months are named."""
    first, last = service.this_year_months(date.today())
    raw = {key: request.args.get(key, "").strip() for key in ("from_month", "to_month")}
    try:
        loaded = schemas.MonthRange().load({key: value for key, value in raw.items() if value})
    except ValidationError as exc:
        return first, last, shown(FormProblems(422, flatten_errors(exc.messages)))
    return loaded.get("from_month", first), loaded.get("to_month", last), None


def render_partner(partner: Partner, problems: FormProblems | None = None, target: int | None = None):
    from_month, to_month, month_problems = settlement_range()
    problems = problems or month_problems
    orders = {status: db.session.scalars(service.redemptions_query(current_user, {
        "partner_id": partner.id, "status": status}).limit(PARTNER_ORDERS)).all()
        for status in (RedemptionStatus.requested, RedemptionStatus.approved)}
    offers = db.session.scalars(service.items.filtered({"partner_id": partner.id})
                               .order_by(CatalogueItem.name, CatalogueItem.id)).all()
    owed = db.session.scalar(select(PointAccount).where(PointAccount.partner_id == partner.id))
    return render_template(
        "points/partner.html", partner=partner, orders=orders, offers=offers, owed=owed,
        report=service.settlement(partner, from_month, to_month), from_month=from_month, to_month=to_month,
        problems=problems, target=target, community=db.session.get(Community, partner.community_id),
    ), status_of(problems)


@bp.get(f"/points/partners/<{RECORD_ID}:partner_id>")
@staff_required
def partner(partner_id: int):
    """What a partner has to do: orders to approve and fulfil, its catalogue and stock, its monthly settlement."""
    return render_partner(service.partners.get(partner_id))


# --- catalogue items -----------------------------------------------------------------------------------

ITEM_FIELDS = ("partner_id", "name", "kind", "price", "stock", "face_value_yuan", "description", "version")


def item_values(item: CatalogueItem | None) -> dict:
    if item is None:
        return {"partner_id": request.args.get("partner_id", ""), "kind": ItemKind.service.value, "active": True}
    return {"partner_id": str(item.partner_id), "name": item.name, "kind": item.kind.value, "price": str(item.price),
            "stock": "" if item.stock is None else str(item.stock),
            "face_value_yuan": "" if item.face_value_fen is None else f"{Decimal(item.face_value_fen) / 100:.2f}",
            "description": item.description, "active": item.active, "version": str(item.version)}


def item_form_values(form) -> dict:
    values = {key: form.get(key, "").strip() for key in ITEM_FIELDS}
    values["active"] = bool(form.get("active"))
    return values


def item_payload(values: dict, item: CatalogueItem | None) -> dict:
    data = blank_to_none(values, ("partner_id", "kind", "price", "stock"))
    data.update(name=values["name"], description=values["description"], active=values["active"],
                face_value_fen=yuan_to_fen(values["face_value_yuan"]) if values["face_value_yuan"] else None)
    return data


def item_problems(problems: FormProblems | None) -> FormProblems | None:
    problems = shown(problems, face_value_fen="face_value_yuan")
    if problems is not None and problems.get("face_value_yuan") == [str(translate_error("Not a valid integer."))]:
        problems.errors["face_value_yuan"] = [_("Enter an amount in yuan, e.g. 10 or 12.50.")]
    return problems


def item_form(item: CatalogueItem | None):
    return form_view(
        service=service.items, in_schema=schemas.ItemIn, obj=item,
        values_for=item_values, values_from_form=item_form_values, payload=item_payload,
        render=lambda values, problems: render_template(
            "points/item_form.html", item=item, values=values, problems=item_problems(problems),
            partners=scoped_options(service.partners, Partner.community_id, Partner.name),
            kinds=[k.value for k in ItemKind]),
        saved_message=lambda i: _("Item %(name)s saved.", name=i.name),
        next_url=lambda i: url_for("points_pages.partner", partner_id=i.partner_id, _anchor="items"),
    )


@bp.route("/points/items/new", methods=["GET", "POST"])
@staff_required
def item_new():
    return item_form(None)


@bp.route(f"/points/items/<{RECORD_ID}:item_id>/edit", methods=["GET", "POST"])
@staff_required
def item_edit(item_id: int):
    return item_form(service.items.get(item_id))


@bp.post(f"/points/items/<{RECORD_ID}:item_id>/stock")
@staff_required
def item_stock(item_id: int):
    """Set what is left of goods from the partner page (the version guards against concurrent orders)."""
    item = service.items.get(item_id)
    service.items.require_writer()
    data = {key: request.form.get(key, "").strip() or None for key in ("stock", "version")}
    _saved, problems = save(patch_schema(schemas.ItemIn), data,
                            lambda loaded: versioned_update(service.items, item, loaded))
    if problems is not None:
        db.session.expire_all()
        return render_partner(item.partner, shown(problems), target=item.id)
    flash(_("Stock of %(name)s is now %(stock)s.", name=item.name, stock=item.stock), "success")
    return redirect(url_for("points_pages.partner", partner_id=item.partner_id, _anchor=f"item-{item.id}"))


@bp.post(f"/points/items/<{RECORD_ID}:item_id>/delete")
@staff_required
def item_delete(item_id: int):
    item = service.items.get(item_id)
    service.items.require_writer()
    partner_id, name = item.partner_id, item.name
    _done, problems = save(Schema(), {}, lambda _nothing: service.items.delete(item))
    if problems is not None:
        flash(" ".join(say(m) for messages in problems.errors.values() for m in messages), "error")
    else:
        flash(_("Item %(name)s deleted.", name=name), "success")
    return redirect(url_for("points_pages.partner", partner_id=partner_id, _anchor="items"))


# --- coordinators: overview, rules, approvals ------------------------------------------------------------

def count(statement) -> int:
    return db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))


@bp.get("/points/manage")
@staff_required
def manage():
    """What waits for the coordinator, each community's pool and rules, and the ledger check."""
    communities = managed_communities()
    ids = [c.id for c in communities]
    rules = {rule.community_id: rule for rule in db.session.scalars(
        service.rules.base_query().where(EarningRule.community_id.in_(ids)))} if ids else {}
    return render_template(
        "points/manage.html", communities=communities, rules=rules,
        pools=service.account_of(AccountKind.community_pool, ids),
        holdings=service.account_of(AccountKind.holding, ids),
        pending=count(service.earnings_query(current_user, {"status": EarningStatus.pending})),
        requested=count(service.redemptions_query(current_user, {"status": RedemptionStatus.requested})),
        approved=count(service.redemptions_query(current_user, {"status": RedemptionStatus.approved})),
        # The check reads the whole installation's ledger: for the administrator, not every coordinator's visit.
        books=service.check_books() if current_user.role == Role.admin else None,
    )


@bp.get("/points/transfers/find")
@staff_required
def transfer_find():
    number = request.args.get("transfer_id", "").strip()
    if not number.isdigit() or not 1 <= int(number) <= 2**31 - 1:
        flash(_("Enter the number of a transfer (流水号), e.g. 12."), "error")
        return redirect(url_for("points_pages.manage"))
    return redirect(url_for("points_pages.transfer", transfer_id=int(number)))


RULE_NUMBERS = ("default_rate", "evening_percent", "holiday_percent", "callout_percent", "weekly_cap",
                "gift_max_per_transfer", "gift_max_per_month")
RULE_SWITCHES = ("gifts_enabled", "gift_priority_only", "cross_community")


def rule_values(rule) -> dict:
    values = {key: "" if getattr(rule, key) is None else str(getattr(rule, key)) for key in RULE_NUMBERS}
    values.update({key: bool(getattr(rule, key)) for key in RULE_SWITCHES})
    values.update(evening_from=hhmm(rule.evening_from), approval=rule.approval.value,
                  rates=[{"service_type": code, "rate": str(rate)} for code, rate in sorted(rule.rates.items())])
    if rule.id is not None:
        values["version"] = str(rule.version)
    return values


def rule_form_values(form) -> dict:
    values = {key: form.get(key, "").strip() for key in (*RULE_NUMBERS, "evening_from", "approval", "version")}
    values.update({key: bool(form.get(key)) for key in RULE_SWITCHES})
    values["rates"] = form_rows(form, "rates", ("service_type", "rate"), significant=("service_type", "rate"))
    return values


def rule_payload(community: Community):
    def payload(values: dict, rule) -> dict:
        data = blank_to_none(values, (*RULE_NUMBERS, "evening_from", "approval"))
        data.update({key: values[key] for key in RULE_SWITCHES})
        data["rates"] = {row["service_type"]: int(row["rate"]) if row["rate"].isdigit() else row["rate"] or None
                         for row in values["rates"]}
        if rule is None:
            data["community_id"] = community.id
        return data
    return payload


@bp.get("/points/manage/rules")
@staff_required
def rules():
    communities = managed_communities()
    ids = [c.id for c in communities]
    saved = {rule.community_id: rule for rule in db.session.scalars(
        service.rules.base_query().where(EarningRule.community_id.in_(ids)))} if ids else {}
    return render_template("points/rules.html", communities=communities,
                           rules={c.id: saved.get(c.id) or service.default_rule(c.id) for c in communities},
                           saved=saved, service_types=service_types())


@bp.route(f"/points/manage/rules/<{RECORD_ID}:community_id>", methods=["GET", "POST"])
@staff_required
def rule_edit(community_id: int):
    """A community's earning rule, edited through the API's schema; the version catches concurrent edits."""
    community = in_scope_community(community_id)
    rule = db.session.scalar(service.rules.base_query().where(EarningRule.community_id == community.id))
    return form_view(
        service=service.rules, in_schema=schemas.EarningRuleIn, obj=rule,
        values_for=lambda obj: rule_values(obj or service.default_rule(community.id)),
        values_from_form=rule_form_values, payload=rule_payload(community),
        render=lambda values, problems: render_template(
            "points/rule_form.html", community=community, rule=rule, values=values, problems=shown(problems),
            blank_rows=BLANK_RATE_ROWS, service_types=service_types(),
            approvals=[a.value for a in Approval]),
        saved_message=lambda saved: _("The points rules of %(name)s are saved.", name=community.name),
        next_url=lambda saved: url_for("points_pages.rules"),
    )


def render_earnings(args: dict, problems: FormProblems | None = None, target: int | None = None):
    page = paginate(service.earnings_query(current_user, args), args["page"], PER_PAGE)
    return render_template(
        "points/earnings.html", page=page, args=args, problems=problems, target=target,
        volunteers=names_by_id(Volunteer, [e.volunteer_id for e in page["items"]]),
        names=names_by_id(Community, [e.community_id for e in page["items"]]), communities=managed_communities(),
        statuses=[s.value for s in EarningStatus], can_decide=lambda e: current_scope().allows(e.community_id),
        service_types=service_types(),
    ), status_of(problems)


def earnings_args() -> dict:
    """The list's filters: pending earnings unless the form asks for another status (blank: all)."""
    args = load_query(schemas.EarningQuery())
    if "status" not in request.args:
        args["status"] = EarningStatus.pending
    return args


@bp.get("/points/manage/earnings")
@staff_required
def earnings():
    return render_earnings(earnings_args())


@bp.post(f"/points/earnings/<{RECORD_ID}:earning_id>/<any(approve, reject):decision>")
@staff_required
def earning_decide(earning_id: int, decision: str):
    """Approve a pending earning (its points are posted, weekly cap applied now) or reject it with a reason."""
    service.rules.require_writer()
    reason = request.form.get("reason", "").strip()
    if decision == "approve":
        decided, problems = save(Schema(), {}, lambda _n: service.approve_earning(earning_id, current_user))
    else:
        decided, problems = save(schemas.ReasonIn(), {"reason": reason}, lambda loaded: service.reject_earning(
            earning_id, current_user, loaded["reason"]))
    back = next_url(url_for("points_pages.earnings"))
    if problems is not None:
        problems = shown(problems)
        status = problems.errors.pop("status", None)
        if status:
            problems.message = _("This earning is already decided (%(status)s).",
                                 status=points_label("earning", status[0]))
        return render_earnings(earnings_args(), problems, target=earning_id)
    if decided.status == EarningStatus.posted:
        flash(_("%(points)s points posted.", points=decided.points), "success")
    elif decided.status == EarningStatus.capped:
        flash(_("Approved, but the weekly cap was already reached: nothing posted."), "warning")
    else:
        flash(_("Earning rejected."), "success")
    return redirect(back)


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
    page = paginate(service.redemptions_query(current_user, args), args["page"], PER_PAGE)
    partner_choices = scoped_options(service.partners, Partner.community_id, Partner.name)
    return render_template("points/orders.html", page=page, args=args, partners=partner_choices,
                           communities=managed_communities(), statuses=[s.value for s in RedemptionStatus])


# --- grants, accounts, transfers and corrections ------------------------------------------------------------

def render_grants(values: dict, problems: FormProblems | None = None):
    communities = managed_communities()
    ids = [c.id for c in communities]
    volunteers = [v for v in scoped_options(people.volunteers, Volunteer.community_id, Volunteer.name)
                  if v.community_id in ids]
    residents = [r for r in scoped_options(people.residents, Resident.community_id, Resident.name)
                 if r.community_id in ids]
    return render_template("points/grants.html", communities=communities, values=values, problems=problems,
                           pools=service.account_of(AccountKind.community_pool, ids), volunteers=volunteers,
                           residents=residents), status_of(problems)


@bp.route("/points/manage/grants", methods=["GET", "POST"])
@staff_required
def grants():
    """Give points from a community's pool to one of its residents or volunteers."""
    if request.method != "POST":
        communities = managed_communities()
        return render_grants({"community_id": str(communities[0].id) if len(communities) == 1 else ""})
    service.rules.require_writer()
    values = {key: request.form.get(key, "").strip() for key in ("community_id", "recipient", "amount", "memo")}
    data = {"community_id": values["community_id"] or None, "amount": values["amount"] or None,
            "memo": values["memo"]}
    kind, _sep, holder = values["recipient"].partition(":")
    if kind in ("volunteer", "resident") and holder:
        data[f"{kind}_id"] = holder
    transfer, problems = save(schemas.GrantIn(), data, lambda loaded: service.grant(
        loaded["community_id"], loaded["amount"], loaded.get("resident_id"), loaded.get("volunteer_id"),
        loaded["memo"]))
    if problems is not None:
        db.session.expire_all()
        return render_grants(values, shown(problems, resident_id="recipient", volunteer_id="recipient"))
    flash(_("%(amount)s points granted to %(name)s from the pool.", amount=transfer.amount,
            name=transfer.to_account.name), "success")
    return redirect(url_for("points_pages.transfer", transfer_id=transfer.id))


@bp.get("/points/accounts")
@staff_required
def accounts():
    args = load_query(schemas.AccountQuery())
    text = request.args.get("q", "").strip()[:40]
    page = paginate(service.find_accounts(current_user, args, text), args["page"], PER_PAGE)
    return render_template("points/accounts.html", page=page, args=args, q=text, communities=managed_communities(),
                           names=names_by_id(Community, [a.community_id for a in page["items"]]),
                           kinds=[k.value for k in AccountKind])


def render_transfer(transfer: Transfer, problems: FormProblems | None = None):
    reversal = reversal_of(transfer)
    correctable = (service.is_coordinator(current_user) and current_scope().allows(transfer.community_id)
                   and transfer.kind != TransferKind.reversal and reversal is None)
    return render_template("points/transfer.html", transfer=transfer, reversal=reversal, problems=problems,
                           correctable=correctable, order_id=(transfer.details or {}).get("redemption_id"),
                           creator=db.session.get(User, transfer.created_by_id) if transfer.created_by_id else None,
                           ), status_of(problems)


@bp.get(f"/points/transfers/<{RECORD_ID}:transfer_id>")
@login_required
def transfer(transfer_id: int):
    return render_transfer(service.get_transfer(current_user, transfer_id))


@bp.post(f"/points/transfers/<{RECORD_ID}:transfer_id>/reverse")
@staff_required
def transfer_reverse(transfer_id: int):
    """Correct a gift, grant or earning with a reversing transfer, saying why."""
    original = service.get_transfer(current_user, transfer_id)
    current_scope().require(original.community_id, what=f"transfer {transfer_id}")
    service.rules.require_writer()
    reversal, problems = save(schemas.CorrectionIn(), {"reason": request.form.get("reason", "").strip()},
                              lambda loaded: service.correct(original, loaded["reason"]))
    if problems is not None:
        db.session.expire_all()
        return render_transfer(original, shown(problems, transfer_id="reason"))
    flash(_("Transfer No. %(id)s corrected.", id=original.id), "success")
    return redirect(url_for("points_pages.transfer", transfer_id=reversal.id if reversal else original.id))


# --- registration -------------------------------------------------------------------------------------

def register(app) -> None:
    """The blueprint and its menu entries (called from ``views.init_app``)."""
    from ..todo import register_provider
    from .todo import points_todo
    from ..views import STAFF, register_nav

    app.register_blueprint(bp)
    register_provider(app, points_todo)
    register_nav(app, "points_pages.my_points", _l("My points"), {Role.volunteer, Role.resident}, order=-5,
                 active_prefix="points_pages.my_")
    register_nav(app, "points_pages.manage", _l("Points management"), STAFF, order=60, active_prefix="points_pages.")
