"""The spec's hard rules and scores, one function each, named after it.

These are the solver's own reading of docs/roster-problem.md: the CP-SAT
model is built from them (which pairs may exist at all, which pairs of
demands clash), explanations and suggestions reuse them, and the final scores
are computed by them from the assignments alone, never taken from an
objective value.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from itertools import combinations
from typing import NamedTuple

from solver.geo import distance_m, distance_upper_bound_m, minutes_to_walk, travel_min
from solver.model import Demand, Pair, Problem, Scores, Volunteer, format_span

RULE_NAMES = {
    1: "skills",
    2: "availability",
    3: "reach",
    4: "no overlap, with travel",
    5: "load",
    6: "count",
    7: "pinned and forbidden",
}


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken hard rule, with the pair (or half of it) that breaks it."""

    rule: int
    demand: str | None
    volunteer: str | None
    message: str
    related: tuple[str, ...] = ()  # other demands involved (rules 4 and 5)

    def __str__(self) -> str:
        return f"rule {self.rule} ({RULE_NAMES[self.rule]}): {self.message}"


# --- rules 1-3: one pair alone ---------------------------------------------------------


def skills(volunteer: Volunteer, demand: Demand) -> bool:
    """Rule 1: the volunteer has every required skill."""
    return demand.required_skills <= volunteer.skills


def availability(volunteer: Volunteer, demand: Demand) -> bool:
    """Rule 2: [start, end) lies inside one (merged) availability window."""
    windows = volunteer.availability
    i = bisect.bisect_right(windows, demand.start, key=lambda w: w.start) - 1
    return i >= 0 and demand.end <= windows[i].end


def reach(problem: Problem, volunteer: Volunteer, demand: Demand) -> bool:
    """Rule 3: home is within the volunteer's (or the problem's) max distance."""
    limit = problem.reach_m(volunteer)
    return limit is None or distance_m(volunteer.home, demand.location) <= limit


def eligible(problem: Problem, volunteer: Volunteer, demand: Demand) -> bool:
    """Whether the pair can ever be assigned: rules 1-3, rule 5 for this
    demand alone, and not forbidden."""
    return (
        skills(volunteer, demand)
        and availability(volunteer, demand)
        and reach(problem, volunteer, demand)
        and load(volunteer, demand.minutes, 1)
        and Pair(demand.id, volunteer.id) not in problem.forbidden_set
    )


class EligiblePair(NamedTuple):
    demand: int  # index into problem.demands
    volunteer: int  # index into problem.volunteers
    distance_m: int


def skilled(problem: Problem) -> dict[str, set[int]]:
    """Rule 1 in bulk: for each skill, the indices of the volunteers who have it."""
    out: dict[str, set[int]] = {}
    for vi, v in enumerate(problem.volunteers):
        for s in v.skills:
            out.setdefault(s, set()).add(vi)
    return out


def available(problem: Problem) -> list[set[int]]:
    """Rule 2 in bulk: for each demand, the indices of the volunteers available.

    The same as testing `availability` on all pairs, but a sweep over time
    finds them for each demand without looking at everyone, which matters at
    2000 volunteers by 1000 demands."""
    demands = problem.demands
    windows = sorted((w.start, w.end, vi) for vi, v in enumerate(problem.volunteers) for w in v.availability)
    open_windows: dict[int, tuple[int, int]] = {}  # window index -> (end, volunteer)
    closing: list[tuple[int, int]] = []  # heap of (end, window index)
    nxt = 0
    out: list[set[int]] = [set() for _ in demands]
    for di in sorted(range(len(demands)), key=lambda i: demands[i].start):
        d = demands[di]
        while nxt < len(windows) and windows[nxt][0] <= d.start:
            open_windows[nxt] = windows[nxt][1:]
            heapq.heappush(closing, (windows[nxt][1], nxt))
            nxt += 1
        while closing and closing[0][0] <= d.start:
            del open_windows[heapq.heappop(closing)[1]]
        out[di] = {vi for end, vi in open_windows.values() if end >= d.end}
    return out


