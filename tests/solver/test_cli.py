"""python -m solver, driven as a user drives it: in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`python -m solver ARGS` from the repository root, wherever pytest runs."""
    return subprocess.run(
        [sys.executable, "-m", "solver", *args], input=stdin, capture_output=True, text=True, encoding="utf-8",
        timeout=120, cwd=REPO,
    )


@pytest.fixture(scope="module")
def week(tmp_path_factory) -> tuple[Path, Path, dict]:
    """A generated problem, solved once through the CLI: (problem file, solution file, solution)."""
    folder = tmp_path_factory.mktemp("cli")
    generated = run("generate", "--volunteers", "25", "--demands", "20", "--seed", "11")
    assert generated.returncode == 0, generated.stderr
    problem = folder / "P.json"
    problem.write_text(generated.stdout, encoding="utf-8")
    solved = run("solve", str(problem), "--time-limit", "10", "--workers", "2", "--seed", "0")
    assert solved.returncode == 0, solved.stderr
    solution = folder / "S.json"
    solution.write_text(solved.stdout, encoding="utf-8")
    return problem, solution, json.loads(solved.stdout)


@pytest.mark.parametrize("command", [[], ["solve"], ["check"], ["generate"]], ids=lambda c: " ".join(c) or "main")
def test_help(command):
    result = run(*command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m solver")


def test_no_command_is_a_usage_error():
    result = run()
    assert result.returncode == 2 and "usage:" in result.stderr


def test_generate_is_deterministic_and_keeps_chinese_text():
    first = run("generate", "--volunteers", "30", "--demands", "40", "--seed", "5")
    second = run("generate", "--volunteers", "30", "--demands", "40", "--seed", "5")
    other = run("generate", "--volunteers", "30", "--demands", "40", "--seed", "6", "--tight")
    assert first.returncode == 0 and first.stdout == second.stdout != other.stdout
    problem = json.loads(first.stdout)
    assert (len(problem["volunteers"]), len(problem["demands"])) == (30, 40)
    assert "社区" in first.stdout and "tight" in json.loads(other.stdout)["name"]


def test_solve_then_check_round_trip(week):
    problem, solution, document = week
    assert document["format"] == "roster-solution/1" and document["status"] in ("OPTIMAL", "FEASIBLE")
    checked = run("check", str(problem), str(solution))
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.splitlines() == [f"{name}: {value}" for name, value in document["scores"].items()]


def test_standard_input(week):
    problem, solution, document = week
    checked = run("check", "-", str(solution), stdin=problem.read_text(encoding="utf-8"))
    assert checked.returncode == 0 and checked.stdout.startswith(f"coverage: {document['scores']['coverage']}\n")
    solved = run("solve", "-", "--time-limit", "2", stdin=problem.read_text(encoding="utf-8"))
    assert solved.returncode == 0 and json.loads(solved.stdout)["format"] == "roster-solution/1"


def test_check_names_each_broken_rule_and_pair(week, tmp_path):
    problem, _, document = week
    first = document["assignments"][0]
    broken = dict(document, assignments=document["assignments"] + [first])  # the same pair twice
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    result = run("check", str(problem), str(path))
    assert result.returncode == 1
    assert f"rule 6 (count): ({first['demand']}, {first['volunteer']}) is assigned more than once" in result.stdout


def test_bad_json_exits_2(tmp_path, week):
    problem, solution, _ = week
    cases = {"garbage": "{not json", "empty": "", "truncated": "[1, 2"}
    for name, content in cases.items():
        (tmp_path / f"{name}.json").write_text(content, encoding="utf-8")
    for args in (
        ["solve", str(tmp_path / "garbage.json")],
        ["check", str(tmp_path / "empty.json"), str(solution)],
        ["check", str(problem), str(tmp_path / "truncated.json")],
    ):
        result = run(*args)
        assert result.returncode == 2 and "not valid JSON" in result.stderr and result.stdout == "", args


def test_missing_unreadable_and_refused_files_exit_2(tmp_path, week):
    missing = run("solve", str(tmp_path / "nowhere.json"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    directory = run("solve", str(tmp_path))
    assert directory.returncode == 2 and "cannot read" in directory.stderr
    binary = tmp_path / "latin1.json"
    binary.write_bytes(b'{"name": "\xe9"}')
    assert run("solve", str(binary)).returncode == 2
    refused = tmp_path / "refused.json"
    refused.write_text(json.dumps({"format": "roster-problem/1", "volunteers": [], "demands": [{"id": "d"}]}))
    result = run("check", str(refused), str(week[1]))
    assert result.returncode == 2 and "problem refused" in result.stderr
    not_a_solution = run("check", str(week[0]), "-", stdin="[]")
    assert not_a_solution.returncode == 2
    both_stdin = run("check", "-", "-", stdin="{}")
    assert both_stdin.returncode == 2 and "standard input" in both_stdin.stderr
