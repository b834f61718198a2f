"""What every service page shares: the blueprint, for whom a page acts (代办), rendering,
and a refusal shown as form problems."""
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select

from ...accounts.models import Role
from ...accounts.policy import current_actor
from ...errors import NotFound
from ...extensions import db
from ...people import service as people
from ...people.models import Resident
from ...validation import MAX_ID
from ...views import FormProblems
from .. import service
from ..labels import move_key
from .labels import iso_moment, moment, span_of

bp = Blueprint("services_pages", __name__)


@bp.context_processor
def service_helpers():
    return {"moment": moment, "span_of": span_of, "iso_moment": iso_moment,
            "is_overdue": service.is_overdue, "waitlist_position": service.waitlist_position,
            "move_key": move_key, "price_for": service.price_for}


def explained(problems: FormProblems | None, fields=()) -> FormProblems | None:
    """The service's messages naming no field of this form go to the banner."""
    if problems is not None:
        errors: dict[str, list[str]] = {}
        for key, messages in problems.errors.items():
            shown = key if key == "_form" or key in fields or key.split(".")[0] in fields else "_form"
            errors.setdefault(shown, []).extend(messages)
        problems.errors = errors
    return problems


def refused(problems: FormProblems) -> FormProblems:
    """After a refused write: forget what the rolled-back session held, so the page shows the truth."""
    db.session.expire_all()
    return problems


# --- for whom (代办) ----------------------------------------------------------------------------

_NOBODY = object()


def acting_resident() -> Resident | None:
    """Whom these pages serve: a resident themselves; staff the resident chosen by ``resident_id``
    (404 outside their scope); nobody for volunteers."""
    found = g.get("acting_resident", _NOBODY)
    if found is _NOBODY:
        found, actor = None, current_actor()
        if actor.role == Role.resident and actor.resident_id:
            found = db.session.get(Resident, actor.resident_id)
        elif actor.is_staff:
            chosen = request.values.get("resident_id", "").strip()
            if chosen:
                if not chosen.isdigit() or not 0 < int(chosen) <= MAX_ID:
                    raise NotFound(_l("Resident No. %(id)s not found.", id=chosen))
                found = people.residents.get(actor, int(chosen))
        g.acting_resident = found
    return found


def acting_args() -> dict:
    """Link arguments that keep staff acting for the same resident."""
    resident = acting_resident()
    return {"resident_id": resident.id} if resident is not None and current_actor().is_staff else {}


def render(template: str, status: int = 200, **context):
    return render_template(f"services/{template}", acting=acting_resident(), acting_args=acting_args(),
                           is_staff=current_actor().is_staff, **context), status


def choose_resident_first():
    flash(_("Choose the resident you act for first (代办)."), "warning")
    return redirect(url_for("services_pages.home"))


def count_of(statement) -> int:
    return db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
