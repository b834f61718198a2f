"""Requests (工单) from filing to rating: the form, the lists, the grid worker's queue, and one
request's history, deadlines and actions (with whom it could be dispatched to, and why not)."""
import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import login_required
from marshmallow import ValidationError
from sqlalchemy import select

from ...accounts.models import User
from ...accounts.policy import current_actor
from ...errors import Forbidden
from ...extensions import db
from ...people import contact
from ...people.phone_pages import page_with_number
from ...people.display import distinguishing_labels
from ...people.models import Resident, Skill, Volunteer
from ...places.models import Building, Grid
from ...resources import paginate
from ...views import (
    OPTION_LIMIT, RECORD_ID, FormProblems, blank_to_none, form_rows, load_query, names_by_id, rows_payload, save, scoped_options, skill_name, staff_required,
)
from .. import schemas, service
from ..models import RequestState, ServiceType
from .common import acting_args, acting_resident, bp, choose_resident_first, count_of, explained, refused, render
from ..labels import move_key
from .labels import span_of
from ...labels import label

#: Preferred time windows a request may give (the schema's limit).
MAX_WINDOWS = 5


MOVED = {
    "accepted": _l("Accepted."), "hand_back": _l("Handed back; it waits to be dispatched again."),
    "dispatched": _l("Dispatched to %(name)s."), "in_progress": _l("Marked as being handled."),
    "resolved": _l("Marked as done; the resident is asked to rate it."), "rated": _l("Thank you for your rating!"),
    "rejected": _l("Not accepted; the resident is told why."), "cancelled": _l("The request is withdrawn."),
    "escalated": _l("Handed to %(department)s."),
}


DISPATCH_REASONS = {
    "unwanted": _l("would rather not serve at that time"), "paused": _l("paused, not serving now"),
    "on_leave": _l("on leave at that time"), "not_available": _l("not available at that time"),
    "lacks_skills": _l("lacks the skill %(skills)s"), "too_far": _l("beyond their %(limit)s m reach"),
    "busy": _l("busy then: %(when)s"),
    "over_hours": _l("over their weekly hours (%(free)s min left, %(needed)s needed)"),
}


@dataclass(frozen=True)
class DispatchChoice:
    volunteer_id: int
    text: str
    suitable: bool


def dispatch_choices(options: list[service.DispatchOption]) -> list[DispatchChoice]:
    """The service's ranking as picker lines: who (namesakes told apart), how far, and why (not)."""
    labels = distinguishing_labels([o.volunteer for o in options])
    codes = {code for o in options for reason, details in o.reasons if reason == "lacks_skills"
             for code in details["skills"]}
    skills = {s.code: skill_name(s) for s in db.session.scalars(select(Skill).where(Skill.code.in_(codes)))}

    def reason_text(code: str, details: dict) -> str:
        values = {"skills": _(", ").join(skills.get(c, c) for c in details.get("skills", ())),
                  "limit": details.get("limit_m"), "free": details.get("free_minutes"),
                  "needed": details.get("needed_minutes"),
                  "when": span_of(details["start"], details["end"]) if "start" in details else ""}
        return DISPATCH_REASONS[code] % values

    choices = []
    for o in options:
        parts = [labels[o.volunteer.id], _("%(metres)s m", metres=o.distance_m)]
        if o.suitable:
            parts.append(_("%(minutes)s min booked this week", minutes=o.load_minutes))
        parts += [reason_text(code, details) for code, details in o.reasons]
        choices.append(DispatchChoice(o.volunteer.id, " · ".join(parts), o.suitable))
    return choices


# --- filing a request -------------------------------------------------------------------------

REQUEST_FIELDS = ("service_type_id", "description", "building_id", "address", "urgent", "preferred_windows")


def blank_windows() -> list[dict]:
    return [{"start": "", "end": ""}]


def request_form_values(form=None, resident: Resident | None = None) -> dict:
    if form is None:
        return {"service_type_id": request.args.get("service_type_id", ""), "description": "",
                "building_id": str(resident.building_id) if resident else "",
                "address": resident.household if resident else "", "urgent": False, "windows": blank_windows(),
                "idempotency_key": uuid.uuid4().hex}
    values = {key: form.get(key, "").strip() for key in ("service_type_id", "description", "building_id", "address",
                                                         "idempotency_key")}
    values["urgent"] = bool(form.get("urgent"))
    values["windows"] = form_rows(form, "windows", ("start", "end"), ("start", "end"))[:MAX_WINDOWS + 1]
    return values


