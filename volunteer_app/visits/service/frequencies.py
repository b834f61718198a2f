"""How often each priority group is visited: the defaults, and each community's own settings.

A community stores a row only where it departs from the default, so the overdue check's
condition stays as small as the settings that differ.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, select

from ...accounts import policy
from ...accounts.policy import Actor
from ...extensions import db
from ...people.models import PriorityGroup
from ...places.models import Community
from ..models import VisitFrequency

WEEKLY, MONTHLY = 7, 30
#: 独居老人 and 孤寡 weekly, the others monthly (every 30 days).
DEFAULT_EVERY_DAYS = {
    PriorityGroup.elderly_alone: WEEKLY, PriorityGroup.childless_elderly: WEEKLY, PriorityGroup.disabled: MONTHLY,
    PriorityGroup.low_income: MONTHLY, PriorityGroup.hardship: MONTHLY,
}
Overrides = dict[tuple[int, PriorityGroup], int]  # (community id, group) -> days, where not the default


@dataclass(frozen=True)
class Frequency:
    group: PriorityGroup
    every_days: int
    is_default: bool


def overrides(community_ids=None) -> Overrides:
    """The communities' own intervals (every community's when ``community_ids`` is None)."""
    statement = select(VisitFrequency.community_id, VisitFrequency.group, VisitFrequency.every_days)
    if community_ids is not None:
        statement = statement.where(VisitFrequency.community_id.in_(list(community_ids)))
    return {(community_id, group): days for community_id, group, days in db.session.execute(statement)}


def every_days(own: Overrides, community_id: int, groups) -> int | None:
    """A resident's interval: the shortest of their groups' (None when in no group)."""
    days = [own.get((community_id, group), DEFAULT_EVERY_DAYS[group]) for group in groups]
    return min(days) if days else None


def cutoff(today: date, days: int) -> datetime:
    """A member last visited before this moment is overdue today: visited on day D, due by D + days."""
    return datetime.combine(today - timedelta(days=days), time.min)


def cutoff_clause(today: date, group_column, community_column, own: Overrides):
    """SQL: the cutoff of each (community, group) row, the community's own interval or the default."""
    default = case(*[(group_column == group, cutoff(today, days)) for group, days in DEFAULT_EVERY_DAYS.items()])
    if not own:
        return default
    return case(*[(and_(community_column == community_id, group_column == group), cutoff(today, days))
                  for (community_id, group), days in own.items()], else_=default)


def community_frequencies(actor: Actor, community_id: int) -> list[Frequency]:
    """Every priority group's interval in a community, the defaults marked."""
    policy.get(actor, "visits.frequencies.read", Community, community_id)
    own = overrides([community_id])
    return [Frequency(group, own.get((community_id, group), DEFAULT_EVERY_DAYS[group]),
                      (community_id, group) not in own) for group in PriorityGroup]


def may_set_frequencies(actor: Actor, community: Community) -> bool:
    """Whether the settings page offers the actor a form (the coordinators of the community) or a table."""
    return policy.may(actor, "visits.frequencies.write", community)


def set_frequencies(actor: Actor, community_id: int, rows: list[dict]) -> list[Frequency]:
    """Set the intervals of the groups given (``{"group", "every_days"}``); the others stay as they are."""
    policy.get(actor, "visits.frequencies.write", Community, community_id)
    stored = {row.group: row for row in db.session.scalars(
        select(VisitFrequency).where(VisitFrequency.community_id == community_id))}
    for row in rows:
        group, days = row["group"], row["every_days"]
        current = stored.get(group)
        if days == DEFAULT_EVERY_DAYS[group]:
            if current is not None:
                db.session.delete(current)
                del stored[group]
        elif current is None:
            stored[group] = VisitFrequency(community_id=community_id, group=group, every_days=days)
            db.session.add(stored[group])
        else:
            current.every_days = days
    db.session.flush()
    return community_frequencies(actor, community_id)
