"""Emergency call-outs (平急结合) and swaps: who can take this one demand now.

Both rank candidates with ``solver.suggest`` over the week's problem with the
live roster as the current plan, so travel, overlaps and load limits are
judged exactly as the planner judges them.
"""
from datetime import datetime

from sqlalchemy import select, update

from solver import suggest
from solver.model import problem_from_dict

from ..accounts.models import User
from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..models_base import utcnow
from ..notifications.service import Note, coordinators_of, notify, users_of_volunteers
from .models import (
    Assignment, AssignmentStatus, CallOut, CallOutInvite, CallOutStatus, Demand, DemandKind, DraftAssignment,
    InviteStatus,
    RosterWeek, SwapRequest, SwapStatus,
)
from .problem import build_problem, demand_key, live_pairs, parse_key
from .service import ACTIVE, own_assignment, publish_pairs, week_for

INVITES_PER_PLACE = 3  # call more people than needed: some will not answer in time


def candidates(week: RosterWeek, demand: Demand, k: int) -> list:
    """Volunteers who could take ``demand`` given the live roster, nearest first."""
    document, _ = build_problem(week, live_pairs(week))
    return suggest(problem_from_dict(document), demand_key(demand.id), k)


def create_callout(community_id: int, data: dict, user: User) -> CallOut:
    """Create the urgent demand, rank volunteers and call the best ones out at once."""
    start, end = data["start"], data["end"]
    if end <= start:
        raise InvalidInput("Bad time", {"end": ["must be after start"]})
    week = week_for(community_id, "{}-W{:02d}".format(*start.isocalendar()[:2]))
    demand = Demand(week_id=week.id, week=week, kind=DemandKind.task, title=data["title"], start=start, end=end,
                    needed=data["needed"], skills=list(data.get("skills", [])), priority=10,
                    lat=data["lat"], lon=data["lon"])
    db.session.add(demand)
    db.session.flush()
    callout = CallOut(community_id=community_id, demand_id=demand.id, created_by_id=user.id)
    db.session.add(callout)
    ranked = candidates(week, demand, data["needed"] * INVITES_PER_PLACE)
    for rank, suggestion in enumerate(ranked, start=1):
        callout.invites.append(CallOutInvite(volunteer_id=parse_key(suggestion.volunteer), rank=rank,
                                             distance_m=suggestion.distance_m))
    db.session.flush()
    notify(users_of_volunteers([i.volunteer_id for i in callout.invites]), Note(
        "callout", f"紧急召集 / urgent: {demand.title}",
        f"{start:%m-%d %H:%M}-{end:%H:%M}, 需要 {demand.needed} 人 / {demand.needed} needed", f"/my/callouts/{callout.id}"))
    return callout


def get_callout(callout_id: int) -> CallOut:
    callout = db.session.get(CallOut, callout_id)
    if callout is None:
        raise NotFound(f"call-out {callout_id} not found")
    return callout


def answer_callout(user: User, callout_id: int, accept: bool) -> CallOutInvite:
    """The first ``needed`` volunteers who accept are assigned; later ones hear it is filled.

    Both steps are guarded UPDATEs (answer once; take a place only while one is
    free), which hold on PostgreSQL and SQLite alike, however many answer at once.
    """
    callout = get_callout(callout_id)
    invite = next((i for i in callout.invites if user.volunteer_id and i.volunteer_id == user.volunteer_id), None)
    if invite is None:
        raise NotFound(f"call-out {callout_id} not found")
    answered = InviteStatus.accepted if accept else InviteStatus.declined
    if db.session.execute(update(CallOutInvite).where(
            CallOutInvite.id == invite.id, CallOutInvite.status == InviteStatus.invited)
            .values(status=answered, answered_at=utcnow())).rowcount != 1:
        db.session.refresh(invite)
        raise Conflict(f"you already answered ({invite.status.value})", {"accept": [invite.status.value]})
    needed = callout.demand.needed
    if accept and db.session.execute(update(CallOut).where(
            CallOut.id == callout.id, CallOut.status == CallOutStatus.open, CallOut.accepted < needed)
            .values(accepted=CallOut.accepted + 1)).rowcount != 1:
        db.session.execute(update(CallOutInvite).where(CallOutInvite.id == invite.id)
                           .values(status=InviteStatus.too_late))
    db.session.refresh(invite)
    db.session.refresh(callout)
    if invite.status != InviteStatus.accepted:
        return invite
    # Straight onto the live roster (and the draft, so the next publish keeps it); no new
    # version here, so people accepting at the same moment do not collide on the week.
    demand = callout.demand
    db.session.add(Assignment(week_id=demand.week_id, demand_id=demand.id, volunteer_id=invite.volunteer_id,
                              status=AssignmentStatus.confirmed, answered_at=utcnow()))
    db.session.add(DraftAssignment(week_id=demand.week_id, demand_id=demand.id, volunteer_id=invite.volunteer_id))
    if callout.accepted >= needed:
        callout.status = CallOutStatus.filled
        waiting = [i.volunteer_id for i in callout.invites if i.status == InviteStatus.invited]
        notify(users_of_volunteers(waiting), Note("callout", f"已满员，谢谢 / filled: {callout.demand.title}"))
        notify(coordinators_of(callout.community_id), Note("callout", f"召集已满员 / call-out filled: {callout.demand.title}"))
    db.session.flush()
    return invite


