"""Exhaustive lexicographic optima of tiny roster problems, and the tiny
problems the solver tests and the repair tests check against them.

The enumeration decides demands one by one (in start order), trying every
set of eligible volunteers that fits, and prunes a branch when even its most
optimistic completion (all remaining demands filled as far as eligibility
allows, later scores no worse than now) cannot beat the best roster found.
It uses the spec arithmetic of solver.check, never the solver's model.
"""

from __future__ import annotations

import random
from itertools import combinations

import pytest

from solver import load_problem
from solver.check import distance_m, merged_windows, minutes, travel_min
from solver.generate import generate
from solver.greedy import greedy


def brute_force(problem: dict, coverage_at_least: int | None = None) -> tuple[tuple, list[tuple[str, str]]] | None:
    """(best key, best pairs), where key = (-coverage, changes, unwanted, fairness,
    travel_m); None when the pinned pairs cannot hold together. With
    `coverage_at_least`, only rosters covering that much count and changes
    come first: key = (changes, -coverage, unwanted, fairness, travel_m)."""
    speed = problem.get("walking_speed_m_per_min", 70)
    default_reach = problem.get("max_distance_m")
    pinned, forbidden, previous = (
        {(p["demand"], p["volunteer"]) for p in problem.get(name, [])} for name in ("pinned", "forbidden", "previous")
    )
    vols = {v["id"]: v for v in problem["volunteers"]}
    windows = {vid: merged_windows(v.get("availability", [])) for vid, v in vols.items()}
    demands = sorted(problem["demands"], key=lambda d: (minutes(d["start"]), d["id"]))
    span = {d["id"]: (minutes(d["start"]), minutes(d["end"])) for d in demands}

    def eligible(d: dict, vid: str) -> bool:
        v, (s, e) = vols[vid], span[d["id"]]
        reach = v.get("max_distance_m", default_reach)
        return (
            set(d.get("required_skills", [])) <= set(v.get("skills", []))
            and any(a <= s and e <= b for a, b in windows[vid])
            and (reach is None or distance_m(v["home"], d["location"]) <= reach)
            and (d["id"], vid) not in forbidden
        )

    candidates = [[vid for vid in vols if eligible(d, vid)] for d in demands]
    reachable = [d.get("priority", 1) * min(d.get("count", 1), len(c)) for d, c in zip(demands, candidates)]
    rest = [sum(reachable[i:]) for i in range(len(demands) + 1)]
    known = {d["id"] for d in demands}
    gone = sum(1 for d, v in previous if d not in known or v not in vols)
    schedule: dict[str, list[dict]] = {vid: [] for vid in vols}
    load = {vid: v.get("history_minutes", 0) for vid, v in vols.items()}
    best: list = [None, None]

    def key(coverage: int, changes: int, *later: int) -> tuple:
        return (-coverage, changes, *later) if coverage_at_least is None else (changes, -coverage, *later)

    def fits(d: dict, vid: str) -> bool:
        v, (s, e) = vols[vid], span[d["id"]]
        mine = schedule[vid]
        if v.get("max_assignments") is not None and len(mine) >= v["max_assignments"]:
            return False
        worked = load[vid] - v.get("history_minutes", 0) + e - s
        if v.get("max_minutes") is not None and worked > v["max_minutes"]:
            return False
        for other in mine:  # `other` started no later than d
            if span[other["id"]][1] + travel_min(other["location"], d["location"], speed) > s:
                return False
        return True

    def unwanted(d: dict, vid: str) -> int:
        s, e = span[d["id"]]
        return any(s < minutes(w["end"]) and minutes(w["start"]) < e for w in vols[vid].get("avoid", []))

    def search(i: int, coverage: int, changes: int, unwant: int, travel: int, chosen: list) -> None:
        fairness = sum(m * m for m in load.values())
        if coverage_at_least is not None and coverage + rest[i] < coverage_at_least:
            return
        if best[0] is not None and key(coverage + rest[i], changes, unwant, fairness, travel) >= best[0]:
            return
        if i == len(demands):
            best[0], best[1] = key(coverage, changes, unwant, fairness, travel), list(chosen)
            return
        d = demands[i]
        must = [vid for vid in vols if (d["id"], vid) in pinned]
        if any(vid not in candidates[i] or not fits(d, vid) for vid in must):
            return
        free = [vid for vid in candidates[i] if vid not in must and fits(d, vid)]
        room = d.get("count", 1) - len(must)
        for size in range(min(room, len(free)), -1, -1):
            for extra in combinations(free, size):
                team = must + list(extra)
                for vid in team:
                    schedule[vid].append(d)
                    load[vid] += span[d["id"]][1] - span[d["id"]][0]
                search(
                    i + 1,
                    coverage + d.get("priority", 1) * len(team),
                    changes + sum(1 for pd, pv in previous if pd == d["id"] and pv in vols and pv not in team),
                    unwant + sum(unwanted(d, vid) for vid in team),
                    travel + sum(distance_m(vols[vid]["home"], d["location"]) for vid in team),
                    chosen + [(d["id"], vid) for vid in team],
                )
                for vid in team:
                    schedule[vid].pop()
                    load[vid] -= span[d["id"]][1] - span[d["id"]][0]

    search(0, 0, gone, 0, 0, [])
    return None if best[0] is None else (best[0], best[1])


