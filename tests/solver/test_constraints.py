"""Each hard rule and each score on its own, then the bulk forms the model is
built from (eligible pairs, the conflict graph, its clique cover) against
brute force."""

from __future__ import annotations

from itertools import combinations

from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from solver import constraints, distance_m, load_problem, problem_from_dict, travel_min
from solver.cpsat import clique_cover
from solver.geo import minutes_to_walk
from solver.model import Location, Pair
from tests.support.problems import demand, example_files, problem, volunteer

# Hypothesis without its explain phase, which would import libcst and trip
# the project's warnings-are-errors setting.
QUICK = settings(
    max_examples=60, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]
)


def one(v: dict | None = None, d: dict | None = None, **extra):
    """A problem with one volunteer and one demand, and the two."""
    p = problem_from_dict(problem([v or volunteer()], [d or demand()], **extra))
    return p, p.volunteers[0], p.demands[0]


# --- distance and travel ------------------------------------------------------------


def test_distance_is_haversine_rounded_to_the_metre():
    assert distance_m(Location(0.0, 0.0), Location(1.0, 0.0)) == 111_195  # 111194.93 m
    assert distance_m(Location(0.0, 0.0), Location(0.0, 0.0)) == 0
    a, b = Location(43.8571, 126.5502), Location(43.8580, 126.5490)
    assert distance_m(a, b) == distance_m(b, a) == 139  # 100.08 m north, 96.24 m west


def test_halves_round_up():
    # 4.5e-6 degrees of latitude is 0.5004 m, 4.4e-6 is 0.4893 m.
    assert distance_m(Location(0.0, 0.0), Location(4.5e-6, 0.0)) == 1
    assert distance_m(Location(0.0, 0.0), Location(4.4e-6, 0.0)) == 0


def test_travel_is_the_ceiling_of_distance_over_speed():
    assert [minutes_to_walk(d, 70) for d in (0, 1, 70, 71, 140, 141)] == [0, 1, 1, 2, 2, 3]
    assert minutes_to_walk(210, 0.7) == 300  # the decimal 0.7, not its binary float
    assert travel_min(Location(0.0, 0.0), Location(1.0, 0.0), 70) == 1589  # 111195 / 70 = 1588.5


# --- rules 1-3 ------------------------------------------------------------------------


def test_rule_1_skills_needs_every_required_skill():
    assert constraints.skills(*one(volunteer(skills=["a", "b"]), demand(skills=["a"]))[1:])
    assert constraints.skills(*one(volunteer(skills=[]), demand(skills=[]))[1:])
    assert not constraints.skills(*one(volunteer(skills=["a"]), demand(skills=["a", "b"]))[1:])


def test_rule_2_availability_needs_one_window_holding_the_demand():
    windows = [("08:00", "10:00"), ("10:00", "11:00"), ("14:00", "16:00")]  # the first two touch: one window
    v = volunteer(windows=windows)
    assert constraints.availability(*one(v, demand(start="09:00", end="10:30"))[1:])
    assert constraints.availability(*one(v, demand(start="14:00", end="16:00"))[1:])
    assert not constraints.availability(*one(v, demand(start="10:30", end="14:30"))[1:])
    assert not constraints.availability(*one(v, demand(start="07:59", end="09:00"))[1:])
    assert not constraints.availability(*one(v, demand(start="15:00", end="16:01"))[1:])


def test_rule_3_reach_uses_the_volunteers_limit_or_else_the_problems():
    assert constraints.reach(*one(volunteer(north_m=1000)))
    assert not constraints.reach(*one(volunteer(north_m=1000), max_distance_m=999))
    assert constraints.reach(*one(volunteer(north_m=1000, max_distance_m=1200), max_distance_m=500))
    p, v, d = one(volunteer(north_m=1000))
    exact = distance_m(v.home, d.location)
    assert constraints.reach(*one(volunteer(north_m=1000, max_distance_m=exact)))
    assert not constraints.reach(*one(volunteer(north_m=1000, max_distance_m=exact - 1)))


def test_eligible_also_excludes_forbidden_pairs_and_demands_too_long_for_the_volunteer():
    assert constraints.eligible(*one())
    assert not constraints.eligible(*one(forbidden=[{"demand": "d1", "volunteer": "v1"}]))
    assert not constraints.eligible(*one(volunteer(max_minutes=59)))
    assert not constraints.eligible(*one(volunteer(max_assignments=0)))


