"""The visits' figures for a month (or any span of days), per grid and community: 走访覆盖率, visits,
priority-group residents overdue now, and needs raised → passed on → resolved.

走访覆盖率 = households visited at least once in the span ÷ households, where a household is a resident
record of the register (it has a building) and both are counted under the resident's grid as
registered now; a building's visit covers no household. Needs are counted under their visit's grid
and span, in the state they are in now: resolved when solved on the spot, when their request is
resolved or rated, or when their wish is fulfilled or confirmed.
"""
from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date, datetime, time

from sqlalchemy import and_, case, distinct, func, or_, select, true

from ...accounts import policy
from ...accounts.policy import Actor
from ...extensions import db
from ...people.models import Resident, ResidentPriorityGroup
from ...places.models import Community, Grid
from ...service_requests.models import ServiceRequest, Wish
from ..models import RESOLVED_REQUESTS, RESOLVED_WISHES, Visit, VisitNeed
from . import common
from .overdue import overdue_residents


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class VisitFigures:
    """Additive counts of a grid, a community or a total; the rates come from the summed counts."""

    households: int = 0
    households_visited: int = 0
    visits: int = 0
    key_group_residents: int = 0
    key_group_overdue: int = 0
    needs_raised: int = 0
    needs_solved_on_spot: int = 0
    needs_to_requests: int = 0
    needs_to_wishes: int = 0
    needs_resolved: int = 0

    def add(self, other: "VisitFigures") -> "VisitFigures":
        for counter in fields(self):
            setattr(self, counter.name, getattr(self, counter.name) + getattr(other, counter.name))
        return self

    @property
    def coverage(self) -> float | None:
        """走访覆盖率: households visited at least once ÷ households."""
        return ratio(self.households_visited, self.households)

    @property
    def resolution_rate(self) -> float | None:
        return ratio(self.needs_resolved, self.needs_raised)


Table = dict[tuple[int, int], VisitFigures]  # (community id, grid id) -> its figures


def _households(actor: Actor, narrow, table: Table, start: datetime, end: datetime) -> None:
    R = Resident
    in_reach = and_(policy.where(actor, "visits.read", R), narrow(R))
    for community_id, grid_id, count in db.session.execute(
            select(R.community_id, R.grid_id, func.count()).where(in_reach).group_by(R.community_id, R.grid_id)):
        table[community_id, grid_id].households += count
    for community_id, grid_id, count in db.session.execute(
            select(R.community_id, R.grid_id, func.count(distinct(R.id)))
            .join(ResidentPriorityGroup, ResidentPriorityGroup.resident_id == R.id)
            .where(in_reach).group_by(R.community_id, R.grid_id)):
        table[community_id, grid_id].key_group_residents += count
    for community_id, grid_id, count in db.session.execute(
            select(R.community_id, R.grid_id, func.count(distinct(Visit.resident_id)))
            .join(R, R.id == Visit.resident_id)
            .where(in_reach, Visit.visited_at >= start, Visit.visited_at < end).group_by(R.community_id, R.grid_id)):
        table[community_id, grid_id].households_visited += count


def _overdue(actor: Actor, narrow, table: Table, today: date) -> None:
    late = overdue_residents(actor, today, Resident.community_id, Resident.grid_id).where(narrow(Resident)).subquery()
    for community_id, grid_id, count in db.session.execute(
            select(late.c.community_id, late.c.grid_id, func.count()).group_by(late.c.community_id, late.c.grid_id)):
        table[community_id, grid_id].key_group_overdue += count


def _visits_and_needs(actor: Actor, narrow, table: Table, start: datetime, end: datetime) -> None:
    V, N = Visit, VisitNeed
    in_span = and_(policy.where(actor, "visits.read", V), narrow(V), V.visited_at >= start, V.visited_at < end)
    for community_id, grid_id, count in db.session.execute(
            select(V.community_id, V.grid_id, func.count()).where(in_span).group_by(V.community_id, V.grid_id)):
        table[community_id, grid_id].visits += count
    resolved = or_(N.solved_on_spot.is_(True), ServiceRequest.state.in_(RESOLVED_REQUESTS),
                   Wish.state.in_(RESOLVED_WISHES))
    rows = db.session.execute(
        select(V.community_id, V.grid_id, func.count(N.id), func.sum(case((N.solved_on_spot.is_(True), 1), else_=0)),
               func.count(N.request_id), func.count(N.wish_id), func.sum(case((resolved, 1), else_=0)))
        .join(V, V.id == N.visit_id)
        .outerjoin(ServiceRequest, ServiceRequest.id == N.request_id).outerjoin(Wish, Wish.id == N.wish_id)
        .where(in_span).group_by(V.community_id, V.grid_id))
    for community_id, grid_id, raised, solved, requests, wishes, resolved_count in rows:
        figures = table[community_id, grid_id]
        figures.needs_raised += raised
        figures.needs_solved_on_spot += int(solved)
        figures.needs_to_requests += requests
        figures.needs_to_wishes += wishes
        figures.needs_resolved += int(resolved_count)


def total(table: Table) -> VisitFigures:
    result = VisitFigures()
    for figures in table.values():
        result.add(figures)
    return result


def report(actor: Actor, first: date, after: date, community_id: int | None = None,
           today: date | None = None) -> dict:
    """The figures from ``first`` up to ``after`` for the actor's grids and communities (one community if
    asked): rows per community the actor manages whole, per grid, and their total."""
    policy.require(actor, "visits.read")
    if community_id is not None:
        policy.get(actor, "visits.report", Community, community_id)

    def narrow(model):
        return model.community_id == community_id if community_id is not None else true()

    start, end = datetime.combine(first, time.min), datetime.combine(after, time.min)
    table: Table = defaultdict(VisitFigures)
    _households(actor, narrow, table, start, end)
    _overdue(actor, narrow, table, today or common.today())
    _visits_and_needs(actor, narrow, table, start, end)
    communities = db.session.scalars(select(Community).where(policy.where(actor, "visits.read", Community),
                                                             narrow(Community)).order_by(Community.code)).all()
    grids = db.session.scalars(select(Grid).where(policy.where(actor, "visits.read", Grid), narrow(Grid))
                               .order_by(Grid.community_id, Grid.code)).all()
    by_community: dict[int, VisitFigures] = defaultdict(VisitFigures)
    for (row_community, _), figures in table.items():
        by_community[row_community].add(figures)
    return {
        "first": first, "after": after, "community_id": community_id, "totals": total(table),
        "communities": [{"community_id": c.id, "grid_id": None, "name": c.name,
                         "figures": by_community.get(c.id, VisitFigures())} for c in communities],
        "grids": [{"community_id": g.community_id, "grid_id": g.id, "name": g.name,
                   "figures": table.get((g.community_id, g.id), VisitFigures())} for g in grids],
    }
