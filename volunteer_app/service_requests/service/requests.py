"""Requests (工单): filing, the deadline of each step on the business clock, the history
row every change leaves, who hears of a change; the lists and queues."""
import hashlib
import json
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.exc import IntegrityError

from ...accounts import policy
from ...accounts.models import Role, User
from ...accounts.policy import Actor
from ...errors import Conflict, Forbidden, InvalidInput
from ...extensions import db
from ...notifications.service import Note, coordinators_of, notify, users_of_volunteers
from ...people.models import Resident, ServiceLog
from ...places.models import Building, Grid
from ...points import service as points
from ..deadlines import effective_limits
from ..models import RequestEvent, RequestState, ServiceLocation, ServiceRequest, ServiceType
from .common import MINUTE, is_priority, now, paying, price_for, resident_for, users_of_residents
from .menu import _opening_problem, clock_for, type_for
from ...labels import label


S = RequestState
OPEN_STATES = (S.submitted, S.accepted, S.dispatched, S.in_progress, S.escalated, S.resolved)
STEP_OF_STATE = {S.submitted: "accept", S.accepted: "dispatch", S.dispatched: "start", S.in_progress: "resolve",
                 S.resolved: "rate"}


def _digest(data: dict) -> str:
    """Fingerprint of a filing, to tell a retry from a different request under the same key."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def _by_key(user_id: int, key: str) -> ServiceRequest | None:
    return db.session.scalar(select(ServiceRequest).where(ServiceRequest.filed_by_id == user_id,
                                                          ServiceRequest.idempotency_key == key))


def _replay(existing: ServiceRequest, digest: str) -> tuple[ServiceRequest, bool]:
    if existing.payload_digest != digest:
        raise Conflict(_l("This key was already used for request No. %(id)s with other content: use a new key.",
                          id=existing.id),
                       {"Idempotency-Key": [_l("This form was already used for request No. %(id)s. "
                                               "Reload the form to file another.", id=existing.id)]},
                       code="idempotency_key_reused", existing={"id": existing.id})
    return existing, True


def _building_for(actor: Actor, building_id: int) -> Building:
    if actor.is_staff:
        return policy.parent(actor, Building, building_id, "building_id", "service_requests.file")
    building = db.session.get(Building, building_id)
    if building is None or building.community_id != actor.home_community:
        unknown = _l("Not a building of your community.")
        raise InvalidInput(unknown, {"building_id": [unknown]}, code="unknown_building")
    return building


def _check_windows(windows: list[dict], service_type: ServiceType) -> list[dict]:
    at, need = now(), timedelta(minutes=service_type.duration_min)
    for number, window in enumerate(windows, start=1):
        if window["start"] <= at:
            past = _l("Time %(n)s starts in the past.", n=number)
            raise InvalidInput(past, {"preferred_windows": [past]}, code="window_in_past")
        if window["end"] - window["start"] < need:
            short = _l("Time %(n)s is shorter than the %(minutes)s minutes %(name)s takes.", n=number,
                       minutes=service_type.duration_min, name=service_type.name)
            raise InvalidInput(short, {"preferred_windows": [short]}, code="window_too_short")
        if service_type.location == ServiceLocation.station and service_type.station is not None:
            problem = _opening_problem(service_type.station, window["start"], window["start"] + need, number)
            if problem:
                raise InvalidInput(problem, {"preferred_windows": [problem]}, code="outside_opening_hours")
    return [{"start": w["start"].strftime(MINUTE), "end": w["end"].strftime(MINUTE)}
            for w in sorted(windows, key=lambda w: w["start"])]


def _priority(service_type: ServiceType, resident: Resident | None, urgent: bool) -> int:
    """Roster priority (1–10): urgent first, then priority groups where the service says so."""
    if urgent:
        return 10
    return 7 if service_type.priority_groups_first and is_priority(resident) else 3


def file_request(actor: Actor, data: dict, key: str | None) -> tuple[ServiceRequest, bool]:
    """File a request; ``(request, replayed)``. A retry with the same key returns the first one.

    A resident files for themselves; a grid worker or a volunteer for a
    resident (``resident_id``) or for a place (``building_id``).
    """
    policy.require(actor, "service_requests.file")
    if actor.role != Role.resident and not actor.is_staff and actor.volunteer_id is None:
        raise Forbidden(_l("Your account may not file requests."), code="may_not_file")
    digest, filer_id = _digest(data), actor.id
    if key:
        existing = _by_key(filer_id, key)
        if existing is not None:
            return _replay(existing, digest)
    service_type = type_for(actor, data["service_type_id"])
    resident = None
    if actor.role == Role.resident or data.get("resident_id") is not None:
        resident = resident_for(actor, "service_requests.file", data.get("resident_id"))
    if data.get("building_id") is not None:
        building = _building_for(actor, data["building_id"])
    elif resident is not None:
        building = db.session.get(Building, resident.building_id)
    else:
        where = _l("Choose a building.")
        raise InvalidInput(where, {"building_id": [where]}, code="building_required")
    if resident is not None and building.community_id != resident.community_id:
        elsewhere = _l("Not in the resident's community.")
        raise InvalidInput(elsewhere, {"building_id": [elsewhere]}, code="building_elsewhere")
    if service_type.community_id != building.community_id:
        off_menu = _l("Not on the menu of that building's community.")
        raise InvalidInput(off_menu, {"service_type_id": [off_menu]}, code="not_on_menu")
    windows = _check_windows(data.get("preferred_windows", []), service_type)
    request = ServiceRequest(
        community_id=building.community_id, grid_id=building.grid_id, building_id=building.id,
        address=data.get("address", ""), resident_id=resident.id if resident else None, resident=resident,
        filed_by_id=filer_id, service_type_id=service_type.id, service_type=service_type,
        description=data["description"], photos=list(data.get("photos", [])), preferred_windows=windows,
        urgent=data["urgent"], priority=_priority(service_type, resident, data["urgent"]),
        price_points=price_for(service_type, resident), submitted_at=now(), idempotency_key=key, payload_digest=digest)
    db.session.add(request)
    try:
        _record(request, None, S.submitted, actor, request.submitted_at, "")  # its queries autoflush the insert
        db.session.flush()
    except IntegrityError:
        # The same key won a race a moment ago (its insert committed first): answer with that one.
        db.session.rollback()
        existing = _by_key(filer_id, key) if key else None
        if existing is None:
            raise
        return _replay(existing, digest)
    if resident is not None and request.price_points:
        request.charge = points.charge_service(
            paying(resident, request.price_points, "service_type_id"), request.price_points, request.community_id,
            _l("%(service)s, request No. %(id)s", service=service_type.name, id=request.id), {"request_id": request.id},
            field="service_type_id")
        request.charge_transfer_id = request.charge.id
        db.session.flush()
    notify(coordinators_of(request.community_id), Note(
        "request", (_l("New urgent request: %(service)s", service=service_type.name) if request.urgent
                    else _l("New request: %(service)s", service=service_type.name)),
        request.description[:100], f"/service-requests/{request.id}"))
    return request, False


# --- requests: deadlines ----------------------------------------------------------------------------


def _first_window_start(request: ServiceRequest, after: datetime) -> datetime | None:
    for window in request.preferred_windows or []:
        if datetime.fromisoformat(window["end"]) > after:
            return max(datetime.fromisoformat(window["start"]), after)
    return None


def _set_deadlines(request: ServiceRequest, at: datetime) -> None:
    """Deadlines of the step just entered, on the business clock of the service's station.

    The resolve clock starts when work can start: at acceptance, or at the
    resident's preferred (later, the scheduled) time if that is later.
    """
    clock = clock_for(request.service_type)
    limits = effective_limits(request.service_type.time_limits)
    deadlines = dict(request.deadlines or {})

    def put(step: str, start: datetime) -> datetime:
        moment = clock.deadline(start, limits[step])
        deadlines[step] = moment.strftime(MINUTE)
        return moment

    state, due = request.state, None
    if state == S.submitted:
        due = put("accept", at)
    elif state == S.accepted:
        due = put("dispatch", at)
        put("resolve", _first_window_start(request, at) or at)
    elif state == S.dispatched:
        begin = max(at, request.scheduled_start or at)
        if begin > at:
            put("resolve", begin)
        due = min(put("start", begin), datetime.fromisoformat(deadlines["resolve"]))
    elif state == S.in_progress:
        due = datetime.fromisoformat(deadlines["resolve"])
    elif state == S.resolved:
        due = put("rate", at)
    elif state == S.escalated:
        due = request.department_due_at
        deadlines["department"] = due.strftime(MINUTE)
    request.deadlines = deadlines
    request.due_at = due
    request.due_step = ("department" if state == S.escalated else STEP_OF_STATE.get(state)) if due else None


def is_overdue(request: ServiceRequest) -> bool:
    return request.due_at is not None and request.state in OPEN_STATES and now() > request.due_at


def _record(request: ServiceRequest, source: RequestState | None, target: RequestState, actor: Actor,
            at: datetime, reason, details: dict | None = None) -> None:
    """The one way a request changes state: a history row (``reason`` typed, or a lazy text when the app
    moved it), then the next step's deadline."""
    late = source is not None and request.due_at is not None and at > request.due_at
    request.history.append(RequestEvent(at=at, actor_id=actor.id, from_state=source,
                                        to_state=target, reason_text=reason, late=late, details=details or {}))
    request.state = target
    _set_deadlines(request, at)


