"""The solver's five scores equal an exhaustive lexicographic optimum on tiny
instances (the enumeration: tests.support.bruteforce)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from solver import load_problem, solve
from solver.check import check
from tests.support.bruteforce import TINY_CASES, as_scores, brute_force
from tests.support.problems import EXAMPLES


def test_brute_force_matches_the_published_tiny_optimum():
    """Checks the enumeration itself against an outside exact solver."""
    problem = json.loads((EXAMPLES / "tiny-8x10.problem.json").read_text(encoding="utf-8"))
    expected = json.loads((EXAMPLES / "tiny-8x10.expected.json").read_text(encoding="utf-8"))
    key, pairs = brute_force(problem)
    assert as_scores(key) == expected["lexicographic_optimum"]
    roster = {"format": "roster-solution/1", "assignments": [{"demand": d, "volunteer": v} for d, v in pairs]}
    assert check(problem, roster).scores == expected["lexicographic_optimum"]


@pytest.mark.parametrize("problem", TINY_CASES)
def test_solver_reaches_the_exact_lexicographic_optimum(problem):
    found = brute_force(problem)
    assert found is not None, "the pinned pairs come from a valid roster"
    solution = solve(load_problem(problem), time_limit_s=20.0, workers=2, seed=0)
    assert solution.status == "OPTIMAL"
    assert dataclasses.asdict(solution.scores) == as_scores(found[0])
