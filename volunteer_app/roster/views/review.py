"""Review a draft: the grid, pins and bans, moves, re-solve, publish, swap decisions, the printed sheet."""
from collections import defaultdict

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import Schema
from sqlalchemy import select

from ...accounts.models import User
from ...accounts.policy import current_actor
from ...clock import IsoWeek
from ...extensions import db
from ...holidays.service import day_statuses, unknown_years
from ...people import contact
from ...people.models import VolunteerStatus
from ...places.models import Community, Station
from ...resources import commit
from ...views import RECORD_ID, FormProblems, blank_to_none, names_by_id, no_store, save, staff_required
from .. import schemas, service, swaps
from ..models import (
    Assignment,
    AssignmentStatus,
    JobStatus,
    PairRule,
    PairRuleKind,
    PlanJob,
    RosterWeek,
    SwapStatus,
)
from ..reasons import Names, stored_words
from . import bp
from .common import community_volunteers, week_names
from .planning import follow, start_job

# --- review ----------------------------------------------------------------------------------

def review_context(week: RosterWeek, names: Names) -> dict:
    """Everything the review page shows: the draft grid, the live roster, versions, swaps."""
    community = db.session.get(Community, week.community_id)
    days = IsoWeek(week.week).days
    statuses = day_statuses(days[0], days[-1])
    demands = list(week.demands)
    drafted: dict[int, list[int]] = defaultdict(list)
    for demand_id, volunteer_id in sorted(service.draft_pairs(week)):
        drafted[demand_id].append(volunteer_id)
    for ids in drafted.values():
        ids.sort(key=lambda v: (names.volunteers.get(v, ""), v))
    rules = {(r.demand_id, r.volunteer_id): r for r in db.session.scalars(
        select(PairRule).where(PairRule.week_id == week.id).order_by(PairRule.id))}
    rules_by_demand: dict[int, list[PairRule]] = defaultdict(list)
    for rule in rules.values():
        rules_by_demand[rule.demand_id].append(rule)
    reasons = {u["demand_id"]: stored_words(u.get("reasons", []), u.get("reason_codes"), names)
               for u in week.draft_unfilled or []}
    short = {d.id: d.needed - len(drafted[d.id]) for d in demands if not d.cancelled and len(drafted[d.id]) < d.needed}

    station_ids = sorted({d.station_id for d in demands if d.station_id})
    stations = db.session.scalars(select(Station).where(Station.id.in_(station_ids)).order_by(Station.code)).all() \
        if station_ids else []
    grid = {s.id: [[] for _ in days] for s in stations}
    for demand in demands:
        if demand.station_id in grid:
            grid[demand.station_id][(demand.start.date() - days[0]).days % 7].append(demand)

    live = db.session.scalars(select(Assignment).where(Assignment.week_id == week.id)
                              .order_by(Assignment.demand_id, Assignment.id)).all()
    live_by_demand: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in live:
        if assignment.status != AssignmentStatus.removed:
            live_by_demand[assignment.demand_id].append(assignment)
    actor = current_actor()
    history = service.versions(actor, week)
    running = db.session.scalar(select(PlanJob).where(
        PlanJob.week_id == week.id, PlanJob.status.in_([JobStatus.queued, JobStatus.running])).limit(1))
    publishers = names_by_id(User, [v.published_by_id for v in history])
    scores = dict(week.draft_scores or {})
    summary = service.draft_summary(week)
    return {
        "week": week, "community": community, "days": days, "statuses": statuses, "demands": demands,
        "drafted": drafted, "rules": rules, "rules_by_demand": rules_by_demand, "reasons": reasons, "short": short,
        "stations": stations, "grid": grid, "tasks": [d for d in demands if not d.station_id],
        "live_by_demand": live_by_demand, "has_live": bool(live), "versions": history, "publishers": publishers,
        "summary": summary, "draft_changed": summary.changes_to_publish > 0,
        "swaps": swaps.swaps_for_week(actor, week), "scores": scores,
        "warnings": stored_words(scores.get("warnings", []), scores.get("warning_codes"), names),
        "unknown_years": unknown_years(days[0], days[-1]),
        "choices": [v for v in community_volunteers(week.community_id) if v.status == VolunteerStatus.active],
        "names": names, "running": running if running is not None and not service.job_is_stale(running) else None,
    }