def eligible_pairs(problem: Problem) -> list[EligiblePair]:
    """Every pair that can ever be assigned, by demand then volunteer: the
    pairs `eligible` accepts, found without testing every pair."""
    with_skill = skilled(problem)
    out: list[EligiblePair] = []
    for di, candidates in enumerate(available(problem)):
        d = problem.demands[di]
        for s in d.required_skills:
            candidates &= with_skill.get(s, set())
        for vi in sorted(candidates):
            v = problem.volunteers[vi]
            dist = distance_m(v.home, d.location)
            limit = problem.reach_m(v)
            if (
                (limit is None or dist <= limit)
                and load(v, d.minutes, 1)
                and Pair(d.id, v.id) not in problem.forbidden_set
            ):
                out.append(EligiblePair(di, vi, dist))
    return out


# --- rule 4: two demands of one volunteer ----------------------------------------------


def no_overlap(problem: Problem, a: Demand, b: Demand) -> bool:
    """Rule 4: one volunteer can serve both, walking from the first to the second."""
    first, second = (a, b) if a.start <= b.start else (b, a)
    return first.end + travel_min(first.location, second.location, problem.walking_speed_m_per_min) <= second.start


def conflict_graph(problem: Problem) -> list[set[int]]:
    """For each demand index, the demands no volunteer can serve together with it.

    Rule 4 does not depend on who serves, so one graph serves everyone. Demands
    are swept by start time; a pair further apart than the longest possible
    walk never clashes and is not looked at."""
    demands = problem.demands
    longest = distance_upper_bound_m([d.location for d in demands])
    walk = minutes_to_walk(math.ceil(longest), problem.walking_speed_m_per_min)
    order = sorted(range(len(demands)), key=lambda i: demands[i].start)
    graph: list[set[int]] = [set() for _ in demands]
    for k, i in enumerate(order):
        a = demands[i]
        for j in order[k + 1 :]:
            b = demands[j]
            if b.start >= a.end + walk:
                break
            if not no_overlap(problem, a, b):
                graph[i].add(j)
                graph[j].add(i)
    return graph


# --- rule 5: one volunteer's whole load ------------------------------------------------


def load(volunteer: Volunteer, minutes: int, assignments: int) -> bool:
    """Rule 5: within max_minutes and max_assignments."""
    return (volunteer.max_minutes is None or minutes <= volunteer.max_minutes) and (
        volunteer.max_assignments is None or assignments <= volunteer.max_assignments
    )


# --- rule 6: one demand's volunteers ---------------------------------------------------------


def count(demand: Demand, volunteers: Collection[str]) -> bool:
    """Rule 6: at most `count` volunteers, each at most once."""
    return len(volunteers) <= demand.count and len(set(volunteers)) == len(volunteers)


# --- rule 7 ------------------------------------------------------------------------------


def pinned_and_forbidden(problem: Problem, assigned: Collection[Pair]) -> list[Violation]:
    """Rule 7: every pinned pair assigned, no forbidden one."""
    out = [
        Violation(7, p.demand, p.volunteer, f"pinned pair ({p.demand}, {p.volunteer}) is not assigned")
        for p in problem.pinned
        if p not in assigned
    ]
    out += [
        Violation(7, p.demand, p.volunteer, f"forbidden pair ({p.demand}, {p.volunteer}) is assigned")
        for p in problem.forbidden
        if p in assigned
    ]
    return out


# --- all rules together ------------------------------------------------------------------


def pair_rules(problem: Problem, volunteer: Volunteer, demand: Demand) -> list[Violation]:
    """Rules 1-3, which one pair breaks or keeps on its own."""
    v, d = volunteer, demand
    out = []
    if not skills(v, d):
        lacking = ", ".join(sorted(d.required_skills - v.skills))
        out.append(Violation(1, d.id, v.id, f"{v.id} lacks {lacking}"))
    if not availability(v, d):
        out.append(Violation(2, d.id, v.id, f"{v.id} is not available {format_span(d.start, d.end)}"))
    if not reach(problem, v, d):
        out.append(
            Violation(
                3, d.id, v.id,
                f"{v.id} lives {distance_m(v.home, d.location)} m from {d.id}, limit {problem.reach_m(v)} m",
            )
        )  # fmt: skip
    return out


