"""Emergency call-outs (平急结合).

Call-outs. An emergency is not a routine shift: every active volunteer of the
community may be called, except those on leave (an "away" day or hours over
the time), those on a published duty that overlaps it, and those farther than
the call-out's radius (``CALLOUT_RADIUS_M`` unless the call-out says). When
the call-out requires its skills, people lacking them are left out too;
otherwise the skills only rank. Routine limits exclude nobody: someone outside
their usual weekly times or over their weekly hours is still called, ranked
after the others and told so on the invitation. Party members' claimed posts
(认领服务岗位) are offers to serve, not duties: they count for nothing here.
A call-out may ask for a team (``teams``): its members are ranked before
everyone else, or, with ``team_only``, they are the only people called.
Ranking: outside the team asked for, routine limits exceeded, distance,
skills missing, recent load.

Invitations go out in waves, nearest first; each wave calls
``CALLOUT_INVITES_PER_PLACE`` people per place still open. The next wave goes
``CALLOUT_WAVE_MINUTES`` after the last one if too few have accepted, or at
once when too few of those called can still say yes (they declined), until
the call-out is filled or closed. No worker is needed: a wave that is due goes
out when anyone looks at or answers the call-out, and a periodic job sends the
waves nobody looked at (``flask roster callout-waves`` from cron, or the Celery
beat task ``roster.callout_waves`` every minute). A wave is claimed by a
guarded UPDATE of its due time, so two processes never send the same wave;
the first ``needed`` acceptances win through the guarded UPDATEs of
``answer_callout``, whichever wave they came from.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from solver.geo import distance_m

from ..accounts import policy
from ..accounts.policy import Actor
from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..holidays.service import day_statuses
from ..models_base import utcnow
from ..notifications.service import Note, coordinators_of, notify, users_of_volunteers
from ..people.availability import away_during, windows_for
from ..people.models import Volunteer, VolunteerStatus
from ..people.service import skills_by_code
from ..places.models import Community, Station
from ..stored_words import as_text
from .models import (
    Assignment, AssignmentStatus, CallOut, CallOutInvite, CallOutStatus, Demand, DemandKind, DraftAssignment,
    InviteStatus,
)
from .problem import history_minutes
from .service import ACTIVE, END_AFTER_START, open_week
from .teams import member_ids, team_for_callout
from ..labels import label

MAX_RADIUS_M = 20_000
RADIUS_STEP_M = 500  # a wider radius is offered in these steps
#: Why someone was not called; each is counted under the first that applies.
CAUSES = ("on_leave", "busy", "lacks_skill", "beyond_radius")


def setting(name: str) -> int:
    """A call-out setting (``CALLOUT_*``, see ``config.settings_from_env``)."""
    return int(current_app.config[name])


# --- who can be called ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    volunteer_id: int
    distance_m: int
    missing_skills: int
    recent_minutes: int  # served in the weeks before plus on duty this week
    outside_hours: bool
    over_weekly_hours: bool
    outside_team: bool = False  # the call-out asks for a team this volunteer is not in

    def rank(self) -> tuple:
        return (self.outside_team, self.outside_hours + self.over_weekly_hours, self.distance_m, self.missing_skills,
                self.recent_minutes, self.volunteer_id)


@dataclass(frozen=True)
class Reach:
    candidates: list[Candidate]  # best first
    left_out: Counter  # cause → people
    beyond: list[int]  # distances of those left out for the radius alone, nearest first

    def wider_radius(self, more: int) -> int | None:
        """The radius, in steps, that would bring ``more`` of those beyond it in (as many as there are)."""
        if not self.beyond:
            return None
        distance = self.beyond[min(more, len(self.beyond)) - 1]
        return min(-(-distance // RADIUS_STEP_M) * RADIUS_STEP_M, MAX_RADIUS_M)

    def summary(self, uncalled: int, short: int) -> dict:
        """What ``CallOut.reach`` keeps: who could be called, who could not and why."""
        return {"eligible": len(self.candidates), "uncalled": uncalled, **{c: self.left_out[c] for c in CAUSES},
                "wider_radius_m": self.wider_radius(short) if short > 0 else None}


def _minutes(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds()) // 60


def _duties(volunteer_ids: list[int], demand: Demand, monday: datetime) -> dict[int, list[tuple[datetime, datetime]]]:
    """Each volunteer's published duties (other than ``demand``) in its week or overlapping it."""
    first, last = min(monday, demand.start), max(monday + timedelta(days=7), demand.end)
    rows = db.session.execute(
        select(Assignment.volunteer_id, Demand.start, Demand.end).join(Demand, Assignment.demand_id == Demand.id)
        .where(Assignment.volunteer_id.in_(volunteer_ids), Assignment.status.in_(ACTIVE), Demand.id != demand.id,
               Demand.cancelled.is_(False), Demand.end > first, Demand.start < last)).all()
    duties = defaultdict(list)
    for volunteer_id, start, end in rows:
        duties[volunteer_id].append((start, end))
    return duties


