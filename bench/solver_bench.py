"""Roster solver benchmark: CP-SAT against the first-come baseline, same run.

After a decline, the decline repair (solver.repair) against a full re-solve
given the same time limit, also in the same run.

Coverage comes first: on generated 500 x 300 weeks (loose and tight, several
seeds) at the solver's default settings, whether the coverage stage proves
its optimum and how long it takes, against HiGHS solving coverage alone
exactly (the same rows as the solver's model) on the same week in the same
run; wall and CPU seconds, the machine being shared. At 2000 x 1000 the
fairness found is set against a lower bound from the linear relaxation of
the fairness stage (`fairness_bound`; it takes minutes).

Every solve runs in a fresh subprocess, so the peak RSS printed is that run's
own (ru_maxrss), not the benchmark's. Every roster is also judged by the
independent checker (solver.check); the `ok` column says it passed.

    python bench/solver_bench.py               # full set (a few minutes)
    python bench/solver_bench.py --quick       # small sizes only
    python bench/solver_bench.py --sizes 30x40,500x300 --many 300
    python bench/solver_bench.py --coverage-seeds 1,2,3,4,5,6,7,8 --only-coverage
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from solver.check import check  # noqa: E402
from solver.generate import generate  # noqa: E402

EXAMPLES = Path(os.environ.get("ROSTER_EXAMPLES", ROOT / "tests" / "data" / "roster-examples"))
FULL_SIZES = ((30, 40), (500, 300), (2000, 1000))
QUICK_SIZES = ((30, 40),)
DEFAULT_TIME_LIMIT = 10.0  # solver.solve's
COVERAGE_SIZE = (500, 300)
COVERAGE_MIP_TIME_LIMIT = 120.0
STAGE_LABELS = {"coverage": "cov", "changes": "chg", "unwanted": "unw", "fairness": "fair", "travel": "trav"}


# --- the child: one run, measured alone ------------------------------------------------


def coverage_mip(problem, seconds: float) -> dict:
    """Coverage alone, exactly, by HiGHS on the rows of the solver's own model
    (the solver uses the same function when its model is too big for CP-SAT)."""
    from solver.cpsat import _coverage_mip, _Index

    started, cpu = time.perf_counter(), time.process_time()
    index = _Index(problem)
    found = _coverage_mip(index, seconds)
    result = {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu}
    if found is None:
        return dict(result, optimum=None, proven=False)
    values, proven = found
    weights, _ = index.weights("coverage")
    return dict(result, optimum=sum(c for k, c in weights.items() if values[k]), proven=proven)


def fairness_bound(problem, solution: dict, seconds: float) -> dict:
    """A lower bound on the fairness of every roster at least as good as
    `solution` on coverage, changes and unwanted: the linear relaxation of
    the solver's fairness stage (each volunteer's load in units of g, every
    chord through consecutive values it can take, and the cut for spread
    work), solved by HiGHS."""
    from ortools.linear_solver import pywraplp

    from solver.cpsat import _Index, _rule_rows

    started, cpu = time.perf_counter(), time.process_time()
    index = _Index(problem)
    lp = pywraplp.Solver.CreateSolver("HIGHS_LP")
    lp.SetSolverSpecificParametersAsString("output_flag=false")
    lp.SetTimeLimit(int(seconds * 1000))
    x = [lp.NumVar(0, 1, "") for _ in index.pairs]

    def at_least(terms: Iterable[tuple], least: float, most: float | None = None) -> None:
        row = lp.RowConstraint(least, lp.infinity() if most is None else most, "")
        for var, coefficient in terms:
            row.SetCoefficient(var, coefficient)

    for ks, coefs, most in _rule_rows(index):
        at_least([(x[k], -c) for k, c in zip(ks, coefs)], -most)
    for k in index.pinned:
        x[k].SetLb(1)
    scores = solution["scores"]
    for name, sign in (("coverage", 1), ("changes", -1), ("unwanted", -1)):
        weights, constant = index.weights(name)
        at_least([(x[k], sign * c) for k, c in weights.items()], sign * (scores[name] - constant))
    constant = 0
    for v, volunteer in enumerate(problem.volunteers):
        h, ks = volunteer.history_minutes, index.by_volunteer[v]
        if not ks:
            constant += h * h
            continue
        terms = index.loads(v)
        g, values = terms.g, terms.values
        t, square = lp.NumVar(values[0], values[-1], ""), lp.NumVar(0, lp.infinity(), "")
        at_least([(t, g), *((x[k], -index.minutes[k]) for k in ks)], h, h)  # g t = h + sum m x
        at_least([(square, g * g), *((x[k], -(2 * h * index.minutes[k] + index.minutes[k] ** 2)) for k in ks)], h * h)
        for a, b in zip(values, values[1:]):
            at_least([(square, 1), (t, -(a + b))], -a * b)
        lp.Objective().SetCoefficient(square, g * g)
    lp.Objective().SetMinimization()
    status = lp.Solve()
    return {
        "bound": lp.Objective().Value() + constant if status == pywraplp.Solver.OPTIMAL else None,
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
    }


def child_main() -> None:
    """Run the job on stdin and print its result; peak RSS is this process's
    (and, for solve_many, its worker processes')."""
    from solver import load_problem, repair, solution_to_dict, solve, solve_many
    from solver.greedy import greedy

    job = json.load(sys.stdin)
    started = time.perf_counter()
    if job["run"] in ("coverage-mip", "fairness-bound"):
        problem = load_problem(json.loads(Path(job["path"]).read_text(encoding="utf-8")))
        if job["run"] == "coverage-mip":
            result = coverage_mip(problem, job["time_limit"])
        else:
            result = fairness_bound(problem, job["solution"], job["time_limit"])
    elif job["run"] == "many":
        problems = [load_problem(json.loads(Path(p).read_text(encoding="utf-8"))) for p in job["paths"]]
        started = time.perf_counter()
        solutions = solve_many(problems, workers=job["workers"], time_limit_s=job["time_limit"])
        result = {"coverage": sum(s.scores.coverage for s in solutions), "statuses": [s.status for s in solutions]}
    else:
        problem = load_problem(json.loads(Path(job["path"]).read_text(encoding="utf-8")))
        done: dict[str, tuple[float, float]] = {}  # seconds and CPU seconds since the start, at a stage's end

        def progress(stage: str, best: int | None, elapsed: float) -> None:
            done[stage] = (elapsed, time.process_time() - cpu)

        started, cpu = time.perf_counter(), time.process_time()
        if job["run"] == "greedy":
            solution = greedy(problem)
        else:
            optimiser = repair if job["run"] == "repair" else solve
            solution = optimiser(
                problem, time_limit_s=job["time_limit"], workers=job["workers"], seed=0,
                progress=progress if job.get("cpu") else None,
            )  # fmt: skip
        result = {
            "solution": solution_to_dict(solution),
            "stages": [[s.name, s.seconds, s.status, s.value, s.bound] for s in solution.stages],
            "done": done,
        }
    result["seconds"] = time.perf_counter() - started
    peak_kb = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    result["peak_mb"] = peak_kb / 1024
    json.dump(result, sys.stdout)


def in_child(job: dict) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child"], input=json.dumps(job), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed on {job['run']}:\n{done.stderr}")
    return json.loads(done.stdout)