# What a listed request shows besides its own columns, read with the list (joined, and its history in one more
# query), not one query per request; the people only for their names, so not their skills, hours or groups.
LISTED = (joinedload(ServiceRequest.service_type), selectinload(ServiceRequest.history),
          joinedload(ServiceRequest.resident).lazyload("*"), joinedload(ServiceRequest.volunteer).lazyload("*"))


def requests_query(actor: Actor, args: dict) -> Select:
    """The requests the actor is somebody to (``transitions.roles_in``, as rows): those they manage, filed,
    are served by or were given."""
    mine = [policy.where(actor, "service_requests.manage", ServiceRequest), ServiceRequest.filed_by_id == actor.id]
    if actor.resident_id is not None:
        mine.append(ServiceRequest.resident_id == actor.resident_id)
    if actor.volunteer_id is not None:
        mine.append(ServiceRequest.volunteer_id == actor.volunteer_id)
    statement = select(ServiceRequest).where(or_(*mine)).options(*LISTED)
    for key in ("community_id", "grid_id", "service_type_id", "resident_id", "volunteer_id", "state", "urgent"):
        if args.get(key) is not None:
            statement = statement.where(getattr(ServiceRequest, key) == args[key])
    if args.get("overdue"):
        statement = statement.where(ServiceRequest.state.in_(OPEN_STATES), ServiceRequest.due_at < now())
        return statement.order_by(ServiceRequest.due_at, ServiceRequest.id)
    return statement.order_by(ServiceRequest.id.desc())


