"""The problem/solution data and their JSON form: what is read, what is refused."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest

from solver import (
    ProblemError,
    load_problem,
    problem_from_dict,
    problem_to_dict,
    solution_from_dict,
    solution_to_dict,
)
from solver.model import (
    FORMAT,
    Pair,
    Reason,
    Scores,
    Solution,
    Unfilled,
    Window,
    format_minute,
    format_span,
    parse_minute,
)
from tests.support.problems import EXAMPLES, demand, example_files, problem, volunteer


# --- the examples ------------------------------------------------------------------


def test_examples_load_and_survive_a_round_trip():
    for path in example_files("[!b]*.problem.json"):
        loaded = load_problem(path)
        assert loaded.volunteers and loaded.demands
        assert problem_from_dict(problem_to_dict(loaded)) == loaded


def test_bad_examples_are_refused_naming_the_item():
    expected = json.loads((EXAMPLES / "bad-problems.expected.json").read_text())
    assert len(expected) == len(example_files("bad-*.problem.json"))
    for name, item in expected.items():
        with pytest.raises(ProblemError, match=item.replace(".", r"\.")):
            load_problem(EXAMPLES / name)


def test_load_problem_takes_a_path_a_file_or_a_dict():
    raw = problem()
    text = json.dumps(raw)
    assert load_problem(raw) == load_problem(io.StringIO(text)) == problem_from_dict(raw)
    with pytest.raises(ProblemError, match="not valid JSON"):
        load_problem(io.StringIO(text[:-1]))


# --- refusals, one rule each ---------------------------------------------------------


def refusal(raw: dict) -> str:
    with pytest.raises(ProblemError) as caught:
        problem_from_dict(raw)
    return str(caught.value)


@pytest.mark.parametrize(
    "raw, item",
    [
        (problem(format="roster-problem/2"), "roster-problem/2"),
        (problem(volunteers=[volunteer("v7"), volunteer("v7")]), "v7"),
        (problem(demands=[demand("d3"), demand("d3")]), "d3"),
        (problem(demands=[demand("d4", "10:00", "10:00")]), "d4"),
        (problem(demands=[demand("d5", "11:00", "10:00")]), "d5"),
        (problem(volunteers=[volunteer("v8", windows=[("12:00", "11:00")])]), "v8"),
        (problem(demands=[demand("d6", priority=0)]), "d6"),
        (problem(demands=[demand("d7", priority=11)]), "d7"),
        (problem(demands=[demand("d8", count=0)]), "d8"),
        (problem(pinned=[{"demand": "nope", "volunteer": "v1"}]), "nope"),
        (problem(pinned=[{"demand": "d1", "volunteer": "v-x"}]), "v-x"),
        (problem(forbidden=[{"demand": "d1", "volunteer": "v-y"}]), "v-y"),
    ],
)
def test_spec_refusals_name_the_offending_item(raw, item):
    assert item in refusal(raw)


def test_a_pinned_pair_that_is_also_forbidden_is_refused():
    pair = {"demand": "d1", "volunteer": "v1"}
    message = refusal(problem(pinned=[pair], forbidden=[pair]))
    assert "d1" in message and "v1" in message and "forbidden" in message


@pytest.mark.parametrize(
    "raw, rule",
    [
        (problem(demands=[demand(skills=["haircut"])]), "rule 1"),
        (problem(volunteers=[volunteer(windows=[("09:30", "12:00")])]), "rule 2"),
        (problem(volunteers=[volunteer(north_m=2000, max_distance_m=1000)]), "rule 3"),
        (problem(volunteers=[volunteer(north_m=2000)], max_distance_m=1000), "rule 3"),
        (problem(volunteers=[volunteer(max_minutes=30)]), "rule 5"),
        (problem(volunteers=[volunteer(max_assignments=0)]), "rule 5"),
    ],
)
def test_a_pinned_pair_that_breaks_a_rule_on_its_own_is_refused(raw, rule):
    raw["pinned"] = [{"demand": "d1", "volunteer": "v1"}]
    message = refusal(raw)
    assert rule in message and "d1" in message and "v1" in message


def test_pinned_pairs_that_only_clash_together_are_accepted():
    raw = problem(demands=[demand("d1"), demand("d2")])
    raw["pinned"] = [{"demand": "d1", "volunteer": "v1"}, {"demand": "d2", "volunteer": "v1"}]
    assert len(problem_from_dict(raw).pinned) == 2  # rule 4 together: INFEASIBLE, not refused


def test_previous_pairs_may_name_ids_that_are_gone():
    raw = problem(previous=[{"demand": "gone", "volunteer": "nobody"}])
    assert problem_from_dict(raw).previous == (Pair("gone", "nobody"),)


@pytest.mark.parametrize(
    "raw, path",
    [
        ({"format": FORMAT, "volunteers": []}, "demands is missing"),
        (problem(volunteers=[{"id": "v1", "availability": []}]), "volunteers[0] (v1).home is missing"),
        (problem(demands=[demand(count="2")]), "demands[0] (d1).count"),
        (problem(demands=[demand(count=True)]), "demands[0] (d1).count"),
        (problem(demands=[{**demand(), "start": "2026-11-30 09:00"}]), "demands[0] (d1).start"),
        (problem(demands=[{**demand(), "start": "2026-11-30T09:00:30"}]), "demands[0] (d1).start"),
        (problem(demands=[{**demand(), "end": "2026-02-30T10:00"}]), "demands[0] (d1).end"),
        (problem(volunteers=[volunteer(skills=["ok", 3])]), "volunteers[0] (v1).skills[1]"),
        (problem(volunteers=[{**volunteer(), "home": {"lat": 95, "lon": 0}}]), "volunteers[0] (v1).home.lat"),
        (problem(volunteers=[{**volunteer(), "max_minute": 60}]), "unknown field 'max_minute'"),
        (problem(walking_speed_m_per_min=0), "walking_speed_m_per_min"),
        (problem(pinned=[{"demand": "d1"}]), "pinned[0].volunteer is missing"),
        ({**problem(), "demands": {"d1": {}}}, "demands is"),
        ([], "is not an object"),
    ],
)
def test_malformed_documents_are_refused_naming_the_field(raw, path):
    assert path in refusal(raw)


# --- what is read ------------------------------------------------------------------


def test_defaults_follow_the_spec():
    p = problem_from_dict(problem())
    v, d = p.volunteers[0], p.demands[0]
    assert (p.walking_speed_m_per_min, p.max_distance_m, p.name) == (70, None, "")
    assert (v.max_minutes, v.max_assignments, v.max_distance_m, v.history_minutes, v.avoid) == (None, None, None, 0, ())
    assert (d.kind, d.count, d.priority) == ("task", 1, 1)
    assert p.reach_m(v) is None


def test_a_volunteers_own_max_distance_overrides_the_problems():
    p = problem_from_dict(
        problem(volunteers=[volunteer("v1"), volunteer("v2", max_distance_m=500)], max_distance_m=3000)
    )
    assert [p.reach_m(v) for v in p.volunteers] == [3000, 500]


def test_availability_windows_that_touch_or_overlap_are_joined():
    windows = [("12:00", "17:00"), ("08:00", "12:00"), ("18:00", "19:00"), ("18:30", "20:00"), ("21:00", "22:00")]
    v = problem_from_dict(problem(volunteers=[volunteer(windows=windows)])).volunteers[0]
    spans = [(format_minute(w.start)[11:], format_minute(w.end)[11:]) for w in v.availability]
    assert spans == [("08:00", "17:00"), ("18:00", "20:00"), ("21:00", "22:00")]


def test_repeated_pairs_count_once():
    pair = {"demand": "d1", "volunteer": "v1"}
    p = problem_from_dict(problem(previous=[pair, pair], forbidden=[pair, pair]))
    assert p.previous == p.forbidden == (Pair("d1", "v1"),)


def test_problems_built_in_code_are_checked_too():
    p = problem_from_dict(problem())
    with pytest.raises(ProblemError, match="v-ghost"):
        dataclasses.replace(p, forbidden=(Pair("d1", "v-ghost"),))


def test_times_are_minutes_and_print_back():
    assert parse_minute("2026-11-30T08:00") + 60 * 24 == parse_minute("2026-12-01T08:00")
    assert format_minute(parse_minute("2026-11-30T18:05")) == "2026-11-30T18:05"
    assert format_span(parse_minute("2026-11-30T18:00"), parse_minute("2026-11-30T20:00")) == "2026-11-30 18:00-20:00"
    assert format_span(parse_minute("2026-11-30T22:00"), parse_minute("2026-12-01T01:00")) == (
        "2026-11-30 22:00-2026-12-01 01:00"
    )
    assert Window(0, 90).minutes == 90


# --- solutions ------------------------------------------------------------------------


def sample_solution() -> Solution:
    return Solution(
        status="FEASIBLE",
        assignments=(Pair("d1", "v1"),),
        unfilled=(Unfilled("d2", 2, (Reason("no volunteer has skill haircut", "no_skill", {"skills": ["haircut"]}),)),),
        scores=Scores(3, 0, 1, 3600, 250),
        bound_coverage=5,
        solve_seconds=0.12345,
    )


def test_solution_json_has_exactly_the_spec_fields():
    out = solution_to_dict(sample_solution())
    assert out == {
        "format": "roster-solution/1",
        "status": "FEASIBLE",
        "assignments": [{"demand": "d1", "volunteer": "v1"}],
        "unfilled": [{"demand": "d2", "missing": 2, "reasons": ["no volunteer has skill haircut"]}],
        "scores": {"coverage": 3, "changes": 0, "unwanted": 1, "fairness": 3600, "travel_m": 250},
        "bound": {"coverage": 5},
        "solve_seconds": 0.123,
    }
    json.dumps(out)  # plain JSON


def test_reason_codes_are_added_only_when_asked():
    """The web app words the reasons itself; the spec's document (and the CLI's) stays as it is."""
    out = solution_to_dict(sample_solution(), reason_codes=True)
    assert out["unfilled"] == [{"demand": "d2", "missing": 2, "reasons": ["no volunteer has skill haircut"],
                                "reason_codes": [{"code": "no_skill", "params": {"skills": ["haircut"]}}]}]
    assert {key: value for key, value in out.items() if key != "unfilled"} == {
        key: value for key, value in solution_to_dict(sample_solution()).items() if key != "unfilled"}
    json.dumps(out)


def test_solution_comes_back_from_its_json():
    back = solution_from_dict(solution_to_dict(sample_solution()))
    assert (back.status, back.assignments, back.scores, back.bound_coverage) == (
        "FEASIBLE",
        (Pair("d1", "v1"),),
        Scores(3, 0, 1, 3600, 250),
        5,
    )
    assert [r.text for r in back.unfilled[0].reasons] == ["no volunteer has skill haircut"]
    with pytest.raises(ValueError, match="format"):
        solution_from_dict({"format": "roster-solution/0"})
