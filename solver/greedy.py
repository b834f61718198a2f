"""The first-come baseline: what planning a week by hand in a spreadsheet does.

Demands are taken in start order and each open slot goes to the nearest
eligible volunteer who still fits (rule 4 with travel, rule 5); pinned pairs
are placed first. Nothing is ever revisited. The benchmark measures the
CP-SAT solver against it, so it reads the rules and computes the scores with
the core's own `solver.constraints`, and explains what it left short with
`solver.explain`, exactly as the solver does.
"""

from __future__ import annotations

import time

from solver import constraints
from solver.explain import explain_infeasible, explain_unfilled
from solver.model import FEASIBLE, INFEASIBLE, Demand, Pair, Problem, Solution


def greedy(problem: Problem) -> Solution:
    """A valid roster, status FEASIBLE (INFEASIBLE when the pinned pairs clash)."""
    started = time.perf_counter()
    clash = constraints.violations(problem, problem.pinned)
    if clash:
        empty = constraints.scores(problem, ())
        return Solution(INFEASIBLE, (), explain_infeasible(problem, clash), empty, 0, time.perf_counter() - started)

    nearest_first: list[list[constraints.EligiblePair]] = [[] for _ in problem.demands]
    for pair in constraints.eligible_pairs(problem):
        nearest_first[pair.demand].append(pair)
    for candidates in nearest_first:
        candidates.sort(key=lambda p: (p.distance_m, p.volunteer))

    served: dict[str, list[Demand]] = {v.id: [] for v in problem.volunteers}
    assigned: list[Pair] = []

    def fits(volunteer_id: str, demand: Demand) -> bool:
        mine = served[volunteer_id]
        volunteer = problem.volunteer_by_id[volunteer_id]
        return constraints.load(volunteer, sum(d.minutes for d in mine) + demand.minutes, len(mine) + 1) and all(
            constraints.no_overlap(problem, other, demand) for other in mine
        )

    def assign(volunteer_id: str, demand: Demand) -> None:
        served[volunteer_id].append(demand)
        assigned.append(Pair(demand.id, volunteer_id))

    for pair in problem.pinned:
        assign(pair.volunteer, problem.demand_by_id[pair.demand])
    team = {d.id: {p.volunteer for p in problem.pinned if p.demand == d.id} for d in problem.demands}
    order = sorted(range(len(problem.demands)), key=lambda i: (problem.demands[i].start, problem.demands[i].id))
    for i in order:
        demand = problem.demands[i]
        for candidate in nearest_first[i]:
            if len(team[demand.id]) >= demand.count:
                break
            vid = problem.volunteers[candidate.volunteer].id
            if vid not in team[demand.id] and fits(vid, demand):
                assign(vid, demand)
                team[demand.id].add(vid)

    assignments = tuple(assigned)
    # Coverage if every demand got as many volunteers as could serve it alone.
    ceiling = sum(d.priority * min(d.count, len(c)) for d, c in zip(problem.demands, nearest_first))
    return Solution(
        FEASIBLE,
        assignments,
        explain_unfilled(problem, assignments, complete=False),
        constraints.scores(problem, assignments),
        ceiling,
        time.perf_counter() - started,
    )
