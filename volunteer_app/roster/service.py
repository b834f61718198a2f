"""The weekly cycle: generate shifts, plan in the background, review, publish,
answer, and repair after a decline, keeping everyone else's assignments."""
import time as clock
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from ..accounts.models import User
from ..accounts.scoping import current_scope
from ..clock import today_local
from ..errors import Conflict, DomainError, InvalidInput, NotFound
from ..events import duty_served, duty_unserved, week_published
from ..extensions import db
from ..holidays.service import day_statuses
from ..models_base import utcnow
from ..notifications.service import Note, coordinators_of, notify, users_of_volunteers
from ..people.models import ServiceLog
from ..people.service import skills_by_code
from ..places.models import Community, Station
from ..accounts import policy
from ..accounts.policy import Actor
from ..resources import ResourceService, check_version
from ..validation import parse_week
from .labels import roster_label
from .models import (
    BARRING, Assignment, AssignmentStatus, Demand, DemandKind, DraftAssignment, HolidayRule, JobStatus, PairRule,
    PairRuleKind, PlanJob, RosterVersion, RosterWeek, ShiftTemplate, WeekStatus,
)
from .problem import build_problem, live_pairs, parse_key, request_pairs, solution_pairs, volunteer_key, week_bounds
from .reasons import Names, as_data, skill_names, words

ACTIVE = (AssignmentStatus.assigned, AssignmentStatus.confirmed)

END_AFTER_START = _l("The end must be after the start.")

#: Notes the app writes on the versions it publishes itself (a coordinator's note is their own text).
VERSION_NOTES = {"repair": _l("Re-planned automatically after a decline"), "swap_approved": _l("Swap approved")}


# --- weeks and their shifts ---------------------------------------------------------


def week_for(community_id: int, week: str, create: bool = True) -> RosterWeek:
    """The community's week, created with shifts from its templates on first use."""
    community = db.session.get(Community, community_id)
    if community is None or not current_scope().allows(community.id):
        raise NotFound(_l("Community %(id)s not found.", id=community_id))
    week = parse_week(week)
    row = db.session.scalar(select(RosterWeek).where(RosterWeek.community_id == community_id, RosterWeek.week == week))
    if row is None:
        if not create:
            raise NotFound(_l("No roster for %(week)s.", week=week))
        row = RosterWeek(community_id=community_id, week=week)
        db.session.add(row)
        db.session.flush()
        generate_shifts(row)
    return row


def get_week(week_id: int) -> RosterWeek:
    week = db.session.get(RosterWeek, week_id)
    if week is None or not current_scope().allows(week.community_id):
        raise NotFound(_l("Roster week %(id)s not found.", id=week_id))
    return week


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


# --- background planning --------------------------------------------------------------


def request_plan(week: RosterWeek, user: User | None, purpose: str = "plan") -> PlanJob:
    running = db.session.scalar(select(PlanJob).where(
        PlanJob.week_id == week.id, PlanJob.status.in_([JobStatus.queued, JobStatus.running])))
    if running is not None and not job_is_stale(running):
        raise Conflict(_l("A plan for %(week)s is already running.", week=week.week),
                       {"week": [_l("A plan for this week is already running.")]}, code="plan_running",
                       job_id=running.id)
    job = PlanJob(week_id=week.id, purpose=purpose, requested_by_id=user.id if user else None)
    db.session.add(job)
    db.session.flush()
    return job


def get_job(job_id: int) -> PlanJob:
    job = db.session.get(PlanJob, job_id)
    if job is None or not current_scope().allows(job.week.community_id):
        raise NotFound(_l("Plan job %(id)s not found.", id=job_id))
    return job


def job_is_stale(job: PlanJob) -> bool:
    """A job whose worker died never finishes; after its time limit plus a margin we say so."""
    limit = current_app.config["ROSTER_TIME_LIMIT_S"] + current_app.config["ROSTER_JOB_GRACE_S"]
    created = job.created_at if job.created_at.tzinfo else job.created_at.replace(tzinfo=utcnow().tzinfo)
    return job.status in (JobStatus.queued, JobStatus.running) and (utcnow() - created).total_seconds() > limit


