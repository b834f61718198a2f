"""Transition tables, and the closed loop of a request 受理→分派→处置→反馈→评价.

Every state change of a request goes through one transition table and
leaves one ``RequestEvent`` (who, when, from, to, why). The request row is
locked first, so two workers accepting at once give one 200 and one 409.
Wishes keep a table of the same kind (``Move``, ``check_move``).
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ...accounts import policy
from ...accounts.policy import Actor
from ...errors import Conflict, Forbidden, InvalidInput, NotFound
from ...extensions import db
from ...points import service as points
from ...resources import check_version
from ..models import RequestState, ServiceRequest
from .common import MINUTE, lock_row, now
from .dispatch import _dispatch, _dispatch_at_once
from .follow_ups import low_rating_reason, open_follow_up
from .requests import S, _log_hours, _record, _tell, earn_for_request
from ...labels import label

LOW_RATING = 2  # this or less opens a follow-up for the coordinator


STAFF, ASSIGNEE, REQUESTER = "staff", "assignee", "requester"
HELPER, CLAIMER, OWNER = "helper", "claimer", "owner"


@dataclass(frozen=True)
class Move:
    by: frozenset[str]  # who may make it
    needs: tuple[str, ...] = ()  # input fields it requires


def move(*by: str, needs: tuple[str, ...] = ()) -> Move:
    return Move(frozenset(by), needs)


TRANSITIONS: dict[tuple[RequestState, RequestState], Move] = {
    (S.submitted, S.accepted): move(STAFF),
    (S.submitted, S.rejected): move(STAFF, needs=("reason",)),
    (S.submitted, S.cancelled): move(STAFF, REQUESTER),
    (S.accepted, S.dispatched): move(STAFF),
    (S.accepted, S.escalated): move(STAFF, needs=("department", "department_due_at")),
    (S.accepted, S.rejected): move(STAFF, needs=("reason",)),
    (S.accepted, S.cancelled): move(STAFF, REQUESTER),
    (S.dispatched, S.in_progress): move(ASSIGNEE, STAFF),
    (S.dispatched, S.accepted): move(ASSIGNEE, STAFF, needs=("reason",)),  # handed back, to dispatch again
    (S.dispatched, S.escalated): move(STAFF, needs=("department", "department_due_at")),
    (S.dispatched, S.cancelled): move(STAFF, REQUESTER),
    (S.in_progress, S.resolved): move(ASSIGNEE, STAFF, needs=("note",)),
    (S.in_progress, S.escalated): move(STAFF, needs=("department", "department_due_at")),
    (S.escalated, S.resolved): move(STAFF, needs=("note",)),
    (S.resolved, S.rated): move(REQUESTER, STAFF, needs=("rating",)),  # staff: after a phone call (回访)
}


def next_states(state, table: dict = TRANSITIONS) -> list:
    return [target for source, target in table if source == state]


def check_move(table: dict, source, target, roles: set[str], data: dict, kind: str) -> None:
    """409 for a move the table does not have, 403 for the wrong person, 422 naming missing fields.

    ``kind`` names the states' labels (``request``, ``wish``), so a refusal names them as pages do.
    """
    rule = table.get((source, target))
    if rule is None:
        allowed = [s.value for s in next_states(source, table)]
        state, wanted = label(kind, source), label(kind, target)
        refusal = (_l("It is “%(state)s” now and cannot become “%(target)s”.", state=state, target=wanted) if allowed
                   else _l("It is “%(state)s” now: no further change is possible.", state=state))
        raise Conflict(refusal, {"to": [refusal]}, code="invalid_transition", state=source.value, allowed=allowed)
    if not roles & rule.by:
        raise Forbidden(_l("You may not make it “%(target)s”.", target=label(kind, target)), code="not_your_move")
    missing = {field: [_l("Required for this step.")] for field in rule.needs if data.get(field) in (None, "")}
    if missing:
        raise InvalidInput(_l("Missing information for this step: %(fields)s.", fields=", ".join(missing)), missing,
                           code="missing_for_step")


def roles_in(actor: Actor, request: ServiceRequest) -> set[str]:
    """Who the actor is to the request: the staff managing it (the policy's ``service_requests.manage``),
    the volunteer it is given to, its requester (the resident, or whoever filed it). This is a request's
    reach: anyone with no role in it gets 404."""
    roles = set()
    if policy.may(actor, "service_requests.manage", request):
        roles.add(STAFF)
    if actor.volunteer_id is not None and request.volunteer_id == actor.volunteer_id:
        roles.add(ASSIGNEE)
    if request.filed_by_id == actor.id or (actor.resident_id is not None and request.resident_id == actor.resident_id):
        roles.add(REQUESTER)
    return roles


def get_request(actor: Actor, request_id: int, lock: bool = False) -> ServiceRequest:
    """Coordinators see their scope, residents their own, volunteers what they filed or were given."""
    request = lock_row(ServiceRequest, request_id) if lock else db.session.get(ServiceRequest, request_id)
    if request is None or not roles_in(actor, request):
        raise NotFound(_l("Request No. %(id)s not found.", id=request_id))
    return request


def transition(actor: Actor, request_id: int, data: dict) -> ServiceRequest:
    """Move a request along the closed loop (one row lock: a concurrent second move gets 409).

    Accepting an urgent request dispatches it at once to the best-ranked volunteer.
    """
    request = get_request(actor, request_id, lock=True)
    if data.get("version") is not None:
        check_version(request, data["version"])
    source, target, roles = request.state, data["to"], roles_in(actor, request)
    check_move(TRANSITIONS, source, target, roles, data, "request")
    at = now()
    reason, details = data.get("reason", ""), {}
    if target == S.dispatched:
        details = _dispatch(request, data, at)
    elif target == S.accepted and source == S.dispatched:
        details = {"handed_back_by_volunteer": request.volunteer_id}
        request.volunteer_id = request.volunteer = request.scheduled_start = request.scheduled_end = None
    elif target == S.resolved:
        request.resolution_note = reason = data["note"]
    elif target == S.rejected:
        request.rejection_reason = reason
    elif target == S.escalated:
        if data["department_due_at"] <= at:
            future = _l("Choose a time in the future.")
            raise InvalidInput(future, {"department_due_at": [future]}, code="deadline_in_past")
        request.department, request.department_due_at = data["department"], data["department_due_at"]
        details = {"department": data["department"], "due_at": data["department_due_at"].strftime(MINUTE)}
    elif target == S.rated:
        request.rating, request.rating_comment, request.rated_by_id = data["rating"], data.get("comment", ""), actor.id
        reason = request.rating_comment
        details = {"rating": data["rating"], "by": "requester" if REQUESTER in roles else "phone follow-up"}
    _record(request, source, target, actor, at, reason, details)
    db.session.flush()
    if target in (S.rejected, S.cancelled):
        points.refund_service(request.charge, _l("Request No. %(id)s: %(state)s", id=request.id,
                                                 state=label("request", target)))
    elif target == S.resolved and request.volunteer_id is not None:
        _log_hours(request, at)
    elif target == S.rated and request.volunteer_id is not None:
        earn_for_request(request, at)
    _tell(request, source, target)
    if target == S.rated and request.rating <= LOW_RATING:
        open_follow_up(request, "low_rating", low_rating_reason(request))
    if target == S.accepted and source == S.submitted and request.urgent:
        _dispatch_at_once(request, actor)
    return request


def allowed_moves(actor: Actor, request: ServiceRequest) -> list[RequestState]:
    """The states the actor may move the request to now (the actions a page offers)."""
    roles = roles_in(actor, request)
    return [target for target in next_states(request.state) if TRANSITIONS[(request.state, target)].by & roles]
