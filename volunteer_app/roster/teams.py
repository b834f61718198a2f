"""Volunteer teams (each 小区's 应急队, a 义诊 team of doctors): a community's named groups with a leader.

A call-out may ask for a team: its members are called first (ranked before everyone else), or only
them. A team's leader sees their members' answers: to the call-outs that asked for the team, and to
their published duties ahead.
"""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts import policy
from ..accounts.policy import Actor
from ..errors import Conflict, InvalidInput
from ..extensions import db
from ..people.models import Volunteer
from ..places.models import Community
from .models import Assignment, AssignmentStatus, CallOut, Demand, Team

RECENT_CALLOUTS = 10


def teams(actor: Actor, community_id: int | None = None):
    """The teams the actor's communities keep (a query, by community and name)."""
    policy.require(actor, "teams.read")
    statement = select(Team).where(policy.where(actor, "teams.read", Team))
    if community_id is not None:
        statement = statement.where(Team.community_id == community_id)
    return statement.order_by(Team.community_id, Team.name, Team.id)


def get_team(actor: Actor, team_id: int) -> Team:
    return policy.get(actor, "teams.read", Team, team_id)


def _volunteers(community_id: int, ids: list[int], field_name: str) -> list[Volunteer]:
    found = db.session.scalars(select(Volunteer).where(Volunteer.id.in_(ids))).all() if ids else []
    if len(found) != len(set(ids)) or any(v.community_id != community_id for v in found):
        elsewhere = _l("Only volunteers of the team's community can be in it.")
        raise InvalidInput(elsewhere, {field_name: [elsewhere]}, code="volunteer_elsewhere")
    return found


def save_team(actor: Actor, team_id: int | None, data: dict) -> Team:
    """Create a team (``team_id`` None) or change its name, leader and members; the leader is a member."""
    policy.require(actor, "teams.write")
    if team_id is None:
        community = policy.parent(actor, Community, data["community_id"], "community_id", "teams.write")
        team = Team(community_id=community.id)
    else:
        team = policy.get(actor, "teams.write", Team, team_id)
    name = data["name"].strip()
    taken = db.session.scalar(select(Team.id).where(Team.community_id == team.community_id, Team.name == name,
                                                    Team.id != (team.id or 0)))
    if taken is not None:
        used = _l("The community has a team of this name already.")
        raise Conflict(used, {"name": [used]}, code="team_name_taken")
    leader_id = data.get("leader_id")
    member_ids = sorted(set(data.get("member_ids", [])) | ({leader_id} if leader_id else set()))
    team.name, team.leader_id = name, leader_id
    team.members = _volunteers(team.community_id, member_ids, "member_ids")
    db.session.add(team)
    db.session.flush()
    return team


def delete_team(actor: Actor, team_id: int) -> None:
    db.session.delete(policy.get(actor, "teams.write", Team, team_id))
    db.session.flush()


def member_ids(team: Team) -> set[int]:
    return {v.id for v in team.members}


def team_for_callout(actor: Actor, community_id: int, team_id: int | None) -> Team | None:
    """The team a new call-out asks for: one of its community's (422 naming ``team_id`` otherwise)."""
    if team_id is None:
        return None
    team = policy.parent(actor, Team, team_id, "team_id", "roster.callout")
    if team.community_id != community_id:
        raise policy.out_of_reach("team_id")
    return team


# --- a leader's view --------------------------------------------------------------------------------


def led_teams(actor: Actor) -> list[Team]:
    """The teams the actor leads."""
    policy.require(actor, "teams.lead")
    return db.session.scalars(select(Team).where(policy.where(actor, "teams.lead", Team))
                              .order_by(Team.name, Team.id)).all()


@dataclass
class TeamAnswers:
    """What a team's leader (or its coordinator) sees: who is in it and how they answered."""

    team: Team
    callouts: list[CallOut]  # recent call-outs that asked for the team, each with its invitations
    duties: list[Assignment]  # the members' published duties ahead, with their answers


def team_answers(actor: Actor, team_id: int, now: datetime) -> TeamAnswers:
    """The team's members' answers: its leader's (``teams.lead``) or its community's staff (``teams.read``)."""
    team = db.session.get(Team, team_id)
    if team is None or not policy.may(actor, "teams.lead", team):
        team = get_team(actor, team_id)
    members = member_ids(team)
    callouts = db.session.scalars(select(CallOut).where(CallOut.team_id == team.id)
                                  .order_by(CallOut.id.desc()).limit(RECENT_CALLOUTS)).all()
    duties = db.session.scalars(select(Assignment).join(Demand).where(
        Assignment.volunteer_id.in_(members), Assignment.status != AssignmentStatus.removed,
        Demand.cancelled.is_(False), Demand.end >= now).order_by(Demand.start, Assignment.id)).all() if members else []
    return TeamAnswers(team, callouts, duties)
