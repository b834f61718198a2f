"""The checker catches each hard rule alone, and scores a hand-computed case.

Problems sit on the equator so distances are easy to compute by hand:
0.009 degrees of longitude is 1000.75 m (rounds to 1001), 0.0045 degrees is
500.38 m (rounds to 500), and 500 m at 70 m/min is ceil(7.14) = 8 minutes.
"""

from __future__ import annotations

import copy

from solver.check import check, distance_m, merged_windows, minutes, travel_min

HOME = {"lat": 0.0, "lon": 0.0}
FAR = {"lat": 0.0, "lon": 0.009}  # 1001 m from HOME
NEAR = {"lat": 0.0, "lon": 0.0045}  # 500 m from HOME and from FAR


def window(start: str, end: str, day: str = "2026-11-30") -> dict:
    return {"start": f"{day}T{start}", "end": f"{day}T{end}"}


def demand(did: str, start: str, end: str, location: dict, skills=(), count: int = 1, priority: int = 1) -> dict:
    return {
        "id": did, "kind": "task", "start": f"2026-11-30T{start}", "end": f"2026-11-30T{end}",
        "location": location, "required_skills": list(skills), "count": count, "priority": priority,
    }


def make_problem() -> dict:
    """v1 has first_aid, two touching windows and an avoid window; d1 ends at
    10:00 at FAR and d2 starts at 10:08 at NEAR, exactly the 8 minutes apart."""
    return {
        "format": "roster-problem/1",
        "name": "test",
        "walking_speed_m_per_min": 70,
        "max_distance_m": 3000,
        "volunteers": [
            {
                "id": "v1", "skills": ["first_aid"], "home": HOME,
                "availability": [window("08:00", "12:00"), window("12:00", "17:00")],
                "max_minutes": 240, "max_assignments": 3, "max_distance_m": 1500,
                "history_minutes": 60, "avoid": [window("10:00", "11:00")],
            },
            {"id": "v2", "skills": [], "home": HOME, "availability": [window("08:00", "17:00")],
             "history_minutes": 30},
            {"id": "v3", "skills": [], "home": HOME, "availability": [window("08:00", "17:00", "2026-12-01")],
             "history_minutes": 100},
        ],
        "demands": [
            demand("d1", "09:00", "10:00", FAR, ["first_aid"], priority=5),
            demand("d2", "10:08", "10:38", NEAR, count=2, priority=3),
        ],
    }


def solution(problem: dict, pairs: list[tuple[str, str]], status: str = "FEASIBLE") -> dict:
    """A solution whose report (scores, bound, unfilled) is consistent with `pairs`,
    so that a test sees only the violation it sets up."""
    filled = {d["id"]: sum(1 for p in set(pairs) if p[0] == d["id"]) for d in problem["demands"]}
    draft = {
        "format": "roster-solution/1",
        "status": status,
        "assignments": [{"demand": d, "volunteer": v} for d, v in pairs],
        "unfilled": [
            {"demand": d["id"], "missing": d["count"] - filled[d["id"]], "reasons": ["test"]}
            for d in problem["demands"]
            if filled[d["id"]] < d["count"]
        ],
    }
    draft["scores"] = check(problem, draft).scores
    draft["bound"] = {"coverage": draft["scores"]["coverage"]}
    return draft


def broken(problem: dict, pairs: list[tuple[str, str]], status: str = "FEASIBLE") -> list:
    return check(problem, solution(problem, pairs, status)).violations


def test_valid_solution_passes():
    problem = make_problem()
    report = check(problem, solution(problem, [("d1", "v1"), ("d2", "v1"), ("d2", "v2")]))
    assert report.ok, report.violations


def test_rule1_skills():
    [violation] = broken(make_problem(), [("d1", "v2")])
    assert (violation.rule, violation.demand, violation.volunteer) == (1, "d1", "v2")
    assert "first_aid" in violation.message and "(d1, v2)" in violation.message


