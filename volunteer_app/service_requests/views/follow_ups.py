"""Follow-ups (回访): the coordinators' list, and closing one after the call."""
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ...accounts.models import User
from ...accounts.policy import current_actor
from ...extensions import db
from ...people import contact
from ...people.phone_pages import page_with_number
from ...resources import paginate
from ...views import RECORD_ID, FormProblems, load_query, save, staff_required
from .. import schemas, service
from .common import bp, explained, refused, render


@bp.get("/follow-ups")
@staff_required
def follow_ups():
    args = load_query(schemas.FollowUpQuery())
    page = paginate(service.follow_ups_query(current_actor(), args), args["page"], args["per_page"])
    return render("follow_ups.html", page=page, args=args)


def render_follow_up(follow_up_id: int, problems: FormProblems | None = None, values: dict | None = None,
                     revealed: dict[int, str] | None = None):
    actor = current_actor()
    follow_up = service.get_follow_up(actor, follow_up_id)
    return render("follow_up.html", problems.status if problems else 200, follow_up=follow_up,
                  item=follow_up.request, problems=problems, target="close", values=values or {},
                  closed_by=db.session.get(User, follow_up.closed_by_id) if follow_up.closed_by_id else None,
                  offered=contact.offered(actor, contact.Purpose.follow_up, follow_up.id), revealed=revealed or {})


@bp.get(f"/follow-ups/<{RECORD_ID}:follow_up_id>")
@staff_required
def follow_up(follow_up_id: int):
    return render_follow_up(follow_up_id)


@bp.post(f"/follow-ups/<{RECORD_ID}:follow_up_id>/phone")
@staff_required
def follow_up_phone(follow_up_id: int):
    """The "查看号码" button: the follow-up again with the resident's number shown for the call (audited)."""
    return page_with_number(contact.Purpose.follow_up, follow_up_id, render_follow_up)


@bp.post(f"/follow-ups/<{RECORD_ID}:follow_up_id>/close")
@login_required
def follow_up_close(follow_up_id: int):
    actor = current_actor()
    service.get_follow_up(actor, follow_up_id)
    data = {"note": request.form.get("note", "").strip()}
    problems = save(schemas.FollowUpCloseIn(), data, lambda loaded: service.close_follow_up(
        actor, follow_up_id, loaded["note"]))[1]
    if problems is not None:
        return render_follow_up(follow_up_id, explained(refused(problems), ("note",)), data)
    flash(_("Follow-up closed."), "success")
    return redirect(url_for("services_pages.follow_up", follow_up_id=follow_up_id))
