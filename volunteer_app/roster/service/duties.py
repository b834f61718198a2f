"""Published duties: a volunteer's own (their week, their answers), what the coordinator still has to
follow up, and the reminders the day before (attendance: ``attendance``)."""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from ...accounts import policy
from ...accounts.policy import Actor
from ...clock import today_local
from ...errors import Conflict, InvalidInput
from ...extensions import db
from ...models_base import utcnow
from ...notifications.service import Note, coordinators_of, notify, users_of_volunteers
from ...people.models import Volunteer, VolunteerStatus
from ...resources import check_version
from ..models import (
    Assignment, AssignmentStatus, CalendarFeed, CallOut, CallOutInvite, CallOutStatus, Demand, PairRule, PairRuleKind,
    PlanJob, RosterWeek, SwapRequest,
)
from ..problem import week_bounds
from .drafts import draft_pairs, rule_for, set_draft
from .planning import queue_plan
from ...validation import parse_week
from .weeks import ACTIVE
from ...labels import label

# --- a volunteer's own duties ----------------------------------------------------------------


def my_assignments(actor: Actor, week: str | None = None) -> list[Assignment]:
    """The actor's published duties (of one ISO week, or all), in time order."""
    policy.require(actor, "roster.own_duty")
    statement = select(Assignment).join(Demand).where(policy.where(actor, "roster.own_duty", Assignment),
                                                     Assignment.status != AssignmentStatus.removed)
    if week:
        monday, sunday = week_bounds(parse_week(week))
        statement = statement.where(Demand.start >= datetime.combine(monday, datetime.min.time()),
                                    Demand.start < datetime.combine(sunday + timedelta(days=1), datetime.min.time()))
    # Each duty shows its demand and its volunteer's name: joined to the duties, not one query per duty
    # (and none for the volunteer's skills and hours, which a name does not need).
    statement = statement.options(contains_eager(Assignment.demand), joinedload(Assignment.volunteer).lazyload("*"))
    return db.session.scalars(statement.order_by(Demand.start)).all()


@dataclass
class MyWeek:
    """What a volunteer's week page shows."""

    volunteer: Volunteer
    assignments: list[Assignment]
    waiting: list[Assignment]  # duties not yet started that wait for an answer, whatever their week
    swaps: dict = field(default_factory=dict)  # assignment id → its swap requests
    invites: list[CallOutInvite] = field(default_factory=list)  # open call-outs calling this volunteer
    colleagues: list[Volunteer] = field(default_factory=list)  # whom a duty may be handed to
    has_feed: bool = False


def my_volunteer(actor: Actor) -> Volunteer | None:
    """The volunteer record the actor's account is linked to, if any."""
    policy.require(actor, "roster.own_duty")
    return db.session.get(Volunteer, actor.volunteer_id) if actor.volunteer_id is not None else None


def my_week(actor: Actor, week: str, now: datetime) -> MyWeek | None:
    """The actor's duties of ``week`` and what waits for them; None when no volunteer record is linked."""
    volunteer = my_volunteer(actor)
    if volunteer is None:
        return None
    assignments = my_assignments(actor, week)
    mine = policy.where(actor, "roster.own_duty", Assignment)
    swaps = defaultdict(list)
    for swap in db.session.scalars(select(SwapRequest).where(
            SwapRequest.assignment_id.in_([a.id for a in assignments])).order_by(SwapRequest.id)):
        swaps[swap.assignment_id].append(swap)
    return MyWeek(
        volunteer, assignments,
        waiting=db.session.scalars(select(Assignment).join(Demand).where(
            mine, Assignment.status == AssignmentStatus.assigned, Demand.cancelled.is_(False), Demand.start >= now)
            .order_by(Demand.start)).all(),
        swaps=swaps,
        invites=db.session.scalars(select(CallOutInvite).join(CallOut).where(
            policy.where(actor, "roster.invitation", CallOutInvite), CallOut.status == CallOutStatus.open)
            .order_by(CallOutInvite.id.desc())).all(),
        colleagues=db.session.scalars(select(Volunteer).where(
            Volunteer.community_id == volunteer.community_id, Volunteer.id != volunteer.id,
            Volunteer.status == VolunteerStatus.active).order_by(Volunteer.name, Volunteer.id)).all(),
        has_feed=db.session.scalar(select(CalendarFeed.id).where(CalendarFeed.volunteer_id == volunteer.id))
        is not None,
    )


def own_assignment(actor: Actor, assignment_id: int) -> Assignment:
    """One of the actor's duties (anyone else's answers 404, as an unknown id)."""
    return policy.get(actor, "roster.own_duty", Assignment, assignment_id)