def reach_of(callout: CallOut) -> Reach:
    """Everyone the call-out may call, ranked, and how many were left out for each cause."""
    demand = callout.demand
    team = member_ids(callout.team) if callout.team is not None else None
    statement = select(Volunteer).where(Volunteer.community_id == callout.community_id,
                                        Volunteer.status == VolunteerStatus.active)
    if team is not None and callout.team_only:
        statement = statement.where(Volunteer.id.in_(team))
    volunteers = db.session.scalars(statement.order_by(Volunteer.id)).all()
    ids = [v.id for v in volunteers]
    monday = datetime.combine(demand.start.date() - timedelta(days=demand.start.weekday()), time(0))
    duties, history = _duties(ids, demand, monday), history_minutes(ids, monday.date())
    statuses = day_statuses(demand.start.date(), demand.end.date())
    wanted, minutes = set(demand.skills), _minutes(demand.start, demand.end)
    found, left_out, beyond = [], Counter(), []
    for volunteer in volunteers:
        theirs = duties.get(volunteer.id, [])
        missing = len(wanted - {s.code for s in volunteer.skills})
        distance = distance_m(volunteer, demand)
        if away_during(volunteer, demand.start, demand.end):
            left_out["on_leave"] += 1
        elif any(start < demand.end and demand.start < end for start, end in theirs):
            left_out["busy"] += 1
        elif missing and callout.skills_required:
            left_out["lacks_skill"] += 1
        elif distance > callout.radius_m:
            left_out["beyond_radius"] += 1
            beyond.append(distance)
        else:
            this_week = sum(_minutes(start, end) for start, end in theirs if monday <= start < monday + timedelta(days=7))
            usual = windows_for(volunteer, demand.start.date(), demand.end.date(), statuses)
            found.append(Candidate(
                volunteer.id, distance, missing, history.get(volunteer.id, 0) + this_week,
                outside_hours=not any(start <= demand.start and demand.end <= end for start, end in usual),
                over_weekly_hours=this_week + minutes > volunteer.max_hours_per_week * 60,
                outside_team=team is not None and volunteer.id not in team))
    return Reach(sorted(found, key=Candidate.rank), left_out, sorted(beyond))


def pending(callout: CallOut) -> int:
    """Invited people who have not answered yet."""
    return sum(1 for i in callout.invites if i.status == InviteStatus.invited)


def shortfall(callout: CallOut) -> int:
    """Places of an open call-out that even everyone still to answer or to be called could not fill."""
    if callout.status != CallOutStatus.open:
        return 0
    return max(0, callout.demand.needed - callout.accepted - pending(callout) - callout.reach.get("uncalled", 0))


# --- waves ------------------------------------------------------------------------------------------