# --- rule 4 ----------------------------------------------------------------------


def two_demands(gap_min: int, apart_m: float, **first):
    """Demand a 09:00-10:00 at the base point and demand b `gap_min` later, `apart_m` north."""
    start = 10 * 60 + gap_min
    b = demand("b", f"{start // 60:02d}:{start % 60:02d}", "12:00", north_m=apart_m)
    p = problem_from_dict(problem(demands=[demand("a", **first), b]))
    return p, p.demands[0], p.demands[1]


def test_rule_4_back_to_back_at_the_same_place_is_fine():
    p, a, b = two_demands(0, 0)
    assert constraints.no_overlap(p, a, b) and constraints.no_overlap(p, b, a)


def test_rule_4_needs_the_walk_between_places():
    p, a, b = two_demands(30, 650)
    need = travel_min(a.location, b.location, 70)
    assert need >= 9
    assert constraints.no_overlap(*two_demands(need, 650))
    assert not constraints.no_overlap(*two_demands(need - 1, 650))


def test_rule_4_overlapping_or_same_start_always_clashes():
    assert not constraints.no_overlap(*two_demands(-30, 0))
    p = problem_from_dict(problem(demands=[demand("a", "09:00", "09:30"), demand("b", "09:00", "11:00")]))
    assert not constraints.no_overlap(p, *p.demands)


# --- rules 5-7 -------------------------------------------------------------------


def test_rule_5_load_checks_minutes_and_count():
    v = one(volunteer(max_minutes=120, max_assignments=2))[1]
    assert constraints.load(v, 120, 2)
    assert not constraints.load(v, 121, 1)
    assert not constraints.load(v, 60, 3)
    assert constraints.load(one()[1], 10_000, 100)


def test_rule_6_count_allows_count_volunteers_each_once():
    d = one(d=demand(count=2))[2]
    assert constraints.count(d, ["v1", "v2"])
    assert not constraints.count(d, ["v1", "v2", "v3"])
    assert not constraints.count(d, ["v1", "v1"])


def test_rule_7_pinned_assigned_and_forbidden_not():
    p = problem_from_dict(
        problem(
            volunteers=[volunteer("v1"), volunteer("v2")],
            pinned=[{"demand": "d1", "volunteer": "v1"}],
            forbidden=[{"demand": "d1", "volunteer": "v2"}],
        )
    )
    assert constraints.pinned_and_forbidden(p, {Pair("d1", "v1")}) == []
    broken = constraints.pinned_and_forbidden(p, {Pair("d1", "v2")})
    assert sorted((x.rule, x.volunteer) for x in broken) == [(7, "v1"), (7, "v2")]


def test_violations_name_each_broken_rule_with_its_pair():
    p = problem_from_dict(
        problem(
            volunteers=[volunteer("v1", max_minutes=60), volunteer("v2", skills=["x"])],
            demands=[demand("d1"), demand("d2", "09:30", "10:30"), demand("d3", skills=["x"], count=1)],
        )
    )
    pairs = [Pair("d1", "v1"), Pair("d2", "v1"), Pair("d3", "v1"), Pair("d3", "v2")]
    found = {(x.rule, x.demand, x.volunteer) for x in constraints.violations(p, pairs)}
    assert (1, "d3", "v1") in found  # v1 lacks x
    assert (4, "d2", "v1") in found  # d1 and d2 overlap
    assert (5, None, "v1") in found  # 3 hours > 60 minutes
    assert (6, "d3", None) in found  # two volunteers, count 1
    assert constraints.violations(p, [Pair("d1", "v1"), Pair("d3", "v2")]) == []


# --- scores ------------------------------------------------------------------------


def scored():
    p = problem_from_dict(
        problem(
            volunteers=[
                volunteer("v1", history_minutes=60, avoid=[{"start": "2026-11-30T09:30", "end": "2026-11-30T11:00"}]),
                volunteer("v2", north_m=500, avoid=[{"start": "2026-11-30T10:00", "end": "2026-11-30T11:00"}]),
                volunteer("v3", history_minutes=30),
            ],
            demands=[demand("d1", priority=3, count=2), demand("d2", "12:00", "14:00", priority=5)],
            previous=[{"demand": "d1", "volunteer": "v3"}, {"demand": "gone", "volunteer": "v1"}],
        )
    )
    return p, [Pair("d1", "v1"), Pair("d1", "v2"), Pair("d2", "v1")]


