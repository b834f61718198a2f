"""Figures of the 数字驾驶舱 for an ISO week or a month: per community and grid, the
周通报 ranking of communities, and the 双报到 feedback report per work unit.

Nothing is stored: every figure is an aggregate query (one ``GROUP BY`` per
family of figures, grouped by community and grid) over the records of the
other domains, folded into one :class:`Figures` per (community, grid). A
community's figures are the sum of its grids' (plus records with no grid);
rates are computed from the summed counts, never averaged.

Who is counted where, and when:

* **Requests (工单)** — the cohort is the requests *filed* in the period
  (``submitted_at``), counted in the state they are in *now*, under the
  request's community and grid.

  - completion rate (办结率) = requests of the cohort now resolved or rated
    ÷ requests of the cohort that are not cancelled (rejected ones stay in
    the denominator: 不予受理 is not 办结);
  - on-time rate = completed requests of the cohort whose 办结 step was not
    late ÷ completed requests of the cohort. "Late" is the flag the request
    history records when the request was resolved after the deadline in force
    (the resolve deadline, or the department's deadline after 吹哨);
  - mean rating (满意度) and the number of ratings: over the cohort's ratings;
  - overdue now: open requests of any period past their step's deadline at
    this moment (the coordinators' overdue list).
* **Hours** — ``ServiceLog`` minutes served on a day of the period, under the
  volunteer's community and grid. Marking a duty served writes exactly one
  log (``roster.mark_served``), so served duties are counted through their log
  and never a second time from the assignment.
* **Duty places** — demands (shifts and call-outs) starting in the period in
  published weeks, not cancelled: places needed = Σ head count; filled =
  Σ min(standing assignments (assigned or confirmed), head count); served =
  standing assignments marked served. Grid: the station's grid.
* **Bookings** — places in slots starting in the period, by booking status.
* **Points** — issued: points posted for service done in the period (each
  earning dated by its service, like the hours; the ledger stamps a transfer
  when it is posted, which may be days later after a coordinator's
  approval), under the volunteer's grid; reversed: the part of those later
  reversed (issued − reversed is what stands). Redeemed: points of orders
  fulfilled in the period (China time), under the payer's community and grid.
* **Top volunteers** — volunteers record no consent to be named, so reports
  give only the number of volunteers who served.
"""
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Date, Integer, Time, and_, case, cast, distinct, extract, false, func, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from ..accounts.scoping import current_scope
from ..errors import InvalidInput, NotFound
from ..extensions import db
from ..people.models import ClaimedPost, PartyMemberReport, Resident, ServiceLog, Volunteer
from ..places.models import Community, Grid, Station
from ..points.models import Earning, EarningStatus, PointAccount, Redemption, RedemptionStatus
from ..roster.models import Assignment, Demand, RosterWeek, WeekStatus
from ..roster.service import ACTIVE
from ..service_requests import service as requests_service
from ..service_requests.models import Booking, BookingStatus, RequestEvent, RequestState, ServiceRequest
from ..clock import CHINA_TIME

S = RequestState
COMPLETED = (S.resolved, S.rated)
TREND_WEEKS = 8  # the hours chart: the period's last week and the seven before it

# --- periods ---------------------------------------------------------------------------------------

_WEEK = re.compile(r"(\d{4})-W(\d{2})", re.ASCII)
_MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
YEARS = range(2000, 2101)  # beyond these a period is a typo, and dates near year 1 or 9999 overflow
PERIOD_HELP = "use an ISO week such as 2026-W48 or a month such as 2026-11"


@dataclass(frozen=True)
class Period:
    """An ISO week or a calendar month of China local time: ``first`` up to (not including) ``after``."""

    label: str
    kind: str  # "week" or "month"
    first: date
    after: date

    @property
    def last(self) -> date:
        return self.after - timedelta(days=1)

    @property
    def start(self) -> datetime:
        """Local naive start, for the columns kept in China time (requests, rosters, bookings)."""
        return datetime.combine(self.first, time.min)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.after, time.min)

    @property
    def utc_start(self) -> datetime:
        """The same instant in UTC, for the columns kept in UTC (when an order was fulfilled)."""
        return self.start.replace(tzinfo=CHINA_TIME).astimezone(timezone.utc)

    @property
    def utc_end(self) -> datetime:
        return self.end.replace(tzinfo=CHINA_TIME).astimezone(timezone.utc)