def answer(actor: Actor, assignment_id: int, expected_version: int, confirm: bool, reason: str = "") -> PlanJob | None:
    """Confirm, or decline with a reason; a decline starts a repair of the week."""
    assignment = own_assignment(actor, assignment_id)
    check_version(assignment, expected_version)
    if assignment.status not in ACTIVE:
        raise Conflict(_l("This duty is %(state)s; it can no longer be answered.",
                          state=label("assignment", assignment.status)),
                       {"status": [assignment.status.value]}, code="not_answerable")
    assignment.answered_at = utcnow()
    if confirm:
        assignment.status, assignment.reason = AssignmentStatus.confirmed, ""
        db.session.flush()
        return None
    if not reason.strip():
        raise InvalidInput(_l("Say why you cannot come."), {"reason": [_l("Say why you cannot come.")]},
                           code="reason_required")
    assignment.status, assignment.reason = AssignmentStatus.declined, reason.strip()[:200]
    week = db.session.get(RosterWeek, assignment.week_id)
    rule = rule_for(assignment.demand_id, assignment.volunteer_id)
    rule = rule or PairRule(week_id=week.id, demand_id=assignment.demand_id, volunteer_id=assignment.volunteer_id)
    rule.kind, rule.reason = PairRuleKind.declined, assignment.reason
    db.session.add(rule)
    db.session.flush()
    set_draft(week, draft_pairs(week))  # the decliner leaves the draft at once, not at the next solve
    demand = assignment.demand
    notify(coordinators_of(week.community_id), Note(
        "declined", _l("%(volunteer)s cannot come to %(duty)s", volunteer=assignment.volunteer.name, duty=demand.title),
        f"{demand.start:%m-%d %H:%M} {demand.title}: {assignment.reason}", f"/roster/weeks/{week.id}"))
    db.session.flush()
    return queue_plan(week, None, purpose="repair")


# --- the coordinator's follow-up ---------------------------------------------------------------


@dataclass(frozen=True)
class WeekTodo:
    """What a published week still needs from its coordinator."""

    week: RosterWeek
    unanswered: int  # duties still waiting for the volunteer's answer
    declines_to_cover: int  # places a decline left empty that no one has taken since


def weeks_needing_attention(actor: Actor, now: datetime) -> list[WeekTodo]:
    """Published weeks the actor reads with duties ahead that are unanswered or left empty by a decline."""
    policy.require(actor, "roster.read")
    ahead = select(Assignment, Demand).join(Demand).join(RosterWeek, RosterWeek.id == Assignment.week_id).where(
        policy.where(actor, "roster.read", RosterWeek), Demand.cancelled.is_(False), Demand.start >= now,
        Assignment.status.in_((AssignmentStatus.assigned, AssignmentStatus.confirmed, AssignmentStatus.declined)))
    unanswered, standing, declined, demands = Counter(), Counter(), set(), {}
    for assignment, demand in db.session.execute(ahead).all():
        demands[demand.id] = demand
        if assignment.status == AssignmentStatus.declined:
            declined.add(demand.id)
        else:
            standing[demand.id] += 1
            unanswered[demand.week_id] += assignment.status == AssignmentStatus.assigned
    empty = Counter()
    for demand_id in declined:
        demand = demands[demand_id]
        empty[demand.week_id] += max(demand.needed - standing[demand_id], 0)
    week_ids = sorted({w for w, n in unanswered.items() if n} | {w for w, n in empty.items() if n})
    weeks = db.session.scalars(select(RosterWeek).where(RosterWeek.id.in_(week_ids))
                               .order_by(RosterWeek.week, RosterWeek.community_id)).all() if week_ids else []
    return [WeekTodo(w, unanswered[w.id], empty[w.id]) for w in weeks]


# --- reminders (a job: no one acts) -----------------------------------------------------------


def send_todays_reminders() -> int:
    """The hourly job: reminders for today's duties in China's time."""
    return send_reminders(today_local())


def send_reminders(today: date) -> int:
    """Remind everyone serving tomorrow; safe to run often (each reminder is sent once)."""
    tomorrow = today + timedelta(days=1)
    rows = db.session.scalars(select(Assignment).join(Demand).where(
        Assignment.status.in_(ACTIVE), Demand.cancelled.is_(False),
        Demand.start >= datetime.combine(tomorrow, datetime.min.time()),
        Demand.start < datetime.combine(tomorrow + timedelta(days=1), datetime.min.time()))).all()
    sent = 0
    for assignment in rows:
        demand = assignment.demand
        sent += len(notify(users_of_volunteers([assignment.volunteer_id]), Note(
            "reminder", _l("Tomorrow %(time)s: %(duty)s", time=f"{demand.start:%H:%M}", duty=demand.title),
            f"{demand.start:%m-%d %H:%M}-{demand.end:%H:%M} {demand.title}", "/my/week"),
            dedupe=f"reminder:{assignment.id}"))
    return sent
