"""A volunteer's week: answers, swaps, call-out invitations and the calendar feed."""
from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ... import jobs
from ...accounts.policy import current_actor
from ...clock import IsoWeek, now_local, week_label
from ...errors import NotFound
from ...extensions import db
from ...places.models import Station
from ...resources import commit
from ...views import RECORD_ID, FormProblems, names_by_id, save
from .. import exports, schemas, service, swaps, teams
from ..hooks import my_week_sections
from ..models import Assignment
from . import bp
from .common import today, week_or_404

# --- volunteers: my week ---------------------------------------------------------------------


def render_my_week(week: IsoWeek, problems: FormProblems | None = None, target: str | None = None, feed_url=None):
    actor = current_actor()
    mine = service.my_week(actor, week, now_local())
    context = {"week": week, "title": week_label(week), "previous": week.shifted(-1), "next": week.shifted(1),
               "this_week": IsoWeek.of(today()), "volunteer": mine.volunteer if mine else None, "problems": problems,
               "target": target, "feed_url": feed_url}
    if mine is not None:
        context.update(
            assignments=mine.assignments, swaps=mine.swaps, invites=mine.invites, colleagues=mine.colleagues,
            waiting=mine.waiting, week_of=week_of, sections=my_week_sections(actor, week),
            stations=names_by_id(Station, [a.demand.station_id for a in mine.assignments]), has_feed=mine.has_feed,
            led_teams=teams.led_teams(actor),
        )
    status = problems.status if problems else 200
    response = make_response(render_template("roster/my_week.html", **context), status)
    if feed_url:
        response.headers["Cache-Control"] = "no-store"  # the secret link is shown once
    return response


@bp.get("/my/week")
@login_required
def my_week_now():
    return render_my_week(IsoWeek.of(today()))


@bp.get("/my/week/<week>")
@login_required
def my_week(week: str):
    return render_my_week(week_or_404(week))


def week_of(assignment: Assignment) -> IsoWeek:
    return IsoWeek.of(assignment.demand.start.date())


@bp.post(f"/my/assignments/<{RECORD_ID}:assignment_id>/answer")
@login_required
def my_answer(assignment_id: int):
    """Confirm, or decline with a reason; a decline re-plans the week around everyone else."""
    actor = current_actor()
    assignment = service.own_assignment(actor, assignment_id)  # others' answer 404
    week = week_of(assignment)
    data = {"version": request.form.get("version", "").strip() or None,
            "confirm": request.form.get("confirm", "").strip() or None,
            "reason": request.form.get("reason", "").strip()}
    job, problems = save(schemas.AnswerIn(), data, lambda loaded: service.answer(
        actor, assignment_id, loaded["version"], loaded["confirm"], loaded["reason"]))
    target = f"assignment-{assignment_id}"
    if problems is not None:
        db.session.expire_all()
        if problems.status == 409 or problems.stale:
            problems.status, problems.errors = 409, {}
            problems.message = _("This duty changed since you loaded the page. Check it below and answer again.")
        return render_my_week(week, problems, target)
    if job is None:
        flash(_("Thank you! You confirmed %(duty)s.", duty=assignment.demand.title), "success")
    else:
        jobs.enqueue(service.PLAN_JOB, job.id)
        flash(_("You declined %(duty)s. Your coordinator is told and someone else will be asked.",
                duty=assignment.demand.title), "success")
    return redirect(url_for("roster_pages.my_week", week=week, _anchor=target))


@bp.post(f"/my/assignments/<{RECORD_ID}:assignment_id>/swap")
@login_required
def my_swap(assignment_id: int):
    """Ask to hand a duty to a colleague; the coordinator approves."""
    actor = current_actor()
    assignment = service.own_assignment(actor, assignment_id)
    week = week_of(assignment)
    data = {"to_volunteer_id": request.form.get("to_volunteer_id", "").strip() or None,
            "note": request.form.get("note", "").strip()}
    swap, problems = save(schemas.SwapIn(), data, lambda loaded: swaps.request_swap(
        actor, assignment_id, loaded["to_volunteer_id"], loaded["note"]))
    target = f"assignment-{assignment_id}"
    if problems is not None:
        db.session.expire_all()
        if problems.status == 409:
            problems.message = _("This duty changed since you loaded the page. Check it below and try again.")
        return render_my_week(week, problems, target)
    flash(_("Swap request sent: %(name)s would take %(duty)s once your coordinator approves.",
            name=swap.to_volunteer.name, duty=assignment.demand.title), "success")
    return redirect(url_for("roster_pages.my_week", week=week, _anchor=target))


@bp.post("/my/calendar-feed")
@login_required
def my_calendar_feed():
    """A new secret iCalendar link (the old one stops working), shown once on the page."""
    token = exports.rotate_feed(current_actor())
    try:  # the week the page was showing; never lose the new link over a bad one
        week = week_or_404(request.form.get("week", ""))
    except NotFound:
        week = IsoWeek.of(today())
    commit()
    return render_my_week(week, feed_url=url_for("feeds.calendar", token=token, _external=True))