def week_of(day: date) -> Period:
    year, number, weekday = day.isocalendar()
    monday = day - timedelta(days=weekday - 1)
    return Period(f"{year}-W{number:02d}", "week", monday, monday + timedelta(days=7))


def month_of(day: date) -> Period:
    first = day.replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    return Period(f"{first:%Y-%m}", "month", first, after)


def previous(period: Period) -> Period:
    """The week or month before."""
    if period.kind == "week":
        return week_of(period.first - timedelta(days=7))
    return month_of(period.first - timedelta(days=1))


def parse_period(text: str | None) -> Period:
    """``2026-W48`` or ``2026-11``; anything else is refused naming ``period`` (422)."""
    text = (text or "").strip()
    week, month = _WEEK.fullmatch(text), _MONTH.fullmatch(text)
    try:
        if week and int(week.group(1)) in YEARS:
            return week_of(date.fromisocalendar(int(week.group(1)), int(week.group(2)), 1))
        if month and int(month.group(1)) in YEARS:
            return month_of(date(int(month.group(1)), int(month.group(2)), 1))
    except ValueError:  # week 0 or 54, month 13 …
        pass
    raise InvalidInput(f"Bad period {text[:20]!r}", {"period": [PERIOD_HELP]})


def today() -> date:
    return requests_service.now().date()


# --- what a report covers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    """Whole communities (``None``: every community) and single grids elsewhere."""

    communities: frozenset[int] | None
    grids: frozenset[int] = frozenset()

    def clause(self, community_column, grid_column):
        """SQL condition on a query's community and grid columns."""
        if self.communities is None:
            return true()
        conditions = []
        if self.communities:
            conditions.append(community_column.in_(self.communities))
        if self.grids:
            conditions.append(grid_column.in_(self.grids))
        return or_(*conditions) if conditions else false()


def area_for(community_id: int | None = None) -> Area:
    """The caller's scope (coordinators: theirs; admins: everything), narrowed to one community if asked.

    A coordinator of single grids sees only those grids, even of a community they pick.
    """
    scope = current_scope()
    if community_id is None:
        return Area(None) if scope.everything else Area(scope.communities, scope.grids)
    community = db.session.get(Community, community_id)
    if community is None or not (scope.everything or community_id in scope.visible_communities):
        raise NotFound(f"community {community_id} not found")
    if scope.allows(community_id):
        return Area(frozenset({community_id}))
    grids = db.session.scalars(select(Grid.id).where(Grid.community_id == community_id, Grid.id.in_(scope.grids)))
    return Area(frozenset(), frozenset(grids))


def communities_of(area: Area) -> list[Community]:
    statement = select(Community).order_by(Community.code)
    if area.communities is not None:
        statement = statement.where(Community.id.in_(area.communities))
    return db.session.scalars(statement).all()


def grids_of(area: Area) -> list[Grid]:
    statement = select(Grid).where(area.clause(Grid.community_id, Grid.id))
    return db.session.scalars(statement.order_by(Grid.community_id, Grid.code)).all()