def refresh_job(job: PlanJob) -> PlanJob:
    if job_is_stale(job):
        job.status, job.finished_at = JobStatus.failed, utcnow()
        _record_failure(job, "worker lost: no result within the time limit", "worker_lost")
        db.session.flush()
    return job


def _record_failure(job: PlanJob, text: str, code: str, **params) -> None:
    """Why the job failed: English ``error`` for logs and programs, code and params (``reasons.WORDS``) for pages."""
    job.error = text
    job.summary = {"failure": {"code": code, "params": params}}


def failure_of(job: PlanJob) -> dict | None:
    """The stored ``{"code", "params"}`` of a failed job; jobs failed before codes were kept have none."""
    return (job.summary or {}).get("failure")


PLAN_JOB = "roster.plan"  # the job queue's name for run_plan_job


def run_plan_job(job_id: int) -> None:
    """Solve one week (called by the job queue inside an app context).

    Either the whole new draft is written with the job's success, or the job
    is marked failed with the reason and the previous draft stays untouched.
    """
    from solver import repair_dict, solve_dict

    job = db.session.get(PlanJob, job_id)
    if job is None or job.status != JobStatus.queued:
        return
    job.status, job.stage = JobStatus.running, "building"
    db.session.commit()
    engine, started = db.engine, clock.monotonic()

    def progress(stage: str, best_coverage: int | None, elapsed_s: float) -> None:
        # Own connection: the solver may call from its thread, and the job's
        # transaction must not commit half a roster.
        with engine.begin() as connection:
            connection.execute(update(PlanJob).where(PlanJob.id == job_id).values(
                stage=stage[:32], best_coverage=best_coverage, elapsed_s=round(clock.monotonic() - started, 2)))

    try:
        week = job.week
        if job.purpose == "resolve":
            previous = draft_pairs(week)
        else:
            previous = live_pairs(week)
        document, warnings = build_problem(week, previous)
        # A repair after a decline moves as few people as it can; a plan or re-solve optimises freely.
        solve = repair_dict if job.purpose == "repair" else solve_dict
        solution = solve(document, time_limit_s=current_app.config["ROSTER_TIME_LIMIT_S"],
                         workers=current_app.config["ROSTER_SOLVER_WORKERS"], progress=progress, reason_codes=True)
        if solution["status"] == "INFEASIBLE":
            first = []  # each demand's first reason, once: demands that share a clash share its reason
            for u in solution["unfilled"]:
                if u["reasons"] and (u["reasons"][0], u["reason_codes"][0]) not in first:
                    first.append((u["reasons"][0], u["reason_codes"][0]))
            raise InvalidInput(_l("The pinned assignments cannot all hold together: %(reasons)s",
                                  reasons="; ".join(text for text, _ in first)),
                               code="pins_clash", reasons=[code for _, code in first])
        pairs = solution_pairs(solution)
        week.draft_requests = {str(r): v for r, v in request_pairs(solution).items()}
        if job.purpose == "repair":
            publish_pairs(week, pairs, None, note="repair")
        else:
            set_draft(week, pairs)
        record_outcome(week, solution, warnings)
        job = db.session.get(PlanJob, job_id)
        job.status, job.stage, job.finished_at = JobStatus.succeeded, "done", utcnow()
        job.best_coverage = solution["scores"]["coverage"]
        job.elapsed_s = round(clock.monotonic() - started, 2)
        job.summary = {"status": solution["status"], "scores": solution["scores"], "bound": solution["bound"],
                       "unfilled": len(solution["unfilled"]), "assignments": len(pairs),
                       "warnings": [w.text for w in warnings], "warning_codes": [as_data(w) for w in warnings],
                       "solve_seconds": solution["solve_seconds"]}
        db.session.commit()
    except Exception as exc:  # any failure: the job says why, the data is as before
        db.session.rollback()
        job = db.session.get(PlanJob, job_id)
        job.status, job.finished_at = JobStatus.failed, utcnow()
        with force_locale("en"):  # the stored error is English: for logs and programs
            if isinstance(exc, DomainError) and exc.code == "pins_clash":
                _record_failure(job, str(exc.message), exc.code, reasons=exc.extra["reasons"])
            else:  # unforeseen: as raised, for whoever fixes it
                detail = str(getattr(exc, "message", None) or f"{exc.__class__.__name__}: {exc}")
                _record_failure(job, detail, "error", detail=detail)
        job.elapsed_s = round(clock.monotonic() - started, 2)
        db.session.commit()
        current_app.logger.warning("plan job %s failed: %s", job_id, job.error)


