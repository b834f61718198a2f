"""python -m solver solve | repair | check | generate (docs/roster-problem.md).

Exit codes: 0 done (check: the solution obeys every rule), 1 check found
broken rules, 2 a file could not be used (missing, unreadable, not JSON, or a
problem the spec refuses). Results go to stdout, complaints to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from solver import ProblemError, load_problem, repair, solution_to_dict, solve
from solver.check import check
from solver.generate import generate

EXIT_BROKEN_RULES = 1
EXIT_BAD_INPUT = 2


class BadInput(Exception):
    """A file the command cannot use; the message says which and why."""


def label(path: str) -> str:
    return "standard input" if path == "-" else path


def read_json(path: str) -> Any:
    """The JSON document at `path` (`-`: standard input)."""
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
    except FileNotFoundError:
        raise BadInput(f"{label(path)}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{label(path)}: cannot read: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{label(path)}: not valid JSON: {exc}") from None


def read_problem(path: str) -> tuple[dict, Any]:
    """The raw problem document and the Problem the core accepted."""
    raw = read_json(path)
    try:
        return raw, load_problem(raw)
    except ProblemError as exc:
        raise BadInput(f"{label(path)}: problem refused: {exc}") from None


def print_json(document: dict) -> None:
    print(json.dumps(document, ensure_ascii=False, indent=1))


def cmd_solve(args: argparse.Namespace) -> int:
    """solve, or repair: the same options, and a solution printed either way."""
    _, problem = read_problem(args.problem)
    solution = args.optimiser(problem, time_limit_s=args.time_limit, workers=args.workers, seed=args.seed)
    print_json(solution_to_dict(solution))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    if args.problem == "-" and args.solution == "-":
        raise BadInput("only one of the two files can be standard input")
    raw_problem, _ = read_problem(args.problem)
    solution = read_json(args.solution)
    if not isinstance(solution, dict):
        raise BadInput(f"{label(args.solution)}: not a roster-solution document (expected a JSON object)")
    report = check(raw_problem, solution)
    if not report.ok:
        for violation in report.violations:
            print(violation)
        print(f"{len(report.violations)} broken rule(s)", file=sys.stderr)
        return EXIT_BROKEN_RULES
    for name, value in report.scores.items():
        print(f"{name}: {value}")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    print_json(generate(args.volunteers, args.demands, args.seed, tight=args.tight))
    return 0


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a whole number >= 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m solver",
        description="Volunteer roster optimisation (roster-problem/1 in, roster-solution/1 out).",
        epilog="Exit codes: 0 ok, 1 check found broken rules, 2 unusable input file.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for name, optimiser, time_limit, summary in (
        ("solve", solve, 10, "solve a problem and print the solution JSON"),
        ("repair", repair, 20, "repair the problem's previous roster (after a decline) with the fewest changes"),
    ):
        cmd = commands.add_parser(name, help=summary)
        cmd.add_argument("problem", help="problem JSON file, or - for standard input")
        cmd.add_argument(
            "--time-limit", type=float, default=time_limit, metavar="S", help=f"seconds (default {time_limit})"
        )
        cmd.add_argument("--workers", type=positive_int, default=2, metavar="N", help="CP-SAT threads (default 2)")
        cmd.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
        cmd.set_defaults(run=cmd_solve, optimiser=optimiser)

    check_cmd = commands.add_parser(
        "check",
        help="check a solution against its problem and print its scores",
        description="Exit 0 and print the five scores when the solution obeys every rule; "
        "otherwise exit 1 and print each broken rule with the pair that breaks it.",
    )
    check_cmd.add_argument("problem", help="problem JSON file, or - for standard input")
    check_cmd.add_argument("solution", help="solution JSON file, or - for standard input")
    check_cmd.set_defaults(run=cmd_check)

    gen_cmd = commands.add_parser("generate", help="print a synthetic community-week problem")
    gen_cmd.add_argument("--volunteers", type=positive_int, required=True, metavar="N")
    gen_cmd.add_argument("--demands", type=positive_int, required=True, metavar="M")
    gen_cmd.add_argument("--seed", type=int, required=True, metavar="S")
    gen_cmd.add_argument("--tight", action="store_true", help="make demand clearly exceed supply")
    gen_cmd.set_defaults(run=cmd_generate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
