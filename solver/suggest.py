"""Who could take one demand right now, best first, without solving anything.

For the coordinator who just had a cancellation (or an emergency, 平急结合):
the volunteers who meet rules 1-3, are not forbidden, can fit the demand
around what they already do (the problem's `pinned` and `previous` pairs,
travel included) and have load left, nearest first, then least loaded. A
plain pass over the volunteers, so it answers at once even for thousands.
"""

from __future__ import annotations

from dataclasses import dataclass

from solver import constraints
from solver.geo import distance_m
from solver.model import Demand, Pair, Problem, ProblemError


@dataclass(frozen=True, slots=True)
class Suggestion:
    volunteer: str
    distance_m: int
    load_minutes: int  # history plus minutes already planned in this problem
    free_minutes: int | None  # minutes left under max_minutes before this demand; None: no limit
    unwanted: bool  # the demand overlaps one of the volunteer's avoid windows
    reasons: tuple[str, ...]  # why this volunteer ranks where they do, in words


def _km(metres: int) -> str:
    return f"{metres} m" if metres < 1000 else f"{metres / 1000:.1f} km"


def _planned(problem: Problem, demand: Demand) -> dict[str, list[Demand]]:
    """What each volunteer already does: pinned and previous pairs, other demands only."""
    plan: dict[str, list[Demand]] = {}
    for p in dict.fromkeys(problem.pinned + problem.previous):
        if p.demand != demand.id and p.demand in problem.demand_by_id and p.volunteer in problem.volunteer_by_id:
            plan.setdefault(p.volunteer, []).append(problem.demand_by_id[p.demand])
    return plan


def suggest(problem: Problem, demand_id: str, k: int = 10) -> list[Suggestion]:
    """Up to `k` volunteers who can take `demand_id` given the current plan,
    nearest first, then least loaded (history included), then by id."""
    demand = problem.demand_by_id.get(demand_id)
    if demand is None:
        raise ProblemError(f"unknown demand {demand_id!r}")
    on_it = {p.volunteer for p in problem.pinned + problem.previous if p.demand == demand_id}
    plan = _planned(problem, demand)
    found = []
    for v in problem.volunteers:
        if (
            v.id in on_it
            or Pair(demand_id, v.id) in problem.forbidden_set
            or not constraints.skills(v, demand)
            or not constraints.availability(v, demand)
            or not constraints.reach(problem, v, demand)
        ):
            continue
        theirs = plan.get(v.id, [])
        minutes = sum(d.minutes for d in theirs)
        if not constraints.load(v, minutes + demand.minutes, len(theirs) + 1):
            continue
        if not all(constraints.no_overlap(problem, other, demand) for other in theirs):
            continue
        dist = distance_m(v.home, demand.location)
        free = None if v.max_minutes is None else v.max_minutes - minutes
        unwanted = constraints.unwanted_pair(v, demand)
        reasons = [f"lives {_km(dist)} away"]
        reasons.append(f"{v.history_minutes + minutes} min served or planned")
        if free is not None:
            reasons.append(f"{free} of {v.max_minutes} min left")
        if unwanted:
            reasons.append("would rather not serve at this time")
        found.append(Suggestion(v.id, dist, v.history_minutes + minutes, free, unwanted, tuple(reasons)))
    found.sort(key=lambda s: (s.distance_m, s.load_minutes, s.volunteer))
    return found[:k]