def request_payload(values: dict) -> dict:
    """Form → ``RequestIn`` (blank optional fields left out, so the service's defaults apply)."""
    data = blank_to_none(values, ("service_type_id",))
    data.update({key: values[key] for key in ("building_id", "address") if values[key]})
    data["description"] = values["description"]
    data["urgent"] = values["urgent"]
    data["preferred_windows"] = rows_payload(values["windows"])
    data.update(acting_args())
    return data


def idempotency_key(values: dict) -> str | None:
    """The key generated into the form, so a double-submitted form files one request."""
    try:
        loaded = schemas.IdempotencyHeaders().load({"Idempotency-Key": values.get("idempotency_key", "")})
    except ValidationError:
        return None
    return loaded.get("idempotency_key")


@bp.route("/service-requests/new", methods=["GET", "POST"])
@login_required
def request_new():
    """Describe a need: type, what, where, when suits, urgent or not."""
    resident, actor = acting_resident(), current_actor()
    if resident is None:
        if actor.is_staff:
            return choose_resident_first()
        raise Forbidden(_("Requests are filed by residents, or by staff for a resident."))
    problems = None
    if request.method == "POST":
        values = request_form_values(request.form)
        key = idempotency_key(values)
        if key is None:
            values["idempotency_key"] = uuid.uuid4().hex
            problems = FormProblems(422, message=_("This form is out of date. Check it and send it again."))
        else:
            filed, problems = save(schemas.RequestIn(), request_payload(values), lambda loaded: service.file_request(
                actor, loaded, key))
            if problems is None:
                filed_request, replayed = filed
                if replayed:
                    flash(_("This request was already sent (No. %(id)s); here it is.", id=filed_request.id), "warning")
                else:
                    flash(_("Request No. %(id)s sent. You will be told when it is accepted.", id=filed_request.id),
                          "success")
                return redirect(url_for("services_pages.request_detail", request_id=filed_request.id))
            explained(problems, REQUEST_FIELDS)
        if not values["windows"]:
            values["windows"] = blank_windows()
    else:
        values = request_form_values(resident=resident)
    types = db.session.scalars(service.service_types.filtered(
        actor, {"active": True, "community_id": resident.community_id}).order_by(ServiceType.code)).all()
    buildings = db.session.scalars(select(Building).where(Building.community_id == resident.community_id)
                                   .order_by(Building.code).limit(OPTION_LIMIT)).all()
    return render("request_form.html", problems.status if problems else 200, values=values, problems=problems,
                  types=types, buildings=buildings, max_windows=MAX_WINDOWS)


# --- lists of requests --------------------------------------------------------------------------

@bp.get("/my/requests")
@login_required
def my_requests():
    """A resident's requests, a volunteer's tasks (and what they filed); staff: the resident they act for."""
    resident, actor = acting_resident(), current_actor()
    if actor.is_staff and resident is None:
        return redirect(url_for("services_pages.queue"))
    args = load_query(schemas.RequestQuery())
    if actor.is_staff:
        args["resident_id"] = resident.id
    page = paginate(service.requests_query(actor, args), args["page"], args["per_page"])
    return render("my_requests.html", page=page, args=args, states=list(RequestState))


@bp.get("/service-requests")
@staff_required
def queue():
    """The grid worker's queue: new, overdue, mine, all open; filtered by grid and service."""
    tab = request.args.get("tab", "new")
    if tab not in service.QUEUE_TABS:
        tab = "new"
    args, actor = load_query(schemas.RequestQuery()), current_actor()
    page = paginate(service.queue_query(actor, args, tab), args["page"], args["per_page"])
    counts = {name: count_of(service.queue_query(actor, args, name)) for name in service.QUEUE_TABS}
    grids = db.session.scalars(service.queue_grids(actor).order_by(Grid.community_id, Grid.code).limit(OPTION_LIMIT))
    return render("queue.html", page=page, args=args, tab=tab, tabs=service.QUEUE_TABS, counts=counts,
                  grids=grids.all(),
                  types=scoped_options(service.service_types, ServiceType.community_id, ServiceType.code),
                  grid_names=names_by_id(Grid, [r.grid_id for r in page["items"]]))


