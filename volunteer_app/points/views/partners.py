"""Partners (coordinators act for them): the list, the partner page with its orders, catalogue
and monthly settlement, and the partner and catalogue item forms.
"""
from datetime import date
from decimal import Decimal

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError
from sqlalchemy import func, select

from ...accounts.policy import current_actor
from ...extensions import db
from ...places.models import Community
from ...resources import paginate
from ...views import (
    RECORD_ID, FormProblems, blank_to_none, flatten_errors, form_view, load_query, names_by_id, patch_schema, save,
    scoped_options, staff_required,
)
from .. import schemas, service
from ..models import CatalogueItem, ItemKind, Partner, PartnerKind, PointAccount, Redemption, RedemptionStatus
from . import bp
from .common import CATALOGUE_PER_PAGE, managed_communities, shown, status_of, yuan_to_fen


#: Orders shown per status on the partner page.
PARTNER_ORDERS = 50


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
    actor = current_actor()
    args = load_query(schemas.PartnerQuery())
    page = paginate(service.partners.filtered(actor, args).order_by(Partner.community_id, Partner.name, Partner.id),
                    args["page"], CATALOGUE_PER_PAGE)
    ids = [p.id for p in page["items"]]
    open_orders = {}
    if ids:
        inner = service.redemptions_query(actor, {}).where(
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
    return partner_form(service.partners.get(current_actor(), partner_id))


@bp.post(f"/points/partners/<{RECORD_ID}:partner_id>/delete")
@staff_required
def partner_delete(partner_id: int):
    actor = current_actor()
    partner = service.partners.get(actor, partner_id)
    _done, problems = save(Schema(), {}, lambda _nothing: service.partners.delete(actor, partner))
    if problems is not None:
        flash(" ".join(m for messages in problems.errors.values() for m in messages), "error")
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
    actor = current_actor()
    orders = {status: db.session.scalars(service.redemptions_query(actor, {
        "partner_id": partner.id, "status": status}).limit(PARTNER_ORDERS)).all()
        for status in (RedemptionStatus.requested, RedemptionStatus.approved)}
    offers = db.session.scalars(service.items.filtered(actor, {"partner_id": partner.id})
                               .order_by(CatalogueItem.name, CatalogueItem.id)).all()
    owed = db.session.scalar(select(PointAccount).where(PointAccount.partner_id == partner.id))
    return render_template(
        "points/partner.html", partner=partner, orders=orders, offers=offers, owed=owed,
        report=service.settlement(actor, partner.id, from_month, to_month), from_month=from_month, to_month=to_month,
        problems=problems, target=target, community=db.session.get(Community, partner.community_id),
    ), status_of(problems)


@bp.get(f"/points/partners/<{RECORD_ID}:partner_id>")
@staff_required
def partner(partner_id: int):
    """What a partner has to do: orders to approve and fulfil, its catalogue and stock, its monthly settlement."""
    return render_partner(service.partners.get(current_actor(), partner_id))


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
    if problems is not None and problems.get("face_value_yuan") == [_("Enter a whole number.")]:
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
    return item_form(service.items.get(current_actor(), item_id))


@bp.post(f"/points/items/<{RECORD_ID}:item_id>/stock")
@staff_required
def item_stock(item_id: int):
    """Set what is left of goods from the partner page (the version guards against concurrent orders)."""
    actor = current_actor()
    item = service.items.get(actor, item_id)
    data = {key: request.form.get(key, "").strip() or None for key in ("stock", "version")}
    _saved, problems = save(patch_schema(schemas.ItemIn), data,
                            lambda loaded: service.items.update(actor, item, loaded))
    if problems is not None:
        db.session.expire_all()
        return render_partner(item.partner, shown(problems), target=item.id)
    flash(_("Stock of %(name)s is now %(stock)s.", name=item.name, stock=item.stock), "success")
    return redirect(url_for("points_pages.partner", partner_id=item.partner_id, _anchor=f"item-{item.id}"))


@bp.post(f"/points/items/<{RECORD_ID}:item_id>/delete")
@staff_required
def item_delete(item_id: int):
    actor = current_actor()
    item = service.items.get(actor, item_id)
    partner_id, name = item.partner_id, item.name
    _done, problems = save(Schema(), {}, lambda _nothing: service.items.delete(actor, item))
    if problems is not None:
        flash(" ".join(m for messages in problems.errors.values() for m in messages), "error")
    else:
        flash(_("Item %(name)s deleted.", name=name), "success")
    return redirect(url_for("points_pages.partner", partner_id=partner_id, _anchor="items"))
