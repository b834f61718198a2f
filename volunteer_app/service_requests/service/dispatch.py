"""Dispatch: who does a request, and when.

A request is a task demand of its week's roster problem (id ``r<request id>``): the solver
ranks the volunteers who could take it, urgent work goes at once to the best-ranked, and
timed work can be planned with the week's roster.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from solver import constraints, distance_m, suggest
from solver.model import Demand, Location, Problem, format_minute, problem_from_dict
from solver.model import Volunteer as SolverVolunteer

from ...accounts import policy
from ...accounts.policy import Actor
from ...errors import Conflict, InvalidInput
from ...extensions import db
from ...notifications.service import Note, coordinators_of, notify
from ...people.availability import away_during
from ...people.models import Volunteer, VolunteerStatus
from ...places.models import Building, Community
from ...roster.models import RosterWeek
from ...roster.problem import build_problem, live_pairs, parse_key, volunteer_key, week_bounds
from ...validation import parse_week
from ..models import ServiceLocation, ServiceRequest
from .common import MINUTE, iso_week, lock_row, now
from .requests import LISTED, S, _first_window_start, _record, _tell


def request_key(request_id: int) -> str:
    """The demand id of a request in a roster problem ("r12"; roster demands are "d12")."""
    return f"r{request_id}"


def _location(request: ServiceRequest) -> dict:
    service_type = request.service_type
    if service_type.location == ServiceLocation.station and service_type.station is not None:
        place = service_type.station
    else:
        place = db.session.get(Building, request.building_id)
    return {"lat": place.lat, "lon": place.lon}


def demand_doc(request: ServiceRequest, start: datetime, end: datetime) -> dict:
    """The request as a roster-problem/1 task demand."""
    return {"id": request_key(request.id), "kind": "task", "start": start.strftime(MINUTE),
            "end": end.strftime(MINUTE), "location": _location(request),
            "required_skills": sorted(request.service_type.skills or []), "count": 1, "priority": request.priority}


def _planned_window(request: ServiceRequest, at: datetime) -> tuple[datetime, datetime]:
    """Urgent (or untimed) work starts now; timed work at the first preferred window still ahead."""
    duration = timedelta(minutes=request.service_type.duration_min)
    start = (None if request.urgent else _first_window_start(request, at)) or at
    start = start.replace(second=0, microsecond=0)
    return start, start + duration


def week_span(week: str) -> tuple[datetime, datetime]:
    """Monday 00:00 of an ISO week and the Monday after (422 for a week that is not one)."""
    monday, _ = week_bounds(parse_week(week))
    first = datetime.combine(monday, datetime.min.time())
    return first, first + timedelta(days=7)


def _week_requests(community_id: int, week: str, states) -> list[ServiceRequest]:
    first, after = week_span(week)
    rows = db.session.scalars(select(ServiceRequest).where(
        ServiceRequest.community_id == community_id, ServiceRequest.state.in_(states)).order_by(ServiceRequest.id)).all()
    chosen = []
    for request in rows:
        start = request.scheduled_start if request.state != S.accepted else _first_window_start(request, first)
        if start is not None and first <= start < after:
            chosen.append(request)
    return chosen


def _task_window(request: ServiceRequest, week: str) -> tuple[datetime, datetime]:
    if request.state != S.accepted and request.scheduled_start is not None:
        return request.scheduled_start, request.scheduled_end
    start = _first_window_start(request, week_span(week)[0])
    return start, start + timedelta(minutes=request.service_type.duration_min)


def tasks_for_week(community_id: int, week: str) -> list[dict]:
    """Task demands (roster-problem/1, ids "r<request id>") for a community's ISO week.

    Accepted requests waiting for a volunteer appear at their first preferred
    window in the week (as long as the service takes); dispatched and
    in-progress ones at their scheduled time; pin those with
    ``task_pairs_for_week`` so a re-plan keeps them.
    """
    rows = _week_requests(community_id, week, (S.accepted, S.dispatched, S.in_progress))
    return [demand_doc(r, *_task_window(r, week)) for r in rows]


def task_pairs_for_week(community_id: int, week: str) -> list[dict]:
    """``{"demand": "r12", "volunteer": "v3"}`` for requests of the week already given to someone."""
    rows = _week_requests(community_id, week, (S.dispatched, S.in_progress))
    return [{"demand": request_key(r.id), "volunteer": volunteer_key(r.volunteer_id)} for r in rows if r.volunteer_id]


def week_tasks(actor: Actor, community_id: int, week: str) -> dict:
    """A community's week of requests as a roster sees it: its tasks and who already has them (for planning)."""
    policy.require(actor, "service_requests.manage")
    policy.parent(actor, Community, community_id, "community_id", "service_requests.manage")
    return {"demands": tasks_for_week(community_id, week), "pinned": task_pairs_for_week(community_id, week)}


