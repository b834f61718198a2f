"""The figures of a report: one collector per family of figures, and their sums.

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
  volunteer's community and grid. Serving a duty writes exactly one log, for
  its ``roster.service.served_minutes`` (the attended time where check-in and
  check-out are recorded, else the scheduled time), so served duties are
  counted through their log and never a second time from the assignment.
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
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields

from sqlalchemy import and_, case, distinct, func, select

from ...extensions import db
from ...people.models import Resident, ServiceLog, Volunteer
from ...places.models import Station
from ...points.models import Earning, EarningStatus, PointAccount, Redemption, RedemptionStatus
from ...roster.models import Assignment, Demand, RosterWeek, WeekStatus
from ...roster.service import ACTIVE
from ...service_requests import service as requests_service
from ...service_requests.models import Booking, BookingStatus, RequestEvent, RequestState, ServiceRequest
from .areas import Area
from .periods import Period, _in

S = RequestState
COMPLETED = (S.resolved, S.rated)


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
    places_checked_in: int = 0
    bookings_booked: int = 0
    bookings_attended: int = 0
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

    @property
    def attendance_rate(self) -> float | None:
        """Booked places whose resident came (到场 ÷ booked)."""
        return ratio(self.bookings_attended, self.bookings_booked)


Table = dict[tuple[int, int | None], Figures]  # (community id, grid id or None) -> its figures


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
               func.count(Assignment.served_at).label("served"),
               func.count(Assignment.checked_in_at).label("checked_in"))
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
               func.sum(case((c.filled < c.needed, c.filled), else_=c.needed)), func.sum(c.served),
               func.sum(c.checked_in))
        .group_by(c.community_id, c.grid_id))
    for community_id, grid_id, needed, filled, served, checked_in in rows:
        figures = table[community_id, grid_id]
        figures.places_needed += int(needed)
        figures.places_filled += int(filled)
        figures.places_served += int(served)
        figures.places_checked_in += int(checked_in)


def _bookings(period: Period, area: Area, table: Table) -> None:
    B = Booking
    rows = db.session.execute(
        select(B.community_id, B.grid_id, B.status, func.count(), func.count(B.attended_at))
        .where(_in(B.starts_at, period), area.clause(B.community_id, B.grid_id))
        .group_by(B.community_id, B.grid_id, B.status))
    for community_id, grid_id, status, count, attended in rows:
        name = {BookingStatus.booked: "bookings_booked", BookingStatus.waitlisted: "bookings_waitlisted",
                BookingStatus.cancelled: "bookings_cancelled"}[status]
        figures = table[community_id, grid_id]
        setattr(figures, name, getattr(figures, name) + count)
        figures.bookings_attended += attended if status == BookingStatus.booked else 0


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
