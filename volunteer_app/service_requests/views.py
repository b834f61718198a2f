"""Resident-service pages: the menu (便民服务) with events, slots and bookings; requests (工单)
from filing to rating; the grid worker's queue; follow-ups (回访); the wish board (微心愿).

Thin like the other page modules: a form becomes the dict the API's marshmallow
schema loads, the same service function runs, the request commits once, and a
refusal comes back as form problems shown next to the fields it names. What is
left here is presentation: labels, times, which buttons to draw.

Residents act for themselves; staff act for a resident they choose (代办), carried
as ``resident_id`` in the links and forms of these pages.
"""
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from marshmallow import ValidationError
from sqlalchemy import func, select

from ..accounts.models import Role, User
from ..accounts.scoping import current_scope
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..people import service as people
from ..people.display import distinguishing_labels
from ..people.models import Resident, Skill, Volunteer
from ..places import service as places
from ..places.models import Building, Community, Grid, Station
from ..resources import paginate
from ..roster.views.common import day_label, local_time
from ..validation import MAX_ID
from ..views import (
    OPTION_LIMIT, RECORD_ID, STAFF, FormProblems, blank_to_none, form_rows, load_query, names_by_id, rows_payload,
    save, scoped_options, skill_name, staff_required, translate_error,
)
from . import schemas, service
from .models import BookingStatus, EventStatus, RequestState, ServiceType

bp = Blueprint("services_pages", __name__)

#: Upcoming events shown on the menu, and bookings listed on an event's page.
UPCOMING_LIMIT = 200
EVENT_BOOKINGS_LIMIT = 500
#: Residents offered when staff search for whom to act (代办).
RESIDENT_MATCHES = 20
#: Preferred time windows a request may give (the schema's limit).
MAX_WINDOWS = 5

# --- labels ---------------------------------------------------------------------------------

SERVICE_LABELS = {
    "request": {"submitted": _l("Waiting to be accepted"), "accepted": _l("Accepted for handling"),
                "dispatched": _l("Dispatched"), "in_progress": _l("Being handled"), "resolved": _l("Resolved"),
                "rated": _l("Rated"), "rejected": _l("Not accepted"), "cancelled": _l("Withdrawn"),
                "escalated": _l("Handed to a department")},
    "step": {"accept": _l("Acceptance"), "dispatch": _l("Dispatch to a volunteer"), "start": _l("Start of work"),
             "resolve": _l("Completion"), "rate": _l("Rating and follow-up"),
             "department": _l("Handling by the department")},
    "booking": {"booked": _l("Booked"), "waitlisted": _l("On the waiting list"), "cancelled": _l("Cancelled")},
    "event": {"scheduled": _l("Scheduled"), "cancelled": _l("Called off")},
    "wish": {"open": _l("Waiting for a helper"), "claimed": _l("Claimed"), "fulfilled": _l("Fulfilled"),
             "confirmed": _l("Confirmed"), "withdrawn": _l("Withdrawn")},
    "follow_up": {"open": _l("To follow up"), "closed": _l("Followed up")},
    "location": {"station": _l("At the station"), "home": _l("At your home (上门)")},
    "move": {"accepted": _l("Accept"), "rejected": _l("Do not accept"), "cancelled": _l("Withdraw the request"),
             "dispatched": _l("Dispatch"), "escalated": _l("Hand to a department (吹哨)"),
             "in_progress": _l("Start the work"), "resolved": _l("Mark as done"), "rated": _l("Rate the service"),
             "hand_back": _l("Hand back")},
    "wish_move": {"claimed": _l("I will fulfil it (认领)"), "open": _l("Give it back"),
                  "fulfilled": _l("Mark as fulfilled"), "confirmed": _l("Confirm it came true"),
                  "withdrawn": _l("Withdraw the wish")},
    "tab": {"new": _l("To accept"), "overdue": _l("Overdue"), "mine": _l("Handled by me"), "open": _l("All open")},
}

