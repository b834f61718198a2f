"""The wish board (微心愿): residents post, volunteers and party members claim (认领)."""
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import login_required

from ...accounts.policy import current_actor
from ...errors import Forbidden
from ...resources import paginate
from ...views import RECORD_ID, FormProblems, load_query, save
from .. import schemas, service
from .common import acting_args, acting_resident, bp, choose_resident_first, explained, refused, render
from ...labels import label


WISH_MOVED = {
    "claimed": _l("Thank you! The wish is yours to fulfil; the resident is told."),
    "open": _l("You gave the wish back; others may claim it."),
    "fulfilled": _l("Marked as fulfilled; the resident is asked to confirm."),
    "confirmed": _l("Confirmed. Thank you for telling us!"), "withdrawn": _l("The wish is withdrawn."),
}


WISH_FIELDS = ("title", "description")


def render_wishes(problems: FormProblems | None = None, values: dict | None = None):
    args, actor = load_query(schemas.WishQuery()), current_actor()
    resident = acting_resident()
    if resident is not None and actor.is_staff:
        args["community_id"] = resident.community_id
    page = paginate(service.wishes_query(actor, args), args["page"], args["per_page"])
    return render("wishes.html", problems.status if problems else 200, page=page, args=args, problems=problems,
                  values=values or {}, may_post=resident is not None)


@bp.get("/wishes")
@login_required
def wishes():
    """The community's board: residents post, volunteers and party members claim (认领)."""
    return render_wishes()


@bp.post("/wishes")
@login_required
def wish_post():
    actor = current_actor()
    if acting_resident() is None:
        if actor.is_staff:
            return choose_resident_first()
        raise Forbidden(_("Wishes are posted by residents, or by staff for a resident."))
    values = {key: request.form.get(key, "").strip() for key in WISH_FIELDS}
    wish, problems = save(schemas.WishIn(), {**values, **acting_args()}, lambda loaded: service.post_wish(
        actor, loaded))
    if problems is not None:
        return render_wishes(explained(refused(problems), WISH_FIELDS), values)
    flash(_("Your wish is on the board. We will tell you when someone claims it."), "success")
    return redirect(url_for("services_pages.wish", wish_id=wish.id))


def render_wish(wish_id: int, problems: FormProblems | None = None, target: str | None = None,
                values: dict | None = None):
    actor = current_actor()
    wish = service.get_wish(actor, wish_id)
    return render("wish.html", problems.status if problems else 200, wish=wish,
                  moves=service.allowed_wish_moves(actor, wish), resident_name=service.wish_resident_name(actor, wish),
                  problems=problems, target=target, values=values or {})


@bp.get(f"/wishes/<{RECORD_ID}:wish_id>")
@login_required
def wish(wish_id: int):
    return render_wish(wish_id)


@bp.post(f"/wishes/<{RECORD_ID}:wish_id>/move")
@login_required
def wish_move(wish_id: int):
    """Claim, give back, fulfil, confirm or withdraw a wish."""
    actor = current_actor()
    service.get_wish(actor, wish_id)
    data = {key: request.form.get(key, "").strip() for key in ("to", "version", "note")}
    data = {key: value for key, value in data.items() if value}
    moved, problems = save(schemas.WishTransitionIn(), data, lambda loaded: service.move_wish(
        actor, wish_id, loaded))
    if problems is not None:
        refused(problems)
        if problems.errors.pop("to", None) is not None:
            problems.message = _("This is not possible now: the wish is “%(state)s”.", state=label(
                "wish", service.get_wish(actor, wish_id).state))
        return render_wish(wish_id, explained(problems, ("note",)), target=data.get("to"), values=data)
    flash(str(WISH_MOVED[moved.state.value]), "success")
    return redirect(url_for("services_pages.wish", wish_id=wish_id))
