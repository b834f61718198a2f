"""Validator and scorer for roster solutions (docs/roster-problem.md).

This module is a second, independent implementation of the spec: it reads the
raw JSON dicts and does not import solver.model, solver.geo, solver.constraints
or solver.cpsat. The spec arithmetic (haversine distance, travel time, merging
of availability windows, the five scores) is duplicated here on purpose, so a
mistake in the core cannot hide by being checked with the same code.

The problem is assumed to have been accepted by `load_problem`; this module
judges the solution. Violations of hard rules 1-7 carry their rule number;
everything else wrong with the solution document (format, status, unknown ids,
wrong scores, wrong `unfilled`) is reported as rule 0, "report".
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import combinations

SOLUTION_FORMAT = "roster-solution/1"
STATUSES = ("OPTIMAL", "FEASIBLE", "INFEASIBLE")
SCORE_NAMES = ("coverage", "changes", "unwanted", "fairness", "travel_m")
EARTH_RADIUS_M = 6_371_000
RULE_NAMES = {
    0: "report",
    1: "skills",
    2: "availability",
    3: "reach",
    4: "no overlap, with travel",
    5: "load",
    6: "count",
    7: "pinned and forbidden",
}
_EPOCH = datetime(2000, 1, 1)


@dataclass(frozen=True)
class Violation:
    """One broken rule; `demand`/`volunteer` name the pair when there is one."""

    rule: int
    demand: str | None
    volunteer: str | None
    message: str

    def __str__(self) -> str:
        return f"rule {self.rule} ({RULE_NAMES[self.rule]}): {self.message}"


@dataclass
class CheckReport:
    ok: bool
    violations: list[Violation] = field(default_factory=list)
    scores: dict[str, int] = field(default_factory=dict)


# --- spec arithmetic, independent of solver.geo -----------------------------


def minutes(stamp: str) -> int:
    """Minutes since a fixed origin: the spec's times are naive and minute-exact."""
    return int((datetime.fromisoformat(stamp) - _EPOCH).total_seconds()) // 60


def distance_m(a: dict, b: dict) -> int:
    """Haversine on R = 6,371,000 m, rounded to the nearest metre, halves up."""
    phi1, phi2 = math.radians(a["lat"]), math.radians(b["lat"])
    dphi = phi2 - phi1
    dlam = math.radians(b["lon"] - a["lon"])
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return math.floor(2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h))) + 0.5)


def travel_min(a: dict, b: dict, speed: float) -> int:
    """ceil(distance / speed), with the speed read as the decimal the JSON wrote."""
    return math.ceil(Decimal(distance_m(a, b)) / Decimal(str(speed)))


def merged_windows(windows: list[dict]) -> list[tuple[int, int]]:
    """Join windows that overlap or touch, as the spec requires before anything else."""
    merged: list[list[int]] = []
    for start, end in sorted((minutes(w["start"]), minutes(w["end"])) for w in windows):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


# --- the checker --------------------------------------------------------------


@dataclass(frozen=True)
class _Demand:
    id: str
    start: int
    end: int
    location: dict
    skills: frozenset[str]
    count: int
    priority: int
    raw: dict


@dataclass(frozen=True)
class _Volunteer:
    id: str
    skills: frozenset[str]
    home: dict
    windows: list[tuple[int, int]]
    max_minutes: int | None
    max_assignments: int | None
    max_distance_m: int | None
    history_minutes: int
    avoid: list[tuple[int, int]]


def _demands(problem: dict) -> dict[str, _Demand]:
    return {
        d["id"]: _Demand(
            id=d["id"],
            start=minutes(d["start"]),
            end=minutes(d["end"]),
            location=d["location"],
            skills=frozenset(d.get("required_skills", [])),
            count=d.get("count", 1),
            priority=d.get("priority", 1),
            raw=d,
        )
        for d in problem["demands"]
    }


def _volunteers(problem: dict) -> dict[str, _Volunteer]:
    default_reach = problem.get("max_distance_m")
    return {
        v["id"]: _Volunteer(
            id=v["id"],
            skills=frozenset(v.get("skills", [])),
            home=v["home"],
            windows=merged_windows(v.get("availability", [])),
            max_minutes=v.get("max_minutes"),
            max_assignments=v.get("max_assignments"),
            # An own limit of null, like none at all, leaves the problem's.
            max_distance_m=default_reach if v.get("max_distance_m") is None else v["max_distance_m"],
            history_minutes=v.get("history_minutes", 0),
            avoid=[(minutes(w["start"]), minutes(w["end"])) for w in v.get("avoid", [])],
        )
        for v in problem["volunteers"]
    }


def _pairs(entries: list) -> list[tuple[str, str]]:
    return [(e["demand"], e["volunteer"]) for e in entries]


def _when(d: _Demand) -> str:
    return f"{d.raw['start']}-{d.raw['end'][11:]}"


Violations = Iterator[Violation]