# --- one case: solver and greedy on the same problem ---------------------------------------


@dataclass
class Case:
    name: str
    size: str
    problem: dict
    solver: dict
    greedy: dict

    @property
    def scores(self) -> dict:
        return self.solver["solution"]["scores"]

    @property
    def coverage_ratio(self) -> float:
        return self.scores["coverage"] / max(1, self.greedy["solution"]["scores"]["coverage"])


class Bench:
    def __init__(self, folder: Path, workers: int, time_limit: float | None, repair_time_limit: float, declines: int):
        self.folder = folder
        self.workers = workers
        self.time_limit = time_limit
        self.repair_time_limit = repair_time_limit
        self.declines = declines
        self.cases: list[Case] = []

    def limit_for(self, problem: dict) -> float:
        """Seconds per solve: the flag, or by size."""
        if self.time_limit is not None:
            return self.time_limit
        n = len(problem["demands"])
        return 10.0 if n <= 150 else 30.0 if n <= 400 else 60.0

    def save(self, name: str, problem: dict) -> str:
        path = self.folder / f"{name}.json"
        path.write_text(json.dumps(problem, ensure_ascii=False), encoding="utf-8")
        return str(path)

    def run(self, name: str, problem: dict) -> Case:
        path = self.save(name, problem)
        solver = in_child({"run": "solve", "path": path, "workers": self.workers, "time_limit": self.limit_for(problem)})
        baseline = in_child({"run": "greedy", "path": path})
        for result in (solver, baseline):
            report = check(problem, result["solution"])
            result["ok"] = report.ok
            result["violations"] = [str(v) for v in report.violations[:3]]
        case = Case(name, f"{len(problem['volunteers'])}x{len(problem['demands'])}", problem, solver, baseline)
        self.cases.append(case)
        print_row(case)
        return case

    def replan(self, name: str, first: Case) -> None:
        """Each of a few volunteers, spread over the published roster, in turn
        declines one pair: forbid it, keep the roster as `previous`, and run
        the decline repair and a full re-solve with the same time limit."""
        old = first.solver["solution"]["assignments"]
        pinned = first.problem.get("pinned", [])
        free = [p for p in old if p not in pinned]
        for i in range(self.declines):
            self.decline(f"{name} #{i + 1}", first.problem, old, free[i * len(free) // self.declines])

    def decline(self, name: str, published: dict, old: list[dict], declined: dict) -> None:
        """One decline, repaired both ways. The declined pair is a change
        whatever the roster and the rest of the roster is valid, so one
        change is the proven least."""
        problem = dict(published, forbidden=published.get("forbidden", []) + [declined], previous=old)
        path = self.save(name, problem)
        print(
            f"    {name}: ({declined['demand']}, {declined['volunteer']}) declined, so at least 1 change; "
            f"{self.repair_time_limit:.0f} s limit"
        )
        for label, run in (("decline repair", "repair"), ("full re-solve", "solve")):
            result = in_child({"run": run, "path": path, "workers": self.workers, "time_limit": self.repair_time_limit})
            solution = result["solution"]
            scores = solution["scores"]
            print(
                f"      {label:<15} changes {scores['changes']:>3}   coverage {scores['coverage']}"
                f"/{solution['bound']['coverage']}   {solution['status']:<9} {result['seconds']:5.1f} s   "
                f"peak {result['peak_mb']:.0f} MB   {'ok' if check(problem, solution).ok else 'BROKEN RULES'}",
                flush=True,
            )

    def many(self, count: int, size: tuple[int, int]) -> None:
        """Throughput on independent community-weeks, 10 s each unless --time-limit says otherwise."""
        paths = [self.save(f"many-{seed}", generate(*size, seed=1000 + seed)) for seed in range(count)]
        limit = self.time_limit or 10.0
        walls = {}
        for workers in (1, 2):
            result = in_child({"run": "many", "paths": paths, "workers": workers, "time_limit": limit})
            walls[workers] = result["seconds"]
            statuses = {s: result["statuses"].count(s) for s in sorted(set(result["statuses"]))}
            print(
                f"solve_many {count} x {size[0]}x{size[1]}, {workers} worker(s): {result['seconds']:.1f} s wall, "
                f"{result['seconds'] / count:.2f} s per problem, coverage {result['coverage']}, "
                f"statuses {statuses}, peak {result['peak_mb']:.0f} MB"
            )
        print(f"solve_many speed-up with 2 workers: {walls[1] / walls[2]:.2f}x")


# --- printing -----------------------------------------------------------------------------

COLUMNS = (
    ("case", 26), ("size", 10), ("status", 10), ("cov s/g/bound", 18), ("chg", 5), ("unw", 5),
    ("fairness", 11), ("travel_m", 9), ("seconds per stage", 50), ("total", 7), ("greedy", 7),
    ("peak MB", 8), ("ok", 3),
)  # fmt: skip


def print_header() -> None:
    print(" ".join(title.ljust(width) for title, width in COLUMNS).rstrip())
    print(" ".join("-" * width for _, width in COLUMNS))


def print_row(case: Case) -> None:
    s, g = case.solver, case.greedy
    scores = case.scores
    # "rest": building the model and explaining what is short.
    rest = s["seconds"] - sum(sec for _, sec, *_ in s["stages"])
    stages = " ".join(f"{STAGE_LABELS.get(name, name)} {sec:.1f}" for name, sec, *_ in s["stages"])
    stages += f" rest {rest:.1f}"
    cells = (
        case.name, case.size, s["solution"]["status"],
        f"{scores['coverage']}/{g['solution']['scores']['coverage']}/{s['solution']['bound']['coverage']}",
        scores["changes"], scores["unwanted"], scores["fairness"], scores["travel_m"], stages,
        f"{s['seconds']:.1f}", f"{g['seconds']:.2f}", f"{s['peak_mb']:.0f}",
        "yes" if s["ok"] and g["ok"] else "NO",
    )  # fmt: skip
    print(" ".join(str(cell).ljust(width) for cell, (_, width) in zip(cells, COLUMNS)).rstrip(), flush=True)
    for broken in s["violations"] + g["violations"]:
        print(f"    ! {broken}")


def run_examples(bench: Bench, quick: bool) -> None:
    """The example problems: coverage against the proven optimum, and the five
    scores against the lexicographic optimum where one is proven."""
    rows = []
    for expected_path in sorted(EXAMPLES.glob("*.expected.json")):
        if expected_path.name.startswith("bad-"):
            continue
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        problem = json.loads((EXAMPLES / expected["problem"]).read_text(encoding="utf-8"))
        if quick and len(problem["demands"]) > 150:
            continue
        rows.append((bench.run(f"example {expected['problem'].split('.')[0]}", problem), expected))
    print()
    if not rows:
        print(f"no example problems found in {EXAMPLES} (set ROSTER_EXAMPLES)")
        return
    print("examples: coverage solver / greedy / proven optimum; five scores equal to the proven optimum")
    for case, expected in rows:
        optimum = expected["coverage_optimum"]
        lexicographic = expected.get("lexicographic_optimum")
        verdict = "-" if lexicographic is None else "yes" if lexicographic == case.scores else "no"
        line = (
            f"  {case.name:<28} {case.scores['coverage']:>5} / {case.greedy['solution']['scores']['coverage']:>5} "
            f"/ {optimum:>5}   reached: {'yes' if case.scores['coverage'] == optimum else 'no':<3}  "
            f"lexicographic: {verdict}"
        )
        if "fairness_found" in expected:
            line += (
                f"  (fairness {case.scores['fairness']}; best known {expected['fairness_found']}, "
                f"lower bound {expected['fairness_lower_bound']:.0f})"
            )
        print(line)


def coverage_proofs(bench: Bench, seeds: list[int]) -> None:
    """Coverage first: on generated 500 x 300 weeks, loose and tight, and the
    500 x 300 example, at the solver's default settings, is the coverage
    optimum proven, and in no more time than HiGHS takes to solve coverage
    alone exactly (same week, same run)? Both times count from the problem
    in memory: the solver's to the end of its coverage stage (model building
    included), the MIP's to its answer (model building included)."""
    v, d = COVERAGE_SIZE
    weeks = [(f"{'tight' if tight else 'loose'} {v}x{d} seed {seed}", generate(v, d, seed=seed, tight=tight))
             for tight in (False, True) for seed in seeds]  # fmt: skip
    example = EXAMPLES / "community-500x300.problem.json"
    if example.exists():
        weeks.append(("example community-500x300", json.loads(example.read_text(encoding="utf-8"))))
    print(f"coverage first, {DEFAULT_TIME_LIMIT:.0f} s and {bench.workers} workers (the defaults): "
          "the coverage stage against HiGHS on coverage alone, same run")  # fmt: skip
    widths = (28, 15, 7, 14, 12, 14, 21, 3)
    titles = ("week", "coverage/bound", "proven", "s (cpu) to it", "MIP optimum", "MIP s (cpu)",
              "no slower (wall/cpu)", "ok")  # fmt: skip

    def line(cells) -> str:
        return "  " + " ".join(str(cell).ljust(width) for cell, width in zip(cells, widths)).rstrip()

    print(line(titles))
    verdicts = []
    for name, problem in weeks:
        path = bench.save(name.replace(" ", "-"), problem)
        solved = in_child({"run": "solve", "path": path, "workers": bench.workers,
                           "time_limit": DEFAULT_TIME_LIMIT, "cpu": True})  # fmt: skip
        mip = in_child({"run": "coverage-mip", "path": path, "time_limit": COVERAGE_MIP_TIME_LIMIT})
        _, _, status, value, bound = solved["stages"][0]
        seconds, cpu = solved["done"]["coverage"]
        proven = status == "OPTIMAL"
        # A proof must agree with the MIP's; a roster must obey every rule.
        agrees = not proven or not mip["proven"] or value == mip["optimum"]
        ok = check(problem, solved["solution"]).ok and agrees
        faster = (seconds <= mip["seconds"], cpu <= mip["cpu"])
        verdicts.append((proven, ok, *faster))
        print(line((
            name, f"{value}/{bound:.0f}", "yes" if proven else "NO", f"{seconds:.2f} ({cpu:.2f})",
            f"{mip['optimum']}{'' if mip['proven'] else '?'}", f"{mip['seconds']:.2f} ({mip['cpu']:.2f})",
            "/".join("yes" if f else "no" for f in faster), "yes" if ok else "NO",
        )), flush=True)  # fmt: skip
    n = len(verdicts)
    print(f"  proven {sum(v[0] for v in verdicts)}/{n}, valid and agreeing with the MIP {sum(v[1] for v in verdicts)}"
          f"/{n}; coverage stage no slower than the MIP: wall {sum(v[2] for v in verdicts)}/{n}, "
          f"cpu {sum(v[3] for v in verdicts)}/{n}")  # fmt: skip


def fairness_against_bound(bench: Bench, case: Case, seconds: float) -> None:
    """The fairness found against the lower bound of `fairness_bound`."""
    path = bench.save(f"{case.name}-bound".replace(" ", "-"), case.problem)
    result = in_child({"run": "fairness-bound", "path": path, "solution": case.solver["solution"],
                       "time_limit": seconds})  # fmt: skip
    found = case.scores["fairness"]
    if result["bound"] is None:
        print(f"    {case.name}: fairness {found}; no bound within {seconds:.0f} s")
        return
    print(f"    {case.name}: coverage {'proven' if case.solver['stages'][0][2] == 'OPTIMAL' else 'NOT proven'}; "
          f"fairness {found}, lower bound {result['bound']:.0f} (linear relaxation, {result['seconds']:.0f} s, "
          f"cpu {result['cpu']:.0f} s): {100 * (found / result['bound'] - 1):.2f} % above it")


def parse_sizes(text: str) -> tuple[tuple[int, int], ...]:
    try:
        return tuple((int(v), int(d)) for v, d in (part.split("x") for part in text.split(",")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not like 30x40,500x300") from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--sizes", type=parse_sizes, help="plain generated sizes, e.g. 30x40,500x300")
    parser.add_argument("--many", type=int, help="problems for solve_many (default 8, quick 4)")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT threads per solve (default 2)")
    parser.add_argument(
        "--time-limit", type=float, help="seconds per solve (default by size: 10/30/60; 10 in solve_many)"
    )
    parser.add_argument(
        "--repair-time-limit", type=float, default=20.0,
        help="seconds for a decline repair and for its full re-solve baseline (default 20, as the web app)",
    )  # fmt: skip
    parser.add_argument("--declines", type=int, default=3, help="declines repaired per re-plan case (default 3)")
    parser.add_argument(
        "--coverage-seeds", type=lambda text: [int(s) for s in text.split(",")], default=[1, 2, 3, 4],
        help="seeds of the loose and tight 500x300 weeks for the coverage proofs (default 1,2,3,4)",
    )  # fmt: skip
    parser.add_argument("--only-coverage", action="store_true", help="the coverage proofs only")
    parser.add_argument("--bound-time-limit", type=float, default=900.0,
                        help="seconds for the fairness lower bound at 2000x1000 (default 900)")  # fmt: skip
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main()
        return

    sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="solver-bench-") as folder:
        bench = Bench(Path(folder), args.workers, args.time_limit, args.repair_time_limit, args.declines)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.workers} CP-SAT workers per solve")
        if not args.quick:
            coverage_proofs(bench, args.coverage_seeds)
            print()
        if args.only_coverage:
            return
        print_header()
        plain = {(v, d): bench.run(f"generated {v}x{d}", generate(v, d, seed=1)) for v, d in sizes}
        if (2000, 1000) in plain:
            fairness_against_bound(bench, plain[2000, 1000], args.bound_time_limit)
        bench.replan("decline at 120x100", bench.run("generated 120x100", generate(120, 100, seed=2)))
        bench.run("tight 60x80", generate(60, 80, seed=3, tight=True))
        if not args.quick:
            bench.run("tight 500x300", generate(500, 300, seed=5, tight=True))
            for v, d in ((500, 300), (2000, 1000)):
                base = plain.get((v, d)) or bench.run(f"generated {v}x{d}", generate(v, d, seed=1))
                bench.replan(f"decline at {v}x{d}", base)
        run_examples(bench, args.quick)
        print()
        tight = [c for c in bench.cases if "tight" in c.name]
        ratios = ", ".join(f"{c.name} {c.coverage_ratio:.3f}" for c in tight)
        print(f"coverage solver/greedy on tight instances: {ratios}")
        print(f"coverage solver/greedy, all cases: min {min(c.coverage_ratio for c in bench.cases):.3f}, "
              f"max {max(c.coverage_ratio for c in bench.cases):.3f}")
        print()
        bench.many(args.many or (4 if args.quick else 8), (120, 100) if args.quick else (500, 300))
    print(f"\nbenchmark wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