def _request_problem(request: ServiceRequest, start: datetime, end: datetime) -> Problem:
    """The week's roster problem with this request as a task at ``start``–``end``: the live roster and
    the week's dispatched requests are everyone's current load."""
    label = iso_week(start)
    week = db.session.scalar(select(RosterWeek).where(RosterWeek.community_id == request.community_id,
                                                      RosterWeek.week == label))
    if week is None:  # no roster yet that week: an empty, unsaved one gives the volunteers alone
        week = RosterWeek(community_id=request.community_id, week=label)
    document, _ = build_problem(week, live_pairs(week) if week.id else set())
    # The week's problem plans requests at their first window; here they sit at their own times.
    document["demands"] = [d for d in document["demands"] if not d["id"].startswith("r")]
    for key in ("pinned", "forbidden", "previous"):
        document[key] = [p for p in document[key] if not p["demand"].startswith("r")]
    planned = {v["id"] for v in document["volunteers"]}
    others = [r for r in _week_requests(request.community_id, label, (S.dispatched, S.in_progress))
              if r.id != request.id and r.volunteer_id]
    document["demands"] += [demand_doc(r, r.scheduled_start, r.scheduled_end) for r in others]
    document["demands"].append(demand_doc(request, start, end))
    document["previous"] += [{"demand": request_key(r.id), "volunteer": volunteer_key(r.volunteer_id)}
                             for r in others if volunteer_key(r.volunteer_id) in planned]
    return problem_from_dict(document)


def rank_volunteers(request: ServiceRequest, start: datetime, end: datetime, k: int) -> list:
    """Who could do it at that time, nearest first: ``solver.suggest`` over the week's problem."""
    return suggest(_request_problem(request, start, end), request_key(request.id), k)


def candidates(actor: Actor, request: ServiceRequest, k: int = 10) -> list[dict]:
    """The ``k`` best-ranked volunteers for the request at its planned time (staff choosing whom to send)."""
    policy.require(actor, "service_requests.manage", request)
    start, end = _planned_window(request, now())
    ranked = rank_volunteers(request, start, end, k)
    names = dict(db.session.execute(select(Volunteer.id, Volunteer.name).where(
        Volunteer.id.in_([parse_key(s.volunteer) for s in ranked]))).all())
    return [{"volunteer_id": parse_key(s.volunteer), "name": names[parse_key(s.volunteer)], "distance_m": s.distance_m,
             "load_minutes": s.load_minutes, "free_minutes": s.free_minutes, "reasons": list(s.reasons)} for s in ranked]


@dataclass(frozen=True)
class DispatchOption:
    """One volunteer of the community for a request: whether they can take it now, and why (not).

    ``reasons`` are ``(code, details)`` pairs: for a suitable volunteer what ranks them
    (``unwanted``: they would rather not serve then); for the others what stands in the way —
    ``paused``, ``on_leave``, ``not_available``, ``lacks_skills`` (skills), ``too_far`` (limit_m),
    ``busy`` (start, end of what they already do then), ``over_hours`` (free_minutes, needed_minutes).
    """

    volunteer: Volunteer
    suitable: bool
    distance_m: int
    load_minutes: int  # served before this week plus planned in it
    free_minutes: int | None  # left under their weekly hours before this request
    reasons: tuple[tuple[str, dict], ...]