def render_review(week: RosterWeek, problems: FormProblems | None = None, target: str | None = None,
                  publish_conflict: bool = False, names: Names | None = None):
    names = names or week_names(week, community_volunteers(week.community_id))
    context = review_context(week, names)
    status = problems.status if problems else 200
    return render_template("roster/review.html", problems=problems, target=target,
                           publish_conflict=publish_conflict, **context), status


def review_url(week: RosterWeek, anchor: str | None = None) -> str:
    return url_for("roster_pages.roster_week", week_id=week.id, _anchor=anchor)


@bp.get(f"/roster/weeks/<{RECORD_ID}:week_id>")
@staff_required
def roster_week(week_id: int):
    return render_review(service.get_week(current_actor(), week_id))


def render_print(week: RosterWeek, phones: dict[int, str] | None = None):
    names = week_names(week, community_volunteers(week.community_id))
    return render_template("roster/print.html", phones=phones, may_reveal=contact.may_reveal(current_actor()),
                           **review_context(week, names))


@bp.get(f"/roster/weeks/<{RECORD_ID}:week_id>/print")
@staff_required
def roster_week_print(week_id: int):
    """Plain tables per station for the notice board: the live roster, or the draft before publishing; names
    only (a sheet on a wall shows nobody's number)."""
    return render_print(service.get_week(current_actor(), week_id))


@bp.post(f"/roster/weeks/<{RECORD_ID}:week_id>/print")
@staff_required
def roster_week_print_phones(week_id: int):
    """The "打印含完整号码" button: the sheet with the full number of each volunteer on it the coordinator
    manages, for whoever runs the duties to call them; one audited reveal for the sheet."""
    actor = current_actor()
    week = service.get_week(actor, week_id)
    phones = contact.reveal_phones(actor, contact.Purpose.duty_sheet, week.id)
    commit()
    return no_store(render_print(week, phones))


@bp.post(f"/roster/weeks/<{RECORD_ID}:week_id>/rules")
@staff_required
def roster_rule(week_id: int):
    """Pin, forbid or clear one (duty, volunteer) pair of the draft."""
    actor = current_actor()
    week = service.get_week(actor, week_id)
    data = blank_to_none(request.form, ("demand_id", "volunteer_id", "kind"))
    data["reason"] = request.form.get("reason", "").strip()

    def apply(loaded):
        kind = None if loaded["kind"] == "clear" else PairRuleKind(loaded["kind"])
        service.set_rule(actor, week, loaded["demand_id"], loaded["volunteer_id"], kind, loaded["reason"])
        return kind

    kind, problems = save(schemas.RuleIn(), data, apply)
    anchor = f"demand-{data['demand_id']}"
    if problems is not None:
        return render_review(week, problems, target=anchor)
    names = week_names(week, community_volunteers(week.community_id))
    who = names.volunteers.get(int(data["volunteer_id"]), "")
    what = names.demands.get(int(data["demand_id"]), "")
    message = {PairRuleKind.pinned: _("%(name)s is pinned to %(duty)s.", name=who, duty=what),
               PairRuleKind.forbidden: _("%(name)s will not be planned on %(duty)s.", name=who, duty=what),
               None: _("The rule for %(name)s on %(duty)s is cleared.", name=who, duty=what)}[kind]
    flash(message, "success")
    return redirect(review_url(week, anchor))


@bp.post(f"/roster/weeks/<{RECORD_ID}:week_id>/reask")
@staff_required
def roster_reask(week_id: int):
    """Ask a volunteer who declined once more; they confirm again after the next publish."""
    actor = current_actor()
    week = service.get_week(actor, week_id)
    data = blank_to_none(request.form, ("demand_id", "volunteer_id"))
    _pin, problems = save(schemas.ReaskIn(), data, lambda loaded: service.reask(
        actor, week, loaded["demand_id"], loaded["volunteer_id"]))
    anchor = f"demand-{data['demand_id']}"
    if problems is not None:
        return render_review(week, problems, target=anchor)
    names = week_names(week, community_volunteers(week.community_id))
    flash(_("%(name)s is back on %(duty)s and will be asked to confirm when you publish.",
            name=names.volunteers.get(int(data["volunteer_id"]), ""), duty=names.demands.get(int(data["demand_id"]), "")),
          "success")
    return redirect(review_url(week, anchor))