MOVED = {
    "accepted": _l("Accepted."), "hand_back": _l("Handed back; it waits to be dispatched again."),
    "dispatched": _l("Dispatched to %(name)s."), "in_progress": _l("Marked as being handled."),
    "resolved": _l("Marked as done; the resident is asked to rate it."), "rated": _l("Thank you for your rating!"),
    "rejected": _l("Not accepted; the resident is told why."), "cancelled": _l("The request is withdrawn."),
    "escalated": _l("Handed to %(department)s."),
}

WISH_MOVED = {
    "claimed": _l("Thank you! The wish is yours to fulfil; the resident is told."),
    "open": _l("You gave the wish back; others may claim it."),
    "fulfilled": _l("Marked as fulfilled; the resident is asked to confirm."),
    "confirmed": _l("Confirmed. Thank you for telling us!"), "withdrawn": _l("The wish is withdrawn."),
}


def service_label(kind: str, value) -> str:
    key = getattr(value, "value", value)
    text = SERVICE_LABELS.get(kind, {}).get(key)
    return str(text) if text is not None else str(key)


def move_key(source: RequestState, target: RequestState) -> str:
    """Names an action by its target state, except the volunteer's hand back (dispatched → accepted)."""
    return "hand_back" if (source, target) == (RequestState.dispatched, RequestState.accepted) else target.value


def moment(value: datetime | None) -> str:
    """A naive local time as ``周三 12-02 09:00``."""
    return f"{day_label(value.date())} {value:%H:%M}" if value else ""


def span_of(start: datetime, end: datetime) -> str:
    return f"{moment(start)}–{end:%H:%M}" if end.date() == start.date() else f"{moment(start)} – {moment(end)}"


def iso_moment(text: str | None) -> str:
    """A stored ISO minute (``2026-12-01T14:00``) shown like ``moment``."""
    return moment(datetime.fromisoformat(text)) if text else ""


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


@bp.context_processor
def service_helpers():
    return {"moment": moment, "span_of": span_of, "iso_moment": iso_moment,
            "local_time": local_time, "is_overdue": service.is_overdue, "waitlist_position": service.waitlist_position,
            "move_key": move_key, "price_for": service.price_for}


# --- the service's English texts, in the page's language ------------------------------------

