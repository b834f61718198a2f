"""The menu (便民服务), events with their slots, and bookings: residents book for themselves,
staff for the resident they act for (代办), and staff schedule and call off events."""
from collections import defaultdict
from datetime import datetime

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ...accounts import policy
from ...accounts.policy import current_actor
from ...extensions import db
from ...people import service as people
from ...people.models import Resident
from ...places import service as places
from ...places.models import Building, Community, Station
from ...resources import paginate
from ...views import (
    OPTION_LIMIT, RECORD_ID, FormProblems, blank_to_none, load_query, names_by_id, save, scoped_options,
    staff_required,
)
from .. import schemas, service
from ..models import BookingStatus, EventStatus, ServiceType
from .common import acting_args, acting_resident, bp, explained, refused, render
from .labels import span_of

#: Upcoming events shown on the menu, and bookings listed on an event's page.
UPCOMING_LIMIT = 200
EVENT_BOOKINGS_LIMIT = 500
#: Residents offered when staff search for whom to act (代办).
RESIDENT_MATCHES = 20


# --- the menu -------------------------------------------------------------------------------

@bp.get("/services")
@login_required
def home():
    """便民服务: the menu of the resident's community, each service with its upcoming events.

    Staff without a chosen resident see their communities' menus and a search for
    the resident to act for."""
    resident, actor = acting_resident(), current_actor()
    args = {"active": True}
    if resident is not None:
        args["community_id"] = resident.community_id
    types = db.session.scalars(service.service_types.filtered(actor, args)
                               .order_by(ServiceType.community_id, ServiceType.code).limit(OPTION_LIMIT)).all()
    upcoming = db.session.scalars(service.events_query(actor, {
        "status": EventStatus.scheduled, "starts_from": service.now(), "community_id": args.get("community_id")})
        .limit(UPCOMING_LIMIT)).all()
    events_by_type = defaultdict(list)
    for event in upcoming:
        events_by_type[event.service_type_id].append(event)
    query = request.args.get("q", "").strip()[:32]
    matches = []
    if actor.is_staff and query:
        matches = db.session.scalars(people.residents.filtered(actor, {"q": query})
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
    page = paginate(service.events_query(current_actor(), args), args["page"], args["per_page"])
    types = scoped_options(service.service_types, ServiceType.community_id, ServiceType.code)
    return render("events.html", page=page, args=args, show_all=show_all, types=types,
                  stations=names_by_id(Station, [e.station_id for e in page["items"]]))


EVENT_FIELDS = ("service_type_id", "station_id", "title", "starts_at", "ends_at", "capacity_per_slot", "note")


@bp.route("/service-events/new", methods=["GET", "POST"])
@staff_required
def event_new():
    """Schedule an event (义诊 Saturday 9:00–11:30, 2 places at each time, each as long as the service takes)."""
    actor = current_actor()
    values = {"service_type_id": request.args.get("service_type_id", ""), "capacity_per_slot": "1"}
    problems = None
    if request.method == "POST":
        values = {key: request.form.get(key, "").strip() for key in EVENT_FIELDS}
        data = blank_to_none(values, ("service_type_id", "starts_at", "ends_at", "capacity_per_slot"))
        data.update({key: values[key] for key in ("station_id", "title", "note") if values[key]})
        scheduled, problems = save(schemas.EventIn(), data, lambda loaded: service.create_event(actor, loaded))
        if problems is None:
            flash(_("Event scheduled: %(title)s, %(count)s times to book.", title=scheduled.title,
                    count=len(scheduled.slots)), "success")
            return redirect(url_for("services_pages.event", event_id=scheduled.id))
        explained(problems, EVENT_FIELDS)
    types = db.session.scalars(service.event_types(actor).order_by(ServiceType.community_id, ServiceType.code)
                               .limit(OPTION_LIMIT)).all()
    return render("event_form.html", problems.status if problems else 200, values=values, problems=problems,
                  types=types, stations=scoped_options(places.stations, Station.community_id, Station.code))


def render_event(event_id: int, problems: FormProblems | None = None, target: str | None = None,
                 values: dict | None = None):
    """An event's slots with free places and waiting lists; the acting resident's own places;
    for staff, every booking and the form to call the event off."""
    actor = current_actor()
    event = service.get_event(actor, event_id)
    resident = acting_resident()
    held = {}
    if resident is not None:
        held = {b.slot_id: b for b in db.session.scalars(service.bookings_query(
            actor, {"event_id": event.id, "resident_id": resident.id})) if b.status != BookingStatus.cancelled}
    bookings = []
    if actor.is_staff:
        bookings = db.session.scalars(service.bookings_query(actor, {"event_id": event.id})
                                      .limit(EVENT_BOOKINGS_LIMIT)).all()
    return render("event.html", problems.status if problems else 200, event=event, slots=service.slots_of(actor, event),
                  held=held, bookings=bookings, may_call_off=policy.may(actor, "service_events.manage", event),
                  now=service.now(), problems=problems, target=target,
                  values=values or {}, price=service.price_for(event.service_type, resident) if resident else None)


@bp.get(f"/service-events/<{RECORD_ID}:event_id>")
@login_required
def event(event_id: int):
    return render_event(event_id)


@bp.post(f"/service-events/<{RECORD_ID}:event_id>/book")
@login_required
def event_book(event_id: int):
    """Book a slot, or join its waiting list; staff book for the resident they act for (代办)."""
    actor = current_actor()
    service.get_event(actor, event_id)
    data = {"slot_id": request.form.get("slot_id", "").strip() or None,
            "waitlist": request.form.get("waitlist", "false").strip()}
    data.update(acting_args())
    booking, problems = save(schemas.BookingIn(), data, lambda loaded: service.book(
        actor, loaded["slot_id"], loaded.get("resident_id"), loaded["waitlist"]))
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
@login_required
def event_cancel(event_id: int):
    """Call an event off: every booking is cancelled and the residents are told."""
    data = {"reason": request.form.get("reason", "").strip()}
    problems = save(schemas.EventCancelIn(), data, lambda loaded: service.cancel_event(
        current_actor(), event_id, loaded["reason"]))[1]
    if problems is not None:
        return render_event(event_id, explained(refused(problems), ("reason",)), target="cancel", values=data)
    flash(_("The event is called off; everyone booked is told."), "success")
    return redirect(url_for("services_pages.event", event_id=event_id))


@bp.post(f"/bookings/<{RECORD_ID}:booking_id>/attended")
@login_required
def booking_attended(booking_id: int):
    """到场: staff tick a resident who came to their booked place (or take the tick back)."""
    actor = current_actor()
    booking = service.get_booking(actor, booking_id, "service_bookings.attendance")
    data = {"attended": request.form.get("attended", "").strip()}
    problems = save(schemas.AttendedIn(), data, lambda loaded: service.mark_attended(
        actor, booking_id, loaded["attended"]))[1]
    if problems is not None:
        return render_event(booking.event_id, explained(refused(problems)), target="attended")
    return redirect(url_for("services_pages.event", event_id=booking.event_id, _anchor="h-bookings"))


# --- bookings ---------------------------------------------------------------------------------

@bp.get("/my/bookings")
@login_required
def my_bookings():
    """A resident's bookings and waiting places (staff: of the resident they act for, or of their scope)."""
    args, actor = load_query(schemas.BookingQuery()), current_actor()
    resident = acting_resident()
    if resident is not None and actor.is_staff:
        args["resident_id"] = resident.id
    page = service.bookings_page(actor, args)
    return render("bookings.html", page=page, args=args, now=service.now())


def render_booking(booking_id: int, problems: FormProblems | None = None, values: dict | None = None):
    booking = service.get_booking(current_actor(), booking_id)
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
    actor = current_actor()
    service.get_booking(actor, booking_id)
    data = {"reason": request.form.get("reason", "").strip()}
    problems = save(schemas.BookingCancelIn(), data, lambda loaded: service.cancel_booking(
        actor, booking_id, loaded["reason"]))[1]
    if problems is not None:
        return render_booking(booking_id, explained(refused(problems), ("reason",)), data)
    flash(_("Cancelled. Thank you for freeing the place for a neighbour."), "success")
    return redirect(url_for("services_pages.my_booking", booking_id=booking_id))
