"""Emergency call-outs (平急结合): the coordinator's side."""
from datetime import datetime, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ...accounts.policy import current_actor
from ...clock import now_local
from ...extensions import db
from ...people import contact
from ...people.phone_pages import page_with_number
from ...people import service as people
from ...people.models import Skill
from ...places.models import Community
from ...resources import commit
from ...views import RECORD_ID, blank_to_none, save, scoped_options, staff_required
from .. import schemas, teams, urgent
from ..models import CallOut, CallOutStatus, InviteStatus
from . import bp
from .common import RECENT, plannable_communities, skill_names, station_options

#: How far ahead a call-out may start when "now or soon" is chosen (minutes).
START_OPTIONS = (0, 15, 30, 60, 120)
DURATION_OPTIONS = (30, 60, 120, 180, 240, 480)
#: Seconds between refreshes of an open call-out (meta refresh, works without script).
CALLOUT_REFRESH_S = 10

# --- emergency call-outs ---------------------------------------------------------------------

CALLOUT_FIELDS = ("community_id", "station_id", "place", "title", "lat", "lon", "radius_m", "needed", "start_in",
                  "start_at", "duration", "team_id")


def callout_values(form=None) -> dict:
    if form is None:
        communities = plannable_communities()
        return {"community_id": str(communities[0].id) if len(communities) == 1 else "", "needed": "2",
                "start_in": "0", "duration": "120", "radius_m": str(urgent.setting("CALLOUT_RADIUS_M")),
                "skills": [], "skills_required": True}
    values = {key: form.get(key, "").strip() for key in CALLOUT_FIELDS}
    values["skills"] = form.getlist("skills")
    values["skills_required"] = "skills_required" in form
    values["team_only"] = "team_only" in form
    return values


def callout_payload(values: dict) -> dict:
    """Form → ``CallOutIn``: a station or an address gives the place, "now or soon" gives the start."""
    data = blank_to_none(values, ("community_id", "title", "needed"))
    data.update({key: value for key, value in blank_to_none(
        values, ("station_id", "place", "lat", "lon", "radius_m", "team_id")).items() if value is not None})
    data["team_only"] = values.get("team_only", False)
    data["skills"], data["skills_required"] = values["skills"], values["skills_required"]
    if values.get("start_at"):
        start = values["start_at"]
    else:
        minutes = int(values["start_in"]) if values.get("start_in", "").isdigit() else 0
        start = (now_local() + timedelta(minutes=min(minutes, max(START_OPTIONS)))).strftime("%Y-%m-%dT%H:%M")
    data["start"] = start
    try:
        duration = min(int(values.get("duration") or 120), 24 * 60)
        data["end"] = (datetime.fromisoformat(start) + timedelta(minutes=duration)).strftime("%Y-%m-%dT%H:%M")
    except ValueError:
        data["end"] = None  # the schema names the bad start
    return data


def create_callout(loaded: dict) -> CallOut:
    return urgent.create_callout(current_actor(), loaded.pop("community_id"), loaded)


@bp.route("/roster/callouts", methods=["GET", "POST"])
@staff_required
def callouts():
    values, problems = callout_values(), None
    if request.method == "POST":
        values = callout_values(request.form)
        callout, problems = save(schemas.CallOutIn(), callout_payload(values), create_callout)
        if problems is None:
            if urgent.shortfall(callout):
                flash(_("Only %(count)s volunteers could be called; %(needed)s are wanted.",
                        count=len(callout.invites), needed=callout.demand.needed), "warning")
            else:
                flash(_("Call-out sent to %(count)s volunteers.", count=len(callout.invites)), "success")
            return redirect(url_for("roster_pages.callout", callout_id=callout.id))
    return render_template(
        "roster/callouts.html", values=values, problems=problems,
        recent=urgent.recent_callouts(current_actor(), RECENT),
        communities=plannable_communities(), stations=station_options(),
        skills=scoped_options(people.skills, Skill.code), start_options=START_OPTIONS,
        duration_options=DURATION_OPTIONS, teams=db.session.scalars(teams.teams(current_actor()).limit(500)).all(),
    ), (problems.status if problems else 200)


def render_callout(callout_id: int, revealed: dict[int, str] | None = None):
    actor = current_actor()
    callout = urgent.get_callout(actor, callout_id)
    offered = contact.offered(actor, contact.Purpose.callout, callout.id)
    commit()
    return render_template("roster/callout.html", callout=callout, demand=callout.demand,
                           community=db.session.get(Community, callout.community_id), skills=skill_names(),
                           short=urgent.shortfall(callout), offered=offered, revealed=revealed or {},
                           refresh=CALLOUT_REFRESH_S if callout.status == CallOutStatus.open and not revealed else None)


@bp.get(f"/roster/callouts/<{RECORD_ID}:callout_id>")
@staff_required
def callout(callout_id: int):
    """The ranked invitations and their answers, refreshing itself (and sending a wave that is due) while open."""
    return render_callout(callout_id)


@bp.post(f"/roster/callouts/<{RECORD_ID}:callout_id>/phone")
@staff_required
def callout_phone(callout_id: int):
    """The "查看号码" button: the page again with one invited volunteer's number shown (audited), not
    refreshing while the coordinator dials."""
    return page_with_number(contact.Purpose.callout, callout_id, render_callout)


@bp.post(f"/roster/callouts/<{RECORD_ID}:callout_id>/widen")
@staff_required
def callout_widen(callout_id: int):
    """The shortfall's buttons: a wider radius, or the skills no longer required."""
    data = {key: request.form[key] for key in ("radius_m", "skills_required") if key in request.form}
    invited, problems = save(schemas.CallOutWidenIn(), data,
                             lambda loaded: urgent.widen_callout(current_actor(), callout_id, loaded))
    if problems is not None:
        flash(_("The call-out could not be widened: it is no longer open or was widened already."), "warning")
    else:
        flash(_("%(count)s more volunteers called.", count=len(invited)), "success" if invited else "warning")
    return redirect(url_for("roster_pages.callout", callout_id=callout_id))


@bp.post(f"/roster/callouts/<{RECORD_ID}:callout_id>/close")
@staff_required
def callout_close(callout_id: int):
    urgent.close_callout(current_actor(), callout_id)
    commit()
    flash(_("The call-out is closed; nobody else can accept it."), "success")
    return redirect(url_for("roster_pages.callout", callout_id=callout_id))


# --- volunteers: answering an invitation -------------------------------------------------------

@bp.get(f"/my/callouts/<{RECORD_ID}:callout_id>")
@login_required
def my_callout(callout_id: int):
    invite = urgent.my_invitation(current_actor(), callout_id)
    commit()
    return render_template("roster/my_callout.html", invite=invite, callout=invite.callout,
                           demand=invite.callout.demand, skills=skill_names())


@bp.post(f"/my/callouts/<{RECORD_ID}:callout_id>/answer")
@login_required
def my_callout_answer(callout_id: int):
    data = {"accept": request.form.get("accept", "").strip() or None}
    answered, problems = save(schemas.CallOutAnswerIn(), data, lambda loaded: urgent.answer_callout(
        current_actor(), callout_id, loaded["accept"]))
    if problems is not None:
        flash(_("You already answered this call-out."), "warning")
    elif answered.status == InviteStatus.accepted:
        flash(_("Thank you! You are on %(duty)s; it is in your week now.", duty=answered.callout.demand.title),
              "success")
    elif answered.status == InviteStatus.too_late:
        flash(_("Thank you, but enough people have already come forward."), "warning")
    else:
        flash(_("Thank you for answering."), "success")
    return redirect(url_for("roster_pages.my_callout", callout_id=callout_id))
