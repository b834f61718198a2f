"""Repairing a published roster after a decline, with as few changes as possible.

A full re-solve (`solve` with the roster as `previous`) searches every
roster, so on a big community it may hand back one that moves dozens of
duties, not yet having found, let alone proven, that one change suffices.
A repair starts where a coordinator would: the published roster less the
pairs that can no longer be kept, each hole they leave given to the
volunteer `suggest` ranks first. CP-SAT then improves that roster without
ever changing more than it does (coverage first, never below it, then
changes, then the later scores); under that cap every previous pair that
may be kept must be kept, so only the few volunteers who can still move are
searched, and the result is proven in a second or two.
"""

from __future__ import annotations

import dataclasses

from solver import constraints
from solver.cpsat import Progress, optimise
from solver.model import Pair, Problem, Solution
from solver.suggest import suggest


def _keepable(problem: Problem, pair: Pair) -> bool:
    """Whether a previous pair may still be assigned on its own (not declined, ids known, rules 1-3 and 5)."""
    d, v = problem.demand_by_id.get(pair.demand), problem.volunteer_by_id.get(pair.volunteer)
    return d is not None and v is not None and constraints.eligible(problem, v, d)


def seed_plan(problem: Problem) -> list[Pair]:
    """The previous pairs that may be kept, plus, for each hole the others
    leave (most important demand first), the volunteers `suggest` ranks
    first given the plan so far."""
    plan = [p for p in problem.previous if _keepable(problem, p)]
    lost = {p.demand for p in problem.previous if p.demand in problem.demand_by_id and not _keepable(problem, p)}
    for d in sorted((problem.demand_by_id[i] for i in lost), key=lambda d: (-d.priority, d.start, d.id)):
        staffed = {p.volunteer for p in problem.pinned + tuple(plan) if p.demand == d.id}
        if len(staffed) < d.count:
            now = dataclasses.replace(problem, previous=tuple(plan))
            plan += [Pair(d.id, s.volunteer) for s in suggest(now, d.id, k=d.count - len(staffed))]
    return plan


def repair(
    problem: Problem,
    time_limit_s: float = 20.0,
    workers: int = 2,
    seed: int = 0,
    progress: Progress | None = None,
) -> Solution:
    """The published roster (`problem.previous`) repaired for the problem as
    it is now (the declined pairs among `forbidden`): never less coverage
    nor more changes than the roster of `seed_plan`, and as few changes as
    its coverage allows. OPTIMAL only when it is also the spec's
    lexicographic optimum over all rosters; arguments as for `solve`."""
    return optimise(problem, time_limit_s, workers, seed, progress, start=seed_plan(problem), cap_changes=True)
