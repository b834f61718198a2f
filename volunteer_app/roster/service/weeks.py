"""A community's roster weeks: found or opened with their shifts, listed, and reached by the records kept
under them (plan jobs, duties, swaps), always for an actor the policy lets in."""
from collections.abc import Callable
from datetime import datetime, timedelta
from operator import attrgetter

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from ...accounts import policy
from ...accounts.policy import Actor
from ...errors import NotFound
from ...extensions import db
from ...holidays.service import day_statuses
from ...places.models import Community, Station
from ...validation import parse_week
from ..models import AssignmentStatus, Demand, DemandKind, HolidayRule, RosterVersion, RosterWeek, ShiftTemplate
from ..problem import week_bounds

ACTIVE = (AssignmentStatus.assigned, AssignmentStatus.confirmed)

END_AFTER_START = _l("The end must be after the start.")


def week_for(actor: Actor, community_id: int, week: str) -> RosterWeek:
    """The community's week to plan, created with shifts from its templates on first use."""
    return open_week(policy.get(actor, "roster.draft", Community, community_id), week)


def open_week(community: Community, week: str) -> RosterWeek:
    """``week_for`` once the caller has asked the policy about ``community`` (a call-out opens its week too)."""
    week = parse_week(week)
    row = db.session.scalar(select(RosterWeek).where(RosterWeek.community_id == community.id, RosterWeek.week == week))
    if row is None:
        row = RosterWeek(community_id=community.id, week=week)
        db.session.add(row)
        db.session.flush()
        generate_shifts(row)
    return row


def get_week(actor: Actor, week_id: int) -> RosterWeek:
    return policy.get(actor, "roster.read", RosterWeek, week_id)


def weeks(actor: Actor, community_id: int | None = None, week: str | None = None) -> Select:
    """The weeks the actor may read, newest first (optionally of one community or one ISO week)."""
    policy.require(actor, "roster.read")
    statement = select(RosterWeek).where(policy.where(actor, "roster.read", RosterWeek))
    if community_id:
        statement = statement.where(RosterWeek.community_id == community_id)
    if week:
        statement = statement.where(RosterWeek.week == week)
    return statement.order_by(RosterWeek.week.desc(), RosterWeek.community_id)


def plannable_communities(actor: Actor, limit: int) -> list[Community]:
    """Communities whose rosters the actor plans (a grid's community is visible to its worker, not plannable)."""
    policy.require(actor, "roster.draft")
    return db.session.scalars(select(Community).where(policy.where(actor, "roster.draft", Community))
                              .order_by(Community.code).limit(limit)).all()


def record_of_week(actor: Actor, action: str, model, record_id: int,
                   week_id: Callable = attrgetter("week_id")):
    """A record kept under a week (a plan job, a duty, a swap …), reached through its week's community:
    403 when the actor's role may not do ``action``, 404 when the record is unknown or beyond reach."""
    policy.require(actor, action)
    record = db.session.get(model, record_id)
    week = db.session.get(RosterWeek, week_id(record)) if record is not None else None
    if week is None or not policy.may(actor, action, week):
        raise NotFound(policy.NOT_FOUND)
    return record


def versions(actor: Actor, week: RosterWeek) -> list[RosterVersion]:
    policy.require(actor, "roster.read", week)
    return db.session.scalars(select(RosterVersion).where(RosterVersion.week_id == week.id)
                              .order_by(RosterVersion.number.desc())).all()


def generate_shifts(week: RosterWeek) -> int:
    """Create the week's shifts from active templates, honouring holidays and closures."""
    monday, sunday = week_bounds(week.week)
    statuses = day_statuses(monday, sunday)
    templates = db.session.scalars(
        select(ShiftTemplate).join(Station).where(ShiftTemplate.community_id == week.community_id,
                                                  ShiftTemplate.active.is_(True))
        .order_by(ShiftTemplate.weekday, ShiftTemplate.start, ShiftTemplate.id)
    ).all()
    created = 0
    for template in templates:
        day = monday + timedelta(days=template.weekday)
        status, station = statuses[day], template.station
        needed = template.needed
        if day.isoformat() in (station.closures or []):
            continue
        if status.is_public_holiday:
            if station.closed_on_holidays or template.holiday_rule == HolidayRule.closed:
                continue
            if template.holiday_rule == HolidayRule.rota:
                needed = template.holiday_needed or template.needed
        db.session.add(Demand(
            week_id=week.id, kind=DemandKind.shift, title=template.title or station.name, station_id=station.id,
            template_id=template.id, start=datetime.combine(day, template.start), end=datetime.combine(day, template.end),
            needed=needed, skills=list(template.skills), priority=template.priority, lat=station.lat, lon=station.lon,
        ))
        created += 1
    db.session.flush()
    return created