def _call_wave(callout: CallOut, now: datetime) -> list[CallOutInvite]:
    """Rank everyone in reach afresh and invite the best of those not called yet; set when the next wave is due."""
    demand = callout.demand
    reach = reach_of(callout)
    called = {i.volunteer_id for i in callout.invites}
    fresh = [c for c in reach.candidates if c.volunteer_id not in called]
    open_places = demand.needed - callout.accepted
    chosen = fresh[:open_places * setting("CALLOUT_INVITES_PER_PLACE")]
    if chosen:
        callout.wave += 1
    first_rank = len(callout.invites) + 1
    invites = [CallOutInvite(volunteer_id=c.volunteer_id, rank=first_rank + n, distance_m=c.distance_m, wave=callout.wave,
                             outside_hours=c.outside_hours, over_weekly_hours=c.over_weekly_hours)
               for n, c in enumerate(chosen)]
    callout.invites.extend(invites)
    uncalled = len(fresh) - len(chosen)
    callout.reach = reach.summary(uncalled, open_places - pending(callout) - uncalled)
    callout.next_wave_at = now + timedelta(minutes=setting("CALLOUT_WAVE_MINUTES"))
    db.session.flush()
    _tell_invited(callout, invites)
    return invites


def _tell_invited(callout: CallOut, invites: list[CallOutInvite]) -> None:
    demand = callout.demand
    what = _l("%(place)s, %(start)s–%(end)s, %(needed)s needed", place=as_text(callout.place_words or callout.place),
              start=f"{demand.start:%m-%d %H:%M}", end=f"{demand.end:%H:%M}", needed=demand.needed)
    groups = defaultdict(list)
    for invite in invites:
        groups[invite.outside_hours, invite.over_weekly_hours].append(invite.volunteer_id)
    for (outside_hours, over_weekly_hours), volunteer_ids in groups.items():
        body = what
        for note in [_l("outside your usual hours")] * outside_hours + [_l("beyond your weekly hours")] * over_weekly_hours:
            body = _l("%(text)s; %(more)s", text=body, more=note)
        notify(users_of_volunteers(volunteer_ids), Note(
            "callout", _l("Urgent call-out: %(duty)s", duty=demand.title), body, f"/my/callouts/{callout.id}"))


def _wave_due(callout: CallOut, now: datetime) -> bool:
    if callout.status != CallOutStatus.open or callout.next_wave_at is None:
        return False
    due_at = callout.next_wave_at
    if (due_at if due_at.tzinfo else due_at.replace(tzinfo=UTC)) <= now:  # SQLite gives it back naive
        return True
    return callout.reach.get("uncalled", 0) > 0 and pending(callout) < callout.demand.needed - callout.accepted


def _claim_wave(callout: CallOut, now: datetime, **changes) -> bool:
    """Take the right to send the next wave (with ``changes`` to the call-out): one process wins, while it is open."""
    claimed = db.session.execute(update(CallOut).where(
        CallOut.id == callout.id, CallOut.status == CallOutStatus.open, CallOut.accepted < callout.demand.needed,
        CallOut.next_wave_at == callout.next_wave_at)
        .values(next_wave_at=now + timedelta(minutes=setting("CALLOUT_WAVE_MINUTES")), **changes)).rowcount == 1
    db.session.refresh(callout)
    return claimed


def advance_wave(callout: CallOut, now: datetime | None = None) -> list[CallOutInvite]:
    """Send the call-out's next wave if it is due (see the module's docstring); who it invited."""
    now = now or utcnow()
    if not _wave_due(callout, now) or not _claim_wave(callout, now):
        return []
    return _call_wave(callout, now)


def advance_due_waves(now: datetime | None = None) -> int:
    """The periodic job: send every wave whose time has come; how many people were invited."""
    now = now or utcnow()
    due = db.session.scalars(select(CallOut).where(CallOut.status == CallOutStatus.open, CallOut.next_wave_at <= now)
                             .order_by(CallOut.id)).all()
    return sum(len(advance_wave(callout, now)) for callout in due)


# --- the call-out's life -----------------------------------------------------------------------------