def barred_pairs(week: RosterWeek) -> set[tuple[int, int]]:
    """(demand, volunteer) pairs banned by the coordinator or declined by the volunteer."""
    return set(db.session.execute(select(PairRule.demand_id, PairRule.volunteer_id).where(
        PairRule.week_id == week.id, PairRule.kind.in_(BARRING))).all())


def set_draft(week: RosterWeek, pairs: set[tuple[int, int]]) -> None:
    """The draft becomes ``pairs``, less every barred pair: the one gate every solve, edit and publish passes."""
    pairs = set(pairs) - barred_pairs(week)
    db.session.execute(delete(DraftAssignment).where(DraftAssignment.week_id == week.id))
    db.session.add_all(DraftAssignment(week_id=week.id, demand_id=d, volunteer_id=v) for d, v in sorted(pairs))
    db.session.flush()


def record_outcome(week: RosterWeek, solution: dict, warnings: list) -> None:
    """What the last solve could not fill, and why, shown beside the draft: the reasons and the
    dropped pins (``warnings``) as English text for programs, and as codes for the page to word."""
    week.draft_unfilled = [{"demand_id": parse_key(u["demand"]), "missing": u["missing"], "reasons": u["reasons"],
                            "reason_codes": u["reason_codes"]} for u in solution["unfilled"]]
    week.draft_scores = {**solution["scores"], "status": solution["status"],
                         "bound_coverage": solution["bound"]["coverage"], "warnings": [w.text for w in warnings],
                         "warning_codes": [as_data(w) for w in warnings]}
    db.session.flush()


def draft_pairs(week: RosterWeek) -> set[tuple[int, int]]:
    return set(db.session.execute(select(DraftAssignment.demand_id, DraftAssignment.volunteer_id)
                                  .where(DraftAssignment.week_id == week.id)).all())


@dataclass(frozen=True)
class DraftSummary:
    """The draft in the figures a coordinator reads: places, what is missing, the spread of work."""

    places: int
    filled: int
    people: int  # volunteers with at least one duty
    most: int  # duties of the busiest volunteer
    fewest: int  # duties of the least busy volunteer who has any
    changes_to_publish: int

    @property
    def missing(self) -> int:
        return self.places - self.filled


def draft_summary(week: RosterWeek) -> DraftSummary:
    drafted = draft_pairs(week)
    per_demand = Counter(d for d, _ in drafted)
    per_volunteer = Counter(v for _, v in drafted)
    open_demands = [d for d in week.demands if not d.cancelled]
    return DraftSummary(
        places=sum(d.needed for d in open_demands), filled=sum(min(per_demand[d.id], d.needed) for d in open_demands),
        people=len(per_volunteer), most=max(per_volunteer.values(), default=0),
        fewest=min(per_volunteer.values(), default=0), changes_to_publish=len(drafted ^ live_pairs(week)))



# --- hand edits on the draft ------------------------------------------------------------


def _demand_in(week: RosterWeek, demand_id: int) -> Demand:
    demand = db.session.get(Demand, demand_id)
    if demand is None or demand.week_id != week.id:
        raise InvalidInput(_l("Unknown duty."), {"demand_id": [_l("Not a duty of this week.")]}, code="unknown_demand")
    return demand


