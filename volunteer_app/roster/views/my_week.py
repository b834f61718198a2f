"""A volunteer's week: answers, swaps, call-out invitations and the calendar feed."""
from collections import defaultdict

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from ... import jobs
from ...clock import IsoWeek, now_local, week_label
from ...errors import NotFound
from ...extensions import db
from ...people.models import Volunteer, VolunteerStatus
from ...places.models import Station
from ...resources import commit
from ...views import RECORD_ID, FormProblems, names_by_id, save
from .. import exports, schemas, service, urgent
from ..hooks import my_week_sections
from ..models import Assignment, CalendarFeed, CallOut, CallOutInvite, CallOutStatus, SwapRequest
from . import bp
from .common import community_volunteers, today, week_or_404

# --- volunteers: my week ---------------------------------------------------------------------

def my_volunteer() -> Volunteer | None:
    return db.session.get(Volunteer, current_user.volunteer_id) if current_user.volunteer_id else None


def render_my_week(week: IsoWeek, problems: FormProblems | None = None, target: str | None = None, feed_url=None):
    volunteer = my_volunteer()
    context = {"week": week, "title": week_label(week), "previous": week.shifted(-1), "next": week.shifted(1),
               "this_week": IsoWeek.of(today()), "volunteer": volunteer, "problems": problems, "target": target,
               "feed_url": feed_url}
    if volunteer is not None:
        assignments = service.my_assignments(volunteer.id, week)
        swaps = defaultdict(list)
        if assignments:
            for swap in db.session.scalars(select(SwapRequest).where(
                    SwapRequest.assignment_id.in_([a.id for a in assignments])).order_by(SwapRequest.id)):
                swaps[swap.assignment_id].append(swap)
        invites = db.session.scalars(
            select(CallOutInvite).join(CallOut).where(CallOutInvite.volunteer_id == volunteer.id,
                                                      CallOut.status == CallOutStatus.open)
            .order_by(CallOutInvite.id.desc())).all()
        colleagues = [v for v in community_volunteers(volunteer.community_id)
                      if v.id != volunteer.id and v.status == VolunteerStatus.active]
        context.update(
            assignments=assignments, swaps=swaps, invites=invites, colleagues=colleagues,
            waiting=service.awaiting_answer(volunteer.id, now_local()), week_of=week_of,
            sections=my_week_sections(current_user, week),
            stations=names_by_id(Station, [a.demand.station_id for a in assignments]),
            has_feed=db.session.scalar(select(CalendarFeed.id).where(CalendarFeed.volunteer_id == volunteer.id))
            is not None,
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
    assignment = service.own_assignment(current_user, assignment_id)  # others' answer 404
    week = week_of(assignment)
    data = {"version": request.form.get("version", "").strip() or None,
            "confirm": request.form.get("confirm", "").strip() or None,
            "reason": request.form.get("reason", "").strip()}
    job, problems = save(schemas.AnswerIn(), data, lambda loaded: service.answer(
        current_user, assignment_id, loaded["version"], loaded["confirm"], loaded["reason"]))
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
    assignment = service.own_assignment(current_user, assignment_id)
    week = week_of(assignment)
    data = {"to_volunteer_id": request.form.get("to_volunteer_id", "").strip() or None,
            "note": request.form.get("note", "").strip()}
    swap, problems = save(schemas.SwapIn(), data, lambda loaded: urgent.request_swap(
        current_user, assignment_id, loaded["to_volunteer_id"], loaded["note"]))
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
    volunteer = my_volunteer()
    if volunteer is None:
        raise NotFound(_l("You have no volunteer record."), code="no_volunteer_record")
    try:  # the week the page was showing; never lose the new link over a bad one
        week = week_or_404(request.form.get("week", ""))
    except NotFound:
        week = IsoWeek.of(today())
    token = exports.rotate_feed(volunteer)
    commit()
    return render_my_week(week, feed_url=url_for("feeds.calendar", token=token, _external=True))


