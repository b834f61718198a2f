"""Problem and solution data, and their JSON form (docs/roster-problem.md).

Everything the solver gets passes through here, so everything the spec
refuses is refused here: `ProblemError` names the offending item and nothing
downstream has to re-check the input. Times are held as whole minutes since
1970-01-01 00:00 (the spec's times are naive and minute-exact), which keeps
the rules plain integer arithmetic.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import IO, Any

FORMAT = "roster-problem/1"
SOLUTION_FORMAT = "roster-solution/1"
OPTIMAL, FEASIBLE, INFEASIBLE = "OPTIMAL", "FEASIBLE", "INFEASIBLE"
STATUSES = (OPTIMAL, FEASIBLE, INFEASIBLE)
KINDS = ("shift", "task")
SCORE_NAMES = ("coverage", "changes", "unwanted", "fairness", "travel_m")
DEFAULT_WALKING_SPEED = 70

_EPOCH = datetime(1970, 1, 1)
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:00)?")


class ProblemError(ValueError):
    """The problem breaks the spec; the message names the offending item."""


class SolutionError(ValueError):
    """A solution document that is not a roster-solution/1."""


# --- times ----------------------------------------------------------------------


def parse_minute(text: str) -> int:
    """Minutes since 1970-01-01 00:00 of a spec time such as 2026-11-30T08:00."""
    if not isinstance(text, str) or not _TIME.fullmatch(text):
        raise ValueError(f"{text!r} is not a time like 2026-11-30T08:00")
    return (datetime.fromisoformat(text) - _EPOCH) // timedelta(minutes=1)


def format_minute(minute: int) -> str:
    """The spec's form of a time held as minutes since 1970-01-01 00:00."""
    return (_EPOCH + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M")


def format_span(start: int, end: int) -> str:
    """A span as a coordinator reads it: 2026-11-30 18:00-20:00."""
    first = format_minute(start).replace("T", " ")
    last = format_minute(end).replace("T", " ")
    return f"{first}-{last[11:] if last[:10] == first[:10] else last}"


# --- the problem ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Location:
    lat: float
    lon: float


@dataclass(frozen=True, slots=True, order=True)
class Window:
    """A half-open span [start, end) of minutes since 1970-01-01 00:00."""

    start: int
    end: int

    @property
    def minutes(self) -> int:
        return self.end - self.start


def merge_windows(windows: Iterable[Window]) -> tuple[Window, ...]:
    """Join windows that overlap or touch, which the spec does before anything else."""
    merged: list[Window] = []
    for w in sorted(windows):
        if merged and w.start <= merged[-1].end:
            merged[-1] = Window(merged[-1].start, max(merged[-1].end, w.end))
        else:
            merged.append(w)
    return tuple(merged)


def _check_id(kind: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise ProblemError(f"{kind} id {value!r} is not a non-empty string")


def _check_limit(owner: str, name: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ProblemError(f"{owner}: {name} {value!r} is not a whole number >= 0")


def _check_window(owner: str, what: str, w: Window) -> None:
    if w.end <= w.start:
        raise ProblemError(
            f"{owner}: {what} {format_minute(w.start)}-{format_minute(w.end)} does not end after it starts"
        )


@dataclass(frozen=True, slots=True)
class Volunteer:
    """志愿者: who can serve, where from, when, and how much.

    `availability` is kept merged and sorted; `max_distance_m` is the
    volunteer's own limit (None: the problem's applies)."""

    id: str
    home: Location
    availability: tuple[Window, ...]
    skills: frozenset[str] = frozenset()
    max_minutes: int | None = None
    max_assignments: int | None = None
    max_distance_m: int | None = None
    history_minutes: int = 0
    avoid: tuple[Window, ...] = ()

    def __post_init__(self) -> None:
        _check_id("volunteer", self.id)
        owner = f"volunteer {self.id}"
        for w in self.availability:
            _check_window(owner, "availability window", w)
        for w in self.avoid:
            _check_window(owner, "avoid window", w)
        for name in ("max_minutes", "max_assignments", "max_distance_m", "history_minutes"):
            _check_limit(owner, name, getattr(self, name))
        object.__setattr__(self, "availability", merge_windows(self.availability))
        object.__setattr__(self, "avoid", tuple(sorted(self.avoid)))
        object.__setattr__(self, "skills", frozenset(self.skills))


@dataclass(frozen=True, slots=True)
class Demand:
    """A duty shift at a station (值守) or a task for a resident (便民服务)."""

    id: str
    start: int
    end: int
    location: Location
    required_skills: frozenset[str] = frozenset()
    kind: str = "task"
    count: int = 1
    priority: int = 1

    def __post_init__(self) -> None:
        _check_id("demand", self.id)
        owner = f"demand {self.id}"
        _check_window(owner, "time", Window(self.start, self.end))
        if self.kind not in KINDS:
            raise ProblemError(f"{owner}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise ProblemError(f"{owner}: count {self.count!r} is not a whole number >= 1")
        if isinstance(self.priority, bool) or not isinstance(self.priority, int) or not 1 <= self.priority <= 10:
            raise ProblemError(f"{owner}: priority {self.priority!r} is outside 1..10")
        object.__setattr__(self, "required_skills", frozenset(self.required_skills))

    @property
    def minutes(self) -> int:
        return self.end - self.start

    @property
    def window(self) -> Window:
        return Window(self.start, self.end)


@dataclass(frozen=True, slots=True, order=True)
class Pair:
    """An assignment: one volunteer serving one demand."""

    demand: str
    volunteer: str


def _unique(pairs: Iterable[Pair]) -> tuple[Pair, ...]:
    return tuple(dict.fromkeys(pairs))


@dataclass(frozen=True)
class Problem:
    """A whole roster problem; constructing one refuses what the spec refuses.

    `pinned`, `forbidden` and `previous` are kept without repeats: a pair
    listed twice means nothing more than once."""

    volunteers: tuple[Volunteer, ...]
    demands: tuple[Demand, ...]
    name: str = ""
    walking_speed_m_per_min: float = DEFAULT_WALKING_SPEED
    max_distance_m: int | None = None
    pinned: tuple[Pair, ...] = ()
    forbidden: tuple[Pair, ...] = ()
    previous: tuple[Pair, ...] = ()
    format: str = FORMAT

    def __post_init__(self) -> None:
        if self.format != FORMAT:
            raise ProblemError(f"unknown format {self.format!r}; expected {FORMAT!r}")
        speed = self.walking_speed_m_per_min
        if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not math.isfinite(speed) or speed <= 0:
            raise ProblemError(f"walking_speed_m_per_min {speed!r} is not a positive number")
        _check_limit("problem", "max_distance_m", self.max_distance_m)
        for name in ("volunteers", "demands", "pinned", "forbidden", "previous"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        for kind, items in (("volunteer", self.volunteers), ("demand", self.demands)):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    raise ProblemError(f"duplicate {kind} id {item.id!r}")
                seen.add(item.id)
        for name in ("pinned", "forbidden", "previous"):
            object.__setattr__(self, name, _unique(getattr(self, name)))
        for name in ("pinned", "forbidden"):
            for p in getattr(self, name):
                if p.demand not in self.demand_by_id:
                    raise ProblemError(f"{name} pair ({p.demand}, {p.volunteer}) names unknown demand {p.demand!r}")
                if p.volunteer not in self.volunteer_by_id:
                    raise ProblemError(
                        f"{name} pair ({p.demand}, {p.volunteer}) names unknown volunteer {p.volunteer!r}"
                    )
        forbidden = set(self.forbidden)
        for p in self.pinned:
            if p in forbidden:
                raise ProblemError(f"pair ({p.demand}, {p.volunteer}) is both pinned and forbidden")
        # constraints.py builds on the types above, hence the late import.
        from solver.constraints import load_violations, pair_rules

        for p in self.pinned:
            v, d = self.volunteer_by_id[p.volunteer], self.demand_by_id[p.demand]
            broken = pair_rules(self, v, d) + load_violations(v, [d])
            if broken:
                raise ProblemError(f"pinned pair ({p.demand}, {p.volunteer}) breaks {'; '.join(map(str, broken))}")

    @cached_property
    def volunteer_by_id(self) -> dict[str, Volunteer]:
        return {v.id: v for v in self.volunteers}

    @cached_property
    def demand_by_id(self) -> dict[str, Demand]:
        return {d.id: d for d in self.demands}

    @cached_property
    def forbidden_set(self) -> frozenset[Pair]:
        return frozenset(self.forbidden)

    def reach_m(self, volunteer: Volunteer) -> int | None:
        """How far from home this volunteer may be sent (None: no limit)."""
        return self.max_distance_m if volunteer.max_distance_m is None else volunteer.max_distance_m


# --- the solution -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scores:
    coverage: int
    changes: int
    unwanted: int
    fairness: int
    travel_m: int

    def as_tuple(self) -> tuple[int, int, int, int, int]:
        return (self.coverage, self.changes, self.unwanted, self.fairness, self.travel_m)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a demand is short: English `text` for the coordinator, plus a
    machine-readable `code` and `params` for programs (not in the JSON)."""

    text: str
    code: str = "text"
    params: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Unfilled:
    demand: str
    missing: int
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class StageReport:
    """How one lexicographic stage went; for logs and benchmarks, not in the JSON."""

    name: str
    status: str
    value: int
    bound: float
    seconds: float


@dataclass(frozen=True)
class Solution:
    status: str
    assignments: tuple[Pair, ...]
    unfilled: tuple[Unfilled, ...]
    scores: Scores
    bound_coverage: int
    solve_seconds: float
    stages: tuple[StageReport, ...] = ()
    format: str = SOLUTION_FORMAT


# --- JSON in ----------------------------------------------------------------------


class _Fields:
    """Typed reads of one JSON object, each error naming the field's path."""

    def __init__(self, raw: object, path: str, known: Iterable[str]):
        if not isinstance(raw, dict):
            raise ProblemError(f"{path or 'the problem'} is not an object")
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ProblemError(f"{path}: unknown field {unknown[0]!r}")
        self.raw = raw
        self.path = path

    def at(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def get(self, name: str, check: Callable[[Any], bool], expected: str, default: Any = ...) -> Any:
        if name not in self.raw:
            if default is ...:
                raise ProblemError(f"{self.at(name)} is missing")
            return default
        value = self.raw[name]
        if not check(value):
            raise ProblemError(f"{self.at(name)} is {value!r}, expected {expected}")
        return value

    def integer(self, name: str, default: Any = ...) -> int | None:
        return self.get(name, _is_int_or_none if default is None else _is_int, "a whole number", default)

    def text(self, name: str, default: Any = ...) -> str:
        return self.get(name, lambda v: isinstance(v, str), "a string", default)

    def items(self, name: str, default: Any = ...) -> list:
        return self.get(name, lambda v: isinstance(v, list), "a list", default)

    def time(self, name: str) -> int:
        expected = "a time like 2026-11-30T08:00"
        text = self.get(name, lambda v: isinstance(v, str), expected)
        try:
            return parse_minute(text)
        except ValueError:
            raise ProblemError(f"{self.at(name)} is {text!r}, expected {expected}") from None

    def strings(self, name: str) -> frozenset[str]:
        values = self.items(name, [])
        for i, value in enumerate(values):
            if not isinstance(value, str) or not value:
                raise ProblemError(f"{self.at(name)}[{i}] is {value!r}, expected a non-empty string")
        return frozenset(values)

    def location(self, name: str) -> Location:
        place = _Fields(self.get(name, lambda v: True, ""), self.at(name), ("lat", "lon"))
        lat = place.get("lat", lambda v: _is_number(v) and -90 <= v <= 90, "a latitude in -90..90")
        lon = place.get("lon", lambda v: _is_number(v) and -180 <= v <= 180, "a longitude in -180..180")
        return Location(float(lat), float(lon))

    def windows(self, name: str, default: Any = ...) -> tuple[Window, ...]:
        out = []
        for i, raw in enumerate(self.items(name, default)):
            w = _Fields(raw, f"{self.at(name)}[{i}]", ("start", "end"))
            out.append(Window(w.time("start"), w.time("end")))
        return tuple(out)

    def pairs(self, name: str) -> tuple[Pair, ...]:
        out = []
        for i, raw in enumerate(self.items(name, [])):
            p = _Fields(raw, f"{self.at(name)}[{i}]", ("demand", "volunteer"))
            out.append(Pair(p.text("demand"), p.text("volunteer")))
        return tuple(out)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_int_or_none(value: object) -> bool:
    return value is None or _is_int(value)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


_PROBLEM_FIELDS = (
    "format", "name", "walking_speed_m_per_min", "max_distance_m",
    "volunteers", "demands", "pinned", "forbidden", "previous",
)  # fmt: skip
_VOLUNTEER_FIELDS = (
    "id", "skills", "home", "availability", "max_minutes", "max_assignments",
    "max_distance_m", "history_minutes", "avoid",
)  # fmt: skip
_DEMAND_FIELDS = ("id", "kind", "start", "end", "location", "required_skills", "count", "priority")


def _item_path(kind: str, i: int, raw: object) -> str:
    name = raw.get("id") if isinstance(raw, dict) else None
    return f"{kind}[{i}]" + (f" ({name})" if isinstance(name, str) else "")


def _volunteer(raw: object, path: str) -> Volunteer:
    f = _Fields(raw, path, _VOLUNTEER_FIELDS)
    return Volunteer(
        id=f.text("id"),
        skills=f.strings("skills"),
        home=f.location("home"),
        availability=f.windows("availability"),
        max_minutes=f.integer("max_minutes", None),
        max_assignments=f.integer("max_assignments", None),
        max_distance_m=f.integer("max_distance_m", None),
        history_minutes=f.integer("history_minutes", 0),
        avoid=f.windows("avoid", []),
    )


def _demand(raw: object, path: str) -> Demand:
    f = _Fields(raw, path, _DEMAND_FIELDS)
    return Demand(
        id=f.text("id"),
        kind=f.text("kind", "task"),
        start=f.time("start"),
        end=f.time("end"),
        location=f.location("location"),
        required_skills=f.strings("required_skills"),
        count=f.integer("count", 1),
        priority=f.integer("priority", 1),
    )


def problem_from_dict(raw: object) -> Problem:
    """The Problem a roster-problem/1 document describes, or ProblemError."""
    if isinstance(raw, dict) and raw.get("format") != FORMAT:
        raise ProblemError(f"unknown format {raw.get('format')!r}; expected {FORMAT!r}")
    f = _Fields(raw, "", _PROBLEM_FIELDS)
    return Problem(
        format=f.text("format"),
        name=f.text("name", ""),
        walking_speed_m_per_min=f.get(
            "walking_speed_m_per_min", lambda v: _is_number(v) and v > 0, "a positive number", DEFAULT_WALKING_SPEED
        ),
        max_distance_m=f.integer("max_distance_m", None),
        volunteers=tuple(_volunteer(v, _item_path("volunteers", i, v)) for i, v in enumerate(f.items("volunteers"))),
        demands=tuple(_demand(d, _item_path("demands", i, d)) for i, d in enumerate(f.items("demands"))),
        pinned=f.pairs("pinned"),
        forbidden=f.pairs("forbidden"),
        previous=f.pairs("previous"),
    )


def load_problem(source: Mapping | str | os.PathLike | IO[str]) -> Problem:
    """A problem from its parsed JSON (a dict), a path or an open text file."""
    if isinstance(source, Mapping):
        return problem_from_dict(dict(source))
    try:
        if hasattr(source, "read"):
            raw = json.load(source)
        else:
            with open(source, encoding="utf-8") as fh:
                raw = json.load(fh)
    except json.JSONDecodeError as exc:
        raise ProblemError(f"not valid JSON: {exc}") from None
    return problem_from_dict(raw)


# --- JSON out, and solutions back in ---------------------------------------------------


def _windows_to_list(windows: Iterable[Window]) -> list[dict]:
    return [{"start": format_minute(w.start), "end": format_minute(w.end)} for w in windows]


def _pairs_to_list(pairs: Iterable[Pair]) -> list[dict]:
    return [{"demand": p.demand, "volunteer": p.volunteer} for p in pairs]


def _without_none(items: dict) -> dict:
    return {k: v for k, v in items.items() if v is not None}


def problem_to_dict(problem: Problem) -> dict:
    """The roster-problem/1 document of `problem` (availability as merged)."""
    return _without_none(
        {
            "format": problem.format,
            "name": problem.name,
            "walking_speed_m_per_min": problem.walking_speed_m_per_min,
            "max_distance_m": problem.max_distance_m,
            "volunteers": [
                _without_none(
                    {
                        "id": v.id,
                        "skills": sorted(v.skills),
                        "home": {"lat": v.home.lat, "lon": v.home.lon},
                        "availability": _windows_to_list(v.availability),
                        "max_minutes": v.max_minutes,
                        "max_assignments": v.max_assignments,
                        "max_distance_m": v.max_distance_m,
                        "history_minutes": v.history_minutes,
                        "avoid": _windows_to_list(v.avoid),
                    }
                )
                for v in problem.volunteers
            ],
            "demands": [
                {
                    "id": d.id,
                    "kind": d.kind,
                    "start": format_minute(d.start),
                    "end": format_minute(d.end),
                    "location": {"lat": d.location.lat, "lon": d.location.lon},
                    "required_skills": sorted(d.required_skills),
                    "count": d.count,
                    "priority": d.priority,
                }
                for d in problem.demands
            ],
            "pinned": _pairs_to_list(problem.pinned),
            "forbidden": _pairs_to_list(problem.forbidden),
            "previous": _pairs_to_list(problem.previous),
        }
    )


def solution_to_dict(solution: Solution, *, reason_codes: bool = False) -> dict:
    """The roster-solution/1 document: exactly the spec's fields.

    `reason_codes` adds, next to each unfilled demand's English `reasons`, a
    `reason_codes` list of `{"code", "params"}` in the same order: for a caller
    that words the reasons itself (the web app, in its readers' languages).
    The spec's document, and so the CLI's output, never has it."""
    return {
        "format": solution.format,
        "status": solution.status,
        "assignments": _pairs_to_list(solution.assignments),
        "unfilled": [_unfilled_to_dict(u, reason_codes) for u in solution.unfilled],
        "scores": dict(zip(SCORE_NAMES, solution.scores.as_tuple())),
        "bound": {"coverage": solution.bound_coverage},
        "solve_seconds": round(solution.solve_seconds, 3),
    }


def _unfilled_to_dict(unfilled: Unfilled, reason_codes: bool) -> dict:
    out = {"demand": unfilled.demand, "missing": unfilled.missing, "reasons": [r.text for r in unfilled.reasons]}
    if reason_codes:
        out["reason_codes"] = [{"code": r.code, "params": dict(r.params)} for r in unfilled.reasons]
    return out


def solution_from_dict(raw: object) -> Solution:
    """A Solution from its document; reasons come back as text only."""
    try:
        if raw.get("format") != SOLUTION_FORMAT:
            raise SolutionError(f"unknown format {raw.get('format')!r}; expected {SOLUTION_FORMAT!r}")
        if raw["status"] not in STATUSES:
            raise SolutionError(f"unknown status {raw['status']!r}")
        scores = raw["scores"]
        return Solution(
            status=raw["status"],
            assignments=tuple(Pair(a["demand"], a["volunteer"]) for a in raw["assignments"]),
            unfilled=tuple(
                Unfilled(u["demand"], u["missing"], tuple(Reason(str(r)) for r in u["reasons"]))
                for u in raw["unfilled"]
            ),
            scores=Scores(*(int(scores[name]) for name in SCORE_NAMES)),
            bound_coverage=int(raw["bound"]["coverage"]),
            solve_seconds=float(raw.get("solve_seconds", 0.0)),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise SolutionError(f"not a roster-solution/1 document: {exc!r}") from None