def _volunteer_in(week: RosterWeek, volunteer_id: int):
    from ..people.models import Volunteer

    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None or volunteer.community_id != week.community_id:
        raise InvalidInput(_l("Unknown volunteer."), {"volunteer_id": [_l("Not a volunteer of this community.")]},
                           code="unknown_volunteer")
    return volunteer


def set_rule(week: RosterWeek, demand_id: int, volunteer_id: int, kind: PairRuleKind | None, reason: str = "") -> None:
    """Pin, forbid, or (``kind=None``) clear a pair; the draft follows at once."""
    _demand_in(week, demand_id)
    _volunteer_in(week, volunteer_id)
    rule = _rule(demand_id, volunteer_id)
    if rule is not None and rule.kind == PairRuleKind.declined:
        raise Conflict(_l("The volunteer declined this duty."), {"volunteer_id": [
            _l("Declined this duty; re-ask them if they should be asked again.")]}, code="declined")
    if kind is None:
        if rule is not None:
            db.session.delete(rule)
        db.session.flush()
        return
    if kind == PairRuleKind.pinned:
        _check_pin(week, demand_id, volunteer_id)
    rule = rule or PairRule(week_id=week.id, demand_id=demand_id, volunteer_id=volunteer_id)
    rule.kind, rule.reason = kind, reason
    db.session.add(rule)
    pairs = draft_pairs(week)
    pairs = pairs | {(demand_id, volunteer_id)} if kind == PairRuleKind.pinned else pairs - {(demand_id, volunteer_id)}
    set_draft(week, pairs)


def _rule(demand_id: int, volunteer_id: int) -> PairRule | None:
    return db.session.scalar(select(PairRule).where(PairRule.demand_id == demand_id,
                                                    PairRule.volunteer_id == volunteer_id))


def reask(week: RosterWeek, demand_id: int, volunteer_id: int, actor: User) -> PairRule:
    """The coordinator asks a volunteer who declined once more: the decline becomes a pin (both on the
    audit log, with who did it), the draft gets the pair, and the next publish asks them to confirm again."""
    _demand_in(week, demand_id)
    _volunteer_in(week, volunteer_id)
    rule = _rule(demand_id, volunteer_id)
    if rule is None or rule.kind != PairRuleKind.declined:
        raise InvalidInput(_l("Nothing to re-ask."), {"volunteer_id": [_l("Has not declined this duty.")]},
                           code="not_declined")
    _check_pin(week, demand_id, volunteer_id)
    db.session.delete(rule)
    db.session.flush()
    pin = PairRule(week_id=week.id, demand_id=demand_id, volunteer_id=volunteer_id, kind=PairRuleKind.pinned,
                   reason=f"re-asked by {actor.username}")
    db.session.add(pin)
    db.session.flush()
    set_draft(week, draft_pairs(week) | {(demand_id, volunteer_id)})
    return pin


def _check_pin(week: RosterWeek, demand_id: int, volunteer_id: int) -> None:
    """A pin must obey skills, availability, reach and load on its own (as the spec demands)."""
    from .problem import demand_key, valid_pins

    document, _ = build_problem(week)
    if volunteer_key(volunteer_id) not in {v["id"] for v in document["volunteers"]}:
        broken = [{"code": "unplannable"}]
    else:
        _, dropped = valid_pins(document, [(demand_key(demand_id), volunteer_key(volunteer_id))])
        broken = dropped[0].params["broken"] if dropped else []
    if broken:
        volunteer = _volunteer_in(week, volunteer_id)
        names = Names(volunteers={volunteer.id: volunteer.name}, skills=skill_names())
        raise InvalidInput(_l("%(name)s cannot be pinned to this duty.", name=volunteer.name),
                           {"volunteer_id": [words(b, names) for b in broken]}, code="pin_refused")


def move(week: RosterWeek, demand_id: int, from_volunteer_id: int, to_volunteer_id: int) -> None:
    """Give a drafted place to someone else: ban the first, pin the second."""
    if (demand_id, from_volunteer_id) not in draft_pairs(week):
        raise InvalidInput(_l("Not in the draft."), {"from_volunteer_id": [_l("Is not drafted on this duty.")]},
                           code="not_drafted")
    set_rule(week, demand_id, to_volunteer_id, PairRuleKind.pinned, "moved by coordinator")
    set_rule(week, demand_id, from_volunteer_id, PairRuleKind.forbidden, "moved by coordinator")


