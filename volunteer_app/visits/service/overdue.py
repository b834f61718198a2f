"""Overdue visits of priority-group residents (重点人群): who is past their interval, for the grid
worker's to-do list, their list, and the reports.

A resident in several groups is due at the shortest of their groups' intervals; one never visited
is due at once. Due on the day of the last visit plus the interval, overdue from the day after.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select

from ...accounts import policy
from ...accounts.policy import Actor
from ...extensions import db
from ...people.models import Resident, ResidentPriorityGroup
from . import common
from .frequencies import cutoff_clause, every_days, overrides
from .households import last_visits


@dataclass(frozen=True)
class DueVisit:
    resident: Resident
    last_visited_at: datetime | None
    every_days: int
    due_on: date | None  # None: never visited, so due now
    days_overdue: int | None


def overdue_residents(actor: Actor, today: date, *columns):
    """SQL: ``columns`` of the actor's priority-group residents whose visit is overdue on ``today``, and
    their latest visit (``last_visited_at``, empty when never visited)."""
    policy.require(actor, "visits.read")
    last, member = last_visits(actor), ResidentPriorityGroup
    late = select(member.resident_id).where(member.resident_id == Resident.id, or_(
        last.c.at.is_(None), last.c.at < cutoff_clause(today, member.group, Resident.community_id, overrides())))
    return (select(*columns, last.c.at.label("last_visited_at")).select_from(Resident)
            .outerjoin(last, last.c.resident_id == Resident.id)
            .where(policy.where(actor, "visits.read", Resident), late.exists()))


def overdue_count(actor: Actor, today: date | None = None) -> int:
    late = overdue_residents(actor, today or common.today(), Resident.id).subquery()
    return db.session.scalar(select(func.count()).select_from(late))


def overdue(actor: Actor, args: dict, today: date | None = None) -> dict:
    """One page of the overdue (never visited first, then the longest unvisited), narrowed by
    ``community_id`` / ``grid_id``; the ``page_schema`` envelope of :class:`DueVisit`."""
    today = today or common.today()
    statement = overdue_residents(actor, today, Resident)
    for key in ("community_id", "grid_id"):
        if args.get(key) is not None:
            statement = statement.where(getattr(Resident, key) == args[key])
    at = statement.selected_columns.last_visited_at

    def due(rows) -> list[DueVisit]:
        own = overrides({resident.community_id for resident, _ in rows})
        items = []
        for resident, last in rows:
            days = every_days(own, resident.community_id, [member.group for member in resident.priority_groups])
            due_on = last.date() + timedelta(days=days) if last is not None else None
            items.append(DueVisit(resident, last, days, due_on, (today - due_on).days if due_on else None))
        return items

    return common.rows_page(statement.order_by(at.is_not(None), at, Resident.id), args, due)
