"""Roster optimisation for community volunteers: a pure library.

Plain data in, plain data out (docs/roster-problem.md); no web framework and
no database here, so the web app, the command line and batch jobs share it.
"""

from solver.cpsat import solve
from solver.geo import distance_m, travel_min
from solver.model import (
    Problem,
    ProblemError,
    Solution,
    load_problem,
    problem_from_dict,
    problem_to_dict,
    solution_from_dict,
    solution_to_dict,
)
from solver.parallel import repair_dict, solve_dict, solve_many
from solver.repair import repair
from solver.suggest import suggest

__all__ = [
    "Problem",
    "ProblemError",
    "Solution",
    "distance_m",
    "load_problem",
    "problem_from_dict",
    "problem_to_dict",
    "repair",
    "repair_dict",
    "solution_from_dict",
    "solution_to_dict",
    "solve",
    "solve_dict",
    "solve_many",
    "suggest",
    "travel_min",
]