def service_minutes(request: ServiceRequest) -> int:
    """The time a request's service took: its scheduled window, or the service type's duration."""
    if request.scheduled_start is not None and request.scheduled_end is not None:
        return max(1, int((request.scheduled_end - request.scheduled_start).total_seconds() // 60))
    return max(1, request.service_type.duration_min)


def _served_at(request: ServiceRequest, at: datetime) -> datetime:
    resolved = next((e.at for e in reversed(request.history) if e.to_state == S.resolved), at)
    return request.scheduled_start or resolved


def service_log_for(request: ServiceRequest, at: datetime) -> ServiceLog:
    """The hours a resolved request counts for its volunteer (targets, fairness, reports)."""
    return ServiceLog(volunteer_id=request.volunteer_id, served_on=_served_at(request, at).date(),
                      minutes=service_minutes(request), request_id=request.id,
                      description=request.service_type.name[:128])


def _log_hours(request: ServiceRequest, at: datetime) -> None:
    """One log per request, written when the work is done."""
    if db.session.scalar(select(ServiceLog.id).where(ServiceLog.request_id == request.id)) is None:
        db.session.add(service_log_for(request, at))
        db.session.flush()


def earn_for_request(request: ServiceRequest, at: datetime) -> None:
    """The volunteer who resolved the request earns its points once it is rated (closed loop complete);
    an urgent request counts as a call-out for the multipliers."""
    points.earn_for_source("request", request.id, request.volunteer_id, request.community_id,
                           service_minutes(request), request.service_type.code, _served_at(request, at),
                           {"callout"} if request.urgent else set())


def _tell(request: ServiceRequest, source: RequestState, target: RequestState) -> None:
    """Who hears of a change (each reads it in their language)."""
    service, link = request.service_type.name, f"/service-requests/{request.id}"
    requesters = users_of_residents([request.resident_id]) + [db.session.get(User, request.filed_by_id)]
    volunteer = request.volunteer.name if request.volunteer else _l("A volunteer")
    messages = {
        S.accepted: (requesters, _l("Request accepted: %(service)s", service=service),
                     _l("We have your request and are arranging it.")),
        S.dispatched: (requesters, _l("Request dispatched: %(service)s", service=service),
                       _l("%(volunteer)s will serve you at %(time)s.", volunteer=volunteer,
                          time=f"{request.scheduled_start:%m-%d %H:%M}") if request.scheduled_start
                       else _l("%(volunteer)s will serve you.", volunteer=volunteer)),
        S.resolved: (requesters, _l("Request done: %(service)s", service=service),
                     _l("Result: %(note)s. Please rate the service.", note=request.resolution_note)),
        S.rejected: (requesters, _l("Request not accepted: %(service)s", service=service),
                     _l("Reason: %(reason)s", reason=request.rejection_reason)),
        S.escalated: (requesters, _l("Request handed on: %(service)s", service=service),
                      _l("Handed to %(department)s.", department=request.department)),
        S.cancelled: (coordinators_of(request.community_id), _l("Request withdrawn: %(service)s", service=service),
                      request.description[:100]),
    }
    if target == S.accepted and source == S.dispatched:
        messages[S.accepted] = (coordinators_of(request.community_id),
                                _l("Handed back, please dispatch again: %(service)s", service=service),
                                request.history[-1].reason)
    if target in messages:
        users, title, body = messages[target]
        notify(users, Note("request", title, body, link))
    if target == S.dispatched:
        notify(users_of_volunteers([request.volunteer_id]), Note(
            "task", _l("New task: %(service)s", service=service),
            f"{request.scheduled_start:%m-%d %H:%M} {request.address or ''} {request.description[:60]}", link))


def flag_overdue() -> int:
    """Tell the coordinators once about each request that missed its step's deadline (run periodically)."""
    rows = db.session.scalars(select(ServiceRequest).where(
        ServiceRequest.state.in_(OPEN_STATES), ServiceRequest.due_at < now())).all()
    told = 0
    for request in rows:
        told += len(notify(coordinators_of(request.community_id), Note(
            "overdue", _l("Request overdue: %(service)s #%(id)s", service=request.service_type.name, id=request.id),
            _l("The deadline for %(step)s, %(time)s, has passed.", step=label("step", request.due_step),
               time=f"{request.due_at:%m-%d %H:%M}"), f"/service-requests/{request.id}"),
            dedupe=f"overdue:{request.id}:{request.due_step}:{request.due_at:%Y%m%d%H%M}"))
    return told


QUEUE_TABS = ("new", "overdue", "mine", "open")


def queue_query(actor: Actor, args: dict, tab: str) -> Select:
    """A grid worker's queue: new (待受理), overdue, mine (accepted or dispatched by me) or all
    open requests in their scope, the nearest deadline first."""
    policy.require(actor, "service_requests.manage")
    if tab == "overdue":
        return requests_query(actor, {**args, "overdue": True})
    statement = requests_query(actor, args).order_by(None)
    if tab == "new":
        statement = statement.where(ServiceRequest.state == S.submitted)
    else:
        statement = statement.where(ServiceRequest.state.in_(OPEN_STATES))
    if tab == "mine":
        statement = statement.where(ServiceRequest.id.in_(select(RequestEvent.request_id).where(
            RequestEvent.actor_id == actor.id, RequestEvent.to_state.in_((S.accepted, S.dispatched)))))
    return statement.order_by(ServiceRequest.due_at.is_(None), ServiceRequest.due_at, ServiceRequest.id)


def queue_grids(actor: Actor) -> Select:
    """The grids whose requests the actor handles (the queue's filter)."""
    policy.require(actor, "service_requests.manage")
    return select(Grid).where(policy.where(actor, "service_requests.manage", Grid))