def _place_near(demand: Demand, community_id: int):
    """A name for bare coordinates: near the community's nearest station (or in the community)."""
    stations = db.session.scalars(select(Station).where(Station.community_id == community_id)).all()
    if not stations:
        return db.session.get(Community, community_id).name
    return _l("near %(station)s", station=min(stations, key=lambda s: distance_m(s, demand)).name)


def create_callout(actor: Actor, community_id: int, data: dict, now: datetime | None = None) -> CallOut:
    """Create the urgent demand, at a station or an address, and call the first wave at once."""
    community = policy.get(actor, "roster.callout", Community, community_id)
    start, end = data["start"], data["end"]
    if end <= start:
        raise InvalidInput(END_AFTER_START, {"end": [END_AFTER_START]}, code="end_before_start")
    station = policy.parent(actor, Station, data["station_id"], "station_id", "roster.callout") \
        if data.get("station_id") else None
    if station is not None and station.community_id != community_id:
        raise InvalidInput(_l("This station is in another community."),
                           {"station_id": [_l("Not a station of this community.")]}, code="station_elsewhere")
    skills = [s.code for s in skills_by_code(data.get("skills", []))]
    team = team_for_callout(actor, community_id, data.get("team_id"))
    week = open_week(community, "{}-W{:02d}".format(*start.isocalendar()[:2]))
    demand = Demand(week_id=week.id, week=week, kind=DemandKind.task, title=data["title"], start=start, end=end,
                    needed=data["needed"], skills=skills, priority=10, station_id=station.id if station else None,
                    lat=station.lat if station else data["lat"], lon=station.lon if station else data["lon"])
    db.session.add(demand)
    db.session.flush()
    callout = CallOut(community_id=community_id, demand_id=demand.id, demand=demand, created_by_id=actor.id,
                      place_text=station.name if station else data.get("place") or _place_near(demand, community_id),
                      radius_m=data.get("radius_m") or setting("CALLOUT_RADIUS_M"),
                      skills_required=data.get("skills_required", True), wave=0, accepted=0, reach={},
                      team_id=team.id if team else None, team=team, team_only=bool(team and data.get("team_only")))
    db.session.add(callout)
    _call_wave(callout, now or utcnow())
    return callout


def widen_callout(actor: Actor, callout_id: int, data: dict, now: datetime | None = None) -> list[CallOutInvite]:
    """Call more people: a wider radius, or the skills as a ranking only; the wave goes at once."""
    callout = policy.get(actor, "roster.callout", CallOut, callout_id)
    radius_m = data.get("radius_m", callout.radius_m)
    if radius_m < callout.radius_m:
        raise InvalidInput(_l("A call-out only widens."),
                           {"radius_m": [_l("Must be at least %(radius)s m.", radius=callout.radius_m)]},
                           code="only_widens")
    skills_required = data.get("skills_required", callout.skills_required)
    if skills_required and not callout.skills_required:
        raise InvalidInput(_l("A call-out only widens."),
                           {"skills_required": [_l("The skills were dropped already.")]}, code="only_widens")
    now = now or utcnow()
    if not _claim_wave(callout, now, radius_m=radius_m, skills_required=skills_required):
        raise Conflict(_l("The call-out is %(state)s.", state=label("callout", callout.status)),
                       {"status": [callout.status.value]}, code="callout_not_open")
    return _call_wave(callout, now)


def close_callout(actor: Actor, callout_id: int) -> CallOut:
    """Nobody else can accept it (closing a call-out that is filled or closed changes nothing)."""
    callout = policy.get(actor, "roster.callout", CallOut, callout_id)
    if callout.status == CallOutStatus.open:
        callout.status, callout.next_wave_at = CallOutStatus.closed, None
        db.session.flush()
    return callout


def get_callout(actor: Actor, callout_id: int) -> CallOut:
    """A call-out with its invitations; looking at it sends its next wave if that is due."""
    callout = policy.get(actor, "roster.read", CallOut, callout_id)
    advance_wave(callout)
    return callout