class _Checker:
    """Holds the indexed problem so each rule is one short generator of violations."""

    def __init__(self, problem: dict):
        self.demands = _demands(problem)
        self.volunteers = _volunteers(problem)
        self.speed = problem.get("walking_speed_m_per_min", 70)
        self.pinned = _pairs(problem.get("pinned", []))
        self.forbidden = _pairs(problem.get("forbidden", []))
        self.previous = _pairs(problem.get("previous", []))

    def known_pairs(self, assignments: object, out: list[Violation]) -> list[tuple[str, str]]:
        """The well-formed assignment entries naming known ids, in order, duplicates kept."""
        if not isinstance(assignments, list):
            out.append(Violation(0, None, None, "`assignments` is not a list"))
            return []
        pairs = []
        for entry in assignments:
            if not (
                isinstance(entry, dict)
                and isinstance(entry.get("demand"), str)
                and isinstance(entry.get("volunteer"), str)
            ):
                out.append(Violation(0, None, None, f"assignment {entry!r} is not a demand/volunteer pair"))
                continue
            d, v = entry["demand"], entry["volunteer"]
            if d not in self.demands:
                out.append(Violation(0, d, v, f"assignment ({d}, {v}) names unknown demand {d}"))
            elif v not in self.volunteers:
                out.append(Violation(0, d, v, f"assignment ({d}, {v}) names unknown volunteer {v}"))
            else:
                pairs.append((d, v))
        return pairs

    # Hard rules.

    def pair_rules(self, d: _Demand, v: _Volunteer) -> Violations:
        """Rules 1-3, which concern one pair alone."""
        missing = sorted(d.skills - v.skills)
        if missing:
            yield Violation(1, d.id, v.id, f"({d.id}, {v.id}): {v.id} lacks {', '.join(missing)}")
        if not any(a <= d.start and d.end <= b for a, b in v.windows):
            yield Violation(
                2, d.id, v.id, f"({d.id}, {v.id}): {_when(d)} is not inside one availability window of {v.id}"
            )
        dist = distance_m(v.home, d.location)
        if v.max_distance_m is not None and dist > v.max_distance_m:
            yield Violation(3, d.id, v.id, f"({d.id}, {v.id}): {dist} m from home, limit {v.max_distance_m} m")

    def schedule_rules(self, vid: str, ds: list[_Demand]) -> Violations:
        """Rules 4 and 5, which concern one volunteer's whole week."""
        ds = sorted(ds, key=lambda d: d.start)
        for a, b in combinations(ds, 2):
            gap = travel_min(a.location, b.location, self.speed)
            if a.end + gap > b.start:
                yield Violation(
                    4, b.id, vid,
                    f"({a.id}, {vid}) {_when(a)} and ({b.id}, {vid}) {_when(b)} "
                    f"leave less than the {gap} min travel between them",
                )
        v = self.volunteers[vid]
        worked = sum(d.end - d.start for d in ds)
        named = ", ".join(d.id for d in ds)
        if v.max_minutes is not None and worked > v.max_minutes:
            yield Violation(5, None, vid, f"{vid} works {worked} min ({named}), max_minutes {v.max_minutes}")
        if v.max_assignments is not None and len(ds) > v.max_assignments:
            yield Violation(
                5, None, vid, f"{vid} has {len(ds)} demands ({named}), max_assignments {v.max_assignments}"
            )

    def count_rule(self, pairs: list[tuple[str, str]], by_demand: dict[str, set[str]]) -> Violations:
        seen: set[tuple[str, str]] = set()
        for d, v in pairs:
            if (d, v) in seen:
                yield Violation(6, d, v, f"({d}, {v}) is assigned more than once")
            seen.add((d, v))
        for did, vids in by_demand.items():
            count = self.demands[did].count
            if len(vids) > count:
                yield Violation(6, did, None, f"{did} has {len(vids)} volunteers ({', '.join(sorted(vids))}), count {count}")

    def pinned_forbidden_rule(self, assigned: set[tuple[str, str]], require_pinned: bool) -> Violations:
        if require_pinned:
            for d, v in self.pinned:
                if (d, v) not in assigned:
                    yield Violation(7, d, v, f"pinned pair ({d}, {v}) is not assigned")
        for d, v in self.forbidden:
            if (d, v) in assigned:
                yield Violation(7, d, v, f"forbidden pair ({d}, {v}) is assigned")

    def hard_rules(self, pairs: list[tuple[str, str]], require_pinned: bool = True) -> Violations:
        assigned = set(pairs)
        by_volunteer: dict[str, list[_Demand]] = {}
        by_demand: dict[str, set[str]] = {}
        for d, v in sorted(assigned):
            yield from self.pair_rules(self.demands[d], self.volunteers[v])
            by_volunteer.setdefault(v, []).append(self.demands[d])
            by_demand.setdefault(d, set()).add(v)
        for vid, ds in by_volunteer.items():
            yield from self.schedule_rules(vid, ds)
        yield from self.count_rule(pairs, by_demand)
        yield from self.pinned_forbidden_rule(assigned, require_pinned)

    def infeasible_claim(self, pairs: list[tuple[str, str]]) -> Violations:
        """Pinned pairs are each fine (else the problem is refused), so status
        INFEASIBLE is right exactly when they break a rule together."""
        if pairs:
            yield Violation(0, None, None, "status INFEASIBLE but assignments are not empty")
        pinned = [(d, v) for d, v in self.pinned if d in self.demands and v in self.volunteers]
        if not any(True for _ in self.hard_rules(pinned)):
            yield Violation(0, None, None, "status INFEASIBLE but the pinned pairs fit together")

    # Scores and the solution's own report.

    def scores(self, assigned: set[tuple[str, str]]) -> dict[str, int]:
        loads = {vid: v.history_minutes for vid, v in self.volunteers.items()}
        coverage = unwanted = travel = 0
        for did, vid in assigned:
            d, v = self.demands[did], self.volunteers[vid]
            coverage += d.priority
            loads[vid] += d.end - d.start
            unwanted += any(d.start < b and a < d.end for a, b in v.avoid)
            travel += distance_m(v.home, d.location)
        return {
            "coverage": coverage,
            "changes": len(set(self.previous) - assigned),
            "unwanted": unwanted,
            "fairness": sum(m * m for m in loads.values()),
            "travel_m": travel,
        }

    def reported_scores(self, reported: object, computed: dict[str, int]) -> Violations:
        if not isinstance(reported, dict):
            yield Violation(0, None, None, "`scores` is missing")
            return
        for name in SCORE_NAMES:
            if reported.get(name) != computed[name]:
                yield Violation(0, None, None, f"scores.{name} is {reported.get(name)!r}, computed {computed[name]}")

    def reported_bound(self, solution: dict, coverage: int) -> Violations:
        bound = solution.get("bound")
        if bound is None:
            return
        value = bound.get("coverage") if isinstance(bound, dict) else None
        if not isinstance(value, int):
            yield Violation(0, None, None, f"bound.coverage is {value!r}, not an integer")
        elif value < coverage:
            yield Violation(0, None, None, f"bound.coverage {value} is below the coverage {coverage}")
        elif solution.get("status") == "OPTIMAL" and value != coverage:
            yield Violation(0, None, None, f"status OPTIMAL but bound.coverage {value} != coverage {coverage}")

    def reported_unfilled(self, unfilled: object, assigned: set[tuple[str, str]]) -> Violations:
        if not isinstance(unfilled, list):
            yield Violation(0, None, None, "`unfilled` is not a list")
            return
        filled: dict[str, int] = {}
        for did, _ in assigned:
            filled[did] = filled.get(did, 0) + 1
        expected = {
            did: d.count - filled.get(did, 0) for did, d in self.demands.items() if filled.get(did, 0) < d.count
        }
        listed: set[str] = set()
        for entry in unfilled:
            did = entry.get("demand") if isinstance(entry, dict) else None
            if did not in expected or did in listed:
                yield Violation(0, None, None, f"unfilled entry {entry!r} does not name a short demand once")
                continue
            listed.add(did)
            if entry.get("missing") != expected[did]:
                yield Violation(
                    0, did, None, f"unfilled {did}: missing is {entry.get('missing')!r}, should be {expected[did]}"
                )
            reasons = entry.get("reasons")
            if not (isinstance(reasons, list) and reasons and all(isinstance(r, str) and r for r in reasons)):
                yield Violation(0, did, None, f"unfilled {did}: gives no reason")
        for did in sorted(expected.keys() - listed):
            yield Violation(0, did, None, f"unfilled omits {did}, which is {expected[did]} short")

    def run(self, solution: dict) -> CheckReport:
        out: list[Violation] = []
        if solution.get("format") != SOLUTION_FORMAT:
            out.append(Violation(0, None, None, f"format is {solution.get('format')!r}, expected {SOLUTION_FORMAT!r}"))
        status = solution.get("status")
        if status not in STATUSES:
            out.append(Violation(0, None, None, f"status is {status!r}, expected one of {', '.join(STATUSES)}"))
        pairs = self.known_pairs(solution.get("assignments"), out)
        assigned = set(pairs)
        if status == "INFEASIBLE":
            out.extend(self.infeasible_claim(pairs))
        out.extend(self.hard_rules(pairs, require_pinned=status != "INFEASIBLE"))
        computed = self.scores(assigned)
        out.extend(self.reported_scores(solution.get("scores"), computed))
        out.extend(self.reported_bound(solution, computed["coverage"]))
        out.extend(self.reported_unfilled(solution.get("unfilled"), assigned))
        return CheckReport(ok=not out, violations=out, scores=computed)


def check(problem: dict, solution: dict) -> CheckReport:
    """Judge `solution` against `problem` (both raw JSON dicts) and score it."""
    return _Checker(problem).run(solution)
