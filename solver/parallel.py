"""Independent problems (one community-week each) solved in parallel processes.

`solve_dict` is the unit of work (`repair_dict` when a volunteer declines):
plain JSON-like dicts in and out, so the web app's job queue can call it
too. Each process runs one CP-SAT thread unless told otherwise, so N
processes use N cores.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from solver.cpsat import Progress, solve
from solver.model import Problem, Solution, problem_from_dict, solution_to_dict
from solver.repair import repair


def solve_dict(problem_dict: dict, *, reason_codes: bool = False, **solve_kwargs: Any) -> dict:
    """Solve a roster-problem/1 dict and return the roster-solution/1 dict
    (with the reasons' codes too if asked: see `solution_to_dict`).

    A refused problem raises ProblemError before anything is solved."""
    return solution_to_dict(solve(problem_from_dict(problem_dict), **solve_kwargs), reason_codes=reason_codes)


def repair_dict(
    problem_dict: dict,
    time_limit_s: float,
    workers: int,
    progress: Progress | None = None,
    *,
    reason_codes: bool = False,
) -> dict:
    """`repair` for a roster-problem/1 dict whose `previous` is the published
    roster and whose `forbidden` holds the declined pairs; the
    roster-solution/1 dict back (`reason_codes` as in `solve_dict`).
    A refused problem raises ProblemError."""
    repaired = repair(problem_from_dict(problem_dict), time_limit_s=time_limit_s, workers=workers, progress=progress)
    return solution_to_dict(repaired, reason_codes=reason_codes)


def _solve(problem: Problem, solve_kwargs: dict) -> Solution:
    return solve(problem, **solve_kwargs)


def solve_many(
    problems: Iterable[Problem | dict],
    workers: int | None = None,
    cp_workers: int = 1,
    **solve_kwargs: Any,
) -> list[Solution]:
    """Solve each problem (a Problem or its dict) in its own process, at most
    `workers` at a time (default: one per CPU), with `cp_workers` CP-SAT
    threads each; solutions come back in the problems' order.

    Every problem is validated first, so a refused one raises ProblemError
    before any solving starts. `solve_kwargs` go to `solve` and must pickle."""
    loaded = [p if isinstance(p, Problem) else problem_from_dict(p) for p in problems]
    kwargs = dict(solve_kwargs, workers=cp_workers)
    processes = min(workers or os.cpu_count() or 1, len(loaded))
    if processes <= 1:
        return [solve(p, **kwargs) for p in loaded]
    # spawn: a forked child would inherit whatever threads CP-SAT left behind.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        return list(pool.map(_solve, loaded, [kwargs] * len(loaded)))