def recent_callouts(actor: Actor, limit: int) -> list[CallOut]:
    policy.require(actor, "roster.read")
    return db.session.scalars(select(CallOut).where(policy.where(actor, "roster.read", CallOut))
                              .order_by(CallOut.id.desc()).limit(limit)).all()


def calling_count(actor: Actor) -> int:
    """Call-outs the actor follows that are still calling."""
    policy.require(actor, "roster.read")
    return db.session.scalar(select(func.count()).select_from(CallOut).where(
        policy.where(actor, "roster.read", CallOut), CallOut.status == CallOutStatus.open))


# --- a volunteer's invitations ---------------------------------------------------------------------


def _invitation(actor: Actor, callout_id: int) -> CallOutInvite:
    policy.require(actor, "roster.invitation")
    invite = db.session.scalar(select(CallOutInvite).where(
        CallOutInvite.callout_id == callout_id, policy.where(actor, "roster.invitation", CallOutInvite)))
    if invite is None:
        raise NotFound(_l("Call-out %(id)s not found.", id=callout_id))
    return invite


def my_invitation(actor: Actor, callout_id: int) -> CallOutInvite:
    """The actor's invitation to a call-out (anyone not invited: 404); looking sends a wave that is due."""
    invite = _invitation(actor, callout_id)
    advance_wave(invite.callout)
    return invite


def answer_callout(actor: Actor, callout_id: int, accept: bool) -> CallOutInvite:
    """The first ``needed`` volunteers who accept are assigned; later ones hear it is filled.

    Both steps are guarded UPDATEs (answer once; take a place only while one is
    free), which hold on PostgreSQL and SQLite alike, however many answer at
    once and from whichever wave. An answer may make the next wave due.
    """
    invite = _invitation(actor, callout_id)
    callout = invite.callout
    answered = InviteStatus.accepted if accept else InviteStatus.declined
    if db.session.execute(update(CallOutInvite).where(
            CallOutInvite.id == invite.id, CallOutInvite.status == InviteStatus.invited)
            .values(status=answered, answered_at=utcnow())).rowcount != 1:
        db.session.refresh(invite)
        raise Conflict(_l("You already answered this call-out."), {"accept": [invite.status.value]},
                       code="already_answered")
    needed = callout.demand.needed
    if accept and db.session.execute(update(CallOut).where(
            CallOut.id == callout.id, CallOut.status == CallOutStatus.open, CallOut.accepted < needed)
            .values(accepted=CallOut.accepted + 1)).rowcount != 1:
        db.session.execute(update(CallOutInvite).where(CallOutInvite.id == invite.id)
                           .values(status=InviteStatus.too_late))
    db.session.refresh(invite)
    db.session.refresh(callout)
    if invite.status == InviteStatus.accepted:
        _take_place(callout, invite)
    advance_wave(callout)
    return invite


def _take_place(callout: CallOut, invite: CallOutInvite) -> None:
    # Straight onto the live roster (and the draft, so the next publish keeps it); no new
    # version here, so people accepting at the same moment do not collide on the week.
    demand = callout.demand
    db.session.add(Assignment(week_id=demand.week_id, demand_id=demand.id, volunteer_id=invite.volunteer_id,
                              status=AssignmentStatus.confirmed, answered_at=utcnow()))
    db.session.add(DraftAssignment(week_id=demand.week_id, demand_id=demand.id, volunteer_id=invite.volunteer_id))
    if callout.accepted >= demand.needed:
        callout.status, callout.next_wave_at = CallOutStatus.filled, None
        waiting = [i.volunteer_id for i in callout.invites if i.status == InviteStatus.invited]
        notify(users_of_volunteers(waiting), Note("callout", _l("Filled, thank you: %(duty)s", duty=demand.title)))
        notify(coordinators_of(callout.community_id), Note("callout", _l("Call-out filled: %(duty)s", duty=demand.title)))
    db.session.flush()