def test_rule2_availability_inside_one_merged_window():
    problem = make_problem()
    problem["demands"].append(demand("across", "11:30", "12:30", NEAR))
    assert broken(problem, [("across", "v1")]) == []  # 08-12 and 12-17 touch: one window
    problem["volunteers"][0]["availability"] = [window("08:00", "11:59"), window("12:00", "17:00")]
    [violation] = broken(problem, [("across", "v1")])
    assert (violation.rule, violation.demand, violation.volunteer) == (2, "across", "v1")
    assert "rule 2" in str(violation) and "(across, v1)" in violation.message


def test_rule3_reach_is_on_rounded_metres():
    problem = make_problem()
    problem["volunteers"][0]["max_distance_m"] = 1001
    assert broken(problem, [("d1", "v1")]) == []
    problem["volunteers"][0]["max_distance_m"] = 1000
    [violation] = broken(problem, [("d1", "v1")])
    assert (violation.rule, violation.demand, violation.volunteer) == (3, "d1", "v1")
    assert "1001 m" in violation.message


def test_rule3_problem_default_reach():
    problem = make_problem()
    problem["max_distance_m"] = 1000  # v2 sets no limit of its own
    problem["demands"][0]["required_skills"] = []
    [violation] = broken(problem, [("d1", "v2")])
    assert violation.rule == 3


def test_rule4_travel_may_exactly_fill_the_gap():
    problem = make_problem()
    assert broken(problem, [("d1", "v1"), ("d2", "v1")]) == []
    problem["demands"][1]["start"] = "2026-11-30T10:07"
    [violation] = broken(problem, [("d1", "v1"), ("d2", "v1")])
    assert (violation.rule, violation.volunteer) == (4, "v1")
    assert "d1" in violation.message and "d2" in violation.message and "8 min" in violation.message


def test_rule4_same_start_overlaps():
    problem = make_problem()
    problem["demands"].append(demand("d3", "10:08", "10:10", NEAR))
    [violation] = broken(problem, [("d2", "v2"), ("d3", "v2")])
    assert violation.rule == 4


def test_rule5_max_minutes():
    problem = make_problem()
    problem["volunteers"][0]["max_minutes"] = 89
    [violation] = broken(problem, [("d1", "v1"), ("d2", "v1")])
    assert (violation.rule, violation.volunteer) == (5, "v1")
    assert "90 min (d1, d2)" in violation.message


def test_rule5_max_assignments():
    problem = make_problem()
    problem["volunteers"][0]["max_assignments"] = 1
    [violation] = broken(problem, [("d1", "v1"), ("d2", "v1")])
    assert (violation.rule, violation.volunteer) == (5, "v1")
    assert "max_assignments 1" in violation.message


def test_rule6_count():
    problem = make_problem()
    problem["demands"][0]["required_skills"] = []
    [violation] = broken(problem, [("d1", "v1"), ("d1", "v2")])
    assert (violation.rule, violation.demand) == (6, "d1")
    assert "2 volunteers (v1, v2), count 1" in violation.message


def test_rule6_duplicate_pair():
    violations = broken(make_problem(), [("d2", "v2"), ("d2", "v2")])
    assert [(v.rule, v.demand, v.volunteer) for v in violations] == [(6, "d2", "v2")]


def test_rule7_pinned_missing():
    problem = make_problem()
    problem["pinned"] = [{"demand": "d1", "volunteer": "v1"}]
    [violation] = broken(problem, [("d2", "v1")])
    assert (violation.rule, violation.demand, violation.volunteer) == (7, "d1", "v1")
    assert "pinned" in violation.message


def test_rule7_forbidden_present():
    problem = make_problem()
    problem["forbidden"] = [{"demand": "d2", "volunteer": "v2"}]
    [violation] = broken(problem, [("d2", "v2")])
    assert (violation.rule, violation.demand, violation.volunteer) == (7, "d2", "v2")
    assert "forbidden" in violation.message


def test_report_format_unknown_ids_and_status():
    problem = make_problem()
    bad = solution(problem, [("d2", "v2")])
    bad["format"] = "roster-solution/2"
    bad["status"] = "GOOD"
    bad["assignments"] += [{"demand": "nope", "volunteer": "v1"}, {"demand": "d2", "volunteer": "v9"}]
    messages = [v.message for v in check(problem, bad).violations]
    assert all(v.rule == 0 for v in check(problem, bad).violations)
    assert any("roster-solution/2" in m for m in messages)
    assert any("GOOD" in m for m in messages)
    assert any("unknown demand nope" in m for m in messages)
    assert any("unknown volunteer v9" in m for m in messages)


