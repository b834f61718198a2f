"""Decline repair: a published roster loses a pair and is mended with as few
changes as possible, never more than the seed roster (the published one
less the declined pairs, holes filled by `suggest`) and never less coverage.
Every roster is judged by the independent `solver.check`; on tiny problems
the fewest changes are proven by brute force."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from solver import ProblemError, constraints, load_problem, repair, repair_dict, solution_to_dict
from solver.generate import generate
from solver.greedy import greedy
from solver.model import FEASIBLE, OPTIMAL, Pair
from solver.repair import seed_plan
from tests.support.bruteforce import TINY_CASES, as_scores, brute_force
from tests.support.problems import checked, demand, example_files, problem, volunteer


def as_dicts(pairs) -> list[dict]:
    return [{"demand": p.demand, "volunteer": p.volunteer} for p in pairs]


def declined(raw: dict, roster, declines: int = 1) -> tuple[dict, list[Pair]]:
    """The problem once `declines` unpinned pairs of the published `roster`
    are declined: the roster as `previous`, the declined pairs forbidden."""
    pinned = {Pair(p["demand"], p["volunteer"]) for p in raw.get("pinned", [])}
    free = [p for p in roster if p not in pinned]
    gone = free[len(free) // 3 :][:declines]
    assert len(gone) == declines
    again = dict(raw, previous=as_dicts(roster), forbidden=raw.get("forbidden", []) + as_dicts(gone))
    return again, gone


WEEKS = [
    pytest.param(json.loads(path.read_text(encoding="utf-8")), id=path.name.removesuffix(".problem.json"))
    for path in example_files("*.problem.json")
    if not path.name.startswith("bad-")
] + [
    pytest.param(generate(60, 50, seed=7), id="generate-60x50"),
    pytest.param(generate(120, 100, seed=2, tight=True), id="generate-120x100-tight"),
    *TINY_CASES,
]


@pytest.mark.parametrize("declines", [1, 2])
@pytest.mark.parametrize("raw", WEEKS)
def test_a_decline_changes_only_the_declined_pairs(raw, declines):
    published = greedy(load_problem(raw)).assignments
    again, gone = declined(raw, published, declines)
    p = load_problem(again)
    seed = seed_plan(p)
    assert not constraints.violations(p, seed), "suggest fills holes with pairs that fit"
    repaired = repair(p, time_limit_s=20.0)
    out = checked(p, repaired)
    # Each declined pair is a change whatever the roster, and the seed makes no other.
    assert out["scores"]["changes"] == constraints.changes(p, seed) == declines
    assert out["scores"]["coverage"] >= constraints.coverage(p, seed)
    assert not set(gone) & set(repaired.assignments)
    assert set(p.pinned) <= set(repaired.assignments)


@pytest.mark.parametrize("raw", [case for case in TINY_CASES if case.values[0].get("previous")])
def test_a_repair_makes_the_fewest_changes_its_coverage_allows(raw):
    # The problem's own `previous` is stale (random pairs, some impossible
    # now), so the seed may change more than needed; a decline on top.
    pinned = {(p["demand"], p["volunteer"]) for p in raw["pinned"]}
    ids = {v["id"] for v in raw["volunteers"]}, {d["id"] for d in raw["demands"]}
    decline = next(
        p for p in raw["previous"] if (p["demand"], p["volunteer"]) not in pinned and p["volunteer"] in ids[0]
        and p["demand"] in ids[1]
    )  # fmt: skip
    again = dict(raw, forbidden=raw["forbidden"] + [decline])
    p = load_problem(again)
    repaired = repair(p, time_limit_s=20.0)
    out = checked(p, repaired)
    key, _ = brute_force(again, coverage_at_least=out["scores"]["coverage"])
    assert out["scores"]["changes"] == key[0]
    if repaired.status == OPTIMAL:
        assert out["scores"] == as_scores(brute_force(again)[0])


def test_the_hole_goes_to_the_volunteer_who_changes_nothing_else():
    # v1 declines d1. v2 lives next door but would have to leave d2 to v4
    # (two changes); v3 lives far but is free (one change).
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
    p = load_problem(raw)
    repaired = repair(p)
    checked(p, repaired)
    assert set(repaired.assignments) == {Pair("d1", "v3"), Pair("d2", "v2")}
    assert repaired.status == OPTIMAL


def test_a_repair_does_not_buy_coverage_with_more_changes_than_its_seed():
    # Only v2 could take d1, and only by leaving d2 to v3: a full re-solve
    # makes both changes, a repair keeps its seed's one and says the roster
    # is not the lexicographic optimum.
    raw = problem(
        [volunteer("v1", skills=["a"]), volunteer("v2", skills=["a"]), volunteer("v3", windows=[("09:30", "11:00")])],
        [demand("d1", skills=["a"]), demand("d2", "09:30", "10:30")],
        previous=[{"demand": "d1", "volunteer": "v1"}, {"demand": "d2", "volunteer": "v2"}],
        forbidden=[{"demand": "d1", "volunteer": "v1"}],
    )
    p = load_problem(raw)
    repaired = repair(p)
    out = checked(p, repaired)
    assert set(repaired.assignments) == {Pair("d2", "v2")}
    assert out["scores"]["changes"] == 1
    assert repaired.status == FEASIBLE and repaired.bound_coverage == 2 > out["scores"]["coverage"]


@pytest.fixture(scope="module")
def declined_week() -> dict:
    raw = generate(40, 30, seed=5)
    return declined(raw, greedy(load_problem(raw)).assignments)[0]


def test_repair_dict_takes_and_gives_the_json_documents(declined_week):
    out = repair_dict(declined_week, time_limit_s=10.0, workers=2)
    expected = solution_to_dict(repair(load_problem(declined_week), time_limit_s=10.0, workers=2))
    assert {**out, "solve_seconds": 0} == {**expected, "solve_seconds": 0}
    nobody = {"demand": declined_week["demands"][0]["id"], "volunteer": "nobody"}
    with pytest.raises(ProblemError, match="unknown volunteer 'nobody'"):
        repair_dict(dict(declined_week, forbidden=[nobody]), 10.0, 2)


def test_the_command_line_repairs(declined_week, tmp_path):
    path = tmp_path / "P.json"
    path.write_text(json.dumps(declined_week), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "solver", "repair", str(path), "--time-limit", "10"],
        capture_output=True, text=True, timeout=120, check=False, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["scores"]["changes"] == 1