# --- the figures ---------------------------------------------------------------------------------------


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class Figures:
    """Additive counts of one community, grid or total; rates are derived from them."""

    by_state: Counter = field(default_factory=Counter)
    filed: int = 0
    cancelled: int = 0
    completed: int = 0
    resolved_on_time: int = 0
    ratings: int = 0
    rating_total: int = 0
    overdue_now: int = 0
    minutes: int = 0
    volunteers_served: int = 0
    places_needed: int = 0
    places_filled: int = 0
    places_served: int = 0
    bookings_booked: int = 0
    bookings_waitlisted: int = 0
    bookings_cancelled: int = 0
    points_issued: int = 0
    points_reversed: int = 0
    points_redeemed: int = 0
    redemptions_fulfilled: int = 0

    def add(self, other: "Figures") -> "Figures":
        for counter in fields(self):
            if counter.name == "by_state":
                self.by_state.update(other.by_state)
            else:
                setattr(self, counter.name, getattr(self, counter.name) + getattr(other, counter.name))
        return self

    @property
    def states(self) -> dict[str, int]:
        """Requests of the cohort by their state now, every state listed."""
        return {state.value: self.by_state.get(state.value, 0) for state in RequestState}

    @property
    def completion_rate(self) -> float | None:
        return ratio(self.completed, self.filed - self.cancelled)

    @property
    def on_time_rate(self) -> float | None:
        return ratio(self.resolved_on_time, self.completed)

    @property
    def mean_rating(self) -> float | None:
        return round(self.rating_total / self.ratings, 2) if self.ratings else None

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)

    @property
    def fill_rate(self) -> float | None:
        return ratio(self.places_filled, self.places_needed)


Table = dict[tuple[int, int | None], Figures]  # (community id, grid id or None) -> its figures


def _in(column, period: Period, utc: bool = False):
    start, end = (period.utc_start, period.utc_end) if utc else (period.start, period.end)
    return and_(column >= start, column < end)


def _requests(period: Period, area: Area, table: Table) -> None:
    R = ServiceRequest
    rows = db.session.execute(
        select(R.community_id, R.grid_id, R.state, func.count(), func.count(R.rating),
               func.coalesce(func.sum(R.rating), 0))
        .where(_in(R.submitted_at, period), area.clause(R.community_id, R.grid_id))
        .group_by(R.community_id, R.grid_id, R.state))
    for community_id, grid_id, state, count, ratings, rating_total in rows:
        figures = table[community_id, grid_id]
        figures.by_state[state.value] += count
        figures.filed += count
        figures.cancelled += count if state == S.cancelled else 0
        figures.completed += count if state in COMPLETED else 0
        figures.ratings += ratings
        figures.rating_total += int(rating_total)


def _on_time(period: Period, area: Area, table: Table) -> None:
    R, E = ServiceRequest, RequestEvent
    rows = db.session.execute(
        select(R.community_id, R.grid_id, func.count(distinct(R.id))).join(E, E.request_id == R.id)
        .where(_in(R.submitted_at, period), area.clause(R.community_id, R.grid_id), R.state.in_(COMPLETED),
               E.to_state == S.resolved, E.late.is_(False))
        .group_by(R.community_id, R.grid_id))
    for community_id, grid_id, count in rows:
        table[community_id, grid_id].resolved_on_time += count


def _overdue(period: Period, area: Area, table: Table) -> None:
    R = ServiceRequest
    rows = db.session.execute(
        select(R.community_id, R.grid_id, func.count())
        .where(R.state.in_(requests_service.OPEN_STATES), R.due_at < requests_service.now(),
               area.clause(R.community_id, R.grid_id))
        .group_by(R.community_id, R.grid_id))
    for community_id, grid_id, count in rows:
        table[community_id, grid_id].overdue_now += count


def _hours(period: Period, area: Area, table: Table) -> None:
    L, V = ServiceLog, Volunteer
    rows = db.session.execute(
        select(V.community_id, V.grid_id, func.sum(L.minutes), func.count(distinct(L.volunteer_id)))
        .join(V, V.id == L.volunteer_id)
        .where(L.served_on >= period.first, L.served_on < period.after, area.clause(V.community_id, V.grid_id))
        .group_by(V.community_id, V.grid_id))
    for community_id, grid_id, minutes, volunteers in rows:
        figures = table[community_id, grid_id]
        figures.minutes += int(minutes)
        figures.volunteers_served += volunteers


