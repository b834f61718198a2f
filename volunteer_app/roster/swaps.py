"""Handing a duty to a colleague: the volunteer asks, the coordinator decides.

Candidates are ranked with ``solver.suggest`` over the week's problem with the
live roster as the current plan: a swap is routine, so travel, overlaps and
load limits are judged exactly as the planner judges them.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from solver import suggest
from solver.model import problem_from_dict

from ..accounts import policy
from ..accounts.policy import Actor
from ..errors import Conflict, InvalidInput
from ..extensions import db
from ..notifications.service import Note, coordinators_of, notify
from ..people.models import Volunteer
from .models import Assignment, Demand, RosterWeek, SwapRequest, SwapStatus
from .problem import build_problem, demand_key, live_pairs, parse_key
from .service import ACTIVE, own_assignment, publish_pairs, record_of_week
from ..labels import label


def candidates(week: RosterWeek, demand: Demand, k: int) -> list:
    """Volunteers who could take ``demand`` as a routine duty given the live roster, nearest first."""
    document, _ = build_problem(week, live_pairs(week))
    return suggest(problem_from_dict(document), demand_key(demand.id), k)


def request_swap(actor: Actor, assignment_id: int, to_volunteer_id: int, note: str) -> SwapRequest:
    """The volunteer asks to hand one of their current duties to a colleague of their community."""
    assignment = own_assignment(actor, assignment_id)
    if assignment.status not in ACTIVE:
        raise Conflict(_l("Only a current duty can be handed over."), {"assignment_id": [assignment.status.value]},
                       code="not_current")
    if to_volunteer_id == assignment.volunteer_id:
        raise InvalidInput(_l("Choose someone else."), {"to_volunteer_id": [_l("Choose someone other than yourself.")]},
                           code="swap_to_self")
    week = db.session.get(RosterWeek, assignment.week_id)
    target = db.session.get(Volunteer, to_volunteer_id)
    if target is None or target.community_id != week.community_id:
        raise InvalidInput(_l("Unknown colleague."), {"to_volunteer_id": [_l("Not a volunteer of your community.")]},
                           code="unknown_colleague")
    swap = SwapRequest(assignment_id=assignment.id, to_volunteer_id=to_volunteer_id, note=note)
    db.session.add(swap)
    db.session.flush()
    notify(coordinators_of(week.community_id), Note(
        "swap", _l("Swap request: %(volunteer)s → %(colleague)s", volunteer=assignment.volunteer.name,
                   colleague=target.name),
        f"{assignment.demand.start:%m-%d %H:%M} {assignment.demand.title}", f"/roster/weeks/{week.id}"))
    return swap


def _week_id(swap: SwapRequest) -> int:
    return swap.assignment.week_id


def get_swap(actor: Actor, swap_id: int) -> SwapRequest:
    return record_of_week(actor, "roster.read", SwapRequest, swap_id, week_id=_week_id)


def decide_swap(actor: Actor, swap_id: int, approve: bool) -> SwapRequest:
    """Approving hands the place over (a new published version) if the colleague can take it."""
    swap = record_of_week(actor, "roster.publish", SwapRequest, swap_id, week_id=_week_id)
    if swap.status != SwapStatus.requested:
        raise Conflict(_l("This swap is already %(state)s.", state=label("swap", swap.status)),
                       {"status": [swap.status.value]}, code="swap_decided")
    assignment = swap.assignment
    week = db.session.get(RosterWeek, assignment.week_id)
    swap.decided_by_id = actor.id
    if not approve:
        swap.status = SwapStatus.rejected
        db.session.flush()
        return swap
    if assignment.status not in ACTIVE:
        raise Conflict(_l("The duty changed meanwhile."), {"assignment_id": [assignment.status.value]},
                       code="assignment_changed")
    able = {parse_key(s.volunteer) for s in candidates(week, assignment.demand, k=10_000)}
    if swap.to_volunteer_id not in able:
        raise InvalidInput(_l("The colleague cannot take it."), {"to_volunteer_id": [
            _l("They cannot take it: not available, lacking a skill, too far, over their hours, or busy then.")]},
            code="cannot_take")
    pairs = live_pairs(week) - {(assignment.demand_id, assignment.volunteer_id)}
    pairs.add((assignment.demand_id, swap.to_volunteer_id))
    publish_pairs(week, pairs, actor, note=_l("Swap approved"))
    swap.status = SwapStatus.approved
    db.session.flush()
    return swap


def swaps_for_week(actor: Actor, week: RosterWeek) -> list[SwapRequest]:
    """A week's swap requests, newest first."""
    policy.require(actor, "roster.read", week)
    return db.session.scalars(select(SwapRequest).join(Assignment).where(Assignment.week_id == week.id)
                              .order_by(SwapRequest.id.desc())).all()