def _moment(minute: int) -> datetime:
    return datetime.strptime(format_minute(minute), MINUTE)


def _obstacles(problem: Problem, planned: SolverVolunteer, demand: Demand, theirs: list[Demand],
               free: int | None) -> list:
    """What stops this volunteer taking ``demand`` on top of ``theirs``, by the solver's own rules."""
    found = []
    for broken in constraints.pair_rules(problem, planned, demand):
        if broken.rule == 1:
            found.append(("lacks_skills", {"skills": sorted(demand.required_skills - planned.skills)}))
        elif broken.rule == 2:
            found.append(("not_available", {}))
        else:
            found.append(("too_far", {"limit_m": problem.reach_m(planned)}))
    clashes = [d for d in theirs if not constraints.no_overlap(problem, d, demand)]
    if clashes:
        found.append(("busy", {"start": _moment(clashes[0].start), "end": _moment(clashes[0].end)}))
    if constraints.load_violations(planned, [*theirs, demand]):
        found.append(("over_hours", {"free_minutes": max(free or 0, 0), "needed_minutes": demand.minutes}))
    return found


def dispatch_options(actor: Actor, request: ServiceRequest) -> list[DispatchOption]:
    """Every volunteer of the request's community (those who left aside), best first.

    The suitable ones come first in ``solver.suggest``'s order (nearest, then least
    loaded); then the others, fewest obstacles first, then nearest, each with what
    stops them, checked with the solver's rules against the week's live plan.
    """
    policy.require(actor, "service_requests.manage", request)
    start, end = _planned_window(request, now())
    problem = _request_problem(request, start, end)
    demand = problem.demand_by_id[request_key(request.id)]
    ranked = suggest(problem, demand.id, len(problem.volunteers))
    plans: dict[str, list[Demand]] = {}
    for pair in dict.fromkeys(problem.pinned + problem.previous):
        if pair.demand != demand.id:
            plans.setdefault(pair.volunteer, []).append(problem.demand_by_id[pair.demand])
    volunteers = db.session.scalars(select(Volunteer).where(
        Volunteer.community_id == request.community_id, Volunteer.status != VolunteerStatus.left)).all()
    by_key = {volunteer_key(v.id): v for v in volunteers}
    options = [DispatchOption(by_key[s.volunteer], True, s.distance_m, s.load_minutes, s.free_minutes,
                              (("unwanted", {}),) if s.unwanted else ()) for s in ranked]
    chosen = {s.volunteer for s in ranked}
    others = []
    for key, volunteer in by_key.items():
        if key in chosen:
            continue
        planned = problem.volunteer_by_id.get(key) or SolverVolunteer(
            key, Location(volunteer.lat, volunteer.lon), (), frozenset(s.code for s in volunteer.skills),
            max_minutes=volunteer.max_hours_per_week * 60, max_distance_m=volunteer.max_distance_m)
        theirs = plans.get(key, [])
        used = sum(d.minutes for d in theirs)
        free = None if planned.max_minutes is None else planned.max_minutes - used
        reasons = _obstacles(problem, planned, demand, theirs, free)
        if volunteer.status == VolunteerStatus.paused or away_during(volunteer, start, end):
            reasons = [("paused" if volunteer.status == VolunteerStatus.paused else "on_leave", {}),
                       *[r for r in reasons if r[0] != "not_available"]]
        others.append(DispatchOption(volunteer, False, distance_m(planned.home, demand.location),
                                     planned.history_minutes + used, free, tuple(reasons)))
    others.sort(key=lambda o: (len(o.reasons), o.distance_m, o.volunteer.id))
    return options + others


