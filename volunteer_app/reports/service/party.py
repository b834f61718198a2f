"""双报到: in-office party members' service in the period, per work unit."""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Date, Integer, Time, and_, cast, distinct, extract, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from ...accounts.policy import Actor
from ...extensions import db
from ...people.models import ClaimedPost, PartyMemberReport, ServiceLog, Volunteer
from ...places.models import Community
from ...roster.models import Assignment, Demand, RosterWeek, WeekStatus
from ...roster.service import ACTIVE
from ...service_requests.models import RequestEvent, ServiceRequest
from .areas import area_for
from .figures import S
from .periods import Period, _in


class weekday_of(FunctionElement):
    """Day of the week of a timestamp, 0 = Monday (as ``ClaimedPost.weekday``)."""

    type = Integer()
    inherit_cache = True


class time_of_day(FunctionElement):
    """The clock time of a timestamp (or of a time), comparable with ``Time`` columns."""

    type = Time()
    inherit_cache = True


class day_of(FunctionElement):
    type = Date()
    inherit_cache = True


@compiles(weekday_of, "sqlite")
def _weekday_sqlite(element, compiler, **kw):
    (moment,) = element.clauses
    return compiler.process((cast(func.strftime("%w", moment), Integer) + 6) % 7, **kw)


@compiles(weekday_of, "postgresql")
def _weekday_postgresql(element, compiler, **kw):
    (moment,) = element.clauses
    return compiler.process(cast(extract("isodow", moment), Integer) - 1, **kw)


@compiles(time_of_day, "sqlite")
def _time_sqlite(element, compiler, **kw):
    (moment,) = element.clauses
    return compiler.process(func.time(moment), **kw)


@compiles(time_of_day, "postgresql")
def _time_postgresql(element, compiler, **kw):
    (moment,) = element.clauses
    return compiler.process(cast(moment, Time), **kw)


@compiles(day_of, "sqlite")
def _day_sqlite(element, compiler, **kw):
    (moment,) = element.clauses
    return compiler.process(func.date(moment), **kw)


@compiles(day_of, "postgresql")
def _day_postgresql(element, compiler, **kw):
    (moment,) = element.clauses
    return compiler.process(cast(moment, Date), **kw)


def covers_post(demand, post):
    """SQL: a demand falls inside a claimed post (same station and weekday, within its hours,
    on one day) — the rule by which ``roster.problem`` prefers the member for it."""
    return and_(demand.station_id == post.station_id, weekday_of(demand.start) == post.weekday,
                time_of_day(demand.start) >= time_of_day(post.start), time_of_day(demand.end) <= time_of_day(post.end),
                day_of(demand.start) == day_of(demand.end))


@dataclass
class Member:
    """One in-office party member's service in the period."""

    volunteer_id: int
    name: str
    community_id: int
    community_name: str
    work_unit: str
    party_organization: str
    yearly_target_hours: int
    claimed_posts: int
    minutes: int = 0
    year_minutes: int = 0  # from 1 January of the period's year to its end
    posts_due: int = 0  # duties at their claimed posts in the period
    posts_kept: int = 0  # … that they served
    requests_resolved: int = 0
    ratings: int = 0
    rating_total: int = 0

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)

    @property
    def year_hours(self) -> float:
        return round(self.year_minutes / 60, 1)

    @property
    def mean_rating(self) -> float | None:
        return round(self.rating_total / self.ratings, 2) if self.ratings else None


@dataclass
class Unit:
    """A work unit (单位) and its members, as sent to its party organisation."""

    work_unit: str
    members: list[Member] = field(default_factory=list)

    def _sum(self, name: str) -> int:
        return sum(getattr(member, name) for member in self.members)

    @property
    def party_organizations(self) -> list[str]:
        return sorted({m.party_organization for m in self.members if m.party_organization})

    @property
    def member_count(self) -> int:
        return len(self.members)

    @property
    def hours(self) -> float:
        return round(self._sum("minutes") / 60, 1)

    @property
    def posts_due(self) -> int:
        return self._sum("posts_due")

    @property
    def posts_kept(self) -> int:
        return self._sum("posts_kept")

    @property
    def requests_resolved(self) -> int:
        return self._sum("requests_resolved")

    @property
    def ratings(self) -> int:
        return self._sum("ratings")

    @property
    def mean_rating(self) -> float | None:
        ratings = self.ratings
        return round(self._sum("rating_total") / ratings, 2) if ratings else None