def close_callout(callout: CallOut) -> None:
    if callout.status == CallOutStatus.open:
        callout.status = CallOutStatus.closed
        db.session.flush()


# --- swaps -----------------------------------------------------------------------------------


def request_swap(user: User, assignment_id: int, to_volunteer_id: int, note: str) -> SwapRequest:
    assignment = own_assignment(user, assignment_id)
    if assignment.status not in ACTIVE:
        raise Conflict("only a current assignment can be handed over", {"assignment_id": [assignment.status.value]})
    if to_volunteer_id == assignment.volunteer_id:
        raise InvalidInput("Choose someone else", {"to_volunteer_id": ["that is you"]})
    week = db.session.get(RosterWeek, assignment.week_id)
    from ..people.models import Volunteer

    target = db.session.get(Volunteer, to_volunteer_id)
    if target is None or target.community_id != week.community_id:
        raise InvalidInput("Unknown colleague", {"to_volunteer_id": ["no such volunteer in your community"]})
    swap = SwapRequest(assignment_id=assignment.id, to_volunteer_id=to_volunteer_id, note=note)
    db.session.add(swap)
    db.session.flush()
    notify(coordinators_of(week.community_id), Note(
        "swap", f"换班申请 / swap request: {assignment.volunteer.name} → {target.name}",
        f"{assignment.demand.start:%m-%d %H:%M} {assignment.demand.title}", f"/roster/weeks/{week.id}"))
    return swap


def decide_swap(swap: SwapRequest, approve: bool, user: User) -> SwapRequest:
    """Approving hands the place over (a new published version) if the colleague can take it."""
    if swap.status != SwapStatus.requested:
        raise Conflict(f"swap already {swap.status.value}", {"status": [swap.status.value]})
    assignment = swap.assignment
    week = db.session.get(RosterWeek, assignment.week_id)
    swap.decided_by_id = user.id
    if not approve:
        swap.status = SwapStatus.rejected
        db.session.flush()
        return swap
    if assignment.status not in ACTIVE:
        raise Conflict("the assignment changed meanwhile", {"assignment_id": [assignment.status.value]})
    able = {parse_key(s.volunteer) for s in candidates(week, assignment.demand, k=10_000)}
    if swap.to_volunteer_id not in able:
        raise InvalidInput("The colleague cannot take it", {"to_volunteer_id": [
            "not available, lacks a skill, too far, over their hours, or busy at that time"]})
    pairs = live_pairs(week) - {(assignment.demand_id, assignment.volunteer_id)}
    pairs.add((assignment.demand_id, swap.to_volunteer_id))
    publish_pairs(week, pairs, user, note=f"swap {swap.id} approved")
    swap.status = SwapStatus.approved
    db.session.flush()
    return swap


def swaps_for_week(week: RosterWeek) -> list[SwapRequest]:
    return db.session.scalars(select(SwapRequest).join(Assignment).where(Assignment.week_id == week.id)
                              .order_by(SwapRequest.id.desc())).all()


def now_local() -> datetime:
    """China time without an offset, as rosters are kept."""
    from ..validation import CHINA_TIME

    return datetime.now(CHINA_TIME).replace(tzinfo=None)