_SERVICE_TEXTS: list[tuple[re.Pattern, object]] = [(re.compile(p), msg) for p, msg in (
    (r"required to make it \w+", _l("Required for this step.")),
    (r"full: choose another slot or join the waiting list \(waitlist\)",
     _l("This time is full: choose another time or join the waiting list.")),
    (r"already (?:booked|waitlisted) \(booking \d+\)", _l("Already booked or on the waiting list for this time.")),
    (r"overlaps booking \d+: (?P<what>.+)", _l("Overlaps another booking: %(what)s.")),
    (r"started at (?P<when>.+)", _l("This time has already begun (%(when)s).")),
    (r"the event was cancelled", _l("This event has been called off.")),
    (r"this event is for another community's residents", _l("This event is for another community's residents.")),
    (r"no slot \d+ in your community", _l("No such time in your community.")),
    (r"window (?P<n>\d+) starts in the past", _l("Time %(n)s starts in the past.")),
    (r"window (?P<n>\d+) is shorter than the (?P<minutes>\d+) minutes (?P<name>.+) takes",
     _l("Time %(n)s is shorter than the %(minutes)s minutes %(name)s takes.")),
    (r"window (?P<n>\d+): outside the opening hours of (?P<station>.+) on (?P<day>\S+): (?P<hours>.+)",
     _l("Time %(n)s is outside the opening hours of %(station)s on %(day)s (%(hours)s).")),
    (r"window (?P<n>\d+): (?P<station>.+) is closed on (?P<day>\S+)(?: \(.+\))?",
     _l("Time %(n)s: %(station)s is closed on %(day)s.")),
    (r"outside the opening hours of (?P<station>.+) on (?P<day>\S+): (?P<hours>.+)",
     _l("Outside the opening hours of %(station)s on %(day)s (%(hours)s).")),
    (r"(?P<station>.+) is closed on (?P<day>\d{4}-\d{2}-\d{2})(?: \(.+\))?", _l("%(station)s is closed on %(day)s.")),
    (r"is in the past", _l("This time is in the past.")),
    (r"must be on the same day as starts_at", _l("The event must end on the day it starts.")),
    (r"must be after starts_at", _l("The end must be after the start.")),
    (r"\S+ is not a whole number of (?P<minutes>\d+)-minute slots",
     _l("The time does not divide into whole %(minutes)s-minute slots.")),
    (r"makes (?P<count>\d+) slots; at most (?P<max>\d+)", _l("That makes %(count)s slots; at most %(max)s.")),
    (r"no station \d+ in this community", _l("This station is not in the service's community.")),
    (r"required: the type names none", _l("Choose a station: this service names none.")),
    (r"no service type \d+ on your community's menu", _l("Not on your community's menu.")),
    (r"(?P<name>.+) is not offered now", _l("%(name)s is not offered now.")),
    (r"not on the menu of the building's community", _l("Not on the menu of that building's community.")),
    (r"no such building in your community", _l("Not a building of your community.")),
    (r"give a building or a resident", _l("Choose a building.")),
    (r"not in the resident's community", _l("Not in the resident's community.")),
    (r"you may act only for yourself", _l("You may act only for yourself.")),
    (r"required when acting for a resident", _l("Choose the resident first.")),
    (r"no such resident in your community", _l("Not a resident of your community.")),
    (r"already used for request (?P<id>\d+) with other content; use a new key",
     _l("This form was already used for request No. %(id)s. Reload the form to file another.")),
    (r"must be in the future", _l("Choose a time in the future.")),
    (r"the planned time is over already", _l("The planned time is already over.")),
    (r"no volunteer \d+ in this community", _l("Not a volunteer of this community.")),
    (r"no available volunteer with the skills within reach: .*",
     _l("No volunteer with the skills is free and within reach: choose one, another time, or hand it to a "
        "department.")),
    (r"cannot cancel after the start; tell the station",
     _l("It has already begun and can no longer be cancelled; please tell the station.")),
    (r"already cancelled|cancelled", _l("Already cancelled.")),
    (r"already closed", _l("Already closed.")),
    (r"(?:needs|costs) (?P<needed>\d+) points, the balance is (?P<balance>-?\d+)",
     _l("Needs %(needed)s points, but the balance is %(balance)s.")),
    (r"Not a valid datetime\.", _l("Enter a date and time.")),
)]


def say(message: str) -> str:
    """A service or schema message in the page's language (unknown ones as they are)."""
    return translate_error(message, _SERVICE_TEXTS)


def explained(problems: FormProblems | None, fields=()) -> FormProblems | None:
    """Translate the service's messages; those naming no field of this form go to the banner."""
    if problems is not None:
        errors: dict[str, list[str]] = {}
        for key, messages in problems.errors.items():
            shown = key if key == "_form" or key in fields or key.split(".")[0] in fields else "_form"
            errors.setdefault(shown, []).extend(say(m) for m in messages)
        problems.errors = errors
    return problems


def refused(problems: FormProblems) -> FormProblems:
    """After a refused write: forget what the rolled-back session held, so the page shows the truth."""
    db.session.expire_all()
    return problems


# --- for whom (代办) ----------------------------------------------------------------------------

_NOBODY = object()


def acting_resident() -> Resident | None:
    """Whom these pages serve: a resident themselves; staff the resident chosen by ``resident_id``
    (404 outside their scope); nobody for volunteers."""
    found = g.get("acting_resident", _NOBODY)
    if found is _NOBODY:
        found = None
        if current_user.role == Role.resident and current_user.resident_id:
            found = db.session.get(Resident, current_user.resident_id)
        elif current_user.role in STAFF:
            chosen = request.values.get("resident_id", "").strip()
            if chosen:
                if not chosen.isdigit() or not 0 < int(chosen) <= MAX_ID:
                    raise NotFound(f"resident {chosen} not found")
                found = people.residents.get(int(chosen))
        g.acting_resident = found
    return found


