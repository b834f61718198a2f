"""Attendance pages: a station's check-in code (live and printed), the volunteer's scan, the coordinator's
attendance sheet of a week."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ...accounts.policy import current_actor
from ...clock import today_local
from ...errors import InvalidInput
from ...extensions import db
from ...models_base import utcnow
from ...views import RECORD_ID, FormProblems, problems_from_domain, qr_svg, save, staff_required
from .. import exports, schemas, service
from ..models import Assignment
from . import bp

#: Seconds between reloads of the live code: well inside the window, so a shown code is always accepted.
CODE_REFRESH_S = 60


def checkin_url(station_id: int, code: str) -> str:
    return url_for("roster_pages.checkin", station_id=station_id, c=code, _external=True)


@bp.get(f"/roster/stations/<{RECORD_ID}:station_id>/check-in-code")
@staff_required
def station_code(station_id: int):
    """The station's live code, for a screen at the station: the page reloads itself before the code turns."""
    station = service.station_for_code(current_actor(), station_id)
    url = checkin_url(station.id, service.live_code(station, utcnow()))
    return render_template("roster/station_code.html", station=station, url=url, svg=qr_svg(url),
                           refresh=CODE_REFRESH_S, printed=False)


@bp.get(f"/roster/stations/<{RECORD_ID}:station_id>/check-in-code/print")
@staff_required
def station_code_print(station_id: int):
    """A sheet for the station's wall, valid ``PRINTED_DAYS`` days from today."""
    station, today = service.station_for_code(current_actor(), station_id), today_local()
    url = checkin_url(station.id, service.printed_code(station, today))
    return render_template("roster/station_code.html", station=station, url=url, svg=qr_svg(url), refresh=None,
                           printed=True, days=service.PRINTED_DAYS, today_text=today.isoformat())


def render_checkin(station_id: int, code: str, problems: FormProblems | None = None):
    actor = current_actor()
    assignment = service.duty_at_station(actor, station_id, utcnow())
    if problems is None:
        try:
            service.verify_code(station_id, code, utcnow())
        except InvalidInput as refusal:
            problems = problems_from_domain(refusal)
    return render_template("roster/checkin.html", station_id=station_id, code=code, assignment=assignment,
                           problems=problems), (problems.status if problems else 200)


@bp.route(f"/checkin/<{RECORD_ID}:station_id>", methods=["GET", "POST"])
@login_required
def checkin(station_id: int):
    """Where a scanned station code lands: the volunteer's duty there, and one button to check in or out."""
    code = request.values.get("c", "")[:64]
    if request.method == "GET":
        return render_checkin(station_id, code)
    assignment, problems = save(schemas.CheckInIn(), {"code": code}, lambda loaded: service.scan(
        current_actor(), station_id, loaded["code"], utcnow()))
    if problems is not None:
        return render_checkin(station_id, code, problems)
    if assignment.checked_out_at is not None:
        flash(_("Checked out at %(time)s. Thank you for your service!", time=f"{assignment.checked_out_at:%H:%M}"),
              "success")
    else:
        flash(_("Checked in at %(time)s.", time=f"{assignment.checked_in_at:%H:%M}"), "success")
    return redirect(url_for("roster_pages.checkin_done", assignment_id=assignment.id))


@bp.get(f"/my/duties/<{RECORD_ID}:assignment_id>/attendance")
@login_required
def checkin_done(assignment_id: int):
    return render_template("roster/checkin_done.html", assignment=service.own_assignment(current_actor(),
                                                                                        assignment_id))


# --- the coordinator's sheet -------------------------------------------------------------------------


def render_sheet(week_id: int, problems: FormProblems | None = None, target: int | None = None,
                 values: dict | None = None):
    actor = current_actor()
    week = service.get_week(actor, week_id)
    rows = exports.attendance_rows(actor, week)
    return render_template("roster/attendance.html", week=week, rows=rows, problems=problems, target=target,
                           values=values or {}, minutes={a.id: service.served_minutes(a) for a in rows if a.served_at},
                           ), (problems.status if problems else 200)


@bp.get(f"/roster/weeks/<{RECORD_ID}:week_id>/attendance")
@staff_required
def attendance(week_id: int):
    return render_sheet(week_id)


def _moment(day: str, clock: str) -> str | None:
    return f"{day}T{clock}" if clock else None


@bp.post(f"/roster/assignments/<{RECORD_ID}:assignment_id>/attendance")
@staff_required
def attendance_tick(assignment_id: int):
    """The coordinator's tick: the check-in and check-out times of one duty (blank clears)."""
    assignment = db.session.get(Assignment, assignment_id)
    week_id = assignment.week_id if assignment is not None else 0
    day = assignment.demand.start.strftime("%Y-%m-%d") if assignment is not None else ""
    values = {key: request.form.get(key, "").strip()[:5] for key in ("checked_in_at", "checked_out_at")}
    data = {key: _moment(day, value) for key, value in values.items()}
    problems = save(schemas.AttendanceIn(), data, lambda loaded: service.set_attendance(
        current_actor(), assignment_id, loaded["checked_in_at"], loaded["checked_out_at"], utcnow()))[1]
    if problems is not None:
        return render_sheet(week_id, problems, assignment_id, values)
    flash(_("Attendance saved."), "success")
    return redirect(url_for("roster_pages.attendance", week_id=week_id, _anchor=f"a{assignment_id}"))