def random_tiny(seed: int) -> dict:
    """A dense tiny problem: one day, one neighbourhood, scarce skills, tight
    limits, and some pinned, forbidden and previous pairs."""
    rng = random.Random(seed)
    n_vol, n_dem = rng.randint(5, 8), rng.randint(5, 8)

    def place() -> dict:
        return {"lat": round(43.88 + rng.uniform(-0.008, 0.008), 6), "lon": round(125.32 + rng.uniform(-0.01, 0.01), 6)}

    def at(minute: int) -> str:
        return f"2026-12-05T{minute // 60:02d}:{minute % 60:02d}"

    volunteers = []
    for i in range(n_vol):
        start = rng.choice((480, 540, 600))
        middle = rng.choice((660, 720))
        v = {
            "id": f"v{i + 1}",
            "skills": [s for s in ("haircut", "first_aid") if rng.random() < 0.35],
            "home": place(),
            "availability": [{"start": at(start), "end": at(middle)}, {"start": at(middle), "end": at(middle + 240)}],
            "max_minutes": rng.choice((60, 90, 120, 180)),
            "history_minutes": rng.choice((0, 30, 60, 120)),
        }
        if rng.random() < 0.5:
            v["max_assignments"] = rng.randint(1, 3)
        if rng.random() < 0.5:
            v["max_distance_m"] = rng.choice((600, 900, 1200))
        if rng.random() < 0.4:
            a = rng.randrange(start, middle + 180, 30)
            v["avoid"] = [{"start": at(a), "end": at(a + 60)}]
        volunteers.append(v)
    demands = []
    for i in range(n_dem):
        start = rng.randrange(480, 900, 15)
        demands.append({
            "id": f"d{i + 1}",
            "kind": rng.choice(("shift", "task")),
            "start": at(start),
            "end": at(start + rng.choice((20, 30, 60, 90))),
            "location": place(),
            "required_skills": [rng.choice(("haircut", "first_aid"))] if rng.random() < 0.3 else [],
            "count": rng.choice((1, 1, 2, 3)),
            "priority": rng.randint(1, 10),
        })
    pairs = [{"demand": d["id"], "volunteer": v["id"]} for d in demands for v in volunteers]
    problem = {
        "format": "roster-problem/1", "name": f"random tiny {seed}", "walking_speed_m_per_min": 70,
        "max_distance_m": 1500, "volunteers": volunteers, "demands": demands,
        "forbidden": rng.sample(pairs, 2),
        "previous": rng.sample(pairs, 4) + [{"demand": "d-gone", "volunteer": "v1"}],
    }
    # Pin pairs of the first-come roster, as if confirmed earlier: they fit
    # together but need not be part of an optimum.
    confirmed = greedy(load_problem(problem)).assignments
    picked = rng.sample(confirmed, min(2, len(confirmed)))
    problem["pinned"] = [{"demand": p.demand, "volunteer": p.volunteer} for p in picked]
    return problem


TINY_CASES = (
    [pytest.param(generate(8, 8, seed, tight=seed % 2 == 1), id=f"generate-8x8-seed{seed}") for seed in (1, 4)]
    + [pytest.param(random_tiny(seed), id=f"random-{seed}") for seed in range(12)]
)


def as_scores(key: tuple) -> dict[str, int]:
    return dict(zip(("coverage", "changes", "unwanted", "fairness", "travel_m"), (-key[0], *key[1:])))