def test_report_wrong_scores_and_bound():
    problem = make_problem()
    bad = solution(problem, [("d2", "v2")], status="OPTIMAL")
    bad["scores"]["fairness"] += 1
    bad["bound"]["coverage"] = 2
    messages = sorted(v.message for v in check(problem, bad).violations)
    assert len(messages) == 2
    assert "bound.coverage 2 is below the coverage 3" in messages[0]
    assert "scores.fairness" in messages[1]


def test_report_unfilled_must_match():
    problem = make_problem()
    good = solution(problem, [("d2", "v2")])
    assert [(u["demand"], u["missing"]) for u in good["unfilled"]] == [("d1", 1), ("d2", 1)]
    wrong_missing = copy.deepcopy(good)
    wrong_missing["unfilled"][1]["missing"] = 2
    omitted = copy.deepcopy(good)
    del omitted["unfilled"][0]
    no_reason = copy.deepcopy(good)
    no_reason["unfilled"][0]["reasons"] = []
    for bad, needle in ((wrong_missing, "should be 1"), (omitted, "omits d1"), (no_reason, "no reason")):
        [violation] = check(problem, bad).violations
        assert violation.rule == 0 and needle in violation.message


def test_infeasible_is_accepted_only_when_pinned_pairs_clash():
    problem = make_problem()
    problem["pinned"] = [{"demand": "d1", "volunteer": "v1"}, {"demand": "d2", "volunteer": "v1"}]
    assert broken(problem, [], status="INFEASIBLE")  # the two pinned pairs fit together
    problem["demands"][1]["start"] = "2026-11-30T10:05"
    assert broken(problem, [], status="INFEASIBLE") == []
    [violation] = broken(problem, [("d2", "v2")], status="INFEASIBLE")
    assert "not empty" in violation.message


def test_hand_computed_scores():
    problem = make_problem()
    problem["previous"] = [
        {"demand": "d1", "volunteer": "v2"},  # dropped: a change
        {"demand": "d2", "volunteer": "v1"},  # kept
        {"demand": "gone", "volunteer": "v9"},  # no longer in the problem: a change
    ]
    report = check(problem, solution(problem, [("d1", "v1"), ("d2", "v1"), ("d2", "v2")]))
    assert report.ok, report.violations
    assert report.scores == {
        "coverage": 5 * 1 + 3 * 2,
        "changes": 2,
        # avoid 10:00-11:00: d1 09:00-10:00 only touches it, d2 10:08-10:38 overlaps.
        "unwanted": 1,
        # v1 60 + 60 + 30, v2 30 + 30, idle v3 still counts with its history.
        "fairness": 150**2 + 60**2 + 100**2,
        "travel_m": 1001 + 500 + 500,
    }


def test_spec_arithmetic():
    assert distance_m({"lat": 0, "lon": 0}, {"lat": 0, "lon": 1}) == 111195  # 111194.93
    assert distance_m(HOME, FAR) == 1001 and distance_m(HOME, NEAR) == 500  # 1000.75, 500.38
    assert travel_min({"lat": 0, "lon": 0}, {"lat": 0, "lon": 1}, 70) == 1589  # 1588.5
    assert travel_min(FAR, NEAR, 70) == 8 and travel_min(FAR, FAR, 70) == 0
    # 21 m at 0.7 m/min is 30 minutes; dividing by the binary float 0.7 gives 31.
    assert travel_min(HOME, {"lat": 0.0, "lon": 0.000189}, 0.7) == 30
    windows = [window("12:00", "17:00"), window("08:00", "12:00"), window("09:00", "10:00"), window("18:00", "19:00")]
    start = minutes("2026-11-30T00:00")
    assert [(s - start, e - start) for s, e in merged_windows(windows)] == [(480, 1020), (1080, 1140)]
