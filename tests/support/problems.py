"""Roster problems for the solver tests: the example files, and small problem
factories so each test states only what it is about and takes defaults for the rest."""

from __future__ import annotations

import json
import os
from pathlib import Path

from solver import problem_to_dict, solution_to_dict
from solver.check import check
from solver.model import FORMAT

EXAMPLES = Path(os.environ.get("ROSTER_EXAMPLES", Path(__file__).resolve().parents[1] / "data" / "roster-examples"))
METRES_PER_DEGREE_LAT = 111_195  # one degree of latitude on R = 6,371,000 m
BASE = (43.85, 126.55)


def at(hhmm: str, day: int = 0) -> str:
    """A spec time on 2026-11-30 (Monday) plus `day` days."""
    return f"2026-{11 if day == 0 else 12}-{30 if day == 0 else day:02d}T{hhmm}"


def place(north_m: float = 0.0, east_m: float = 0.0) -> dict:
    """A point `north_m` north and `east_m` east of the base point (roughly)."""
    return {"lat": BASE[0] + north_m / METRES_PER_DEGREE_LAT, "lon": BASE[1] + east_m / 80_200}


def volunteer(id: str = "v1", *, skills=(), north_m: float = 0.0, windows=(("08:00", "22:00"),), **extra) -> dict:
    return {
        "id": id,
        "skills": list(skills),
        "home": place(north_m),
        "availability": [{"start": at(s), "end": at(e)} for s, e in windows],
        **extra,
    }


def demand(id: str = "d1", start: str = "09:00", end: str = "10:00", *, skills=(), north_m: float = 0.0, **extra):
    return {
        "id": id,
        "start": at(start),
        "end": at(end),
        "location": place(north_m),
        "required_skills": list(skills),
        **extra,
    }


def problem(volunteers=None, demands=None, **extra) -> dict:
    return {
        "format": FORMAT,
        "volunteers": [volunteer()] if volunteers is None else volunteers,
        "demands": [demand()] if demands is None else demands,
        **extra,
    }


def example_files(pattern: str) -> list[Path]:
    files = sorted(EXAMPLES.glob(pattern))
    assert files, f"no {pattern} in {EXAMPLES}; set ROSTER_EXAMPLES"
    return files


def expected(name: str) -> dict:
    """What an exact solver proved about example `name` (its NAME.expected.json)."""
    return json.loads((EXAMPLES / f"{name}.expected.json").read_text(encoding="utf-8"))


def checked(p, solution) -> dict:
    """The solution's JSON, after `solver.check` found it valid and scored it the same."""
    out = solution_to_dict(solution)
    report = check(problem_to_dict(p), out)
    assert report.ok, [str(v) for v in report.violations]
    assert out["scores"] == report.scores
    return out