def acting_args() -> dict:
    """Link arguments that keep staff acting for the same resident."""
    resident = acting_resident()
    return {"resident_id": resident.id} if resident is not None and current_user.role in STAFF else {}


def render(template: str, status: int = 200, **context):
    return render_template(f"services/{template}", acting=acting_resident(), acting_args=acting_args(),
                           is_staff=current_user.role in STAFF, **context), status


def choose_resident_first():
    flash(_("Choose the resident you act for first (代办)."), "warning")
    return redirect(url_for("services_pages.home"))


def count_of(statement) -> int:
    return db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))


# --- the menu -------------------------------------------------------------------------------

@bp.get("/services")
@login_required
def home():
    """便民服务: the menu of the resident's community, each service with its upcoming events.

    Staff without a chosen resident see their communities' menus and a search for
    the resident to act for."""
    resident = acting_resident()
    args = {"active": True}
    if resident is not None:
        args["community_id"] = resident.community_id
    types = db.session.scalars(service.service_types.filtered(args)
                               .order_by(ServiceType.community_id, ServiceType.code).limit(OPTION_LIMIT)).all()
    upcoming = db.session.scalars(service.events_query(
        {"status": EventStatus.scheduled, "starts_from": service.now(), "community_id": args.get("community_id")})
        .limit(UPCOMING_LIMIT)).all()
    events_by_type = defaultdict(list)
    for event in upcoming:
        events_by_type[event.service_type_id].append(event)
    query = request.args.get("q", "").strip()[:32]
    matches = []
    if current_user.role in STAFF and query:
        matches = db.session.scalars(people.residents.filtered({"q": query})
                                     .order_by(Resident.name, Resident.id).limit(RESIDENT_MATCHES)).all()
    return render("home.html", types=types, events_by_type=events_by_type, q=query, matches=matches,
                  communities=names_by_id(Community, [t.community_id for t in types]),
                  buildings=names_by_id(Building, [r.building_id for r in matches]))


# --- events and slots -------------------------------------------------------------------------

@bp.get("/service-events")
@login_required
def events():
    """Events from today on (``when=all``: past ones too), optionally of one service type."""
    args = load_query(schemas.EventQuery())
    show_all = request.args.get("when") == "all"
    if not show_all and args.get("starts_from") is None:
        args["starts_from"] = datetime.combine(service.now().date(), datetime.min.time())
    resident = acting_resident()
    if resident is not None:
        args["community_id"] = resident.community_id
    page = paginate(service.events_query(args), args["page"], args["per_page"])
    types = scoped_options(service.service_types, ServiceType.community_id, ServiceType.code)
    return render("events.html", page=page, args=args, show_all=show_all, types=types,
                  stations=names_by_id(Station, [e.station_id for e in page["items"]]))


EVENT_FIELDS = ("service_type_id", "station_id", "title", "starts_at", "ends_at", "capacity_per_slot", "note")


@bp.route("/service-events/new", methods=["GET", "POST"])
@staff_required
def event_new():
    """Schedule an event (义诊 Saturday 9:00–11:30, 2 places at each time, each as long as the service takes)."""
    values = {"service_type_id": request.args.get("service_type_id", ""), "capacity_per_slot": "1"}
    problems = None
    if request.method == "POST":
        values = {key: request.form.get(key, "").strip() for key in EVENT_FIELDS}
        data = blank_to_none(values, ("service_type_id", "starts_at", "ends_at", "capacity_per_slot"))
        data.update({key: values[key] for key in ("station_id", "title", "note") if values[key]})
        scheduled, problems = save(schemas.EventIn(), data, lambda loaded: service.create_event(loaded, current_user))
        if problems is None:
            flash(_("Event scheduled: %(title)s, %(count)s times to book.", title=scheduled.title,
                    count=len(scheduled.slots)), "success")
            return redirect(url_for("services_pages.event", event_id=scheduled.id))
        explained(problems, EVENT_FIELDS)
    types = [t for t in scoped_options(service.service_types, ServiceType.community_id, ServiceType.code)
             if current_scope().allows(t.community_id)]  # events are planned per community
    return render("event_form.html", problems.status if problems else 200, values=values, problems=problems,
                  types=types, stations=scoped_options(places.stations, Station.community_id, Station.code))


