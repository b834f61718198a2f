"""Who could take one demand now: a ranking, no solving."""

from __future__ import annotations

import pytest

from solver import ProblemError, problem_from_dict, suggest
from tests.support.problems import at, demand, problem, volunteer


def ids(raw: dict, demand_id: str = "d1", k: int = 10) -> list[str]:
    return [s.volunteer for s in suggest(problem_from_dict(raw), demand_id, k)]


def test_nearest_first_then_least_loaded_then_by_id():
    raw = problem(
        [
            volunteer("v1", north_m=800),
            volunteer("v2", north_m=100, history_minutes=300),
            volunteer("v3", north_m=100, history_minutes=60),
            volunteer("v4", north_m=100, history_minutes=60),
        ]
    )
    assert ids(raw) == ["v3", "v4", "v2", "v1"]
    assert ids(raw, k=2) == ["v3", "v4"]


def test_planned_work_counts_as_load():
    raw = problem(
        [volunteer("v1"), volunteer("v2")],
        [demand("d1"), demand("d2", "13:00", "15:00")],
        previous=[{"demand": "d2", "volunteer": "v1"}],
    )
    first, second = suggest(problem_from_dict(raw), "d1")
    assert (first.volunteer, first.load_minutes, second.volunteer, second.load_minutes) == ("v2", 0, "v1", 120)


@pytest.mark.parametrize(
    "who, extra",
    [
        (volunteer("v2", skills=[]), {}),  # d1 needs skill a
        (volunteer("v2", skills=["a"], windows=[("09:30", "12:00")]), {}),  # not available 09:00
        (volunteer("v2", skills=["a"], north_m=2000, max_distance_m=1000), {}),  # too far
        (volunteer("v2", skills=["a"]), {"forbidden": [{"demand": "d1", "volunteer": "v2"}]}),
        (volunteer("v2", skills=["a"]), {"previous": [{"demand": "d1", "volunteer": "v2"}]}),  # already on it
        (volunteer("v2", skills=["a"]), {"pinned": [{"demand": "d2", "volunteer": "v2"}]}),  # busy 09:30
        (volunteer("v2", skills=["a"]), {"previous": [{"demand": "d3", "volunteer": "v2"}]}),  # 10:10, 1.4 km away
        (volunteer("v2", skills=["a"], max_minutes=100), {"previous": [{"demand": "d4", "volunteer": "v2"}]}),
        (volunteer("v2", skills=["a"], max_assignments=1), {"previous": [{"demand": "d4", "volunteer": "v2"}]}),
    ],
)
def test_who_cannot_take_it_now_is_left_out(who, extra):
    assert ids(week(who, **extra)) == ["v1"]


def week(v2: dict, **extra) -> dict:
    """v1 and v2 for d1 (skill a, 09:00-10:00); other demands that v2 may already do."""
    return problem(
        [volunteer("v1", skills=["a"], north_m=500), v2],
        [
            demand("d1", skills=["a"], count=2),
            demand("d2", "09:30", "10:30"),
            demand("d3", "10:10", "11:00", north_m=1400),
            demand("d4", "14:00", "15:00"),
        ],
        **extra,
    )


def test_with_nothing_in_the_way_the_same_volunteer_comes_first():
    assert ids(week(volunteer("v2", skills=["a"]))) == ["v2", "v1"]
    later = week(volunteer("v2", skills=["a"], max_minutes=120), previous=[{"demand": "d4", "volunteer": "v2"}])
    assert ids(later) == ["v2", "v1"]  # d4 at 14:00 leaves room, and 60 + 60 minutes fit


def test_a_suggestion_says_why_in_words_and_numbers():
    raw = problem(
        [volunteer("v1", north_m=1200, max_minutes=300, avoid=[{"start": at("09:30"), "end": at("12:00")}])]
    )
    (s,) = suggest(problem_from_dict(raw), "d1")
    assert 1190 <= s.distance_m <= 1210 and s.free_minutes == 300 and s.unwanted
    assert s.reasons[0].startswith("lives 1.2 km away")
    assert "300 of 300 min left" in s.reasons and "would rather not serve at this time" in s.reasons


def test_an_unknown_demand_is_an_error():
    with pytest.raises(ProblemError, match="d-none"):
        suggest(problem_from_dict(problem()), "d-none")


def test_among_two_thousand_volunteers_the_ten_nearest_come_in_order():
    volunteers = [volunteer(f"v{i}", north_m=(i * 37) % 2900, skills=["a"] if i % 3 else []) for i in range(2000)]
    demands = [
        demand(f"d{j}", f"{8 + j % 10:02d}:00", f"{8 + j % 10:02d}:50", north_m=(j * 53) % 2900) for j in range(300)
    ]
    previous = [{"demand": f"d{j}", "volunteer": f"v{(j * 7) % 2000}"} for j in range(300)]
    p = problem_from_dict(problem(volunteers, demands, previous=previous, max_distance_m=3000))
    found = suggest(p, "d5")
    assert len(found) == 10 and [s.distance_m for s in found] == sorted(s.distance_m for s in found)
