"""Events with bookable slots, and bookings with their waiting lists.

No over-booking, ever. Every change to a slot's places first takes the
slot's row lock (``lock_row``), then moves the counter with a guarded
UPDATE (``booked < capacity``), and a CHECK constraint refuses the rest.
A resident's own bookings are serialised by a lock on their row, always
taken *after* the slot's, so two paths can never wait on each other.
"""
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, select, update
from sqlalchemy.orm import joinedload

from ...accounts import policy
from ...accounts.models import User
from ...accounts.policy import Actor
from ...errors import Conflict, InvalidInput, NotFound
from ...extensions import db
from ...notifications.service import Note, notify
from ...people.models import Resident
from ...places.models import Station
from ...resources import paginate
from ...points import service as points
from ..models import Booking, BookingStatus, EventStatus, ServiceEvent, ServiceSlot, ServiceType
from .common import is_priority, lock_row, now, paying, price_for, reached, resident_for, users_of_residents
from .menu import _opening_problem, type_for, unknown_station

MAX_SLOTS = 200  # per event: a morning of 1-minute slots is a typo, not a plan
IN_LINE = (Booking.priority.desc(), Booking.waitlisted_at, Booking.id)  # a waiting list's order: priority groups first


def create_event(actor: Actor, data: dict) -> ServiceEvent:
    """Schedule an event and cut it into slots of ``capacity_per_slot`` places each, every slot as long
    as the service takes (its ``duration_min`` on the menu: one source for both)."""
    policy.require(actor, "service_events.manage")
    service_type = type_for(actor, data["service_type_id"], "service_events.manage")
    station_id = data.get("station_id") or service_type.station_id
    station = db.session.get(Station, station_id) if station_id else None
    if not station_id:
        nowhere = _l("Choose a station: this service names none.")
        raise InvalidInput(nowhere, {"station_id": [nowhere]}, code="station_required")
    if station is None or station.community_id != service_type.community_id:
        raise unknown_station()
    starts_at, ends_at, minutes = data["starts_at"], data["ends_at"], service_type.duration_min
    if starts_at <= now():
        past = _l("This time is in the past.")
        raise InvalidInput(past, {"starts_at": [past]}, code="in_the_past")
    if ends_at.date() != starts_at.date():
        one_day = _l("The event must end on the day it starts.")
        raise InvalidInput(one_day, {"ends_at": [one_day]}, code="spans_days")
    span = int((ends_at - starts_at).total_seconds() // 60)
    if span % minutes:
        uneven = _l("The time does not divide into whole %(minutes)s-minute slots.", minutes=minutes)
        raise InvalidInput(uneven, {"ends_at": [uneven]}, code="slots_do_not_fit")
    if span // minutes > MAX_SLOTS:
        too_many = _l("That makes %(count)s slots; at most %(max)s.", count=span // minutes, max=MAX_SLOTS)
        raise InvalidInput(too_many, {"ends_at": [too_many]}, code="too_many_slots")
    problem = _opening_problem(station, starts_at, ends_at)
    if problem:
        raise InvalidInput(problem, {"starts_at": [problem]}, code="outside_opening_hours")
    event = ServiceEvent(community_id=service_type.community_id, service_type_id=service_type.id,
                         service_type=service_type, station_id=station.id, title=data.get("title") or service_type.name,
                         starts_at=starts_at, ends_at=ends_at, slot_minutes=minutes,
                         capacity_per_slot=data["capacity_per_slot"], note=data.get("note", ""), created_by_id=actor.id)
    step = timedelta(minutes=minutes)
    event.slots = [ServiceSlot(starts_at=starts_at + i * step, ends_at=starts_at + (i + 1) * step,
                               capacity=event.capacity_per_slot, booked=0) for i in range(span // minutes)]
    db.session.add(event)
    db.session.flush()
    return event


def event_types(actor: Actor) -> Select:
    """The service types the actor may schedule events of (events are planned per community)."""
    policy.require(actor, "service_events.manage")
    return select(ServiceType).where(policy.where(actor, "service_events.manage", ServiceType))


def _already_cancelled() -> Conflict:
    done = _l("Already cancelled.")
    return Conflict(done, {"id": [done]}, code="already_cancelled")


def events_query(actor: Actor, args: dict) -> Select:
    statement = select(ServiceEvent).where(policy.where(actor, "service_events.read", ServiceEvent))
    for key in ("community_id", "service_type_id", "station_id", "status"):
        if args.get(key) is not None:
            statement = statement.where(getattr(ServiceEvent, key) == args[key])
    if args.get("starts_from"):
        statement = statement.where(ServiceEvent.starts_at >= args["starts_from"])
    if args.get("starts_before"):
        statement = statement.where(ServiceEvent.starts_at < args["starts_before"])
    return statement.order_by(ServiceEvent.starts_at, ServiceEvent.id)


def get_event(actor: Actor, event_id: int) -> ServiceEvent:
    return reached(actor, "service_events.read", db.session.get(ServiceEvent, event_id),
                   NotFound(_l("Service event No. %(id)s not found.", id=event_id)))


def slots_of(actor: Actor, event: ServiceEvent) -> list[dict]:
    """Each slot with its free places, waiting list length and (for residents) their own status."""
    policy.require(actor, "service_events.read", event)
    # One query for both: each slot's waiting list length and the actor's own booking (one per slot at most).
    waiting, mine = {}, {}
    for slot_id, waitlisted, own in db.session.execute(select(
            Booking.slot_id, func.sum(case((Booking.status == BookingStatus.waitlisted, 1), else_=0)),
            func.max(case((Booking.resident_id == actor.resident_id, Booking.status), else_=None)))
            .where(Booking.event_id == event.id).group_by(Booking.slot_id)):
        waiting[slot_id], mine[slot_id] = waitlisted, own
    return [{"id": s.id, "event_id": event.id, "starts_at": s.starts_at, "ends_at": s.ends_at,
             "capacity": s.capacity, "booked": s.booked, "free": s.capacity - s.booked,
             "waitlisted": waiting.get(s.id, 0), "mine": BookingStatus(mine[s.id]).value if mine.get(s.id) else None}
            for s in event.slots]


def cancel_event(actor: Actor, event_id: int, reason: str) -> ServiceEvent:
    """Call the event off: every booking and waiting place is cancelled and told."""
    event = get_event(actor, event_id)
    policy.require(actor, "service_events.manage", event)
    for slot in sorted(event.slots, key=lambda s: s.id):  # one order for everyone: no deadlock
        lock_row(ServiceSlot, slot.id, load=False)
    event = db.session.scalar(select(ServiceEvent).where(ServiceEvent.id == event.id)
                              .execution_options(populate_existing=True))
    if event.status == EventStatus.cancelled:
        raise _already_cancelled()
    at = now()
    bookings = db.session.scalars(select(Booking).where(Booking.event_id == event.id,
                                                        Booking.status != BookingStatus.cancelled)).all()
    for booking in bookings:
        booking.status, booking.cancelled_at = BookingStatus.cancelled, at
        booking.cancel_reason_text = _l("Event called off: %(reason)s", reason=reason)
        points.refund_service(booking.charge, _l("Event No. %(id)s called off", id=event.id))
    table = ServiceSlot.__table__
    db.session.execute(update(table).where(table.c.event_id == event.id).values(booked=0))
    event.status, event.note = EventStatus.cancelled, reason
    db.session.flush()
    notify(users_of_residents({b.resident_id for b in bookings}), Note(
        "booking", _l("Called off: %(event)s", event=event.title),
        _l("%(event)s on %(time)s is called off. Reason: %(reason)s", event=event.title,
           time=f"{event.starts_at:%m-%d %H:%M}", reason=reason), f"/service-events/{event.id}"))
    return event


# --- bookings ---------------------------------------------------------------------------------------


def _take_place(slot_id: int) -> bool:
    """Guarded increment: never past capacity, even if some path forgot the lock."""
    table = ServiceSlot.__table__
    result = db.session.execute(update(table).where(table.c.id == slot_id, table.c.booked < table.c.capacity)
                                .values(booked=table.c.booked + 1))
    return result.rowcount == 1


def _release_place(slot_id: int) -> None:
    table = ServiceSlot.__table__
    db.session.execute(update(table).where(table.c.id == slot_id, table.c.booked > 0)
                       .values(booked=table.c.booked - 1))


def _clash(resident_id: int, slot: ServiceSlot) -> Booking | None:
    """A booking of this resident at an overlapping time (in another slot)."""
    return db.session.scalar(select(Booking).where(
        Booking.resident_id == resident_id, Booking.status == BookingStatus.booked, Booking.slot_id != slot.id,
        Booking.starts_at < slot.ends_at, Booking.ends_at > slot.starts_at).limit(1))


def _full() -> Conflict:
    full = _l("This time is full: choose another time or join the waiting list.")
    return Conflict(full, {"slot_id": [full]}, code="slot_full", waitlist_open=True)


def book(actor: Actor, slot_id: int, resident_id: int | None, waitlist: bool) -> Booking:
    """Book a place in a slot, or join its waiting list (``waitlist``) when it is full.

    Locks: the slot first (its places), then the resident (their other
    bookings); every path that takes both takes them in this order.
    """
    policy.require(actor, "service_bookings.book")
    slot = db.session.get(ServiceSlot, slot_id)
    if slot is None or not policy.may(actor, "service_events.read", slot.event):
        unknown = _l("No such time in your community.")
        raise InvalidInput(unknown, {"slot_id": [unknown]}, code="unknown_slot")
    resident = resident_for(actor, "service_bookings.book", resident_id)
    event = slot.event
    if resident.community_id != event.community_id:
        elsewhere = _l("This event is for another community's residents.")
        raise InvalidInput(elsewhere, {"slot_id": [elsewhere]}, code="other_community")
    if slot.starts_at <= now():
        begun = _l("This time has already begun (%(when)s).", when=f"{slot.starts_at:%Y-%m-%d %H:%M}")
        raise InvalidInput(begun, {"slot_id": [begun]}, code="slot_started")
    if slot.booked >= slot.capacity and not waitlist:
        raise _full()  # full when read: refusing needs no lock, and a rush's many refusals wait for none
    service_type = event.service_type
    priority, price = service_type.priority_groups_first and is_priority(resident), price_for(service_type, resident)
    payer = paying(resident, price, "slot_id")
    lock_row(ServiceSlot, slot.id, load=False)
    lock_row(Resident, resident.id, load=False)
    if db.session.scalar(select(ServiceEvent.status).where(ServiceEvent.id == event.id)) != EventStatus.scheduled:
        called_off = _l("This event has been called off.")
        raise Conflict(called_off, {"slot_id": [called_off]}, code="event_cancelled")
    booking = db.session.scalar(select(Booking).where(Booking.slot_id == slot.id, Booking.resident_id == resident.id)
                                .execution_options(populate_existing=True))
    if booking is not None and booking.status != BookingStatus.cancelled:
        held = _l("Already booked or on the waiting list for this time.")
        raise Conflict(held, {"slot_id": [held]}, code="already_booked", booking_id=booking.id)
    clash = _clash(resident.id, slot)
    if clash is not None:
        overlap = _l("Overlaps another booking: %(what)s.",
                     what=f"{clash.event.title} {clash.starts_at:%m-%d %H:%M}-{clash.ends_at:%H:%M}")
        raise Conflict(overlap, {"slot_id": [overlap]}, code="booking_overlap", booking_id=clash.id)
    booking = booking or Booking(slot_id=slot.id, event_id=event.id, resident_id=resident.id)
    booking.community_id, booking.grid_id = resident.community_id, resident.grid_id
    booking.starts_at, booking.ends_at = slot.starts_at, slot.ends_at
    booking.priority, booking.price_points = priority, price
    booking.booked_by_id, booking.cancelled_at, booking.cancel_reason_text = actor.id, None, ""
    at = now()
    if _take_place(slot.id):
        booking.status, booking.booked_at, booking.waitlisted_at = BookingStatus.booked, at, None
    elif waitlist:
        booking.status, booking.booked_at, booking.waitlisted_at = BookingStatus.waitlisted, None, at
    else:
        raise _full()
    db.session.add(booking)
    db.session.flush()
    if booking.status == BookingStatus.booked:
        _charge_booking(booking, payer)  # short of points: refused, and the place is not taken (rollback)
    return booking


def _charge_booking(booking: Booking, payer) -> None:
    booking.charge = points.charge_service(
        payer, booking.price_points, booking.community_id, f"{booking.event.title} {booking.starts_at:%m-%d %H:%M}",
        {"booking_id": booking.id}, field="slot_id")
    booking.charge_transfer_id = booking.charge.id if booking.charge else None


def bookings_query(actor: Actor, args: dict) -> Select:
    """Coordinators: bookings in their scope; residents: their own."""
    # A listed booking shows its event's title and its resident's name: joined to the list, not read one by one.
    statement = select(Booking).where(policy.where(actor, "service_bookings.read", Booking)).options(
        joinedload(Booking.event), joinedload(Booking.resident).lazyload("*"))
    for key in ("event_id", "slot_id", "resident_id", "status"):
        if args.get(key) is not None:
            statement = statement.where(getattr(Booking, key) == args[key])
    return statement.order_by(Booking.starts_at, Booking.id)


def get_booking(actor: Actor, booking_id: int, action: str = "service_bookings.read") -> Booking:
    return reached(actor, action, db.session.get(Booking, booking_id),
                   NotFound(_l("Booking No. %(id)s not found.", id=booking_id)))


def mark_attended(actor: Actor, booking_id: int, attended: bool) -> Booking:
    """到场: staff tick that a resident came to the place they booked (or take the tick back), once the slot
    has begun; reports set attended against booked."""
    booking = get_booking(actor, booking_id, "service_bookings.attendance")
    if booking.status != BookingStatus.booked:
        held = _l("Only a booked place can be ticked as attended.")
        raise Conflict(held, {"attended": [booking.status.value]}, code="not_attendable")
    at = now()
    if attended and booking.starts_at > at:
        early = _l("Not yet: the slot starts %(start)s.", start=booking.starts_at.strftime("%Y-%m-%d %H:%M"))
        raise InvalidInput(early, {"attended": [early]}, code="not_started")
    booking.attended_at = (booking.attended_at or at.replace(second=0, microsecond=0)) if attended else None
    db.session.flush()
    return booking


def cancel_booking(actor: Actor, booking_id: int, reason: str) -> Booking:
    """Cancel a place or a waiting-list entry; a freed place goes to the next in line at once."""
    booking = get_booking(actor, booking_id, "service_bookings.cancel")
    if booking.status == BookingStatus.booked and booking.starts_at <= now():
        begun = _l("It has already begun and can no longer be cancelled; please tell the station.")
        raise Conflict(begun, {"id": [begun]}, code="already_started")
    lock_row(ServiceSlot, booking.slot_id, load=False)
    booking = db.session.scalar(select(Booking).where(Booking.id == booking_id)
                                .execution_options(populate_existing=True))
    if booking.status == BookingStatus.cancelled:
        raise _already_cancelled()
    held = booking.status == BookingStatus.booked
    booking.status, booking.cancelled_at, booking.cancel_reason_text = BookingStatus.cancelled, now(), reason
    db.session.flush()
    if held:
        points.refund_service(booking.charge, _l("Booking No. %(id)s cancelled", id=booking.id))
        _release_place(booking.slot_id)
        promote_waiting(booking.slot_id)
    return booking


def promote_waiting(slot_id: int) -> Booking | None:
    """Give a free place to the first in line (priority groups first where the service says so).

    Skips anyone who meanwhile booked something at the same time; the caller
    holds the slot's lock, and the promoted resident's is taken before the
    final check, so this cannot make an overlap either.
    """
    slot = db.session.scalar(select(ServiceSlot).where(ServiceSlot.id == slot_id)
                             .execution_options(populate_existing=True))
    if slot.booked >= slot.capacity:
        return None
    queue = db.session.scalars(select(Booking).where(
        Booking.slot_id == slot_id, Booking.status == BookingStatus.waitlisted)
        .order_by(*IN_LINE)).all()
    for candidate in queue:
        if _clash(candidate.resident_id, slot) is not None:
            continue
        lock_row(Resident, candidate.resident_id, load=False)
        if _clash(candidate.resident_id, slot) is not None:
            continue
        payer = points.service_payer(candidate.resident) if candidate.price_points else None
        if payer is not None and not points.can_pay(payer, candidate.price_points):
            _drop_unpaid(candidate)
            continue
        if not _take_place(slot_id):
            return None
        candidate.status, candidate.booked_at = BookingStatus.booked, now()
        db.session.flush()
        _charge_booking(candidate, payer)  # cannot fail: the balance was checked under the account's lock
        event = candidate.event
        notify(booking_people(candidate), Note(
            "booking", _l("Off the waiting list: %(event)s", event=event.title),
            _l("Booked for you: %(event)s, %(start)s–%(end)s. If you cannot come, please cancel in time.",
               event=event.title, start=f"{candidate.starts_at:%m-%d %H:%M}", end=f"{candidate.ends_at:%H:%M}"),
            f"/my/bookings/{candidate.id}"))
        return candidate
    return None


def booking_people(booking: Booking) -> list[User]:
    """Who hears about a booking: the resident, and whoever booked it for them (代办)."""
    return users_of_residents([booking.resident_id]) + [db.session.get(User, booking.booked_by_id)]


def _drop_unpaid(booking: Booking) -> None:
    """A waiting resident whose points no longer cover the price loses the turn, and is told why."""
    booking.status, booking.cancelled_at = BookingStatus.cancelled, now()
    booking.cancel_reason_text = _l("Not enough points (%(points)s needed)", points=booking.price_points)
    db.session.flush()
    event = booking.event
    notify(booking_people(booking), Note(
        "booking", _l("Waiting-list place lost: %(event)s", event=event.title),
        _l("A place at %(event)s on %(time)s came free, but you have fewer than %(points)s points, so your "
           "waiting-list place is cancelled.", event=event.title, time=f"{booking.starts_at:%m-%d %H:%M}",
           points=booking.price_points), f"/my/bookings/{booking.id}"))


def waiting_line(*where):
    """The waiting bookings (of the slots ``where`` names) with their ``place`` in their slot's line, 1 first."""
    place = func.row_number().over(partition_by=Booking.slot_id, order_by=IN_LINE).label("place")
    return select(Booking.id, place).where(Booking.status == BookingStatus.waitlisted, *where).subquery()


def waitlist_position(booking: Booking) -> int | None:
    """1 for the next in line; None when not waiting."""
    if booking.status != BookingStatus.waitlisted:
        return None
    if booking.position_in_line is not None:  # read with its list
        return booking.position_in_line
    line = waiting_line(Booking.slot_id == booking.slot_id)
    return db.session.scalar(select(line.c.place).where(line.c.id == booking.id))


def bookings_page(actor: Actor, args: dict) -> dict:
    """One page of ``bookings_query`` (the ``page_schema`` envelope), each waiting booking knowing its place in line."""
    page = paginate(bookings_query(actor, args), args["page"], args["per_page"])
    note_places_in_line(page["items"])
    return page


def note_places_in_line(bookings: list[Booking]) -> None:
    """Read the places in line of a list's waiting bookings in one query (``waitlist_position`` then asks none)."""
    waiting = {booking.id: booking for booking in bookings if booking.status == BookingStatus.waitlisted}
    if waiting:
        line = waiting_line(Booking.slot_id.in_({booking.slot_id for booking in waiting.values()}))
        for booking_id, place in db.session.execute(select(line.c.id, line.c.place).where(line.c.id.in_(waiting))):
            waiting[booking_id].position_in_line = place