@bp.post(f"/roster/weeks/<{RECORD_ID}:week_id>/move")
@staff_required
def roster_move(week_id: int):
    """Give a drafted place to another volunteer (a ban for the first, a pin for the second)."""
    actor = current_actor()
    week = service.get_week(actor, week_id)
    data = blank_to_none(request.form, ("demand_id", "from_volunteer_id", "to_volunteer_id"))
    _done, problems = save(schemas.MoveIn(), data, lambda loaded: service.move(
        actor, week, loaded["demand_id"], loaded["from_volunteer_id"], loaded["to_volunteer_id"]))
    anchor = f"demand-{data['demand_id']}"
    if problems is not None:
        return render_review(week, problems, target=anchor)
    names = week_names(week, community_volunteers(week.community_id))
    flash(_("%(duty)s moved from %(old)s to %(new)s.", duty=names.demands.get(int(data["demand_id"]), ""),
            old=names.volunteers.get(int(data["from_volunteer_id"]), ""),
            new=names.volunteers.get(int(data["to_volunteer_id"]), "")), "success")
    return redirect(review_url(week, anchor))


@bp.post(f"/roster/weeks/<{RECORD_ID}:week_id>/resolve")
@staff_required
def roster_resolve(week_id: int):
    """Re-solve from the edited draft: pins and bans hold, the rest changes as little as it can."""
    week = service.get_week(current_actor(), week_id)
    started, problems = save(Schema(), {}, lambda _nothing: start_job(week, "resolve"))
    if problems is not None:
        return render_review(week, problems)
    return follow(*started)


@bp.post(f"/roster/weeks/<{RECORD_ID}:week_id>/publish")
@staff_required
def roster_publish(week_id: int):
    """Publish the draft as the next version; a stale ``version`` means someone published meanwhile."""
    actor = current_actor()
    week = service.get_week(actor, week_id)
    data = {"version": request.form.get("version", "").strip() or None, "note": request.form.get("note", "").strip()}
    version, problems = save(schemas.PublishIn(), data, lambda loaded: service.publish(
        actor, week, loaded["version"], loaded["note"]))
    if problems is not None:
        db.session.expire_all()
        if problems.status == 409 or problems.stale:
            problems.status, problems.errors = 409, {}
            problems.message = _("Someone published this week meanwhile. Reload the page to see the current "
                                 "roster before you publish again.")
            return render_review(week, problems, target="publish", publish_conflict=True)
        return render_review(week, problems, target="publish")
    flash(_("Version %(number)s is published; the volunteers are told.", number=version.number), "success")
    return redirect(review_url(week))


@bp.post(f"/roster/swaps/<{RECORD_ID}:swap_id>/decision")
@staff_required
def roster_swap_decision(swap_id: int):
    actor = current_actor()
    swap = swaps.get_swap(actor, swap_id)
    week = service.get_week(actor, swap.assignment.week_id)
    data = {"approve": request.form.get("approve", "").strip() or None}
    decided, problems = save(schemas.DecisionIn(), data, lambda loaded: swaps.decide_swap(
        actor, swap_id, loaded["approve"]))
    if problems is not None:
        db.session.expire_all()
        return render_review(week, problems, target="swaps")
    names = (swap.assignment.volunteer.name, swap.to_volunteer.name)
    if decided.status == SwapStatus.approved:
        flash(_("Swap approved: %(new)s takes over from %(old)s; a new version is published.",
                old=names[0], new=names[1]), "success")
    else:
        flash(_("Swap from %(old)s to %(new)s rejected.", old=names[0], new=names[1]), "success")
    return redirect(review_url(week, "swaps"))


