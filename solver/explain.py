"""Why demands are left short, in words a coordinator can act on.

Each reason follows the demand's candidates through the hard rules: who has
the skills, who of them is available, who of those lives within reach, who
declined, whose limits the demand alone exceeds, and for everyone left, what
kept them from this demand in the roster (other demands at the same time,
pinned pairs, load limits). Every reason has a machine-readable `code` and
`params` next to its English text; the solution JSON carries the text only
(a caller may ask for the codes too: `solution_to_dict(..., reason_codes=True)`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from solver import constraints
from solver.geo import distance_m
from solver.model import Demand, Pair, Problem, Reason, Unfilled, Volunteer, format_span

MAX_NAMES = 5


# --- words ----------------------------------------------------------------------------


def _names(ids: Iterable[str]) -> str:
    ids = list(ids)
    shown = ", ".join(ids[:MAX_NAMES])
    return shown if len(ids) <= MAX_NAMES else f"{shown} and {len(ids) - MAX_NAMES} more"


def _km(metres: int) -> str:
    return f"{metres} m" if metres < 1000 else f"{metres / 1000:.1f} km".replace(".0 km", " km")


def _people(n: int) -> str:
    return "1 volunteer" if n == 1 else f"{n} volunteers"


def _verb(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _skill_list(skills: Collection[str]) -> str:
    skills = sorted(skills)
    return f"skill {skills[0]}" if len(skills) == 1 else f"skills {', '.join(skills)}"


# --- the data the reasons look at ----------------------------------------------------------


class _Roster:
    """The assignments indexed for the questions the reasons ask."""

    def __init__(self, problem: Problem, assignments: Iterable[Pair]):
        self.problem = problem
        self.by_volunteer: dict[str, list[Demand]] = {}
        self.by_demand: dict[str, set[str]] = {}
        for p in set(assignments):
            self.by_volunteer.setdefault(p.volunteer, []).append(problem.demand_by_id[p.demand])
            self.by_demand.setdefault(p.demand, set()).add(p.volunteer)
        self.pinned = set(problem.pinned)

    def clashes(self, volunteer: Volunteer, demand: Demand) -> list[Demand]:
        """The volunteer's assigned demands that rule 4 forbids alongside `demand`."""
        return [
            other
            for other in self.by_volunteer.get(volunteer.id, [])
            if not constraints.no_overlap(self.problem, other, demand)
        ]


