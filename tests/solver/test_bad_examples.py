"""Every bad-*.problem.json of the examples is refused, by the library
and by the CLI, with a message naming the offending item."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from solver import ProblemError, load_problem
from tests.support.problems import EXAMPLES

REPO = Path(__file__).resolve().parents[2]


def expected_items() -> dict[str, str]:
    """File name -> the id or value the refusal must name. A missing folder
    fails the tests instead of skipping them."""
    return json.loads((EXAMPLES / "bad-problems.expected.json").read_text(encoding="utf-8"))


def test_every_bad_example_has_an_expectation():
    assert sorted(p.name for p in EXAMPLES.glob("bad-*.problem.json")) == sorted(expected_items())


@pytest.mark.parametrize("name", sorted(expected_items()))
def test_library_refuses(name):
    raw = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    with pytest.raises(ProblemError) as refused:
        load_problem(raw)
    assert expected_items()[name] in str(refused.value)


@pytest.mark.parametrize("name", sorted(expected_items()))
def test_cli_refuses_with_exit_2(name):
    result = subprocess.run(
        [sys.executable, "-m", "solver", "solve", str(EXAMPLES / name)],
        capture_output=True, text=True, encoding="utf-8", timeout=60, cwd=REPO,
    )
    assert result.returncode == 2
    assert expected_items()[name] in result.stderr and result.stdout == ""
