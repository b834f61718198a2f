"""Visit pages, phone first: the 民情日志, the households checklist a visit is recorded from, one
visit with its needs (passed on as a request or a wish in one tap), overdue priority-group visits,
走访覆盖率 per month, and each community's visiting frequencies.

Thin like the API: forms become the dict the API's schema loads, the same service runs, the request
commits once, and a refusal comes back as form problems.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from ..accounts.policy import current_actor
from ..errors import Conflict, NotFound
from ..extensions import db
from ..labels import table
from ..people.models import PriorityGroup
from ..places import service as places
from ..places.models import Building, Community, Grid
from ..resources import commit
from ..views import (
    RECORD_ID, FormProblems, form_rows, load_query, names_by_id, save, scoped_options, staff_required,
)
from . import schemas, service
from .models import VisitKind

bp = Blueprint("visit_pages", __name__)

#: The pages of the visits, as tabs on each of them: endpoint → label.
TABS = {
    "visit_pages.index": _l("Visit log"), "visit_pages.households": _l("Households"),
    "visit_pages.overdue": _l("Overdue visits"), "visit_pages.report": _l("Coverage"),
    "visit_pages.frequencies": _l("Frequencies"),
}
#: Empty need lines a new visit's form starts with (more can be added).
BLANK_NEEDS = 1


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


@bp.context_processor
def visit_helpers():
    return {"tabs": TABS, "percent": percent, "kinds": list(table("visit_kind"))}


def place_options() -> dict:
    return {"communities": scoped_options(places.communities, Community.code),
            "grids": scoped_options(places.grids, Grid.community_id, Grid.code)}


def place_names(residents) -> dict:
    residents = list(residents)
    return {"grid": names_by_id(Grid, [r.grid_id for r in residents]),
            "building": names_by_id(Building, [r.building_id for r in residents])}


def this_month():
    return service.today().replace(day=1)


# --- the log --------------------------------------------------------------------------------------


@bp.get("/visits")
@staff_required
def index():
    actor = current_actor()
    args = load_query(schemas.VisitQuery())
    page = service.visits.list(actor, args)
    start, end = service.month_span(this_month())
    return render_template("visits/index.html", page=page, args=args, month=this_month(),
                           summary=service.report(actor, start.date(), end.date())["totals"],
                           overdue=service.overdue_count(actor), **place_options())


@bp.get("/visits/households")
@staff_required
def households():
    args = load_query(schemas.HouseholdQuery())
    page = service.households(current_actor(), args)
    return render_template("visits/households.html", page=page, args=args, month=this_month(),
                           names=place_names(h.resident for h in page["items"]),
                           buildings=scoped_options(places.buildings, Building.grid_id, Building.code),
                           **place_options())


# --- recording a visit ----------------------------------------------------------------------------


def new_visit_values(resident) -> dict:
    kind = VisitKind.key_group if resident is not None and resident.priority_groups else VisitKind.routine
    return {"kind": request.args.get("kind") or kind.value, "findings": "",
            "visited_at": f"{service.current_minute():%Y-%m-%dT%H:%M}",
            "needs": [{"description": "", "solved_on_spot": ""}] * BLANK_NEEDS}


def visit_form_values(form) -> dict:
    values = {key: form.get(key, "").strip() for key in ("kind", "visited_at", "findings")}
    values["needs"] = form_rows(form, "needs", ("description", "solved_on_spot"), significant=("description",))
    return values


def visit_payload(values: dict, resident, building) -> dict:
    data = {"resident_id": resident.id} if resident is not None else {"building_id": building.id}
    data.update(kind=values["kind"] or None, findings=values["findings"])
    if values["visited_at"]:
        data["visited_at"] = values["visited_at"]
    data["needs"] = [{"description": need["description"], "solved_on_spot": bool(need["solved_on_spot"])}
                     for need in values["needs"]]
    return data


@bp.route("/visits/new", methods=["GET", "POST"])
@staff_required
def visit_new():
    """Record a visit to the household ``resident_id`` (or the building ``building_id``) chosen first."""
    actor = current_actor()
    service.visits.require_writer(actor)
    chosen = {key: request.values.get(key, "").strip() for key in ("resident_id", "building_id")}
    if not any(chosen.values()):
        return redirect(url_for("visit_pages.households"))
    try:
        ids = {key: int(value) if value else None for key, value in chosen.items()}
    except ValueError:
        raise NotFound(_l("Not found among the records you manage.")) from None
    resident, building = service.visit_target(actor, ids["resident_id"], ids["building_id"])
    problems = None
    values = new_visit_values(resident)
    if request.method == "POST":
        values = visit_form_values(request.form)
        saved, problems = save(schemas.VisitIn(), visit_payload(values, resident, building),
                               lambda loaded: service.visits.create(actor, loaded))
        if problems is None:
            flash(_("Visit recorded."), "success")
            return redirect(url_for("visit_pages.visit", visit_id=saved.id))
    return render_template("visits/form.html", visit=None, resident=resident, building=building, values=values,
                           problems=problems, names=place_names([resident] if resident else [])), \
        problems.status if problems else 200


# --- one visit and its needs ----------------------------------------------------------------------


def render_visit(visit, problems: FormProblems | None = None, status: int = 200, failed: str = ""):
    """The visit page; ``failed`` names the form (``need-3-request`` …) whose ``problems`` are shown."""
    actor = current_actor()
    return render_template("visits/visit.html", visit=visit, problems=problems, failed=failed,
                           service_menu=service.menu_for(actor, visit), values=request.form,
                           names=place_names([visit]), community=db.session.get(Community, visit.community_id)), status


@bp.get(f"/visits/<{RECORD_ID}:visit_id>")
@staff_required
def visit(visit_id: int):
    return render_visit(service.visits.get(current_actor(), visit_id))


def on_visit(visit_id: int, form_name: str, schema, data: dict, action, done):
    """Save a form of the visit page: back to the page with ``done(result)`` flashed, or the page with the
    problems beside the form that failed."""
    actor = current_actor()
    visit = service.visits.get(actor, visit_id)
    result, problems = save(schema, data, lambda loaded: action(actor, loaded))
    if problems is None:
        flash(done(result), "success")
        return redirect(url_for("visit_pages.visit", visit_id=visit_id))
    db.session.expire_all()  # the refused write is rolled back: show what is stored
    return render_visit(service.visits.get(actor, visit.id), problems, problems.status, form_name)


@bp.post(f"/visits/<{RECORD_ID}:visit_id>/needs")
@staff_required
def need_add(visit_id: int):
    data = {"description": request.form.get("description", "").strip(),
            "solved_on_spot": bool(request.form.get("solved_on_spot"))}
    return on_visit(visit_id, "need-new", schemas.NeedIn(), data,
                    lambda actor, loaded: service.add_need(actor, visit_id, loaded), lambda need: _("Need noted."))


@bp.post(f"/visits/<{RECORD_ID}:visit_id>/needs/<{RECORD_ID}:need_id>/request")
@staff_required
def need_request(visit_id: int, need_id: int):
    data = {"service_type_id": request.form.get("service_type_id", "").strip() or None,
            "urgent": bool(request.form.get("urgent"))}
    return on_visit(visit_id, f"need-{need_id}", schemas.RequestFromNeedIn(), data,
                    lambda actor, loaded: service.file_need_as_request(actor, visit_id, need_id, loaded),
                    lambda need: _("Filed as request No. %(id)s.", id=need.request_id))


@bp.post(f"/visits/<{RECORD_ID}:visit_id>/needs/<{RECORD_ID}:need_id>/wish")
@staff_required
def need_wish(visit_id: int, need_id: int):
    data = {"title": request.form.get("title", "").strip()}
    return on_visit(visit_id, f"need-{need_id}", schemas.WishFromNeedIn(), data,
                    lambda actor, loaded: service.post_need_as_wish(actor, visit_id, need_id, loaded),
                    lambda need: _("Posted as wish No. %(id)s.", id=need.wish_id))


@bp.route(f"/visits/<{RECORD_ID}:visit_id>/edit", methods=["GET", "POST"])
@staff_required
def visit_edit(visit_id: int):
    actor = current_actor()
    visit = service.visits.get(actor, visit_id)
    service.visits.require_writer(actor, visit)
    values = {"kind": visit.kind.value, "visited_at": f"{visit.visited_at:%Y-%m-%dT%H:%M}", "findings": visit.findings,
              "version": str(visit.version)}
    problems = None
    if request.method == "POST":
        values = {key: request.form.get(key, "").strip() for key in ("kind", "visited_at", "findings", "version")}
        data = {"kind": values["kind"] or None, "visited_at": values["visited_at"] or None,
                "findings": values["findings"], "version": values["version"] or None}
        saved, problems = save(schemas.VisitPatch(), data, lambda loaded: service.visits.update(actor, visit, loaded))
        if problems is None:
            flash(_("Visit saved."), "success")
            return redirect(url_for("visit_pages.visit", visit_id=visit.id))
    resident = visit.resident
    return render_template("visits/form.html", visit=visit, resident=resident, building=visit.building,
                           values=values, problems=problems, names=place_names([visit])), \
        problems.status if problems else 200


@bp.post(f"/visits/<{RECORD_ID}:visit_id>/delete")
@staff_required
def visit_delete(visit_id: int):
    actor = current_actor()
    visit = service.visits.get(actor, visit_id)
    try:
        service.visits.delete(actor, visit)
        commit()
    except Conflict as refusal:
        db.session.rollback()
        flash(str(refusal.message), "error")
        return redirect(url_for("visit_pages.visit", visit_id=visit_id))
    flash(_("Visit deleted."), "success")
    return redirect(url_for("visit_pages.index"))


# --- overdue, coverage, frequencies ---------------------------------------------------------------


@bp.get("/visits/overdue")
@staff_required
def overdue():
    args = load_query(schemas.OverdueQuery())
    page = service.overdue(current_actor(), args)
    return render_template("visits/overdue.html", page=page, args=args,
                           names=place_names(d.resident for d in page["items"]), **place_options())


@bp.get("/visits/report")
@staff_required
def report():
    args = load_query(schemas.VisitReportArgs())
    first = args.get("month") or this_month()
    start, end = service.month_span(first)
    figures = service.report(current_actor(), start.date(), end.date(), args.get("community_id"))
    return render_template("visits/report.html", figures=figures, month=first, args=args,
                           communities=scoped_options(places.communities, Community.code))


@bp.route("/visits/frequencies", methods=["GET", "POST"])
@staff_required
def frequencies():
    actor = current_actor()
    communities = scoped_options(places.communities, Community.code)
    if not communities:
        return render_template("visits/frequencies.html", communities=[], community=None)
    chosen = request.values.get("community_id", "").strip()
    community = next((c for c in communities if str(c.id) == chosen), communities[0])
    problems = None
    if request.method == "POST":
        rows = [{"group": group.value, "every_days": request.form.get(f"every_days-{group.value}", "").strip()}
                for group in PriorityGroup]
        _saved, problems = save(schemas.FrequenciesIn(), {"frequencies": rows},
                                lambda loaded: service.set_frequencies(actor, community.id, loaded["frequencies"]))
        if problems is None:
            flash(_("Visiting frequencies of %(community)s saved.", community=community.name), "success")
            return redirect(url_for("visit_pages.frequencies", community_id=community.id))
    return render_template("visits/frequencies.html", communities=communities, community=community,
                           rows=service.community_frequencies(actor, community.id), problems=problems,
                           editable=service.may_set_frequencies(actor, community),
                           defaults=service.DEFAULT_EVERY_DAYS, values=request.form), \
        problems.status if problems else 200