# --- publishing ---------------------------------------------------------------------------


def publish(week: RosterWeek, expected_version: int, user: User | None, note: str = "") -> RosterVersion:
    """Make the draft the live roster at once; the requests its solve planned go with it
    (``week_published``); a stale ``expected_version`` answers 409."""
    check_version(week, expected_version)
    version = publish_pairs(week, draft_pairs(week), user, note)
    week_published.send(week, planned_requests={int(r): v for r, v in (week.draft_requests or {}).items()},
                        actor=user)
    week.draft_requests = {}
    return version


def publish_pairs(week: RosterWeek, pairs: set[tuple[int, int]], user: User | None, note: str) -> RosterVersion:
    """One transaction: live assignments follow ``pairs``, a new numbered version records the change.

    Bumping the week's version makes a concurrent publish of the same week
    fail its UPDATE (409) instead of producing two current versions.
    """
    pairs = set(pairs) - barred_pairs(week)
    live = {(a.demand_id, a.volunteer_id): a for a in db.session.scalars(
        select(Assignment).where(Assignment.week_id == week.id))}
    standing = {pair for pair, a in live.items() if a.status in ACTIVE}
    newly_assigned, taken_off = pairs - standing, standing - pairs
    for pair in taken_off:
        live[pair].status = AssignmentStatus.removed
    for demand_id, volunteer_id in newly_assigned:
        row = live.get((demand_id, volunteer_id)) or Assignment(week_id=week.id, demand_id=demand_id,
                                                                 volunteer_id=volunteer_id)
        row.status, row.reason, row.answered_at = AssignmentStatus.assigned, "", None
        db.session.add(row)
    last = db.session.scalar(select(RosterVersion).where(RosterVersion.week_id == week.id)
                             .order_by(RosterVersion.number.desc()).limit(1))
    before = {tuple(p) for p in last.assignments} if last else set()
    week.published_version += 1
    week.status = WeekStatus.published
    week.updated_at = utcnow()
    version = RosterVersion(week_id=week.id, number=week.published_version, published_by_id=user.id if user else None,
                            note=note, assignments=sorted(map(list, pairs)), added=sorted(map(list, pairs - before)),
                            removed=sorted(map(list, before - pairs)))
    db.session.add(version)
    # The draft follows the same change, keeping the coordinator's unpublished edits.
    set_draft(week, (draft_pairs(week) - taken_off) | newly_assigned)
    _notify_changes(week, newly_assigned, taken_off)
    return version


def _notify_changes(week: RosterWeek, added, removed) -> None:
    link = f"/my/week/{week.week}"
    for volunteer_id in {v for _, v in added}:
        notify(users_of_volunteers([volunteer_id]), Note("assigned", f"{week.week} 新的值守安排 / new duty",
                                                         "请确认或说明不能参加 / please confirm or decline", link))
    for volunteer_id in {v for _, v in removed} - {v for _, v in added}:
        notify(users_of_volunteers([volunteer_id]), Note("changed", f"{week.week} 安排有变动 / roster changed",
                                                         "您的部分安排已取消 / some of your duties were removed", link))


# --- volunteers' answers -----------------------------------------------------------------


def my_assignments(volunteer_id: int, week: str | None = None):
    statement = select(Assignment).join(Demand).where(Assignment.volunteer_id == volunteer_id,
                                                     Assignment.status != AssignmentStatus.removed)
    if week:
        monday, sunday = week_bounds(parse_week(week))
        statement = statement.where(Demand.start >= datetime.combine(monday, datetime.min.time()),
                                    Demand.start < datetime.combine(sunday + timedelta(days=1), datetime.min.time()))
    return db.session.scalars(statement.order_by(Demand.start)).all()