class _Pools:
    """Who has which skill and who is available for which demand, found once
    for all demands (rules 1 and 2 in bulk)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.with_skill = constraints.skilled(problem)
        self.available = constraints.available(problem)

    def skilled(self, demand: Demand) -> list[int]:
        out = set(range(len(self.problem.volunteers)))
        for s in demand.required_skills:
            out &= self.with_skill.get(s, set())
        return sorted(out)


# --- reasons ----------------------------------------------------------------------------


def _supply_reasons(pools: _Pools, di: int) -> tuple[list[Reason], list[Volunteer]]:
    """Why too few volunteers could serve demand `di` at all (no reason when
    enough could), and the volunteers who could."""
    problem = pools.problem
    d = problem.demands[di]
    indices = pools.skilled(d)
    skilled = [problem.volunteers[vi] for vi in indices]
    if not skilled and not d.required_skills:
        return [Reason("there are no volunteers in this problem", "few_skilled", {"volunteers": 0, "skills": []})], []
    if not skilled:
        nobody = sorted(s for s in d.required_skills if s not in pools.with_skill)
        if nobody:
            return [Reason(f"no volunteer has {_skill_list(nobody)}", "no_skill", {"skills": nobody})], []
        wanted = sorted(d.required_skills)
        text = f"no volunteer has all of {', '.join(wanted)} together"
        return [Reason(text, "no_skill", {"skills": wanted, "together": True})], []
    available = [problem.volunteers[vi] for vi in indices if vi in pools.available[di]]
    in_reach = [v for v in available if constraints.reach(problem, v, d)]
    far = [v for v in available if not constraints.reach(problem, v, d)]
    willing = [v for v in in_reach if Pair(d.id, v.id) not in problem.forbidden_set]
    allowed = [v for v in willing if constraints.load(v, d.minutes, 1)]
    if len(allowed) >= d.count:
        return [], allowed
    skills = sorted(d.required_skills)
    out = [
        reason
        for reason in (
            _few_skilled(d, len(skilled), skills),
            _unavailable(d, len(skilled), len(available), skills),
            _too_far(problem, d, len(available), far, skills),
        )
        if reason
    ]
    declined = [v.id for v in in_reach if Pair(d.id, v.id) in problem.forbidden_set]
    if declined:
        out.append(Reason(f"{_names(declined)} declined this demand", "declined", {"volunteers": declined}))
    short = [v.id for v in willing if not constraints.load(v, d.minutes, 1)]
    if short:
        limits = "(max_minutes, max_assignments)"
        text = f"{_names(short)} may serve less than this demand's {d.minutes} min in all {limits}"
        out.append(Reason(text, "too_long", {"volunteers": short, "minutes": d.minutes}))
    return out, allowed


def _group(skills: list[str], n: int) -> str:
    """'volunteers with the skill a' or 'volunteers', in the number of n."""
    people = "volunteer" if n == 1 else "volunteers"
    return f"{people} with the {_skill_list(skills)}" if skills else people


def _few_skilled(d: Demand, n: int, skills: list[str]) -> Reason | None:
    if n >= d.count:
        return None
    if skills:
        text = f"only {_people(n)} {_verb(n, 'has', 'have')} the {_skill_list(skills)}"
    else:
        text = f"only {_people(n)} in all"
    return Reason(text, "few_skilled", {"volunteers": n, "skills": skills})


def _unavailable(d: Demand, n: int, available: int, skills: list[str]) -> Reason | None:
    if available == n:
        return None
    when = format_span(d.start, d.end)
    if available:
        text = f"only {available} of the {n} {_group(skills, n)} {_verb(available, 'is', 'are')} available {when}"
    elif skills:
        text = f"{_people(n)} {_verb(n, 'has', 'have')} the {_skill_list(skills)} but none is available {when}"
    else:
        text = f"none of the {_people(n)} is available {when}"
    params = {"volunteers": n, "available": available, "skills": skills, "start": d.start, "end": d.end}
    return Reason(text, "unavailable", params)


def _too_far(problem: Problem, d: Demand, a: int, far: list[Volunteer], skills: list[str]) -> Reason | None:
    """Of the `a` volunteers available, those `far` live beyond their reach."""
    if not far:
        return None
    nearest = min(distance_m(v.home, d.location) for v in far)
    limits = sorted({problem.reach_m(v) for v in far})
    limit = _km(limits[0]) if len(limits) == 1 else "they will go"
    if len(far) < a:
        who = f"{len(far)} of the {a} available {_group(skills, a)} {_verb(len(far), 'lives', 'live')}"
    else:
        who = f"the {a} available {_group(skills, a)} {_verb(a, 'lives', 'all live')}"
    params = {"available": a, "too_far": len(far), "nearest_m": nearest, "limits_m": limits}
    return Reason(f"{who} farther than {limit} (the nearest is {_km(nearest)} away)", "too_far", params)


def _candidate_reasons(roster: _Roster, demand: Demand, allowed: list[Volunteer], complete: bool) -> list[Reason]:
    """For each volunteer who could serve `demand` but does not, what the
    roster gave them instead; volunteers with the same cause share a reason."""
    d = demand
    pinned: dict[str, set[str]] = {}
    busy: dict[str, set[str]] = {}
    minutes: list[str] = []
    assignments: list[str] = []
    free: list[str] = []
    for v in allowed:
        if v.id in roster.by_demand.get(d.id, ()):
            continue
        clashes = roster.clashes(v, d)
        held = [c for c in clashes if Pair(c.id, v.id) in roster.pinned]
        theirs = roster.by_volunteer.get(v.id, [])
        if held:
            pinned[v.id] = {c.id for c in held}
        elif clashes:
            busy[v.id] = {c.id for c in clashes}
        elif not constraints.load(v, sum(x.minutes for x in theirs) + d.minutes, 0):
            minutes.append(v.id)
        elif not constraints.load(v, 0, len(theirs) + 1):
            assignments.append(v.id)
        else:
            free.append(v.id)
    out = []
    if pinned:
        others = sorted(set().union(*pinned.values()))
        text = f"{_names(pinned)} {_verb(len(pinned), 'is', 'are')} pinned to {_names(others)} at the same time"
        out.append(Reason(text, "pinned_elsewhere", {"volunteers": list(pinned), "demands": others}))
    if busy:
        others = sorted(set().union(*busy.values()))
        higher = all(roster.problem.demand_by_id[o].priority > d.priority for o in others)
        kind = "higher-priority demands" if higher else "other demands at the same time"
        who = f"{_verb(len(busy), 'candidate', 'candidates')} {_names(busy)} {_verb(len(busy), 'was', 'were')}"
        params = {"volunteers": list(busy), "demands": others, "higher_priority": higher}
        out.append(Reason(f"{who} needed for {kind}: {_names(others)}", "busy", params))
    for ids, limit in ((minutes, "max_minutes"), (assignments, "max_assignments")):
        if ids:
            out.append(Reason(f"{_names(ids)} reached {limit}", limit, {"volunteers": ids}))
    if free:
        # With coverage proven best this cannot happen; said plainly if it does.
        if complete:
            ending = "could take it without breaking a rule"
        else:
            ending = "could still take it; the solver stopped before finding that"
        out.append(Reason(f"{_names(free)} {ending}", "not_found", {"volunteers": free, "complete": complete}))
    return out


def explain_unfilled(problem: Problem, assignments: Collection[Pair], complete: bool = True) -> tuple[Unfilled, ...]:
    """One entry per demand with fewer than `count` volunteers, in problem order.

    `complete` says the roster's coverage is proven best; otherwise a
    volunteer who could still be added is reported as the search running out
    of time."""
    roster = _Roster(problem, assignments)
    pools = _Pools(problem)
    out = []
    for di, d in enumerate(problem.demands):
        missing = d.count - len(roster.by_demand.get(d.id, ()))
        if missing <= 0:
            continue
        reasons, allowed = _supply_reasons(pools, di)
        reasons += _candidate_reasons(roster, d, allowed, complete)
        out.append(Unfilled(d.id, missing, tuple(reasons)))
    return tuple(out)


def explain_infeasible(problem: Problem, clashes: list[constraints.Violation]) -> tuple[Unfilled, ...]:
    """Every demand is unfilled when the pinned pairs cannot all hold; the
    demands they involve say which rule they break together."""
    involved: dict[str, list[Reason]] = {}
    for c in clashes:
        demands = [x for x in (c.demand, *c.related) if x]
        reason = Reason(
            f"the pinned pairs cannot all hold: {c.message}",
            "pinned_clash",
            {"rule": c.rule, "volunteer": c.volunteer, "demands": demands},
        )
        for did in demands:
            involved.setdefault(did, []).append(reason)
    text = f"nothing was planned because the pinned pairs cannot all hold ({clashes[0].message})"
    general = Reason(text, "infeasible")
    return tuple(Unfilled(d.id, d.count, tuple(involved.get(d.id, [general]))) for d in problem.demands)