def _places(period: Period, area: Area, table: Table) -> None:
    D, W = Demand, RosterWeek
    per_demand = (
        select(D.id, D.needed, W.community_id, Station.grid_id, func.count(Assignment.id).label("filled"),
               func.count(Assignment.served_at).label("served"))
        .join(W, W.id == D.week_id)
        .outerjoin(Station, Station.id == D.station_id)
        .outerjoin(Assignment, and_(Assignment.demand_id == D.id, Assignment.status.in_(ACTIVE)))
        .where(W.status == WeekStatus.published, D.cancelled.is_(False), _in(D.start, period),
               area.clause(W.community_id, Station.grid_id))
        .group_by(D.id, D.needed, W.community_id, Station.grid_id)
    ).subquery()
    c = per_demand.c
    rows = db.session.execute(
        select(c.community_id, c.grid_id, func.sum(c.needed),
               func.sum(case((c.filled < c.needed, c.filled), else_=c.needed)), func.sum(c.served))
        .group_by(c.community_id, c.grid_id))
    for community_id, grid_id, needed, filled, served in rows:
        figures = table[community_id, grid_id]
        figures.places_needed += int(needed)
        figures.places_filled += int(filled)
        figures.places_served += int(served)


def _bookings(period: Period, area: Area, table: Table) -> None:
    B = Booking
    rows = db.session.execute(
        select(B.community_id, B.grid_id, B.status, func.count())
        .where(_in(B.starts_at, period), area.clause(B.community_id, B.grid_id))
        .group_by(B.community_id, B.grid_id, B.status))
    for community_id, grid_id, status, count in rows:
        name = {BookingStatus.booked: "bookings_booked", BookingStatus.waitlisted: "bookings_waitlisted",
                BookingStatus.cancelled: "bookings_cancelled"}[status]
        figures = table[community_id, grid_id]
        setattr(figures, name, getattr(figures, name) + count)


def _points_earned(period: Period, area: Area, table: Table) -> None:
    E, V = Earning, Volunteer
    posted = (EarningStatus.posted, EarningStatus.reversed)  # a reversed earning was posted first
    rows = db.session.execute(
        select(E.community_id, V.grid_id, func.sum(E.points),
               func.sum(case((E.status == EarningStatus.reversed, E.points), else_=0)))
        .outerjoin(V, V.id == E.volunteer_id)
        .where(E.status.in_(posted), _in(E.at, period), area.clause(E.community_id, V.grid_id))
        .group_by(E.community_id, V.grid_id))
    for community_id, grid_id, issued, reversed_points in rows:
        figures = table[community_id, grid_id]
        figures.points_issued += int(issued)
        figures.points_reversed += int(reversed_points)


def _points_redeemed(period: Period, area: Area, table: Table) -> None:
    grid = func.coalesce(Volunteer.grid_id, Resident.grid_id)
    rows = db.session.execute(
        select(Redemption.payer_community_id, grid, func.sum(Redemption.points), func.count())
        .join(PointAccount, PointAccount.id == Redemption.account_id)
        .outerjoin(Volunteer, Volunteer.id == PointAccount.volunteer_id)
        .outerjoin(Resident, Resident.id == PointAccount.resident_id)
        .where(Redemption.status == RedemptionStatus.fulfilled, _in(Redemption.fulfilled_at, period, utc=True),
               area.clause(Redemption.payer_community_id, grid))
        .group_by(Redemption.payer_community_id, grid))
    for community_id, grid_id, points, orders in rows:
        figures = table[community_id, grid_id]
        figures.points_redeemed += int(points)
        figures.redemptions_fulfilled += orders


REQUEST_FIGURES = (_requests, _on_time, _overdue)
ALL_FIGURES = REQUEST_FIGURES + (_hours, _places, _bookings, _points_earned, _points_redeemed)


def figures_table(period: Period, area: Area, families=ALL_FIGURES) -> Table:
    table: Table = defaultdict(Figures)
    for family in families:
        family(period, area, table)
    return table


def by_community(table: Table) -> dict[int, Figures]:
    totals: dict[int, Figures] = defaultdict(Figures)
    for (community_id, _), figures in table.items():
        totals[community_id].add(figures)
    return totals


def total(table: Table) -> Figures:
    result = Figures()
    for figures in table.values():
        result.add(figures)
    return result