def awaiting_answer(volunteer_id: int, now: datetime) -> list[Assignment]:
    """Duties not yet started that wait for this volunteer's answer, whatever their week, soonest first."""
    return db.session.scalars(select(Assignment).join(Demand).where(
        Assignment.volunteer_id == volunteer_id, Assignment.status == AssignmentStatus.assigned,
        Demand.cancelled.is_(False), Demand.start >= now).order_by(Demand.start)).all()


@dataclass(frozen=True)
class WeekTodo:
    """What a published week still needs from its coordinator."""

    week: RosterWeek
    unanswered: int  # duties still waiting for the volunteer's answer
    declines_to_cover: int  # places a decline left empty that no one has taken since


def weeks_needing_attention(now: datetime) -> list[WeekTodo]:
    """Published weeks in the caller's scope with duties ahead that are unanswered or left empty by a decline."""
    ahead = select(Assignment, Demand).join(Demand).join(RosterWeek, RosterWeek.id == Assignment.week_id).where(
        current_scope().clause(RosterWeek), Demand.cancelled.is_(False), Demand.start >= now,
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


def own_assignment(user: User, assignment_id: int) -> Assignment:
    """Volunteers see and answer only their own assignments (others: 404)."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or user.volunteer_id is None or assignment.volunteer_id != user.volunteer_id:
        raise NotFound(_l("Assignment %(id)s not found.", id=assignment_id))
    return assignment


def answer(user: User, assignment_id: int, expected_version: int, confirm: bool, reason: str = "") -> PlanJob | None:
    """Confirm, or decline with a reason; a decline starts a repair of the week."""
    assignment = own_assignment(user, assignment_id)
    check_version(assignment, expected_version)
    if assignment.status not in ACTIVE:
        raise Conflict(_l("This duty is %(state)s; it can no longer be answered.",
                          state=roster_label("assignment", assignment.status)),
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
    rule = _rule(assignment.demand_id, assignment.volunteer_id)
    rule = rule or PairRule(week_id=week.id, demand_id=assignment.demand_id, volunteer_id=assignment.volunteer_id)
    rule.kind, rule.reason = PairRuleKind.declined, assignment.reason
    db.session.add(rule)
    db.session.flush()
    set_draft(week, draft_pairs(week))  # the decliner leaves the draft at once, not at the next solve
    demand = assignment.demand
    notify(coordinators_of(week.community_id), Note(
        "declined", f"{assignment.volunteer.name} 不能参加 {demand.title} / declined",
        f"{demand.start:%m-%d %H:%M} {demand.title}: {assignment.reason}", f"/roster/weeks/{week.id}"))
    db.session.flush()
    return request_plan(week, None, purpose="repair")


def mark_served(assignment_id: int, served: bool, today: date) -> Assignment:
    """考勤: record (or take back) that a duty was done: service hours and points, exactly once."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not current_scope().allows(db.session.get(RosterWeek, assignment.week_id).community_id):
        raise NotFound(_l("Assignment %(id)s not found.", id=assignment_id))
    demand = assignment.demand
    if served == (assignment.served_at is not None):
        return assignment  # already so: marking twice changes nothing
    if served:
        if assignment.status not in ACTIVE:
            raise Conflict(_l("This duty is %(state)s; it cannot be marked as served.",
                              state=roster_label("assignment", assignment.status)),
                           {"served": [assignment.status.value]}, code="not_servable")
        if demand.start.date() > today:
            starts = _l("Not yet: the duty starts %(start)s.", start=demand.start.strftime("%Y-%m-%d %H:%M"))
            raise InvalidInput(starts, {"served": [starts]}, code="not_started")
        assignment.served_at = utcnow()
        db.session.add(ServiceLog(volunteer_id=assignment.volunteer_id, served_on=demand.start.date(),
                                  minutes=int((demand.end - demand.start).total_seconds() // 60),
                                  description=demand.title[:128], assignment_id=assignment.id))
        db.session.flush()
        duty_served.send(assignment)
    else:
        duty_unserved.send(assignment)
        assignment.served_at = None
        db.session.execute(delete(ServiceLog).where(ServiceLog.assignment_id == assignment.id))
    db.session.flush()
    return assignment


def versions(week: RosterWeek) -> list[RosterVersion]:
    return db.session.scalars(select(RosterVersion).where(RosterVersion.week_id == week.id)
                              .order_by(RosterVersion.number.desc())).all()


# --- templates and single demands (the registry part) ---------------------------------------


class TemplateService(ResourceService):
    model, what = ShiftTemplate, "shift template"

    def filtered(self, actor: Actor, args):
        statement = super().filtered(actor, args)
        for key in ("community_id", "station_id"):
            if args.get(key):
                statement = statement.where(getattr(ShiftTemplate, key) == args[key])
        return statement

    def build(self, actor: Actor, data: dict) -> ShiftTemplate:
        return self.change(actor, ShiftTemplate(), data)

    def change(self, actor: Actor, template: ShiftTemplate, data: dict) -> ShiftTemplate:
        if "station_id" in data:
            station = policy.parent(actor, Station, data["station_id"], "station_id")
            data["community_id"] = station.community_id
        if "skills" in data:
            data["skills"] = [s.code for s in skills_by_code(data["skills"])]
        for key, value in data.items():
            setattr(template, key, value)
        if template.end <= template.start:
            raise InvalidInput(END_AFTER_START, {"end": [END_AFTER_START]}, code="end_before_start")
        db.session.add(template)
        db.session.flush()
        return template


class DemandService(ResourceService):
    """A week's shifts and tasks, edited one by one; scoped through their week."""

    model, what = Demand, "demand"
    order_by = (Demand.start, Demand.id)

    def query(self, actor: Actor):
        return select(Demand).join(RosterWeek).where(policy.where(actor, self.read_action, RosterWeek))

    def visible(self, actor: Actor, obj) -> bool:
        return policy.may(actor, self.read_action, obj.week)

    def require_writer(self, actor: Actor, obj=None) -> None:
        policy.require(actor, self.write_action, obj.week if obj is not None else None)

    def filtered(self, actor: Actor, args):
        statement = super().filtered(actor, args)
        if args.get("week_id"):
            statement = statement.where(Demand.week_id == args["week_id"])
        return statement

    def build(self, actor: Actor, data: dict) -> Demand:
        week = policy.parent(actor, RosterWeek, data.pop("week_id"), "week_id")
        return self.change(actor, Demand(week_id=week.id, week=week), data)

    def change(self, actor: Actor, demand: Demand, data: dict) -> Demand:
        week = demand.week
        if data.get("station_id") is not None:
            station = policy.parent(actor, Station, data["station_id"], "station_id")
            if station.community_id != week.community_id:
                raise InvalidInput(_l("This station is in another community."),
                                   {"station_id": [_l("Not a station of this community.")]}, code="station_elsewhere")
            data.setdefault("lat", station.lat)
            data.setdefault("lon", station.lon)
        if "skills" in data:
            data["skills"] = [s.code for s in skills_by_code(data["skills"])]
        for key, value in data.items():
            setattr(demand, key, value)
        monday, sunday = week_bounds(week.week)
        if demand.lat is None or demand.lon is None:
            raise InvalidInput(_l("Where does it happen?"), {"station_id": [_l("Give a station or a position.")]},
                               code="no_place")
        if not (monday <= demand.start.date() <= sunday):
            outside = _l("The duty must fall in %(week)s.", week=week.week)
            raise InvalidInput(outside, {"start": [outside]}, code="outside_week")
        if demand.end <= demand.start:
            raise InvalidInput(END_AFTER_START, {"end": [END_AFTER_START]}, code="end_before_start")
        db.session.add(demand)
        db.session.flush()
        return demand


templates = TemplateService()
demands = DemandService()


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
            "reminder", f"明天 {demand.start:%H:%M} {demand.title} / reminder",
            f"{demand.start:%m-%d %H:%M}-{demand.end:%H:%M} {demand.title}", "/my/week"),
            dedupe=f"reminder:{assignment.id}"))
    return sent