def render_event(event_id: int, problems: FormProblems | None = None, target: str | None = None,
                 values: dict | None = None):
    """An event's slots with free places and waiting lists; the acting resident's own places;
    for staff, every booking and the form to call the event off."""
    event = service.get_event(event_id)
    resident = acting_resident()
    held = {}
    if resident is not None:
        held = {b.slot_id: b for b in db.session.scalars(service.bookings_query(
            {"event_id": event.id, "resident_id": resident.id})) if b.status != BookingStatus.cancelled}
    bookings = []
    if current_user.role in STAFF:
        bookings = db.session.scalars(service.bookings_query({"event_id": event.id}).limit(EVENT_BOOKINGS_LIMIT)).all()
    return render("event.html", problems.status if problems else 200, event=event, slots=service.slots_of(event),
                  held=held, bookings=bookings, may_call_off=current_user.role in STAFF and current_scope().allows(
                      event.community_id), now=service.now(), problems=problems, target=target,
                  values=values or {}, price=service.price_for(event.service_type, resident) if resident else None)


@bp.get(f"/service-events/<{RECORD_ID}:event_id>")
@login_required
def event(event_id: int):
    return render_event(event_id)


@bp.post(f"/service-events/<{RECORD_ID}:event_id>/book")
@login_required
def event_book(event_id: int):
    """Book a slot, or join its waiting list; staff book for the resident they act for (代办)."""
    service.get_event(event_id)
    data = {"slot_id": request.form.get("slot_id", "").strip() or None,
            "waitlist": request.form.get("waitlist", "false").strip()}
    data.update(acting_args())
    booking, problems = save(schemas.BookingIn(), data, lambda loaded: service.book(
        loaded["slot_id"], loaded.get("resident_id"), loaded["waitlist"], current_user))
    if problems is not None:
        return render_event(event_id, explained(refused(problems)), target=data["slot_id"])
    if booking.status == BookingStatus.booked:
        flash(_("Booked: %(title)s, %(when)s. Please come on time.", title=booking.event.title,
                when=span_of(booking.starts_at, booking.ends_at)), "success")
    else:
        flash(_("You are number %(position)s on the waiting list. We will tell you as soon as a place frees up.",
                position=service.waitlist_position(booking)), "success")
    return redirect(url_for("services_pages.my_booking", booking_id=booking.id))


@bp.post(f"/service-events/<{RECORD_ID}:event_id>/cancel")
@staff_required
def event_cancel(event_id: int):
    """Call an event off: every booking is cancelled and the residents are told."""
    data = {"reason": request.form.get("reason", "").strip()}
    problems = save(schemas.EventCancelIn(), data, lambda loaded: service.cancel_event(
        service.get_event(event_id), loaded["reason"], current_user))[1]
    if problems is not None:
        return render_event(event_id, explained(refused(problems), ("reason",)), target="cancel", values=data)
    flash(_("The event is called off; everyone booked is told."), "success")
    return redirect(url_for("services_pages.event", event_id=event_id))


# --- bookings ---------------------------------------------------------------------------------

@bp.get("/my/bookings")
@login_required
def my_bookings():
    """A resident's bookings and waiting places (staff: of the resident they act for, or of their scope)."""
    args = load_query(schemas.BookingQuery())
    resident = acting_resident()
    if resident is not None and current_user.role in STAFF:
        args["resident_id"] = resident.id
    page = paginate(service.bookings_query(args), args["page"], args["per_page"])
    return render("bookings.html", page=page, args=args, now=service.now())


