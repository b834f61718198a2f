"""The households of the actor's grids with their latest visit: the grid worker's checklist, the
longest unvisited first, and where a visit is recorded from."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from ...accounts import policy
from ...accounts.policy import Actor
from ...people.models import Resident
from ..models import Visit
from . import common


@dataclass(frozen=True)
class Household:
    """A resident of the register (a household) and when they were last visited."""

    resident: Resident
    last_visited_at: datetime | None


def last_visits(actor: Actor):
    """The latest visit of each household the actor reaches (wherever the visit was filed: a household
    that moved keeps its visits)."""
    reached = select(Resident.id).where(policy.where(actor, "visits.read", Resident))
    return (select(Visit.resident_id, func.max(Visit.visited_at).label("at"))
            .where(Visit.resident_id.in_(reached)).group_by(Visit.resident_id).subquery())


def households(actor: Actor, args: dict) -> dict:
    """One page of ``(resident, last visited at)``: never visited first, then the longest unvisited;
    ``unvisited_in`` (a month's first day) keeps those not visited in that month."""
    policy.require(actor, "visits.read")
    last = last_visits(actor)
    statement = (select(Resident, last.c.at).outerjoin(last, last.c.resident_id == Resident.id)
                 .where(policy.where(actor, "visits.read", Resident)))
    for key in ("community_id", "grid_id", "building_id"):
        if args.get(key) is not None:
            statement = statement.where(getattr(Resident, key) == args[key])
    if args.get("q"):
        statement = statement.where(or_(Resident.name.contains(args["q"]), Resident.household.contains(args["q"])))
    if args.get("unvisited_in") is not None:
        start, end = common.month_span(args["unvisited_in"])
        statement = statement.where(~Resident.id.in_(select(Visit.resident_id).where(
            Visit.resident_id.is_not(None), Visit.visited_at >= start, Visit.visited_at < end)))
    statement = statement.order_by(last.c.at.is_not(None), last.c.at, Resident.building_id, Resident.household,
                                   Resident.id)
    return common.rows_page(statement, args, lambda rows: [Household(resident, at) for resident, at in rows])