# --- one request: history, deadlines, actions ---------------------------------------------------

STEP_ORDER = ("accept", "dispatch", "start", "resolve", "department", "rate")
#: The state a request enters when a step is done.
STEP_DONE = {"accept": RequestState.accepted, "dispatch": RequestState.dispatched, "start": RequestState.in_progress,
             "resolve": RequestState.resolved, "department": RequestState.resolved, "rate": RequestState.rated}
TRANSITION_FIELDS = ("to", "version", "reason", "note", "volunteer_id", "start", "end", "department",
                     "department_due_at", "rating", "comment")


@dataclass
class StepDeadline:
    step: str
    due: datetime
    done_at: datetime | None
    late: bool  # done after its deadline, or still open past it
    current: bool


def step_deadlines(item) -> list[StepDeadline]:
    """Each step's deadline as computed, with when it was done and whether that was late."""
    rows = []
    for step in STEP_ORDER:
        if step not in (item.deadlines or {}):
            continue
        due = datetime.fromisoformat(item.deadlines[step])
        if step == item.due_step:
            rows.append(StepDeadline(step, due, None, service.is_overdue(item), True))
            continue
        done = next((e for e in reversed(item.history) if e.to_state == STEP_DONE[step]), None)
        rows.append(StepDeadline(step, due, done.at if done else None, bool(done and done.at > due), False))
    return rows


def render_request(request_id: int, problems: FormProblems | None = None, target: str | None = None,
                   values: dict | None = None, revealed: dict[int, str] | None = None):
    actor = current_actor()
    item = service.get_request(actor, request_id)
    offered = contact.offered(actor, contact.Purpose.request, item.id) if actor.is_staff else set()
    moves = service.allowed_moves(actor, item)
    choices = dispatch_choices(service.dispatch_options(actor, item)) if RequestState.dispatched in moves else []
    volunteer_ids = [e.details.get("volunteer_id") for e in item.history if isinstance(e.details, dict)]
    return render(
        "request.html", problems.status if problems else 200, item=item, moves=moves, choices=choices,
        deadlines=step_deadlines(item), overdue=service.is_overdue(item), problems=problems, target=target,
        values=values or {}, actors=names_by_id(User, [e.actor_id for e in item.history]),
        volunteers=names_by_id(Volunteer, volunteer_ids), building=db.session.get(Building, item.building_id)
        if item.building_id else None, now=service.now(), offered=offered, revealed=revealed or {})


@bp.get(f"/service-requests/<{RECORD_ID}:request_id>")
@login_required
def request_detail(request_id: int):
    return render_request(request_id)


@bp.post(f"/service-requests/<{RECORD_ID}:request_id>/phone")
@staff_required
def request_phone(request_id: int):
    """The "查看号码" button: the request again with its resident's number shown (audited)."""
    return page_with_number(contact.Purpose.request, request_id, render_request)


@bp.post(f"/service-requests/<{RECORD_ID}:request_id>/move")
@login_required
def request_move(request_id: int):
    """One step of the closed loop (accept, dispatch, start, resolve, rate, reject, withdraw, escalate)."""
    actor = current_actor()
    source = service.get_request(actor, request_id).state  # 404 for those who may not see it
    data = {key: request.form.get(key, "").strip() for key in TRANSITION_FIELDS}
    data = {key: value for key, value in data.items() if value}
    moved, problems = save(schemas.TransitionIn(), data, lambda loaded: service.transition(
        actor, request_id, loaded))
    if problems is not None:
        refused(problems)
        if problems.errors.pop("to", None) is not None:
            current = service.get_request(actor, request_id).state
            problems.message = _("This step is not possible now: the request is “%(state)s”. "
                                 "Below is what can be done now.", state=str(label("request", current)))
        return render_request(request_id, explained(problems, TRANSITION_FIELDS), target=data.get("to"), values=data)
    flash(str(MOVED[move_key(source, RequestState(data["to"]))]) % {"name": moved.volunteer.name if moved.volunteer else "",
                                                    "department": moved.department}, "success")
    return redirect(url_for("services_pages.request_detail", request_id=request_id))