def render_booking(booking_id: int, problems: FormProblems | None = None, values: dict | None = None):
    booking = service.get_booking(booking_id)
    return render("booking.html", problems.status if problems else 200, booking=booking, problems=problems,
                  target="cancel", values=values or {}, now=service.now(),
                  station=db.session.get(Station, booking.event.station_id))


@bp.get(f"/my/bookings/<{RECORD_ID}:booking_id>")
@login_required
def my_booking(booking_id: int):
    return render_booking(booking_id)


@bp.post(f"/my/bookings/<{RECORD_ID}:booking_id>/cancel")
@login_required
def my_booking_cancel(booking_id: int):
    """Cancel a place or a waiting place; a freed place goes to the next in line, who is told."""
    service.get_booking(booking_id)
    data = {"reason": request.form.get("reason", "").strip()}
    problems = save(schemas.BookingCancelIn(), data, lambda loaded: service.cancel_booking(
        booking_id, loaded["reason"], current_user))[1]
    if problems is not None:
        return render_booking(booking_id, explained(refused(problems), ("reason",)), data)
    flash(_("Cancelled. Thank you for freeing the place for a neighbour."), "success")
    return redirect(url_for("services_pages.my_booking", booking_id=booking_id))


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
    resident = acting_resident()
    if resident is None:
        if current_user.role in STAFF:
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
                loaded, current_user, key))
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
    types = db.session.scalars(service.service_types.filtered({"active": True, "community_id": resident.community_id})
                               .order_by(ServiceType.code)).all()
    buildings = db.session.scalars(select(Building).where(Building.community_id == resident.community_id)
                                   .order_by(Building.code).limit(OPTION_LIMIT)).all()
    return render("request_form.html", problems.status if problems else 200, values=values, problems=problems,
                  types=types, buildings=buildings, max_windows=MAX_WINDOWS)


# --- lists of requests --------------------------------------------------------------------------

@bp.get("/my/requests")
@login_required
def my_requests():
    """A resident's requests, a volunteer's tasks (and what they filed); staff: the resident they act for."""
    resident = acting_resident()
    if current_user.role in STAFF and resident is None:
        return redirect(url_for("services_pages.queue"))
    args = load_query(schemas.RequestQuery())
    if current_user.role in STAFF:
        args["resident_id"] = resident.id
    page = paginate(service.requests_query(args), args["page"], args["per_page"])
    return render("my_requests.html", page=page, args=args, states=list(RequestState))


@bp.get("/service-requests")
@staff_required
def queue():
    """The grid worker's queue: new, overdue, mine, all open; filtered by grid and service."""
    tab = request.args.get("tab", "new")
    if tab not in service.QUEUE_TABS:
        tab = "new"
    args = load_query(schemas.RequestQuery())
    page = paginate(service.queue_query(args, tab, current_user), args["page"], args["per_page"])
    counts = {name: count_of(service.queue_query(args, name, current_user)) for name in service.QUEUE_TABS}
    return render("queue.html", page=page, args=args, tab=tab, tabs=service.QUEUE_TABS, counts=counts,
                  grids=grid_options(),
                  types=scoped_options(service.service_types, ServiceType.community_id, ServiceType.code),
                  grid_names=names_by_id(Grid, [r.grid_id for r in page["items"]]))


def grid_options() -> list[Grid]:
    """The grids of the caller's scope, for the queue's filter."""
    scope = current_scope()
    grids = db.session.scalars(select(Grid).where(service.readable(Grid.community_id))
                               .order_by(Grid.community_id, Grid.code).limit(OPTION_LIMIT))
    return [grid for grid in grids if scope.allows(grid.community_id, grid.id)]


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
                   values: dict | None = None):
    item = service.get_request(request_id)
    moves = service.allowed_moves(item, current_user)
    choices = dispatch_choices(service.dispatch_options(item)) if RequestState.dispatched in moves else []
    volunteer_ids = [e.details.get("volunteer_id") for e in item.history if isinstance(e.details, dict)]
    return render(
        "request.html", problems.status if problems else 200, item=item, moves=moves, choices=choices,
        deadlines=step_deadlines(item), overdue=service.is_overdue(item), problems=problems, target=target,
        values=values or {}, actors=names_by_id(User, [e.actor_id for e in item.history]),
        volunteers=names_by_id(Volunteer, volunteer_ids), building=db.session.get(Building, item.building_id)
        if item.building_id else None, now=service.now())


