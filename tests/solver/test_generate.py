"""The generator makes valid, reproducible and realistic community-weeks."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime

from solver import load_problem
from solver.generate import VOLUNTEER_SKILLS, generate


def _minutes(demand: dict) -> int:
    span = datetime.fromisoformat(demand["end"]) - datetime.fromisoformat(demand["start"])
    return int(span.total_seconds()) // 60


def test_same_arguments_same_problem_and_seeds_differ():
    first = json.dumps(generate(40, 30, seed=7), ensure_ascii=False)
    assert json.dumps(generate(40, 30, seed=7), ensure_ascii=False) == first
    assert json.dumps(generate(40, 30, seed=8), ensure_ascii=False) != first
    assert generate(40, 30, seed=7, tight=True) != generate(40, 30, seed=7)


def test_problems_are_accepted_with_the_asked_sizes():
    for volunteers, demands, seed, tight in ((1, 1, 0, False), (30, 40, 1, False), (120, 100, 2, True)):
        problem = generate(volunteers, demands, seed, tight)
        loaded = load_problem(problem)
        assert (len(loaded.volunteers), len(loaded.demands)) == (volunteers, demands)
        assert problem["format"] == "roster-problem/1"


def test_everything_happens_in_iso_week_2026_w49():
    problem = generate(200, 150, seed=3)
    stamps = [d[k] for d in problem["demands"] for k in ("start", "end")]
    stamps += [w[k] for v in problem["volunteers"] for w in v["availability"] + v.get("avoid", []) for k in ("start", "end")]
    weeks = {datetime.fromisoformat(s).date().isocalendar()[:2] for s in stamps}
    assert weeks == {(2026, 49)}
    assert min(datetime.fromisoformat(s).date() for s in stamps) >= date(2026, 11, 30)


def test_shifts_peak_on_evenings_and_weekends():
    shifts = [d for d in generate(500, 300, seed=4)["demands"] if d["kind"] == "shift"]
    peak = [d for d in shifts if datetime.fromisoformat(d["start"]).weekday() >= 5 or d["start"][11:] >= "18:00"]
    assert len(peak) > 0.65 * len(shifts)  # evenings and weekends are 2/7 of the day slots
    assert {d["count"] for d in shifts} == {1, 2, 3}
    assert {d["priority"] for d in shifts} <= set(range(2, 7))


def test_tasks_are_short_services_needing_scarce_skills():
    problem = generate(500, 300, seed=5)
    tasks = [d for d in problem["demands"] if d["kind"] == "task"]
    assert {_minutes(d) for d in tasks} <= set(range(20, 91))
    assert max(d["priority"] for d in tasks) == 10
    asked = Counter(s for d in tasks for s in d["required_skills"])
    offered = Counter(s for v in problem["volunteers"] for s in v["skills"])
    assert set(offered) <= set(VOLUNTEER_SKILLS)
    for scarce in ("haircut", "medical"):
        # Few volunteers offer it, compared with how often residents ask for it.
        assert offered[scarce] < 2 * asked[scarce] < offered["companionship"]


def test_volunteers_have_limits_touching_windows_and_avoid_windows():
    volunteers = generate(500, 300, seed=6)["volunteers"]
    touching = 0
    for v in volunteers:
        windows = sorted((w["start"], w["end"]) for w in v["availability"])
        touching += sum(1 for a, b in zip(windows, windows[1:]) if a[1] == b[0])
        assert v["max_minutes"] > 0
    assert touching > 20
    assert sum("avoid" in v for v in volunteers) > 50
    assert sum("max_assignments" in v for v in volunteers) > 100
    assert sum("max_distance_m" in v for v in volunteers) > 300
    assert len({v["history_minutes"] for v in volunteers}) > 5


def test_tight_demand_clearly_exceeds_supply():
    for volunteers, demands in ((60, 80), (500, 300)):
        loose = generate(volunteers, demands, seed=9)
        tight = generate(volunteers, demands, seed=9, tight=True)
        wanted = sum(d["count"] * _minutes(d) for d in tight["demands"])
        present = [v for v in tight["volunteers"] if v["availability"]]
        assert 0 < len(present) < volunteers
        assert sum(v["max_minutes"] for v in present) < 0.8 * wanted
        assert all(v["availability"] for v in loose["volunteers"])
        assert sum(v["max_minutes"] for v in loose["volunteers"]) > wanted