def load_violations(volunteer: Volunteer, demands: Collection[Demand]) -> list[Violation]:
    """Rule 5 for the demands one volunteer would serve."""
    v = volunteer
    minutes = sum(d.minutes for d in demands)
    broken = []
    if not load(v, minutes, 0):
        broken.append(f"{minutes} min, more than max_minutes {v.max_minutes}")
    if not load(v, 0, len(demands)):
        broken.append(f"{len(demands)} demands, more than max_assignments {v.max_assignments}")
    if not broken:
        return []
    return [Violation(5, None, v.id, f"{v.id} would serve {' and '.join(broken)}", tuple(d.id for d in demands))]


def schedule_violations(problem: Problem, volunteer: Volunteer, demands: Collection[Demand]) -> list[Violation]:
    """Rule 4 for the demands one volunteer would serve."""
    out = []
    for a, b in combinations(sorted(demands, key=lambda d: d.start), 2):
        if not no_overlap(problem, a, b):
            out.append(
                Violation(
                    4, b.id, volunteer.id,
                    f"{volunteer.id} cannot serve both {a.id} ({format_span(a.start, a.end)}) and "
                    f"{b.id} ({format_span(b.start, b.end)}), travel included",
                    (a.id,),
                )
            )  # fmt: skip
    return out


def violations(problem: Problem, assignments: Iterable[Pair]) -> list[Violation]:
    """Every hard rule the assignments break, each with the pair that breaks it."""
    pairs = list(assignments)
    out: list[Violation] = []
    by_volunteer: dict[str, list[Demand]] = {}
    by_demand: dict[str, list[str]] = {}
    for p in pairs:
        v, d = problem.volunteer_by_id[p.volunteer], problem.demand_by_id[p.demand]
        out += pair_rules(problem, v, d)
        by_volunteer.setdefault(v.id, []).append(d)
        by_demand.setdefault(d.id, []).append(v.id)
    for vid, ds in by_volunteer.items():
        v = problem.volunteer_by_id[vid]
        out += schedule_violations(problem, v, ds) + load_violations(v, ds)
    for did, vids in by_demand.items():
        d = problem.demand_by_id[did]
        if not count(d, vids):
            text = f"{did} would have {len(vids)} volunteers, count {d.count}"
            out.append(Violation(6, did, None, text))
    return out + pinned_and_forbidden(problem, set(pairs))


# --- scores ------------------------------------------------------------------------------


def unwanted_pair(volunteer: Volunteer, demand: Demand) -> bool:
    """Whether the demand overlaps one of the volunteer's avoid windows."""
    return any(demand.start < w.end and w.start < demand.end for w in volunteer.avoid)


def coverage(problem: Problem, assignments: Collection[Pair]) -> int:
    """Score 1 (maximise): priority times assigned volunteers, summed."""
    return sum(problem.demand_by_id[p.demand].priority for p in set(assignments))


def changes(problem: Problem, assignments: Collection[Pair]) -> int:
    """Score 2 (minimise): previous pairs no longer assigned."""
    return len(set(problem.previous) - set(assignments))


def unwanted(problem: Problem, assignments: Collection[Pair]) -> int:
    """Score 3 (minimise): assignments overlapping the volunteer's avoid windows."""
    return sum(
        unwanted_pair(problem.volunteer_by_id[p.volunteer], problem.demand_by_id[p.demand]) for p in set(assignments)
    )


def fairness(problem: Problem, assignments: Collection[Pair]) -> int:
    """Score 4 (minimise): sum over all volunteers of (history + assigned minutes)^2."""
    total = {v.id: v.history_minutes for v in problem.volunteers}
    for p in set(assignments):
        total[p.volunteer] += problem.demand_by_id[p.demand].minutes
    return sum(m * m for m in total.values())


def travel_m(problem: Problem, assignments: Collection[Pair]) -> int:
    """Score 5 (minimise): home-to-demand distance, summed over assignments."""
    return sum(
        distance_m(problem.volunteer_by_id[p.volunteer].home, problem.demand_by_id[p.demand].location)
        for p in set(assignments)
    )


def scores(problem: Problem, assignments: Collection[Pair]) -> Scores:
    """All five scores of the assignments, in the spec's order."""
    return Scores(
        coverage(problem, assignments),
        changes(problem, assignments),
        unwanted(problem, assignments),
        fairness(problem, assignments),
        travel_m(problem, assignments),
    )