@bp.get(f"/service-requests/<{RECORD_ID}:request_id>")
@login_required
def request_detail(request_id: int):
    return render_request(request_id)


@bp.post(f"/service-requests/<{RECORD_ID}:request_id>/move")
@login_required
def request_move(request_id: int):
    """One step of the closed loop (accept, dispatch, start, resolve, rate, reject, withdraw, escalate)."""
    source = service.get_request(request_id).state  # 404 for those who may not see it
    data = {key: request.form.get(key, "").strip() for key in TRANSITION_FIELDS}
    data = {key: value for key, value in data.items() if value}
    moved, problems = save(schemas.TransitionIn(), data, lambda loaded: service.transition(
        request_id, loaded, current_user))
    if problems is not None:
        refused(problems)
        if problems.errors.pop("to", None) is not None:
            current = service.get_request(request_id).state
            problems.message = _("This step is not possible now: the request is “%(state)s”. "
                                 "Below is what can be done now.", state=service_label("request", current))
        return render_request(request_id, explained(problems, TRANSITION_FIELDS), target=data.get("to"), values=data)
    flash(str(MOVED[move_key(source, RequestState(data["to"]))]) % {"name": moved.volunteer.name if moved.volunteer else "",
                                                    "department": moved.department}, "success")
    return redirect(url_for("services_pages.request_detail", request_id=request_id))


# --- follow-ups (回访) ----------------------------------------------------------------------------

@bp.get("/follow-ups")
@staff_required
def follow_ups():
    args = load_query(schemas.FollowUpQuery())
    page = paginate(service.follow_ups_query(args), args["page"], args["per_page"])
    return render("follow_ups.html", page=page, args=args)


def render_follow_up(follow_up_id: int, problems: FormProblems | None = None, values: dict | None = None):
    follow_up = service.get_follow_up(follow_up_id)
    return render("follow_up.html", problems.status if problems else 200, follow_up=follow_up,
                  item=follow_up.request, problems=problems, target="close", values=values or {},
                  closed_by=db.session.get(User, follow_up.closed_by_id) if follow_up.closed_by_id else None)


@bp.get(f"/follow-ups/<{RECORD_ID}:follow_up_id>")
@staff_required
def follow_up(follow_up_id: int):
    return render_follow_up(follow_up_id)


@bp.post(f"/follow-ups/<{RECORD_ID}:follow_up_id>/close")
@staff_required
def follow_up_close(follow_up_id: int):
    service.get_follow_up(follow_up_id)
    data = {"note": request.form.get("note", "").strip()}
    problems = save(schemas.FollowUpCloseIn(), data, lambda loaded: service.close_follow_up(
        follow_up_id, loaded["note"], current_user))[1]
    if problems is not None:
        return render_follow_up(follow_up_id, explained(refused(problems), ("note",)), data)
    flash(_("Follow-up closed."), "success")
    return redirect(url_for("services_pages.follow_up", follow_up_id=follow_up_id))


# --- the wish board (微心愿) ------------------------------------------------------------------------

WISH_FIELDS = ("title", "description")


def render_wishes(problems: FormProblems | None = None, values: dict | None = None):
    args = load_query(schemas.WishQuery())
    resident = acting_resident()
    if resident is not None and current_user.role in STAFF:
        args["community_id"] = resident.community_id
    page = paginate(service.wishes_query(args), args["page"], args["per_page"])
    return render("wishes.html", problems.status if problems else 200, page=page, args=args, problems=problems,
                  values=values or {}, may_post=resident is not None)


@bp.get("/wishes")
@login_required
def wishes():
    """The community's board: residents post, volunteers and party members claim (认领)."""
    return render_wishes()