def test_coverage_is_priority_times_volunteers():
    p, pairs = scored()
    assert constraints.coverage(p, pairs) == 3 * 2 + 5


def test_changes_count_previous_pairs_no_longer_assigned_even_gone_ones():
    p, pairs = scored()
    assert constraints.changes(p, pairs) == 2
    assert constraints.changes(p, pairs + [Pair("d1", "v3")]) == 1


def test_unwanted_counts_assignments_overlapping_an_avoid_window():
    p, pairs = scored()
    assert constraints.unwanted(p, pairs) == 1  # v1's d1 overlaps 09:30-11:00; v2's window only touches d1


def test_fairness_squares_every_volunteers_total_even_idle_ones():
    p, pairs = scored()
    assert constraints.fairness(p, pairs) == (60 + 60 + 120) ** 2 + 60**2 + 30**2


def test_travel_sums_home_to_demand_distances():
    p, pairs = scored()
    assert constraints.travel_m(p, pairs) == distance_m(p.volunteers[1].home, p.demands[0].location) > 400


def test_scores_ignore_repeated_pairs():
    p, pairs = scored()
    assert constraints.scores(p, pairs + pairs) == constraints.scores(p, pairs)


# --- bulk forms against brute force ------------------------------------------------------


@st.composite
def random_problems(draw):
    n_vol, n_dem = draw(st.integers(1, 6)), draw(st.integers(1, 8))
    vols = [
        volunteer(
            f"v{i}",
            skills=draw(st.lists(st.sampled_from("ab"), max_size=2, unique=True)),
            north_m=draw(st.integers(0, 3000)),
            windows=[(f"{s:02d}:00", f"{s + draw(st.integers(1, 6)):02d}:00") for s in [draw(st.integers(6, 12))]],
            max_distance_m=draw(st.one_of(st.none(), st.integers(0, 3000))),
            max_minutes=draw(st.one_of(st.none(), st.integers(0, 120))),
        )
        for i in range(n_vol)
    ]
    dems = []
    for j in range(n_dem):
        start = draw(st.integers(6 * 60, 16 * 60))
        length = draw(st.sampled_from([20, 30, 60, 90]))
        dems.append(
            demand(
                f"d{j}",
                f"{start // 60:02d}:{start % 60:02d}",
                f"{(start + length) // 60:02d}:{(start + length) % 60:02d}",
                skills=draw(st.lists(st.sampled_from("ab"), max_size=1)),
                north_m=draw(st.integers(0, 3000)),
            )
        )
    return problem_from_dict(problem(vols, dems, walking_speed_m_per_min=draw(st.sampled_from([30, 70, 0.7]))))


@QUICK
@given(random_problems())
def test_eligible_pairs_are_exactly_the_pairs_that_can_ever_be_assigned(p):
    brute = [
        (di, vi) for di, d in enumerate(p.demands) for vi, v in enumerate(p.volunteers) if constraints.eligible(p, v, d)
    ]
    assert [(e.demand, e.volunteer) for e in constraints.eligible_pairs(p)] == brute


@QUICK
@given(random_problems())
def test_the_conflict_graph_holds_exactly_the_clashing_pairs(p):
    graph = constraints.conflict_graph(p)
    for i, j in combinations(range(len(p.demands)), 2):
        assert (j in graph[i]) == (not constraints.no_overlap(p, p.demands[i], p.demands[j]))


def assert_cover(graph: list[set[int]]) -> None:
    cliques = clique_cover(graph)
    covered = set()
    for c in cliques:
        for a, b in combinations(c, 2):
            assert b in graph[a], f"{c} is not a clique"
            covered.add((a, b))
    edges = {(a, b) for a in range(len(graph)) for b in graph[a] if a < b}
    assert edges <= covered


@QUICK
@given(
    st.integers(1, 25).flatmap(
        lambda n: st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=80).map(lambda e: (n, e))
    )
)
def test_the_clique_cover_covers_every_edge_with_true_cliques(graph_spec):
    n, edges = graph_spec
    graph: list[set[int]] = [set() for _ in range(n)]
    for a, b in edges:
        if a != b:
            graph[a].add(b)
            graph[b].add(a)
    assert_cover(graph)


def test_the_clique_cover_of_every_example_covers_every_clash():
    for path in example_files("[!b]*.problem.json"):
        assert_cover(constraints.conflict_graph(load_problem(path)))
