"""Builds and runs the CP-SAT model of a roster problem.

Variables exist only for pairs that can ever be assigned (rules 1-3, rule 5
for the one demand, not forbidden). Rule 4 becomes at-most-one rows over the
maximal cliques of the demands' conflict graph, rule 5 two knapsack rows per
volunteer, rule 6 one row per demand, and pinned pairs are fixed. The five
scores are optimised one after the other: each stage keeps the earlier
stages' results as constraints and starts from the best roster so far as a
hint (the previous plan, when re-planning, is where the first roster starts).

Coverage comes first and keeps all the time it needs for a proof: CP-SAT
on the whole model (when the model is small enough for that to have a
chance) or, beyond that, the bound of the linear relaxation, neighbourhoods
and HiGHS on coverage alone. The later stages share what it leaves: each
first polishes the roster with a quick local search, then asks CP-SAT for a
proof on the whole model and, if no proof came, improves the roster by
re-solving neighbourhoods of a few dozen volunteers exactly (large
neighbourhood search), which scales to thousands of volunteers. The
reported scores are recomputed from the final assignments by
`solver.constraints`, never read off an objective.

A repair (`solver.repair`) runs the same stages from a roster it gives,
with changes capped at that roster's from the start; the cap usually
freezes all but a few volunteers, and CP-SAT then models only those.
"""

from __future__ import annotations

import dataclasses
import math
import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from solver import constraints
from solver.explain import explain_infeasible, explain_unfilled
from solver.model import FEASIBLE, INFEASIBLE, OPTIMAL, Pair, Problem, Solution, StageReport, Volunteer

Progress = Callable[[str, "int | None", float], None]

# Stages in the spec's order. Coverage comes first and takes all the time it
# needs to be proven; the later stages share what it leaves in these shares
# (unused time passes on).
STAGES = ("coverage", "changes", "unwanted", "fairness", "travel")
STAGE_SHARES = {"changes": 1, "unwanted": 1, "fairness": 4, "travel": 2}
MAXIMISED = {"coverage"}
# Share of a later stage's time for the local search, then for CP-SAT on the
# whole model; the rest (all of it once proven) goes to neighbourhood search.
LOCAL_SEARCH_SHARE = 0.2
WHOLE_MODEL_SHARE = {"changes": 0.5, "unwanted": 0.5, "fairness": 0.4, "travel": 0.5}
# Beyond this many pairs CP-SAT on the whole model rarely gets past presolve
# in the time a roster solve has, so only the neighbourhood search runs; and
# with less time than this (seconds, plus seconds per pair) CP-SAT would
# spend it all getting started, so neither does it then.
WHOLE_MODEL_MAX_PAIRS = 30_000
WHOLE_MODEL_MIN_SECONDS = (0.1, 4e-5)
# Seconds per pair that building and solving the linear relaxation of
# coverage takes; it runs when the coverage stage has twice that left.
LP_SECONDS_PER_PAIR = 4e-5
# When coverage's model is too big for CP-SAT, the share of its time that
# neighbourhoods may take before HiGHS has the rest for a proof.
COVERAGE_NEIGHBOURHOOD_SHARE = 0.5
# Neighbourhood search: pairs per neighbourhood (adapted as it goes), time per
# neighbourhood, and how many proven but useless neighbourhoods in a row end it.
NEIGHBOURHOOD_PAIRS = (150, 600, 4000)  # smallest, first, largest
NEIGHBOURHOOD_WORK = 0.25  # CP-SAT deterministic time, about a second here
NEIGHBOURHOOD_PATIENCE = 25
# Time kept back at the end for explanations and scoring: a share of the
# limit, plus seconds, plus seconds per demand.
FINISH_RESERVE = (0.02, 0.05, 1.2e-3)
# Above this many breakpoints a volunteer's square gets a product constraint
# plus a sample of the exact cuts instead of every cut.
MAX_SQUARE_CUTS = 160
# Bron-Kerbosch gives up on a component with more maximal cliques than this
# many per demand, and a greedy cover takes over.
CLIQUES_PER_DEMAND = 20


# --- rule 4 as cliques ---------------------------------------------------------------


def _components(graph: list[set[int]]) -> list[list[int]]:
    seen: set[int] = set()
    out = []
    for start in range(len(graph)):
        if start in seen or not graph[start]:
            continue
        seen.add(start)
        stack, comp = [start], []
        while stack:
            u = stack.pop()
            comp.append(u)
            for w in graph[u] - seen:
                seen.add(w)
                stack.append(w)
        out.append(sorted(comp))
    return out


class _TooManyCliques(Exception):
    pass


def _maximal_cliques(graph: list[set[int]], nodes: list[int], limit: int) -> list[tuple[int, ...]]:
    """All maximal cliques among `nodes` (Bron-Kerbosch with Tomita's pivot)."""
    out: list[tuple[int, ...]] = []

    def expand(clique: list[int], candidates: set[int], excluded: set[int]) -> None:
        if not candidates and not excluded:
            out.append(tuple(sorted(clique)))
            if len(out) > limit:
                raise _TooManyCliques
            return
        pivot = max(candidates | excluded, key=lambda u: (len(graph[u] & candidates), -u))
        for v in sorted(candidates - graph[pivot]):
            expand(clique + [v], candidates & graph[v], excluded & graph[v])
            candidates.remove(v)
            excluded.add(v)

    expand([], set(nodes), set())
    return out


def _greedy_clique_cover(graph: list[set[int]], nodes: list[int]) -> list[tuple[int, ...]]:
    """Cliques that together contain every edge among `nodes`, grown greedily."""
    covered: set[tuple[int, int]] = set()
    out = []
    for u in nodes:
        for w in sorted(graph[u]):
            if w < u or (u, w) in covered:
                continue
            clique = [u, w]
            candidates = graph[u] & graph[w]
            while candidates:
                c = min(candidates)
                clique.append(c)
                candidates &= graph[c]
            clique.sort()
            covered.update((a, b) for i, a in enumerate(clique) for b in clique[i + 1 :])
            out.append(tuple(clique))
    return out


