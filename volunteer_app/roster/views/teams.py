"""Team pages: the coordinator's list and form; the leader's (and coordinator's) view of the members' answers."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ...accounts.policy import current_actor
from ...clock import now_local
from ...extensions import db
from ...people.models import VolunteerStatus
from ...resources import commit
from ...views import RECORD_ID, FormProblems, blank_to_none, save, staff_required
from .. import schemas, teams
from . import bp
from .common import community_volunteers, plannable_communities


def team_payload(values: dict) -> dict:
    data = blank_to_none(values, ("community_id", "name", "leader_id"))
    data["member_ids"] = values["member_ids"]
    return data


def team_values(form) -> dict:
    values = {key: form.get(key, "").strip() for key in ("community_id", "name", "leader_id")}
    values["member_ids"] = [v for v in form.getlist("member_ids") if v.isdigit()][:500]
    return values


@bp.route("/teams", methods=["GET", "POST"])
@staff_required
def teams_list():
    """The community's teams and a form for a new one (its members are chosen on the team's page)."""
    actor = current_actor()
    communities = plannable_communities()
    values = {"community_id": str(communities[0].id) if len(communities) == 1 else "", "name": ""}
    problems = None
    if request.method == "POST":
        values = team_values(request.form)
        team, problems = save(schemas.TeamIn(), team_payload(values), lambda loaded: teams.save_team(
            actor, None, loaded))
        if problems is None:
            flash(_("Team created: %(name)s. Now choose its leader and members.", name=team.name), "success")
            return redirect(url_for("roster_pages.team", team_id=team.id))
    return render_template("roster/teams.html", teams=db.session.scalars(teams.teams(actor).limit(500)).all(),
                           communities=communities, values=values, problems=problems), (
        problems.status if problems else 200)


def render_team(team_id: int, problems: FormProblems | None = None, values: dict | None = None):
    actor = current_actor()
    team = teams.get_team(actor, team_id)
    values = values or {"community_id": str(team.community_id), "name": team.name,
                        "leader_id": str(team.leader_id or ""), "member_ids": [str(v.id) for v in team.members]}
    choices = [v for v in community_volunteers(team.community_id) if v.status == VolunteerStatus.active
               or str(v.id) in values["member_ids"]]
    return render_template("roster/team.html", team=team, values=values, problems=problems, choices=choices,
                           answers=teams.team_answers(actor, team.id, now_local())), (problems.status if problems else 200)


@bp.route(f"/teams/<{RECORD_ID}:team_id>", methods=["GET", "POST"])
@staff_required
def team(team_id: int):
    if request.method == "GET":
        return render_team(team_id)
    values = team_values(request.form)
    values["community_id"] = str(teams.get_team(current_actor(), team_id).community_id)
    problems = save(schemas.TeamIn(), team_payload(values), lambda loaded: teams.save_team(
        current_actor(), team_id, loaded))[1]
    if problems is not None:
        return render_team(team_id, problems, values)
    flash(_("Team saved."), "success")
    return redirect(url_for("roster_pages.team", team_id=team_id))


@bp.post(f"/teams/<{RECORD_ID}:team_id>/delete")
@staff_required
def team_delete(team_id: int):
    teams.delete_team(current_actor(), team_id)
    commit()
    flash(_("Team deleted."), "success")
    return redirect(url_for("roster_pages.teams_list"))


@bp.get("/my/teams")
@login_required
def my_teams():
    """The teams the volunteer leads, each with its members' answers."""
    actor = current_actor()
    return render_template("roster/my_teams.html", answers=[
        teams.team_answers(actor, team.id, now_local()) for team in teams.led_teams(actor)])
