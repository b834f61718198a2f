"""Who could take this demand now (solver.suggest) on a large community-week.

Generates a week (``--volunteers`` × ``--demands``, solver.generate), takes the
first-come roster of it as the current plan, then asks for suggestions for
``--calls`` demands and prints p50/p95/max milliseconds per call — and, in the
same run, the same figures for the bare floor every nearest-first ranking pays
(one distance per volunteer, sorted), with the ratio between the two.

    python bench/suggest_bench.py [--volunteers 2000] [--demands 300] [--calls 100] [--seed 1]

Pure Python, no database. Bounded: at most 20,000 volunteers and 5,000 demands.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from solver import distance_m, problem_from_dict, suggest  # noqa: E402
from solver.generate import generate  # noqa: E402
from solver.greedy import greedy  # noqa: E402

MAX_VOLUNTEERS = 20_000
MAX_DEMANDS = 5_000


def planned_week(volunteers: int, demands: int, seed: int):
    """A generated week whose first-come roster is the plan being worked on (``previous``)."""
    raw = generate(volunteers, demands, seed)
    plan = greedy(problem_from_dict(raw)).assignments
    raw["previous"] = [{"demand": a.demand, "volunteer": a.volunteer} for a in plan]
    return problem_from_dict(raw), len(plan)


def nearest_floor(problem, demand_id: str) -> list[int]:
    """The ranking's floor: every volunteer's distance to the demand, sorted."""
    demand = problem.demand_by_id[demand_id]
    return sorted(distance_m(v.home, demand.location) for v in problem.volunteers)


def timed(call, problem, demand_ids: list[str]) -> list[float]:
    """Milliseconds of ``call(problem, demand_id)`` for each demand, in order."""
    times = []
    for demand_id in demand_ids:
        started = time.perf_counter()
        call(problem, demand_id)
        times.append((time.perf_counter() - started) * 1000)
    return times


def line(label: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"{label:<34} {statistics.median(ordered):>8.2f} {p95:>8.2f} {ordered[-1]:>8.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--volunteers", type=int, default=2000)
    parser.add_argument("--demands", type=int, default=300)
    parser.add_argument("--calls", type=int, default=100, help="demands asked about (spread over the week)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not 1 <= args.volunteers <= MAX_VOLUNTEERS or not 1 <= args.demands <= MAX_DEMANDS or args.calls < 1:
        raise SystemExit(f"--volunteers must be 1..{MAX_VOLUNTEERS}, --demands 1..{MAX_DEMANDS}, --calls ≥ 1")
    started = time.perf_counter()
    problem, planned = planned_week(args.volunteers, args.demands, args.seed)
    print(f"generated {args.volunteers} volunteers × {args.demands} demands (seed {args.seed}), "
          f"{planned} pairs planned, in {time.perf_counter() - started:.1f} s")
    step = max(1, len(problem.demands) // args.calls)
    demand_ids = [d.id for d in problem.demands[::step]][:args.calls]
    timed(suggest, problem, demand_ids[:3])  # warm up (not measured): cached lookups of the problem
    ranked = timed(suggest, problem, demand_ids)
    floor = timed(nearest_floor, problem, demand_ids)
    print(f"\n{len(demand_ids)} calls, milliseconds per call\n")
    print(f"{'':<34} {'p50':>8} {'p95':>8} {'max':>8}")
    print(line("suggest (top 10)", ranked))
    print(line("floor: all distances, sorted", floor))
    print(f"\nsuggest / floor (p50): {statistics.median(ranked) / statistics.median(floor):.1f}×")


if __name__ == "__main__":
    main()