@bp.post("/wishes")
@login_required
def wish_post():
    if acting_resident() is None:
        if current_user.role in STAFF:
            return choose_resident_first()
        raise Forbidden(_("Wishes are posted by residents, or by staff for a resident."))
    values = {key: request.form.get(key, "").strip() for key in WISH_FIELDS}
    wish, problems = save(schemas.WishIn(), {**values, **acting_args()}, lambda loaded: service.post_wish(
        loaded, current_user))
    if problems is not None:
        return render_wishes(explained(refused(problems), WISH_FIELDS), values)
    flash(_("Your wish is on the board. We will tell you when someone claims it."), "success")
    return redirect(url_for("services_pages.wish", wish_id=wish.id))


def render_wish(wish_id: int, problems: FormProblems | None = None, target: str | None = None,
                values: dict | None = None):
    wish = service.get_wish(wish_id)
    return render("wish.html", problems.status if problems else 200, wish=wish,
                  moves=service.allowed_wish_moves(wish, current_user), resident_name=service.wish_resident_name(wish),
                  problems=problems, target=target, values=values or {})


@bp.get(f"/wishes/<{RECORD_ID}:wish_id>")
@login_required
def wish(wish_id: int):
    return render_wish(wish_id)


@bp.post(f"/wishes/<{RECORD_ID}:wish_id>/move")
@login_required
def wish_move(wish_id: int):
    """Claim, give back, fulfil, confirm or withdraw a wish."""
    service.get_wish(wish_id)
    data = {key: request.form.get(key, "").strip() for key in ("to", "version", "note")}
    data = {key: value for key, value in data.items() if value}
    moved, problems = save(schemas.WishTransitionIn(), data, lambda loaded: service.move_wish(
        wish_id, loaded, current_user))
    if problems is not None:
        refused(problems)
        if problems.errors.pop("to", None) is not None:
            problems.message = _("This is not possible now: the wish is “%(state)s”.", state=service_label(
                "wish", service.get_wish(wish_id).state))
        return render_wish(wish_id, explained(problems, ("note",)), target=data.get("to"), values=data)
    flash(str(WISH_MOVED[moved.state.value]), "success")
    return redirect(url_for("services_pages.wish", wish_id=wish_id))


# --- registration -------------------------------------------------------------------------------

def register(app) -> None:
    """The blueprint and its menu entries (called from ``views.init_app``)."""
    from ..todo import register_provider
    from .todo import requests_todo
    from ..views import register_nav

    app.register_blueprint(bp)
    register_provider(app, requests_todo)
    app.jinja_env.globals["service_label"] = service_label  # "my week" lists requests too
    residents, volunteers = {Role.resident}, {Role.volunteer}
    register_nav(app, "services_pages.home", _l("Services"), residents, order=-20, active_prefix="services_pages.home")
    register_nav(app, "services_pages.my_bookings", _l("My bookings"), residents, order=-19,
                 active_prefix="services_pages.my_booking")
    register_nav(app, "services_pages.my_requests", _l("My requests"), residents, order=-18,
                 active_prefix="services_pages.my_requests")
    register_nav(app, "services_pages.my_requests", _l("My tasks"), volunteers, order=-9,
                 active_prefix="services_pages.my_requests")
    register_nav(app, "services_pages.queue", _l("Requests"), STAFF, order=52, active_prefix="services_pages.queue")
    register_nav(app, "services_pages.events", _l("Service events"), STAFF, order=53,
                 active_prefix="services_pages.event")
    register_nav(app, "services_pages.home", _l("Act for a resident"), STAFF, order=54,
                 active_prefix="services_pages.home")
    register_nav(app, "services_pages.follow_ups", _l("Follow-ups"), STAFF, order=55,
                 active_prefix="services_pages.follow_up")
    register_nav(app, "services_pages.wishes", _l("Wish board"), {*STAFF, *residents, *volunteers}, order=56,
                 active_prefix="services_pages.wish")