def hours_by_week(period: Period, area: Area, weeks: int = TREND_WEEKS) -> list[dict]:
    """Hours served in each of the ``weeks`` ISO weeks up to the one holding the period's last day."""
    mondays = [week_of(period.last).first - timedelta(weeks=n) for n in reversed(range(weeks))]
    L, V = ServiceLog, Volunteer
    bucket = case(*[(L.served_on < monday + timedelta(days=7), index) for index, monday in enumerate(mondays)])
    minutes = dict(db.session.execute(
        select(bucket, func.sum(L.minutes)).join(V, V.id == L.volunteer_id)
        .where(L.served_on >= mondays[0], L.served_on < mondays[-1] + timedelta(days=7),
               area.clause(V.community_id, V.grid_id))
        .group_by(bucket)).all())
    return [{"week": week_of(monday).label, "hours": round(int(minutes.get(index, 0)) / 60, 1)}
            for index, monday in enumerate(mondays)]


TOP_VOLUNTEERS = 10


def top_volunteers(period: Period, area: Area, limit: int = TOP_VOLUNTEERS) -> list[dict]:
    """The volunteers who served most hours in the period (光荣榜), among those who agreed to be named.

    Everyone's hours count in the totals; only consenting volunteers
    (``Volunteer.show_in_rankings``) are listed by name.
    """
    L, V = ServiceLog, Volunteer
    minutes = func.sum(L.minutes)
    rows = db.session.execute(
        select(V.id, V.name, V.community_id, minutes, func.count(L.id))
        .join(V, V.id == L.volunteer_id)
        .where(L.served_on >= period.first, L.served_on < period.after, V.show_in_rankings.is_(True),
               area.clause(V.community_id, V.grid_id))
        .group_by(V.id, V.name, V.community_id).order_by(minutes.desc(), V.id).limit(limit))
    return [{"rank": rank, "volunteer_id": volunteer_id, "name": name, "community_id": community_id,
             "hours": round(int(total) / 60, 1), "services": count}
            for rank, (volunteer_id, name, community_id, total, count) in enumerate(rows, start=1)]


def dashboard(period: Period, community_id: int | None = None) -> dict:
    """Every figure for the caller's communities and grids, their total, and the hours trend."""
    area = area_for(community_id)
    table = figures_table(period, area)
    communities = by_community(table)
    return {
        "period": period,
        "community_id": community_id,
        "totals": total(table),
        "communities": [{"community_id": c.id, "grid_id": None, "name": c.name,
                         "figures": communities.get(c.id, Figures())} for c in communities_of(area)],
        "grids": [{"community_id": g.community_id, "grid_id": g.id, "name": g.name,
                   "figures": table.get((g.community_id, g.id), Figures())} for g in grids_of(area)],
        "hours_by_week": hours_by_week(period, area),
        "top_volunteers": top_volunteers(period, area),
        "generated_at": requests_service.now(),
    }


# --- 周通报: the ranking of communities ------------------------------------------------------------


def _rank_key(figures: Figures) -> tuple:
    """Higher completion rate first, then higher mean rating, then higher on-time rate; no figure last."""
    return tuple((value is None, -(value or 0))
                 for value in (figures.completion_rate, figures.mean_rating, figures.on_time_rate))


def ranking(period: Period) -> dict:
    """The caller's whole communities ranked for the 周通报; equal figures share a rank (1, 1, 3)."""
    area = area_for()
    table = figures_table(period, Area(area.communities), REQUEST_FIGURES)
    figures = by_community(table)
    communities = sorted(communities_of(area), key=lambda c: (_rank_key(figures.get(c.id, Figures())), c.code))
    rows, previous_key = [], None
    for position, community in enumerate(communities, start=1):
        community_figures = figures.get(community.id, Figures())
        key = _rank_key(community_figures)
        rank = rows[-1]["rank"] if key == previous_key else position
        rows.append({"rank": rank, "community_id": community.id, "name": community.name,
                     "figures": community_figures})
        previous_key = key
    return {"period": period, "rows": rows}


# --- 双报到: in-office party members' service, per work unit ---------------------------------------------


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


def party_units(period: Period, community_id: int | None = None, unit: str | None = None) -> dict:
    """Each work unit's in-office party members in the caller's scope and their service in the period."""
    area = area_for(community_id)
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
