"""Re-planning: a confirmed plan (`previous`) meets a cancellation (a new
`forbidden` pair) and is repaired with as few other changes as possible."""

from __future__ import annotations

import dataclasses

from solver import load_problem, problem_from_dict, solve
from solver.model import OPTIMAL, Pair
from tests.support.problems import EXAMPLES, checked, demand, expected, problem, volunteer


def test_the_replan_example_reaches_its_proven_optimum():
    p = load_problem(EXAMPLES / "replan-120x100.problem.json")
    solution = solve(p, time_limit_s=20.0)
    out = checked(p, solution)
    assert out["scores"] == expected("replan-120x100")["lexicographic_optimum"]
    assert out["status"] == OPTIMAL


def test_a_cancellation_is_repaired_keeping_the_rest_of_the_plan():
    p = load_problem(EXAMPLES / "replan-120x100.problem.json")
    plan = solve(p, time_limit_s=20.0).assignments
    cancelled = next(a for a in plan if a not in p.pinned)
    again = dataclasses.replace(p, previous=plan, forbidden=p.forbidden + (cancelled,))
    repaired = solve(again, time_limit_s=10.0)
    checked(again, repaired)
    assert cancelled not in repaired.assignments
    others_dropped = set(plan) - set(repaired.assignments) - {cancelled}
    assert len(others_dropped) <= 3
    assert repaired.scores.changes == 1 + len(others_dropped)
    assert set(p.pinned) <= set(repaired.assignments)


def test_the_previous_plan_is_the_starting_point():
    # With no time to search at all, the roster is the previous plan less the cancelled pair.
    p = load_problem(EXAMPLES / "replan-120x100.problem.json")
    plan = solve(p, time_limit_s=20.0).assignments
    cancelled = next(a for a in plan if a not in p.pinned)
    again = dataclasses.replace(p, previous=plan, forbidden=p.forbidden + (cancelled,))
    rushed = solve(again, time_limit_s=0.01)
    checked(again, rushed)
    assert set(plan) - {cancelled} <= set(rushed.assignments)


def test_fewest_changes_beat_shorter_walks():
    # v1 cancels d1. v2 lives next door but would have to leave d2 to v4 (two
    # changes); v3 lives far but is free (one change). Changes come first.
    raw = problem(
        [
            volunteer("v1"),
            volunteer("v2", north_m=100),
            volunteer("v3", north_m=2500),
            volunteer("v4", north_m=900, windows=[("09:30", "10:30")]),
        ],
        [demand("d1"), demand("d2", "09:30", "10:30", north_m=900)],
        previous=[{"demand": "d1", "volunteer": "v1"}, {"demand": "d2", "volunteer": "v2"}],
        forbidden=[{"demand": "d1", "volunteer": "v1"}],
    )
    p = problem_from_dict(raw)
    solution = solve(p)
    checked(p, solution)
    assert set(solution.assignments) == {Pair("d1", "v3"), Pair("d2", "v2")}
    assert solution.scores.changes == 1


def test_a_repair_that_needs_a_second_change_makes_it():
    # Only v2 can take d1 after v1 cancels, and only v3 can then take d2
    # (v1 is gone by 10:00).
    raw = problem(
        [
            volunteer("v1", windows=[("08:00", "10:00")]),
            volunteer("v2", skills=["a"]),
            volunteer("v3", windows=[("09:30", "11:00")]),
        ],
        [demand("d1", skills=["a"]), demand("d2", "09:30", "10:30")],
        previous=[{"demand": "d1", "volunteer": "v1"}, {"demand": "d2", "volunteer": "v2"}],
        forbidden=[{"demand": "d1", "volunteer": "v1"}],
    )
    raw["volunteers"][0]["skills"] = ["a"]
    p = problem_from_dict(raw)
    solution = solve(p)
    checked(p, solution)
    assert set(solution.assignments) == {Pair("d1", "v2"), Pair("d2", "v3")}
    assert solution.scores.changes == 2


def test_previous_pairs_whose_ids_are_gone_count_as_changes():
    raw = problem(previous=[{"demand": "d1", "volunteer": "v1"}, {"demand": "d-old", "volunteer": "v1"}])
    p = problem_from_dict(raw)
    solution = solve(p)
    checked(p, solution)
    assert solution.scores.changes == 1 and solution.status == OPTIMAL