def _dispatch(request: ServiceRequest, data: dict, at: datetime) -> dict:
    """Give the request to the named volunteer, or to the best-ranked one when none is named."""
    if data.get("start") is not None:
        start = data["start"]
        end = data.get("end") or start + timedelta(minutes=request.service_type.duration_min)
        if end <= at:
            over = _l("The planned time is already over.")
            raise InvalidInput(over, {"start": [over]}, code="planned_time_over")
    else:
        start, end = _planned_window(request, at)
    if data.get("volunteer_id") is not None:
        volunteer = db.session.get(Volunteer, data["volunteer_id"])
        if volunteer is None or volunteer.community_id != request.community_id:
            unknown = _l("Not a volunteer of this community.")
            raise InvalidInput(unknown, {"volunteer_id": [unknown]}, code="unknown_volunteer")
        ranked = False
    else:
        found = rank_volunteers(request, start, end, 1)
        if not found:
            nobody = _l("No volunteer with the skills is free and within reach: choose one, another time, "
                        "or hand it to a department.")
            raise Conflict(nobody, {"volunteer_id": [nobody]}, code="no_volunteer_available")
        volunteer, ranked = db.session.get(Volunteer, parse_key(found[0].volunteer)), True
    request.volunteer_id, request.volunteer = volunteer.id, volunteer
    request.scheduled_start, request.scheduled_end = start, end
    return {"volunteer_id": volunteer.id, "start": start.strftime(MINUTE), "end": end.strftime(MINUTE),
            "chosen_by": "ranking" if ranked else "coordinator"}


def _dispatch_at_once(request: ServiceRequest, actor: Actor) -> None:
    """Urgent work goes straight to the nearest able volunteer; if nobody can, the coordinators hear it."""
    at = now()
    try:
        details = _dispatch(request, {}, at)
    except Conflict:
        notify(coordinators_of(request.community_id), Note(
            "request", _l("Urgent request, no volunteer free: %(service)s #%(id)s", service=request.service_type.name,
                          id=request.id),
            _l("Choose a volunteer or hand it to a department."), f"/service-requests/{request.id}"))
        return
    _record(request, S.accepted, S.dispatched, actor, at, _l("Urgent: dispatched to the nearest free volunteer"),
            details)
    db.session.flush()
    _tell(request, S.accepted, S.dispatched)


def dispatch_planned(actor: Actor, assignments: dict[int, int]) -> int:
    """Dispatch accepted requests as a solved roster planned them (``{request_id: volunteer_id}``), for the
    actor who published it: the same right as dispatching each by hand."""
    done = 0
    for request_id, volunteer_id in sorted(assignments.items()):
        request = lock_row(ServiceRequest, request_id)
        if request is None or request.state != S.accepted:
            continue
        policy.require(actor, "service_requests.manage", request)
        start = _first_window_start(request, now())
        if start is None:
            continue
        end = start + timedelta(minutes=request.service_type.duration_min)
        request.volunteer_id, request.volunteer = volunteer_id, db.session.get(Volunteer, volunteer_id)
        request.scheduled_start, request.scheduled_end = start, end
        _record(request, S.accepted, S.dispatched, actor, now(), _l("Dispatched as the roster planned"),
                {"volunteer_id": volunteer_id, "start": start.strftime(MINUTE), "chosen_by": "roster"})
        db.session.flush()
        _tell(request, S.accepted, S.dispatched)
        done += 1
    return done


def my_requests(actor: Actor, week: str | None) -> list[ServiceRequest]:
    """A volunteer's dispatched work ("my week"), soonest first: the actor's own (anyone else's has none)."""
    if actor.volunteer_id is None:
        return []
    statement = select(ServiceRequest).options(*LISTED).where(
        ServiceRequest.volunteer_id == actor.volunteer_id,
        ServiceRequest.state.in_((S.dispatched, S.in_progress, S.resolved, S.rated)))
    if week:
        first, after = week_span(week)
        statement = statement.where(ServiceRequest.scheduled_start >= first, ServiceRequest.scheduled_start < after)
    return db.session.scalars(statement.order_by(ServiceRequest.scheduled_start, ServiceRequest.id)).all()
