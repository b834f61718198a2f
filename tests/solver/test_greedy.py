"""The first-come baseline always yields a roster the checker accepts."""

from __future__ import annotations

import pytest

from solver import load_problem, solution_to_dict
from solver.check import check
from solver.generate import generate
from solver.greedy import greedy


def greedy_dict(problem: dict) -> dict:
    return solution_to_dict(greedy(load_problem(problem)))


@pytest.mark.parametrize(
    "size", [(30, 40, 1, False), (60, 80, 2, True), (120, 100, 3, False), (300, 200, 4, True)], ids=str
)
def test_greedy_passes_check(size):
    problem = generate(*size)
    solution = greedy_dict(problem)
    report = check(problem, solution)
    assert report.ok, report.violations[:5]
    assert solution["status"] == "FEASIBLE"
    assert solution["assignments"]
    assert solution["bound"]["coverage"] >= solution["scores"]["coverage"]


def test_forbidden_never_and_pinned_first():
    problem = generate(120, 100, seed=3)
    first = greedy_dict(problem)["assignments"]
    dropped = first[0]
    problem["forbidden"] = [dropped]
    second = greedy_dict(problem)
    assert check(problem, second).ok and dropped not in second["assignments"]
    # The stand-in greedy found is not its own first choice; pinned, it must stay.
    stand_in = next(p for p in second["assignments"] if p["demand"] == dropped["demand"] and p not in first)
    problem.update(forbidden=[], pinned=[stand_in])
    third = greedy_dict(problem)
    assert check(problem, third).ok and stand_in in third["assignments"]


def tiny(demands: list[tuple[str, str, str, int]], homes: dict[str, float], **volunteer_fields) -> dict:
    """Volunteers at the given longitudes on the equator, free all Saturday."""
    return {
        "format": "roster-problem/1",
        "volunteers": [
            {"id": vid, "home": {"lat": 0.0, "lon": lon},
             "availability": [{"start": "2026-12-05T08:00", "end": "2026-12-05T18:00"}], **volunteer_fields}
            for vid, lon in homes.items()
        ],
        "demands": [
            {"id": did, "start": f"2026-12-05T{start}", "end": f"2026-12-05T{end}",
             "location": {"lat": 0.0, "lon": 0.0}, "priority": priority}
            for did, start, end, priority in demands
        ],
    }


def test_nearest_volunteer_gets_the_slot():
    problem = tiny([("d1", "09:00", "10:00", 1)], {"far": 0.01, "near": 0.002, "middle": 0.005})
    assert greedy_dict(problem)["assignments"] == [{"demand": "d1", "volunteer": "near"}]


def test_first_come_is_not_optimal():
    """The early low-priority demand takes the only volunteer's hours, which is
    exactly the hand-planning weakness the solver is measured against."""
    problem = tiny([("late", "14:00", "16:00", 9), ("early", "09:00", "11:00", 1)], {"v1": 0.0}, max_minutes=120)
    solution = greedy_dict(problem)
    assert solution["assignments"] == [{"demand": "early", "volunteer": "v1"}]
    assert solution["scores"]["coverage"] == 1
    assert [u["demand"] for u in solution["unfilled"]] == ["late"]
    assert check(problem, solution).ok


def test_clashing_pinned_pairs_give_infeasible():
    problem = tiny([("d1", "09:00", "10:00", 1), ("d2", "09:30", "10:30", 1)], {"v1": 0.0})
    problem["pinned"] = [{"demand": "d1", "volunteer": "v1"}, {"demand": "d2", "volunteer": "v1"}]
    solution = greedy_dict(problem)
    assert solution["status"] == "INFEASIBLE" and solution["assignments"] == []
    assert check(problem, solution).ok
