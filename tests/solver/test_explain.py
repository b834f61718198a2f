"""Why-unfilled explanations: each kind of reason on a problem made to show it."""

from __future__ import annotations

from solver import constraints, problem_from_dict, solution_to_dict, solve
from solver.explain import explain_infeasible, explain_unfilled
from solver.model import Pair
from tests.support.problems import demand, problem, volunteer


def reasons(raw: dict, assigned=(), complete: bool = True, demand_id: str = "d1") -> dict[str, object]:
    """The reasons given for `demand_id`, by code, for the roster `assigned`."""
    p = problem_from_dict(raw)
    unfilled = {u.demand: u for u in explain_unfilled(p, [Pair(d, v) for d, v in assigned], complete)}
    return {r.code: r for r in unfilled[demand_id].reasons}


def test_no_volunteer_has_the_skill():
    got = reasons(problem([volunteer(skills=["repair"])], [demand(skills=["haircut", "repair"])]))
    assert got["no_skill"].text == "no volunteer has skill haircut"
    assert got["no_skill"].params == {"skills": ["haircut"]}


def test_no_volunteer_has_the_skills_together():
    raw = problem([volunteer("v1", skills=["a"]), volunteer("v2", skills=["b"])], [demand(skills=["a", "b"])])
    assert reasons(raw)["no_skill"].text == "no volunteer has all of a, b together"


def test_there_is_nobody_at_all():
    assert reasons(problem([], [demand()]))["few_skilled"].text == "there are no volunteers in this problem"


def test_too_few_volunteers_have_the_skill():
    raw = problem([volunteer("v1", skills=["medical"]), volunteer("v2")], [demand(skills=["medical"], count=2)])
    got = reasons(raw, [("d1", "v1")])
    assert got["few_skilled"].text == "only 1 volunteer has the skill medical"


def test_none_with_the_skills_is_available_then():
    raw = problem(
        [volunteer("v1", skills=["a"], windows=[("13:00", "17:00")]), volunteer("v2", skills=["a"], windows=[])],
        [demand(start="18:00", end="20:00", skills=["a"])],
    )
    got = reasons(raw)["unavailable"]
    assert got.text == "2 volunteers have the skill a but none is available 2026-11-30 18:00-20:00"
    assert got.params["available"] == 0


def test_some_are_available_but_too_few():
    raw = problem(
        [volunteer("v1"), volunteer("v2", windows=[("06:00", "07:00")]), volunteer("v3", windows=[("09:30", "12:00")])],
        [demand(count=2)],
    )
    got = reasons(raw, [("d1", "v1")])
    assert got["unavailable"].text == "only 1 of the 3 volunteers is available 2026-11-30 09:00-10:00"


def test_available_but_all_too_far():
    raw = problem([volunteer("v1", north_m=2000), volunteer("v2", north_m=2600)], [demand()], max_distance_m=1500)
    got = reasons(raw)["too_far"]
    assert got.text.startswith("the 2 available volunteers all live farther than 1.5 km (the nearest is 2")
    assert got.params["too_far"] == 2 and 1990 <= got.params["nearest_m"] <= 2010


def test_a_volunteer_declined():
    raw = problem([volunteer("v4")], [demand()], forbidden=[{"demand": "d1", "volunteer": "v4"}])
    assert reasons(raw)["declined"].text == "v4 declined this demand"


def test_the_demand_is_longer_than_volunteers_may_serve():
    raw = problem([volunteer("v4", max_minutes=30), volunteer("v5", max_assignments=0)], [demand()])
    got = reasons(raw)["too_long"]
    assert got.text == "v4, v5 may serve less than this demand's 60 min in all (max_minutes, max_assignments)"


def test_candidates_were_needed_for_higher_priority_demands():
    raw = problem(
        [volunteer("v4"), volunteer("v9")],
        [
            demand("d1", priority=2),
            demand("d2", "09:30", "10:30", priority=8),
            demand("d3", "09:00", "09:30", priority=5),
        ],
    )
    got = reasons(raw, [("d2", "v4"), ("d3", "v9")])["busy"]
    assert got.text == "candidates v4, v9 were needed for higher-priority demands: d2, d3"
    assert got.params == {"volunteers": ["v4", "v9"], "demands": ["d2", "d3"], "higher_priority": True}


def test_a_candidate_was_needed_elsewhere_because_of_the_walk():
    # d2 starts when d1 ends, 1.4 km away: 20 minutes' walk that is not there.
    raw = problem(
        [volunteer("v4")], [demand("d1", priority=5), demand("d2", "10:00", "11:00", north_m=1400, priority=5)]
    )
    got = reasons(raw, [("d2", "v4")])["busy"]
    assert got.text == "candidate v4 was needed for other demands at the same time: d2"


def test_a_candidate_is_pinned_elsewhere():
    raw = problem([volunteer("v4")], [demand("d1"), demand("d2", "09:30", "10:30")])
    raw["pinned"] = [{"demand": "d2", "volunteer": "v4"}]
    assert reasons(raw, [("d2", "v4")])["pinned_elsewhere"].text == "v4 is pinned to d2 at the same time"


def test_candidates_reached_max_minutes_or_max_assignments():
    raw = problem(
        [volunteer("v4", max_minutes=90), volunteer("v5", max_assignments=1)],
        [demand("d1"), demand("d2", "12:00", "13:00"), demand("d3", "14:00", "15:00")],
    )
    got = reasons(raw, [("d2", "v4"), ("d3", "v5")])
    assert got["max_minutes"].text == "v4 reached max_minutes"
    assert got["max_assignments"].text == "v5 reached max_assignments"


def test_a_candidate_the_search_did_not_reach_in_time():
    got = reasons(problem([volunteer("v4")], [demand()]), complete=False)
    assert got["not_found"].text == "v4 could still take it; the solver stopped before finding that"


def test_pinned_pairs_that_cannot_all_hold_explain_every_demand():
    raw = problem([volunteer("v1")], [demand("d1"), demand("d2", "09:30", "10:30"), demand("d3", "15:00", "16:00")])
    raw["pinned"] = [{"demand": "d1", "volunteer": "v1"}, {"demand": "d2", "volunteer": "v1"}]
    p = problem_from_dict(raw)
    unfilled = {u.demand: u for u in explain_infeasible(p, constraints.violations(p, p.pinned))}
    assert set(unfilled) == {"d1", "d2", "d3"}
    for d in ("d1", "d2"):
        (reason,) = unfilled[d].reasons
        assert reason.code == "pinned_clash" and reason.params["rule"] == 4
        assert "v1 cannot serve both d1 (2026-11-30 09:00-10:00) and d2" in reason.text
    assert unfilled["d3"].reasons[0].code == "infeasible"


def test_solved_rosters_explain_each_short_demand_in_plain_strings():
    raw = problem(
        [volunteer("v1", skills=["a"], max_minutes=60), volunteer("v2", windows=[("13:00", "14:00")])],
        [demand("d1", skills=["a"], count=2), demand("d2", "11:00", "12:00", priority=3), demand("d3", skills=["z"])],
    )
    out = solution_to_dict(solve(problem_from_dict(raw)))
    short = {u["demand"]: u for u in out["unfilled"]}
    assert {d: u["missing"] for d, u in short.items()} == {"d1": 2, "d3": 1}  # v1 has time for d2 only
    assert all(u["reasons"] and all(isinstance(r, str) for r in u["reasons"]) for u in short.values())
    assert set(short["d1"]) == {"demand", "missing", "reasons"}