def _minutes_by_volunteer(members, first: date, after: date) -> dict[int, int]:
    L = ServiceLog
    return {volunteer_id: int(minutes) for volunteer_id, minutes in db.session.execute(
        select(L.volunteer_id, func.sum(L.minutes))
        .where(L.volunteer_id.in_(members), L.served_on >= first, L.served_on < after)
        .group_by(L.volunteer_id))}


def _posts_by_volunteer(members, period: Period) -> dict[int, tuple[int, int]]:
    """``{volunteer: (duties at their claimed posts, of which served by them)}`` in published weeks."""
    P, C, D, W = PartyMemberReport, ClaimedPost, Demand, RosterWeek
    served = aliased(Assignment)
    rows = db.session.execute(
        select(P.volunteer_id, func.count(distinct(D.id)), func.count(distinct(served.id)))
        .join(C, C.report_id == P.id)
        .join(D, covers_post(D, C))
        .join(W, W.id == D.week_id)
        .outerjoin(served, and_(served.demand_id == D.id, served.volunteer_id == P.volunteer_id,
                                served.served_at.is_not(None), served.status.in_(ACTIVE)))
        .where(P.volunteer_id.in_(members), W.status == WeekStatus.published, D.cancelled.is_(False),
               _in(D.start, period))
        .group_by(P.volunteer_id))
    return {volunteer_id: (due, kept) for volunteer_id, due, kept in rows}


def _resolved_by_volunteer(members, period: Period) -> dict[int, tuple[int, int, int]]:
    """``{volunteer: (requests they resolved in the period, ratings, sum of ratings)}``."""
    R, E = ServiceRequest, RequestEvent
    rows = db.session.execute(
        select(R.volunteer_id, func.count(distinct(R.id)), func.count(R.rating), func.coalesce(func.sum(R.rating), 0))
        .join(E, E.request_id == R.id)
        .where(R.volunteer_id.in_(members), E.to_state == S.resolved, _in(E.at, period))
        .group_by(R.volunteer_id))
    return {volunteer_id: (count, ratings, int(total)) for volunteer_id, count, ratings, total in rows}


def party_units(actor: Actor, period: Period, community_id: int | None = None, unit: str | None = None) -> dict:
    """Each work unit's in-office party members in the actor's scope and their service in the period."""
    area = area_for(actor, community_id)
    P, V = PartyMemberReport, Volunteer
    chosen = [area.clause(V.community_id, V.grid_id)]
    if unit is not None:
        chosen.append(P.work_unit == unit)
    members = select(P.volunteer_id).join(V, V.id == P.volunteer_id).where(*chosen)
    claimed = select(func.count(ClaimedPost.id)).where(ClaimedPost.report_id == P.id).scalar_subquery()
    rows = db.session.execute(
        select(P.volunteer_id, V.name, V.community_id, Community.name, P.work_unit, P.party_organization,
               P.yearly_target_hours, claimed)
        .join(V, V.id == P.volunteer_id).join(Community, Community.id == V.community_id)
        .where(*chosen)).all()
    hours = _minutes_by_volunteer(members, period.first, period.after)
    year_hours = _minutes_by_volunteer(members, date(period.last.year, 1, 1), period.after)
    posts = _posts_by_volunteer(members, period)
    resolved = _resolved_by_volunteer(members, period)
    units: dict[str, Unit] = {}
    for volunteer_id, name, member_community, community_name, work_unit, organization, target, claimed_posts in rows:
        member = Member(volunteer_id, name, member_community, community_name, work_unit, organization, target,
                        claimed_posts, hours.get(volunteer_id, 0), year_hours.get(volunteer_id, 0),
                        *posts.get(volunteer_id, (0, 0)), *resolved.get(volunteer_id, (0, 0, 0)))
        units.setdefault(work_unit, Unit(work_unit)).members.append(member)
    # Sorted here, not by the database: collations order Chinese differently; a report must not.
    for group in units.values():
        group.members.sort(key=lambda m: (m.name, m.volunteer_id))
    return {"period": period, "units": sorted(units.values(), key=lambda u: u.work_unit)}