def clique_cover(graph: list[set[int]]) -> list[tuple[int, ...]]:
    """Cliques of the conflict graph such that every edge lies in one of them.

    Where it is affordable these are all the maximal cliques, so every clique
    of any volunteer's own conflict graph lies inside one of them and the
    at-most-one rows are as tight as they can be."""
    out: list[tuple[int, ...]] = []
    for comp in _components(graph):
        try:
            out += _maximal_cliques(graph, comp, CLIQUES_PER_DEMAND * len(comp))
        except _TooManyCliques:
            out += _greedy_clique_cover(graph, comp)
    return out


def _maximal(rows: Iterable[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """The rows that lie inside no other: a volunteer's pairs on two maximal
    cliques of demands are often one inside the other (about a third of the
    rows on generated weeks), and CP-SAT's presolve would spend its time
    finding that out."""
    kept: list[tuple[int, ...]] = []
    for row in sorted(rows, key=lambda r: (-len(r), r)):
        if not any(set(row) <= set(other) for other in kept):
            kept.append(row)
    return sorted(kept)


# --- the data every model and heuristic shares ----------------------------------------


@dataclass(frozen=True)
class _LoadTerms:
    """A volunteer's load (history plus the minutes of their pairs) in units
    of g, the gcd of them all, with every value it can take: the sums of
    subsets of the pairs' minutes up to the most the volunteer may work
    (clashes ignored, so a few values may be out of reach; never one short)."""

    g: int
    values: tuple[int, ...]  # increasing, in units of g, history included

    @staticmethod
    def of(volunteer: Volunteer, minutes: list[int]) -> _LoadTerms:
        h = volunteer.history_minutes
        g = math.gcd(h, *minutes)
        most = min(sum(minutes), sum(w.minutes for w in volunteer.availability))
        if volunteer.max_minutes is not None:
            most = min(most, volunteer.max_minutes)
        lo, hi = h // g, (h + most) // g
        reach = 1  # bit i: a subset of the pairs sums to i units
        for m in minutes:
            reach |= (reach << (m // g)) & ((1 << (hi - lo + 1)) - 1)
        return _LoadTerms(g, tuple(lo + i for i in range(hi - lo + 1) if reach >> i & 1))


class _Index:
    """The problem as the models see it: eligible pairs numbered 0..n-1,
    grouped by demand and by volunteer, with their at-most-one rows."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.pairs = constraints.eligible_pairs(problem)
        self.by_demand: list[list[int]] = [[] for _ in problem.demands]
        self.by_volunteer: list[list[int]] = [[] for _ in problem.volunteers]
        for k, p in enumerate(self.pairs):
            self.by_demand[p.demand].append(k)
            self.by_volunteer[p.volunteer].append(k)
        self.at = {(p.demand, p.volunteer): k for k, p in enumerate(self.pairs)}
        self.by_ids = {(problem.demands[d].id, problem.volunteers[v].id): k for (d, v), k in self.at.items()}
        self.pinned = {self.by_ids[p.demand, p.volunteer] for p in problem.pinned}
        self.minutes = [problem.demands[p.demand].minutes for p in self.pairs]
        self.graph = constraints.conflict_graph(problem)
        self.rows = self._rows()
        self.linear_scores: dict[str, tuple[dict[int, int], int]] = {}
        self.load_terms: dict[int, _LoadTerms] = {}

    def _rows(self) -> list[list[tuple[int, ...]]]:
        """Rule 4 per volunteer: for each clique of clashing demands, the
        volunteer's pairs on it, of which at most one may be chosen."""
        rows: list[set[tuple[int, ...]]] = [set() for _ in self.problem.volunteers]
        for clique in clique_cover(self.graph):
            mine: dict[int, list[int]] = {}
            for d in clique:
                for k in self.by_demand[d]:
                    mine.setdefault(self.pairs[k].volunteer, []).append(k)
            for v, ks in mine.items():
                if len(ks) > 1:
                    rows[v].add(tuple(sorted(ks)))
        return [_maximal(r) for r in rows]

    def load_rows(self, v: int) -> list[tuple[list[int], list[int], int]]:
        """Rule 5 for volunteer v as rows sum(coefficient * pair) <= most,
        those that can bind."""
        vol, ks = self.problem.volunteers[v], self.by_volunteer[v]
        minutes = [self.minutes[k] for k in ks]
        rows = []
        if vol.max_minutes is not None and sum(minutes) > vol.max_minutes:
            rows.append((ks, minutes, vol.max_minutes))
        if vol.max_assignments is not None and len(ks) > vol.max_assignments:
            rows.append((ks, [1] * len(ks), vol.max_assignments))
        return rows

    def loads(self, v: int) -> _LoadTerms:
        """How volunteer v's load can be written, for the fairness rows of
        every model that holds v: worked out once."""
        if v not in self.load_terms:
            minutes = [self.minutes[k] for k in self.by_volunteer[v]]
            self.load_terms[v] = _LoadTerms.of(self.problem.volunteers[v], minutes)
        return self.load_terms[v]

    def ids(self, k: int) -> Pair:
        p = self.pairs[k]
        return Pair(self.problem.demands[p.demand].id, self.problem.volunteers[p.volunteer].id)

    def weights(self, name: str) -> tuple[dict[int, int], int]:
        """A linear score as weights on pairs plus a constant; worked out
        once, as every stage, bound and local search step asks for them."""
        if name not in self.linear_scores:
            self.linear_scores[name] = self._weights(name)
        return self.linear_scores[name]

    def _weights(self, name: str) -> tuple[dict[int, int], int]:
        every = range(len(self.pairs))
        if name == "coverage":
            return {k: self.problem.demands[self.pairs[k].demand].priority for k in every}, 0
        if name == "changes":  # previous pairs dropped: all of them, less those kept
            previous = set(self.problem.previous)
            kept = [self.by_ids[p.demand, p.volunteer] for p in previous if (p.demand, p.volunteer) in self.by_ids]
            return {k: -1 for k in kept}, len(previous)
        if name == "unwanted":
            problem = self.problem
            return {
                k: 1
                for k, p in enumerate(self.pairs)
                if constraints.unwanted_pair(problem.volunteers[p.volunteer], problem.demands[p.demand])
            }, 0
        if name == "travel":
            return {k: p.distance_m for k, p in enumerate(self.pairs)}, 0
        raise ValueError(name)

    def obvious_bound(self, name: str) -> int:
        """A bound on a score that needs no search: every demand staffed by
        whoever could serve it, every previous pair that still may be kept,
        and otherwise nothing but the pinned pairs."""
        if name == "coverage":
            demands = self.problem.demands
            return sum(demands[d].priority * min(demands[d].count, len(ks)) for d, ks in enumerate(self.by_demand))
        if name == "fairness":
            load = [v.history_minutes for v in self.problem.volunteers]
            for k in self.pinned:
                load[self.pairs[k].volunteer] += self.minutes[k]
            return sum(m * m for m in load)
        weights, constant = self.weights(name)
        return constant + sum(c for k, c in weights.items() if c < 0 or k in self.pinned)

    def varies(self, name: str) -> bool:
        """Whether a score depends on any pair that is not pinned; if not,
        there is nothing to choose and its stage is skipped."""
        if name == "fairness":
            return len(self.pinned) < len(self.pairs)
        return any(c and k not in self.pinned for k, c in self.weights(name)[0].items())


# --- a roster being edited by the heuristics ----------------------------------------------


class _Schedule:
    """Who serves what, with each volunteer's load, so that whether a pair
    still fits (rules 4-6 given the rest of the roster) is a quick check."""

    def __init__(self, index: _Index, values: Sequence[int]):
        self.index = index
        problem = index.problem
        self.values = [0] * len(index.pairs)
        self.load = [v.history_minutes for v in problem.volunteers]  # history included
        self.count = [0] * len(problem.volunteers)
        self.serving: list[set[int]] = [set() for _ in problem.volunteers]
        self.staff: list[set[int]] = [set() for _ in problem.demands]
        for k, x in enumerate(values):
            if x:
                self.add(k)

    def add(self, k: int) -> None:
        p = self.index.pairs[k]
        self.values[k] = 1
        self.load[p.volunteer] += self.index.minutes[k]
        self.count[p.volunteer] += 1
        self.serving[p.volunteer].add(p.demand)
        self.staff[p.demand].add(p.volunteer)

    def remove(self, k: int) -> None:
        p = self.index.pairs[k]
        self.values[k] = 0
        self.load[p.volunteer] -= self.index.minutes[k]
        self.count[p.volunteer] -= 1
        self.serving[p.volunteer].remove(p.demand)
        self.staff[p.demand].remove(p.volunteer)

    def replace(self, values: Sequence[int] | dict[int, int], ks: Iterable[int]) -> None:
        """Take the values of pairs `ks` from `values`."""
        changed = [k for k in ks if self.values[k] != values[k]]
        for k in changed:
            if self.values[k]:
                self.remove(k)
        for k in changed:
            if values[k]:
                self.add(k)

    def take(self, values: Sequence[int], ks: Iterable[int]) -> bool:
        """Take the values of pairs `ks` from `values` if every demand keeps
        within its count; the other rules hold within the pairs' volunteers."""
        ks = list(ks)
        before = {k: self.values[k] for k in ks}
        self.replace(values, ks)
        demands = {self.index.pairs[k].demand for k in ks}
        if all(len(self.staff[d]) <= self.index.problem.demands[d].count for d in demands):
            return True
        self.replace(before, ks)
        return False

    def fits(self, k: int) -> bool:
        """Whether pair k can join the roster as it stands."""
        p = self.index.pairs[k]
        problem = self.index.problem
        v = problem.volunteers[p.volunteer]
        minutes = self.load[p.volunteer] - v.history_minutes + self.index.minutes[k]
        return (
            p.volunteer not in self.staff[p.demand]
            and len(self.staff[p.demand]) < problem.demands[p.demand].count
            and constraints.load(v, minutes, self.count[p.volunteer] + 1)
            and self.index.graph[p.demand].isdisjoint(self.serving[p.volunteer])
        )

    def fill(self, order: Iterable[int | None]) -> None:
        """Add the pairs of `order` that still fit, first come first served
        (None stands for a pair that can never be assigned)."""
        for k in order:
            if k is not None and not self.values[k] and self.fits(k):
                self.add(k)

    def greedy(self) -> None:
        """Fill demands, most important and hardest to staff first, each with
        the least loaded volunteers who fit."""
        ix = self.index
        demands = ix.problem.demands

        def hardest(d: int) -> tuple:
            return (-demands[d].priority, len(ix.by_demand[d]), demands[d].start)

        def least_loaded(k: int) -> tuple:
            return (self.load[ix.pairs[k].volunteer], ix.pairs[k].distance_m)

        for d in sorted(range(len(demands)), key=hardest):
            self.fill(sorted(ix.by_demand[d], key=least_loaded))

    def assigned(self) -> Iterator[int]:
        """The assigned pairs: a few thousand where there may be a hundred
        thousand pairs, so scores sum over these."""
        at = self.index.at
        return (at[d, v] for v, demands in enumerate(self.serving) for d in demands)

    def score(self, name: str) -> int:
        """One of the five scores of the roster as it stands."""
        if name == "fairness":
            return sum(m * m for m in self.load)
        weights, constant = self.index.weights(name)
        return constant + sum(weights.get(k, 0) for k in self.assigned())

    # Local search for the scores after coverage.

    def delta(self, out: Sequence[int], into: Sequence[int], weights: dict[str, dict[int, int]]) -> tuple[int, ...]:
        """How (changes, unwanted, fairness, travel) change when pairs `out`
        leave and pairs `into` join; coverage stays as both serve the same demands."""
        linear = {name: sum(w.get(k, 0) for k in into) - sum(w.get(k, 0) for k in out) for name, w in weights.items()}
        shift: dict[int, int] = {}
        for ks, sign in ((out, -1), (into, 1)):
            for k in ks:
                v = self.index.pairs[k].volunteer
                shift[v] = shift.get(v, 0) + sign * self.index.minutes[k]
        fairness = sum((self.load[v] + m) ** 2 - self.load[v] ** 2 for v, m in shift.items())
        return (linear["changes"], linear["unwanted"], fairness, linear["travel"])

    def allows(self, out: Sequence[int], into: Sequence[int]) -> bool:
        """Whether the roster stays valid when `out` leave and `into` join."""
        for k in out:
            self.remove(k)
        added = []
        for k in into:
            if not self.fits(k):
                break
            self.add(k)
            added.append(k)
        ok = len(added) == len(into)
        for k in added:
            self.remove(k)
        for k in out:
            self.add(k)
        return ok

    def moves(self, k: int) -> Iterable[tuple[list[int], list[int]]]:
        """Moves that take assigned pair k out while keeping its demand
        served: hand it to another volunteer, or swap demands with one."""
        ix = self.index
        d, v = ix.pairs[k].demand, ix.pairs[k].volunteer
        for k2 in ix.by_demand[d]:
            w = ix.pairs[k2].volunteer
            if w in self.staff[d]:
                continue
            yield [k], [k2]
            for d2 in self.serving[w]:
                back = ix.at.get((d2, v))
                theirs = ix.at[d2, w]
                if back is not None and v not in self.staff[d2] and theirs not in ix.pinned:
                    yield [k, theirs], [k2, back]

    def improve(self, deadline: float, ks: Sequence[int]) -> None:
        """Best-improvement passes over the assigned pairs among `ks`,
        accepting a move when it makes (changes, unwanted, fairness, travel)
        lexicographically smaller, until no move helps or time is up."""
        weights = {name: self.index.weights(name)[0] for name in ("changes", "unwanted", "travel")}
        better = True
        while better and time.monotonic() < deadline:
            better = False
            for k in ks:
                if not self.values[k] or k in self.index.pinned:
                    continue
                best, chosen = (0, 0, 0, 0), None
                for out, into in self.moves(k):
                    gain = self.delta(out, into, weights)
                    if gain < best and self.allows(out, into):
                        best, chosen = gain, (out, into)
                if chosen:
                    for x in chosen[0]:
                        self.remove(x)
                    for x in chosen[1]:
                        self.add(x)
                    better = True
                if time.monotonic() > deadline:
                    return


# --- CP-SAT models -------------------------------------------------------------------------


@dataclass
class _Stage:
    name: str
    maximize: bool
    expr: cp_model.LinearExprT
    value: Callable[[Sequence[int]], int]  # the same objective on a roster of 0/1 values

    def better(self, a: int, b: int) -> bool:
        return a > b if self.maximize else a < b


@dataclass
class _Result:
    values: list[int]
    value: int
    status: str  # OPTIMAL or FEASIBLE
    bound: float  # nan when CP-SAT found nothing


class _Model:
    """A CP-SAT model over the pairs of some volunteers, one method per rule
    and score. With every volunteer it is the whole problem; with a few, the
    rest of `schedule` stays as it is and only these volunteers' pairs move.
    Either way a stage's value is the score of the whole roster, the rest's
    share being a constant, so values of different models compare."""

    def __init__(self, index: _Index, volunteers: Sequence[int], schedule: _Schedule | None = None):
        self.index = index
        self.volunteers = volunteers
        self.schedule = schedule
        self.inside = set(volunteers)
        # The rest's assigned pairs, which count towards every score as they are.
        self.outside = [] if schedule is None else [
            index.at[d, v] for v, ds in enumerate(schedule.serving) if v not in self.inside for d in ds
        ]  # fmt: skip
        self.model = cp_model.CpModel()
        self.x = {k: self.model.new_bool_var("") for v in volunteers for k in index.by_volunteer[v]}
        # Auxiliary variables with how to compute their value from a roster, for hints.
        self.aux: list[tuple[cp_model.IntVar, Callable[[Sequence[int]], int]]] = []
        self.add_no_overlap()
        self.add_load()
        self.add_count()
        self.add_pinned()

    def linear(self, coefs: dict[int, int]) -> cp_model.LinearExprT:
        """The weighted sum of the pairs in `coefs`, all of them in this model."""
        return cp_model.LinearExpr.weighted_sum([self.x[k] for k in coefs], list(coefs.values()))

    # Hard rules; 1-3 and forbidden are in the choice of pairs.

    def add_no_overlap(self) -> None:
        """Rule 4: at most one demand of each clique of clashing demands."""
        for v in self.volunteers:
            for row in self.index.rows[v]:
                self.model.add_at_most_one(self.x[k] for k in row)

    def add_load(self) -> None:
        """Rule 5: max_minutes and max_assignments, where they can bind."""
        for v in self.volunteers:
            for ks, coefs, most in self.index.load_rows(v):
                self.model.add(self.linear(dict(zip(ks, coefs))) <= most)

    def add_count(self) -> None:
        """Rule 6: at most `count` volunteers per demand, less those already
        serving it from outside the model."""
        free: dict[int, list[int]] = {}
        for k in self.x:
            free.setdefault(self.index.pairs[k].demand, []).append(k)
        for d, ks in free.items():
            room = self.index.problem.demands[d].count
            if self.schedule is not None:
                room -= len(self.schedule.staff[d] - self.inside)
            if len(ks) > room:
                self.model.add(sum(self.x[k] for k in ks) <= room)

    def add_pinned(self) -> None:
        """Rule 7: pinned pairs are assigned; forbidden ones have no variable."""
        for k in self.index.pinned:
            if k in self.x:
                self.model.add(self.x[k] == 1)

    # Scores, each as a stage.

    def stage(self, name: str) -> _Stage:
        if name == "fairness":
            return self.fairness()
        coefs, constant = self.index.weights(name)
        # A neighbourhood holds a few hundred of the problem's pairs: look those up.
        mine = {k: coefs[k] for k in self.x if k in coefs}
        constant += sum(coefs.get(k, 0) for k in self.outside)
        return _Stage(
            name,
            name in MAXIMISED,
            self.linear(mine) + constant,
            lambda values: constant + sum(c * values[k] for k, c in mine.items()),
        )

    def fairness(self) -> _Stage:
        """Sum over the model's volunteers of (history + minutes)^2.

        With g the gcd of a volunteer's history and demand lengths, the total
        is g * t for an integer t that takes only the values of `_LoadTerms`,
        and t^2 is exactly the largest of the lines through consecutive such
        values (a, a^2) and (b, b^2): (a + b) t - a b. As x_k^2 = x_k, also
        (h + sum m_k x_k)^2 >= h^2 + sum (2 h m_k + m_k^2) x_k, exact for a
        volunteer with one demand. Both make a tight linear relaxation, the
        second where demands could be split among many volunteers."""
        ix = self.index
        squares: list[cp_model.IntVar] = []
        factors: list[int] = []
        parts: list[tuple[list[int], int]] = []
        constant = 0
        if self.schedule is not None:
            constant += sum(m * m for v, m in enumerate(self.schedule.load) if v not in self.inside)
        for v in self.volunteers:
            h, ks = ix.problem.volunteers[v].history_minutes, ix.by_volunteer[v]
            if not ks:
                constant += h * h
                continue
            terms = ix.loads(v)
            g, loads = terms.g, terms.values
            minutes = [ix.minutes[k] for k in ks]
            t = self.model.new_int_var_from_domain(cp_model.Domain.from_values(loads), "")
            self.model.add(g * t == h + self.linear(dict(zip(ks, minutes))))
            square = self.model.new_int_var(loads[0] ** 2, loads[-1] ** 2, "")
            step = max(1, math.ceil((len(loads) - 1) / MAX_SQUARE_CUTS))
            if step > 1:
                self.model.add_multiplication_equality(square, [t, t])
            for i in range(0, len(loads) - 1, step):
                a, b = loads[i], loads[i + 1]
                self.model.add(square >= (a + b) * t - a * b)
            spread = {k: 2 * h * m + m * m for k, m in zip(ks, minutes)}
            self.model.add(g * g * square >= h * h + self.linear(spread))
            squares.append(square)
            factors.append(g * g)
            part = (ks, h)
            parts.append(part)
            self.aux.append((t, lambda values, part=part, g=g: self._load(values, *part) // g))
            self.aux.append((square, lambda values, part=part, g=g: (self._load(values, *part) // g) ** 2))
        return _Stage(
            "fairness",
            False,
            cp_model.LinearExpr.weighted_sum(squares, factors) + constant,
            lambda values: constant + sum(self._load(values, *part) ** 2 for part in parts),
        )

    def _load(self, values: Sequence[int], ks: list[int], history: int) -> int:
        return history + sum(self.index.minutes[k] for k in ks if values[k])

    def fix(self, stage: _Stage, value: int) -> None:
        """Keep a stage's result while later stages run."""
        self.model.add(stage.expr >= value if stage.maximize else stage.expr <= value)

    def solve(
        self,
        stage: _Stage,
        values: Sequence[int],
        seconds: float,
        seed: int,
        work: float | None = None,
        listener: cp_model.CpSolverSolutionCallback | None = None,
        follow_hint: bool = True,
    ) -> _Result:
        """Optimise `stage` from the roster `values` (a full roster; pairs
        outside the model keep their values) for at most `seconds`, and at
        most `work` units of CP-SAT's deterministic time if given.

        Without `follow_hint` the roster is only the first solution: CP-SAT
        skips the dive it otherwise makes around it first, which on the
        whole coverage model takes longer than the proof (measured on
        generated 500 x 300 weeks: about half the time without it).

        One CP-SAT thread, so that the same model, hint and seed give the
        same roster whenever the wall-clock limit is not what stops it."""
        self.model.clear_hints()
        for k, var in self.x.items():
            self.model.add_hint(var, values[k])
        for var, value_of in self.aux:
            self.model.add_hint(var, value_of(values))
        if stage.maximize:
            self.model.maximize(stage.expr)
        else:
            self.model.minimize(stage.expr)
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.max_time_in_seconds = max(0.01, seconds)
        if work is not None:
            params.max_deterministic_time = work
        params.num_workers = 1
        params.random_seed = seed
        # Every linear row in the LP from the start (the fairness cuts above
        # all), and no probing, which costs more than it saves on these models.
        params.linearization_level = 2
        params.add_lp_constraints_lazily = False
        params.cp_model_probing_level = 0
        if not follow_hint:
            params.hint_conflict_limit = 0
        status = solver.solve(self.model, listener)
        values = list(values)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            solution = solver.response_proto.solution
            for k, var in self.x.items():
                values[k] = int(solution[var.index])
        elif status != cp_model.UNKNOWN:
            raise RuntimeError(f"CP-SAT says {solver.status_name(status)} in stage {stage.name}: a modelling bug")
        bound = solver.best_objective_bound if status != cp_model.UNKNOWN else math.nan
        return _Result(values, stage.value(values), OPTIMAL if status == cp_model.OPTIMAL else FEASIBLE, bound)


def _attempt(sub: _Model, stage: _Stage, values: Sequence[int], seconds: float, seed: int) -> _Result | None:
    """One neighbourhood, or None if CP-SAT failed on it. CP-SAT 9.15 was
    once seen to raise IndexError (absl::btree_map::at) inside a
    neighbourhood solve; losing one neighbourhood must not lose the roster."""
    try:
        return sub.solve(stage, values, seconds, seed, NEIGHBOURHOOD_WORK)
    except IndexError:
        return None


def _rule_rows(index: _Index) -> Iterator[tuple[Sequence[int], Sequence[int], int]]:
    """Rules 4-6 as rows sum(coefficient * pair) <= most over all pairs."""
    problem = index.problem
    for d, ks in enumerate(index.by_demand):
        if len(ks) > problem.demands[d].count:
            yield ks, [1] * len(ks), problem.demands[d].count
    for v in range(len(problem.volunteers)):
        yield from index.load_rows(v)
        for r in index.rows[v]:
            yield r, [1] * len(r), 1


def _coverage_program(index: _Index, backend: str, integral: bool) -> tuple[pywraplp.Solver, list]:
    """The coverage stage as a linear program (pairs in [0, 1]) or, with
    `integral`, as a mixed-integer one, for one of the solvers OR-Tools ships."""
    lp = pywraplp.Solver.CreateSolver(backend)
    x = [lp.BoolVar("") if integral else lp.NumVar(0, 1, "") for _ in index.pairs]
    for ks, coefs, most in _rule_rows(index):
        constraint = lp.RowConstraint(-lp.infinity(), most, "")
        for k, c in zip(ks, coefs):
            constraint.SetCoefficient(x[k], c)
    for k in index.pinned:
        x[k].SetLb(1)
    weights, _ = index.weights("coverage")
    for k, c in weights.items():
        lp.Objective().SetCoefficient(x[k], c)
    lp.Objective().SetMaximization()
    return lp, x


def _coverage_relaxation(index: _Index) -> float | None:
    """The linear relaxation of the coverage stage solved by GLOP: an upper
    bound on coverage, usually within a fraction of a percent, for models
    too big for CP-SAT."""
    lp, _ = _coverage_program(index, "GLOP", integral=False)
    return lp.Objective().Value() if lp.Solve() == pywraplp.Solver.OPTIMAL else None


def _coverage_mip(index: _Index, seconds: float) -> tuple[list[int], bool] | None:
    """Coverage alone solved exactly by HiGHS: a roster and whether it is
    proven best, or None if HiGHS found none in time.

    For the whole problem when it is too big for CP-SAT's model (tens of
    thousands of pairs): there HiGHS proved coverage of generated
    2000 x 1000 weeks in 20-30 s where CP-SAT still lacked the best roster
    after 60 s. A relative gap of 0 makes its OPTIMAL a proof, the objective
    being an integer. No hint: OR-Tools 9.15 writes a HiGHS hint past the
    end of an empty array (a crash)."""
    lp, x = _coverage_program(index, "HIGHS", integral=True)
    lp.SetSolverSpecificParametersAsString("mip_rel_gap=0, output_flag=false")  # not a word on stdout
    lp.SetTimeLimit(max(1, int(seconds * 1000)))
    status = lp.Solve()
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return None
    return [round(v.solution_value()) for v in x], status == pywraplp.Solver.OPTIMAL


# --- the lexicographic search ---------------------------------------------------------------


class _Clock:
    """Elapsed time since the solve began, and the progress callback if any."""

    def __init__(self, callback: Progress | None):
        self.began = time.monotonic()
        self.callback = callback
        self.best_coverage: int | None = None

    def elapsed(self) -> float:
        return time.monotonic() - self.began

    def report(self, stage: str) -> None:
        if self.callback:
            self.callback(stage, self.best_coverage, self.elapsed())


class _CoverageListener(cp_model.CpSolverSolutionCallback):
    """Passes each better coverage CP-SAT finds to the progress callback."""

    def __init__(self, clock: _Clock):
        super().__init__()
        self.clock = clock

    def on_solution_callback(self) -> None:
        self.clock.best_coverage = int(self.objective_value)
        self.clock.report("coverage")


class _Search:
    """Runs the stages in order on one schedule, within one time limit.

    The first roster is the pinned pairs, what fits of `start` (the previous
    plan unless told otherwise), then the greedy fill. With `cap_changes`,
    no roster may have more changes than that first one: changes are kept as
    if their stage had run before coverage's, and CP-SAT's model holds only
    the volunteers who can still move under that cap."""

    def __init__(
        self,
        problem: Problem,
        time_limit_s: float,
        workers: int,
        seed: int,
        clock: _Clock,
        start: Iterable[Pair] | None = None,
        cap_changes: bool = False,
    ):
        self.index = _Index(problem)
        share, fixed, per_demand = FINISH_RESERVE
        self.deadline = clock.began + time_limit_s * (1 - share) - fixed - per_demand * len(problem.demands)
        self.workers = workers
        self.seed = seed
        self.rng = random.Random(seed)
        self.clock = clock
        self.schedule = _Schedule(self.index, [0] * len(self.index.pairs))
        self.schedule.fill(sorted(self.index.pinned))
        start = problem.previous if start is None else start
        self.schedule.fill(self.index.by_ids.get((p.demand, p.volunteer)) for p in start)
        self.schedule.greedy()
        clock.best_coverage = self.schedule.score("coverage")
        self.capped = cap_changes
        volunteers = self.movable() if cap_changes else range(len(problem.volunteers))
        self.moving = sorted(k for v in volunteers for k in self.index.by_volunteer[v])  # pairs that may change
        small = len(self.moving) <= WHOLE_MODEL_MAX_PAIRS
        self.whole = _Model(self.index, volunteers, self.schedule) if small else None
        self.done: list[str] = []  # scores kept from now on as constraints
        if cap_changes:
            self.keep("changes")

    def movable(self) -> list[int]:
        """The volunteers with a pair that the changes cap leaves free. When
        the first roster keeps every previous pair that may still be kept,
        the cap forces them all to stay; with the pinned pairs they rule out
        every pair that no longer fits beside them, and the volunteers left
        with no other pair cannot change at all."""
        ix = self.index
        forced = set(ix.pinned)
        if self.schedule.score("changes") == ix.obvious_bound("changes"):
            forced.update(ix.weights("changes")[0])
        fixed = _Schedule(ix, [int(k in forced) for k in range(len(ix.pairs))])
        return sorted({ix.pairs[k].volunteer for k in range(len(ix.pairs)) if fixed.fits(k)})

    def keep(self, name: str, stage: _Stage | None = None) -> None:
        """No later roster may be worse than the current one on this score."""
        if self.whole is not None:
            self.whole.fix(stage or self.whole.stage(name), self.schedule.score(name))
        if name not in self.done:
            self.done.append(name)

    def run(self) -> tuple[list[StageReport], int]:
        """All stages; returns their reports and the proven coverage bound.
        Coverage may take all the time: the later stages share what is left."""
        stages = [name for name in STAGES if self.index.varies(name)]
        reports = []
        bound = self.index.obvious_bound("coverage")
        for i, name in enumerate(stages):
            self.clock.report(name)
            if name == "coverage":
                report = self.coverage()
                self.clock.best_coverage = report.value
                if self.capped:
                    report = self.uncapped(report)
                bound = int(report.bound)
            else:
                began = time.monotonic()
                share = STAGE_SHARES[name] / sum(STAGE_SHARES[s] for s in stages[i:])
                report = self.stage(name, began + max(0.0, self.deadline - began) * share)
            reports.append(report)
            self.clock.report(name)
        return reports, bound

    def uncapped(self, report: StageReport) -> StageReport:
        """The coverage stage as the spec reads it. Under the changes cap
        CP-SAT's proof holds only for rosters within the cap, so the bound
        comes from the obvious one or the linear relaxation instead, and
        coverage is proven only if it reaches it. A repair is waited for, so
        the relaxation runs only where it takes well under a second: not
        beyond the size at which CP-SAT gives up on the whole problem."""
        bound = self.index.obvious_bound("coverage")
        if report.value != bound and len(self.index.pairs) <= WHOLE_MODEL_MAX_PAIRS:
            bound = min(bound, self.relaxed_coverage(self.deadline))
        return dataclasses.replace(report, status=OPTIMAL if report.value == bound else FEASIBLE, bound=bound)

    def coverage(self) -> StageReport:
        """The coverage stage, until it is proven or the time is up.

        With the whole model, CP-SAT alone: on generated 500 x 300 weeks its
        proof came as fast as HiGHS's on loose ones and two to five times
        faster on tight ones (SCIP and CBC were slower still). Too big for
        that, the bound of the linear relaxation, which neighbourhoods
        usually reach within seconds; if they stop short, HiGHS on coverage
        alone has the rest of the time (not under a repair's changes cap,
        which it does not know)."""
        began = time.monotonic()
        deadline = self.deadline
        stage = self.whole.stage("coverage") if self.whole is not None else None
        bound = self.index.obvious_bound("coverage")
        if stage is not None and self.schedule.score("coverage") != bound and self.worth_whole(deadline - began):
            listener = _CoverageListener(self.clock) if self.clock.callback else None
            values, seconds = self.schedule.values, deadline - began
            result = self.whole.solve(stage, values, seconds, self.seed, listener=listener, follow_hint=False)
            bound = self.take(stage, result, bound)
        if self.schedule.score("coverage") != bound:
            bound = min(bound, self.relaxed_coverage(deadline))
        exact = self.whole is None and not self.capped
        if self.schedule.score("coverage") != bound:
            share = COVERAGE_NEIGHBOURHOOD_SHARE if exact else 1.0
            self.neighbourhoods("coverage", began + (deadline - began) * share, bound)
        if self.schedule.score("coverage") != bound and exact:
            bound = self.exact_coverage(deadline, bound)
        value = self.schedule.score("coverage")
        self.keep("coverage", stage)
        return StageReport("coverage", OPTIMAL if value == bound else FEASIBLE, value, bound, time.monotonic() - began)

    def exact_coverage(self, deadline: float, bound: int) -> int:
        """HiGHS on coverage alone for the time left; the roster it finds if
        better and valid, and the bound: its value once proven."""
        found = _coverage_mip(self.index, deadline - time.monotonic())
        if found is None:
            return bound
        values, proven = found
        pairs = [self.index.ids(k) for k, x in enumerate(values) if x]
        if constraints.violations(self.index.problem, pairs):  # HiGHS's tolerances: never trust, check
            return bound
        value = sum(c for k, c in self.index.weights("coverage")[0].items() if values[k])
        if value > self.schedule.score("coverage"):
            self.schedule.replace(values, range(len(values)))
            self.clock.best_coverage = value
            self.clock.report("coverage")
        return min(bound, value) if proven else bound

    def worth_whole(self, seconds: float) -> bool:
        """Whether CP-SAT on the whole model can get anywhere in `seconds`."""
        least, per_pair = WHOLE_MODEL_MIN_SECONDS
        return seconds > least + per_pair * len(self.whole.x)

    def take(self, stage: _Stage, result: _Result, bound: int) -> int:
        """Keep CP-SAT's roster on the whole model if it is no worse, and
        return the stage's bound with what CP-SAT proved."""
        if not stage.better(self.schedule.score(stage.name), result.value):
            self.schedule.replace(result.values, self.whole.x)
        if result.status == OPTIMAL:
            return result.value
        if math.isnan(result.bound):
            return bound
        if stage.maximize:
            return min(bound, math.floor(result.bound + 1e-6))
        return max(bound, math.ceil(result.bound - 1e-6))

    def stage(self, name: str, deadline: float) -> StageReport:
        """A stage after coverage: local search, CP-SAT on the whole model,
        then neighbourhoods until the stage's time is up, its bound is
        reached or nothing improves."""
        began = time.monotonic()
        self.schedule.improve(began + (deadline - began) * LOCAL_SEARCH_SHARE, self.moving)
        stage = self.whole.stage(name) if self.whole is not None else None
        bound = self.index.obvious_bound(name)
        seconds = (deadline - time.monotonic()) * WHOLE_MODEL_SHARE[name]
        if stage is not None and self.schedule.score(name) != bound and self.worth_whole(seconds):
            bound = self.take(stage, self.whole.solve(stage, self.schedule.values, seconds, self.seed), bound)
        if self.schedule.score(name) != bound:
            self.neighbourhoods(name, deadline, bound)
        value = self.schedule.score(name)
        self.keep(name, stage)
        status = OPTIMAL if value == bound else FEASIBLE
        return StageReport(name, status, value, bound, time.monotonic() - began)

    def relaxed_coverage(self, deadline: float) -> int | float:
        """The coverage bound of the linear relaxation when there is time to
        find it, usually far tighter than the obvious one or than what
        CP-SAT proves when it stops early; infinity otherwise."""
        if 2 * LP_SECONDS_PER_PAIR * len(self.index.pairs) > deadline - time.monotonic():
            return math.inf
        relaxed = _coverage_relaxation(self.index)
        return math.inf if relaxed is None else math.floor(relaxed + 0.01)

    def neighbourhoods(self, name: str, deadline: float, bound: int) -> None:
        """Large neighbourhood search: re-solve exactly the pairs of a few
        volunteers around a weak spot of the roster, everyone else staying
        put, and keep the result when it is better. With several workers,
        as many neighbourhoods with no volunteer in common are solved at
        once, and their results kept in order as long as they still fit."""
        low, size, high = NEIGHBOURHOOD_PAIRS
        idle = 0
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            while idle < NEIGHBOURHOOD_PATIENCE and self.schedule.score(name) != bound:
                left = deadline - time.monotonic()
                batch = self.batch(name, size) if left > 0.05 else []
                if not batch:
                    return
                values = self.schedule.values
                seeds = [self.rng.randrange(1 << 30) for _ in batch]
                results = list(pool.map(lambda job, seed: _attempt(job[0], job[1], values, left, seed), batch, seeds))
                for (sub, stage, before), result in zip(batch, results):
                    if result and stage.better(result.value, before) and self.schedule.take(result.values, sub.x):
                        idle = 0
                        if name == "coverage":
                            self.clock.best_coverage = self.schedule.score(name)
                            self.clock.report(name)
                    elif result and result.status == OPTIMAL:
                        idle += 1
                proven = all(r and r.status == OPTIMAL for r in results)
                size = min(high, round(size * 1.25)) if proven else max(low, round(size * 0.7))

    def batch(self, name: str, size: int) -> list[tuple[_Model, _Stage, int]]:
        """Up to `workers` neighbourhood models with no volunteer in common,
        each keeping the earlier stages' scores on its own part, with the
        stage to improve and its value now."""
        out = []
        taken: set[int] = set()
        values = self.schedule.values
        for _ in range(self.workers):
            spot = self.weak_spot(name)
            volunteers = self.around(*spot, size, taken) if spot else []
            if not volunteers:
                break
            taken.update(volunteers)
            sub = _Model(self.index, volunteers, self.schedule)
            for earlier in self.done:
                kept = sub.stage(earlier)
                sub.fix(kept, kept.value(values))
            stage = sub.stage(name)
            out.append((sub, stage, stage.value(values)))
        return out

    def weak_spot(self, name: str) -> tuple[int, int | None] | None:
        """A demand (and volunteer) where this stage's score could improve:
        an open place for coverage, a dropped previous pair, an unwanted or
        a long-distance assignment, a busy volunteer; None when there is none."""
        ix, sched, rng = self.index, self.schedule, self.rng
        if name == "coverage":
            open_demands = [
                d for d, ks in enumerate(ix.by_demand)
                if len(sched.staff[d]) < min(len(ks), ix.problem.demands[d].count)
            ]  # fmt: skip
            if not open_demands:
                return None
            d = rng.choices(open_demands, [ix.problem.demands[d].priority for d in open_demands])[0]
            return d, None
        free = sorted(k for k in sched.assigned() if k not in ix.pinned)
        if name == "fairness":
            busiest = sorted({ix.pairs[k].volunteer for k in free}, key=lambda v: (-sched.load[v], v))
            if not busiest:
                return None
            v = rng.choice(busiest[: max(3, len(busiest) // 5)])
            return rng.choice(sorted(sched.serving[v])), v
        weights, _ = ix.weights(name)
        if name == "changes":
            candidates = [k for k in weights if not sched.values[k]]
        else:
            candidates = [k for k in free if weights.get(k)]
        if not candidates:
            return None
        k = rng.choices(candidates, [abs(weights[k]) for k in candidates])[0]
        return ix.pairs[k].demand, ix.pairs[k].volunteer

    def around(self, demand: int, volunteer: int | None, size: int, taken: set[int]) -> list[int]:
        """Volunteers near a demand in the sense that matters: who could serve
        it, who could serve what those serve, and so on, until their pairs
        number about `size`; none of those `taken` already."""
        ix, sched, rng = self.index, self.schedule, self.rng
        chosen: list[int] = []
        seen_demands = {demand}
        queue = deque([demand])
        pairs = 0

        def take(v: int) -> None:
            nonlocal pairs
            chosen.append(v)
            pairs += len(ix.by_volunteer[v])
            others = [ix.pairs[k].demand for k in ix.by_volunteer[v]]
            for d in sorted(sched.serving[v]) + rng.sample(others, min(2, len(others))):
                if d not in seen_demands:
                    seen_demands.add(d)
                    queue.append(d)

        if volunteer is not None and volunteer not in taken:
            take(volunteer)
        while queue and pairs < size:
            ks = list(ix.by_demand[queue.popleft()])
            rng.shuffle(ks)
            for k in ks:
                v = ix.pairs[k].volunteer
                if v not in chosen and v not in taken:
                    take(v)
                    if pairs >= size:
                        break
        return chosen


def solve(
    problem: Problem,
    time_limit_s: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    progress: Progress | None = None,
) -> Solution:
    """The best roster found within the time limit, lexicographically by the
    spec's five scores; status OPTIMAL only when every stage was proven.

    `workers` is how many neighbourhoods the search solves at once, one
    CP-SAT thread each; CP-SAT on the whole model runs on one thread, so a
    proven roster is the same for the same seed and workers. `progress`,
    if given, is called as progress(stage, best coverage so far, seconds)
    when each stage starts and ends and when coverage improves."""
    return optimise(problem, time_limit_s, workers, seed, progress)


def optimise(
    problem: Problem,
    time_limit_s: float,
    workers: int,
    seed: int,
    progress: Progress | None,
    start: Iterable[Pair] | None = None,
    cap_changes: bool = False,
) -> Solution:
    """`solve`, starting from the pairs of `start` instead of the previous
    plan and, with `cap_changes`, never changing more than that first
    roster does (see `_Search`); `solver.repair` uses both."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    clock = _Clock(progress)
    clock.report("prepare")
    clash = constraints.violations(problem, problem.pinned)
    if clash:
        clock.report("done")
        unfilled = explain_infeasible(problem, clash)
        return Solution(INFEASIBLE, (), unfilled, constraints.scores(problem, ()), 0, clock.elapsed())
    search = _Search(problem, time_limit_s, workers, seed, clock, start, cap_changes)
    reports, bound = search.run()
    assignments = tuple(search.index.ids(k) for k, x in enumerate(search.schedule.values) if x)
    scores = constraints.scores(problem, assignments)
    clock.report("explain")
    unfilled = explain_unfilled(problem, assignments, complete=bound == scores.coverage)
    clock.report("done")
    return Solution(
        OPTIMAL if all(r.status == OPTIMAL for r in reports) else FEASIBLE,
        assignments,
        unfilled,
        scores,
        bound,
        clock.elapsed(),
        tuple(reports),
    )
