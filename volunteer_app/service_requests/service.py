"""Rules of resident services: the menu, events with bookable slots, requests (工单)
through the closed loop 受理→分派→处置→反馈→评价, follow-ups and micro-wishes.

Two guarantees shape this module:

* No over-booking, ever. Every change to a slot's places first takes the
  slot's row lock (``lock_row``), then moves the counter with a guarded
  UPDATE (``booked < capacity``), and a CHECK constraint refuses the rest.
  A resident's own bookings are serialised by a lock on their row, always
  taken *after* the slot's, so two paths can never wait on each other.
* Every state change of a request goes through one transition table and
  leaves one ``RequestEvent`` (who, when, from, to, why). The request row is
  locked first, so two workers accepting at once give one 200 and one 409.
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_login import current_user
from sqlalchemy import Select, false, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from solver import constraints, distance_m, suggest
from solver.model import Demand, Location, Problem, format_minute, problem_from_dict
from solver.model import Volunteer as SolverVolunteer

from ..accounts.models import Role, User
from ..accounts.scoping import current_scope
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..notifications.service import Note, coordinators_of, notify, users_of_volunteers
from ..people.availability import away_during
from ..people.models import Resident, ServiceLog, Volunteer, VolunteerStatus
from ..people.service import skills_by_code
from ..places.models import Building, Community, Station
from ..pii import mask_name
from ..places.service import parent_in_scope
from ..points import service as points
from ..resources import ResourceService, check_version
from ..roster.models import RosterWeek
from ..roster.problem import build_problem, live_pairs, parse_key, volunteer_key, week_bounds
from ..roster.service import normalise_week
from ..roster.urgent import now_local
from .deadlines import OFFICE_HOURS, BusinessClock, OpeningHours, effective_limits
from .models import (
    Booking, BookingStatus, EventStatus, FollowUp, FollowUpStatus, RequestEvent, RequestState, ServiceEvent,
    ServiceLocation, ServiceRequest, ServiceSlot, ServiceType, Wish, WishState,
)

MINUTE = "%Y-%m-%dT%H:%M"
MAX_SLOTS = 200  # per event: a morning of 1-minute slots is a typo, not a plan
LOW_RATING = 2  # this or less opens a follow-up for the coordinator


def now() -> datetime:
    """China local time without an offset (as slots and deadlines are kept); tests fix it."""
    return now_local()


def iso_week(moment: datetime) -> str:
    return "{}-W{:02d}".format(*moment.isocalendar()[:2])


def lock_row(model, record_id: int, load: bool = True):
    """Hold a row against concurrent writers until commit, on both engines; return it fresh.

    PostgreSQL: ``SELECT … FOR UPDATE``. SQLite has no row locks, and pysqlite
    begins a transaction only at the first write, so a read-check-write could
    interleave with another writer's; a no-op UPDATE takes SQLite's single
    write lock now, which serialises the rest of this transaction.
    ``load=False`` only takes the lock (one round trip less while holding it).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        if not load:
            db.session.execute(select(model.id).where(model.id == record_id).with_for_update())
            return None
        return db.session.scalar(select(model).where(model.id == record_id).with_for_update()
                                 .execution_options(populate_existing=True))
    table = model.__table__
    db.session.execute(update(table).where(table.c.id == record_id).values(id=table.c.id))
    if load:
        return db.session.scalar(select(model).where(model.id == record_id).execution_options(populate_existing=True))
    return None


# --- who may see and do what -------------------------------------------------------------------


def is_staff(user: User) -> bool:
    return user.role in (Role.admin, Role.coordinator)


def home_community(user: User) -> int | None:
    """The community a resident's or volunteer's account belongs to."""
    if user.resident_id is not None:
        return db.session.scalar(select(Resident.community_id).where(Resident.id == user.resident_id))
    if user.volunteer_id is not None:
        return db.session.scalar(select(Volunteer.community_id).where(Volunteer.id == user.volunteer_id))
    return None


def readable(column):
    """The menu, events and the wish board are public within a community: coordinators
    read the communities they can see (a grid worker their grid's), residents and
    volunteers their own."""
    if is_staff(current_user):
        scope = current_scope()
        return true() if scope.everything else column.in_(scope.visible_communities)
    community = home_community(current_user)
    return column == community if community is not None else false()


def can_read(community_id: int | None) -> bool:
    if is_staff(current_user):
        scope = current_scope()
        return scope.everything or community_id in scope.visible_communities
    return community_id is not None and community_id == home_community(current_user)


def require_staff_in(community_id: int, grid_id: int | None = None, what: str = "records") -> None:
    if not is_staff(current_user) or not current_scope().allows(community_id, grid_id):
        raise Forbidden(f"Only a coordinator of this community may change {what}")


def resident_for(user: User, resident_id: int | None, volunteers_may: bool = False) -> Resident:
    """Whom the caller acts for: residents for themselves; grid workers (代办) and, where
    allowed, volunteers for a resident of their community."""
    if user.role == Role.resident:
        if user.resident_id is None:
            raise Forbidden("Your account is not linked to a resident record")
        if resident_id not in (None, user.resident_id):
            raise InvalidInput("Residents act for themselves", {"resident_id": ["you may act only for yourself"]})
        return db.session.get(Resident, user.resident_id)
    if resident_id is None:
        raise InvalidInput("For whom?", {"resident_id": ["required when acting for a resident"]})
    if is_staff(user):
        return parent_in_scope(Resident, resident_id, "resident_id")
    if volunteers_may and user.volunteer_id is not None:
        resident = db.session.get(Resident, resident_id)
        if resident is not None and resident.community_id == home_community(user):
            return resident
        raise InvalidInput(f"Unknown resident_id {resident_id}", {"resident_id": ["no such resident in your community"]})
    raise Forbidden("Your role may not act for residents")


def users_of_residents(resident_ids) -> list[User]:
    ids = [i for i in resident_ids if i is not None]
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(User.resident_id.in_(ids))))


def is_priority(resident: Resident | None) -> bool:
    """低保, 残疾, 独居老人 …: any priority group."""
    return bool(resident is not None and resident.priority_groups)


def price_for(service_type: ServiceType, resident: Resident | None) -> int:
    if service_type.free_for_priority_groups and is_priority(resident):
        return 0
    return service_type.points_price


# --- the menu -----------------------------------------------------------------------------------


class ServiceTypeService(ResourceService):
    """A community's service menu: public to its residents, changed by its coordinators."""

    model, what = ServiceType, "service type"
    order_by = (ServiceType.community_id, ServiceType.code)

    def base_query(self):
        return select(ServiceType).where(readable(ServiceType.community_id))

    def visible(self, obj) -> bool:
        return can_read(obj.community_id)

    def filtered(self, args):
        statement = super().filtered(args)
        for key in ("community_id", "location", "active"):
            if args.get(key) is not None:
                statement = statement.where(getattr(ServiceType, key) == args[key])
        if args.get("q"):
            statement = statement.where(ServiceType.name.contains(args["q"]))
        return statement

    def create(self, data: dict) -> ServiceType:
        parent_in_scope(Community, data["community_id"], "community_id")
        return self.apply(ServiceType(community_id=data["community_id"]), data)

    def update(self, obj: ServiceType, data: dict) -> ServiceType:
        require_staff_in(obj.community_id, what="this menu")
        if data.get("community_id", obj.community_id) != obj.community_id:
            raise InvalidInput("A service type stays in its community",
                               {"community_id": ["cannot move to another community; create it there"]})
        return self.apply(obj, data)

    def delete(self, obj: ServiceType) -> None:
        require_staff_in(obj.community_id, what="this menu")
        used = db.session.scalar(select(func.count()).select_from(ServiceEvent).where(
            ServiceEvent.service_type_id == obj.id)) or db.session.scalar(select(func.count()).select_from(
                ServiceRequest).where(ServiceRequest.service_type_id == obj.id))
        if used:
            raise Conflict(f"service type {obj.code} has events or requests",
                           {"id": ["in use: set active to false instead"]})
        super().delete(obj)

    def apply(self, service_type: ServiceType, data: dict) -> ServiceType:
        """Validate everything first, then change: a refused write leaves no trace."""
        code = data.get("code", service_type.code)
        if "code" in data:
            existing = db.session.scalar(select(ServiceType).where(
                ServiceType.community_id == service_type.community_id, ServiceType.code == code))
            if existing is not None and existing.id != service_type.id:
                raise Conflict(f"service type {code} already exists in this community",
                               {"code": [f"already used by id {existing.id}"]}, existing={"id": existing.id})
        if "skills" in data:
            data["skills"] = [s.code for s in skills_by_code(data["skills"])]
        if data.get("station_id") is not None:
            station = db.session.get(Station, data["station_id"])
            if station is None or station.community_id != service_type.community_id:
                raise InvalidInput("Unknown station",
                                   {"station_id": [f"no station {data['station_id']} in this community"]})
        for key, value in data.items():
            setattr(service_type, key, value)
        db.session.add(service_type)
        db.session.flush()
        return service_type


service_types = ServiceTypeService()


def type_for(service_type_id: int, staff_only: bool = False) -> ServiceType:
    """An offered service type the caller can see (422 naming the field otherwise)."""
    service_type = db.session.get(ServiceType, service_type_id)
    if service_type is None or not can_read(service_type.community_id) or (
            staff_only and not current_scope().allows(service_type.community_id)):
        raise InvalidInput(f"Unknown service type {service_type_id}",
                           {"service_type_id": [f"no service type {service_type_id} on your community's menu"]})
    if not service_type.active:
        raise InvalidInput("Service no longer offered", {"service_type_id": [f"{service_type.name} is not offered now"]})
    return service_type


def clock_for(service_type: ServiceType) -> BusinessClock:
    """Deadlines run on the opening hours of where the service happens (office hours if nowhere)."""
    station = service_type.station
    return BusinessClock(OpeningHours.of_station(station) if station is not None else OFFICE_HOURS)


# --- events and slots ----------------------------------------------------------------------------


def _opening_problem(station: Station, starts_at: datetime, ends_at: datetime) -> str | None:
    """Why the event does not fit the station's opening hours, or None when it does."""
    if not station.opening_hours:
        return None  # the station states no hours: nothing to hold the event to
    clock = BusinessClock(OpeningHours.of_station(station))
    if clock.within_opening(starts_at, ends_at):
        return None
    spans = clock.open_spans(starts_at.date())
    if not spans:
        status = clock.status_of(starts_at.date())
        why = f" ({status.holiday_name})" if status.holiday_name else ""
        return f"{station.name} is closed on {starts_at:%Y-%m-%d}{why}"
    hours = ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in spans)
    return f"outside the opening hours of {station.name} on {starts_at:%Y-%m-%d}: {hours}"


def create_event(data: dict, user: User) -> ServiceEvent:
    """Schedule an event and cut it into slots of ``capacity_per_slot`` places each, every slot as long
    as the service takes (its ``duration_min`` on the menu: one source for both)."""
    service_type = type_for(data["service_type_id"], staff_only=True)
    require_staff_in(service_type.community_id, what="events")
    station_id = data.get("station_id") or service_type.station_id
    station = db.session.get(Station, station_id) if station_id else None
    if station is None or station.community_id != service_type.community_id:
        raise InvalidInput("Where does it happen?", {"station_id": [f"no station {station_id} in this community"
                                                                    if station_id else "required: the type names none"]})
    starts_at, ends_at, minutes = data["starts_at"], data["ends_at"], service_type.duration_min
    if starts_at <= now():
        raise InvalidInput("Event in the past", {"starts_at": ["is in the past"]})
    if ends_at.date() != starts_at.date():
        raise InvalidInput("Event spans days", {"ends_at": ["must be on the same day as starts_at"]})
    span = int((ends_at - starts_at).total_seconds() // 60)
    if span % minutes:
        raise InvalidInput("Slots do not fit", {"ends_at": [
            f"{starts_at:%H:%M}-{ends_at:%H:%M} is not a whole number of {minutes}-minute slots"]})
    if span // minutes > MAX_SLOTS:
        raise InvalidInput("Too many slots", {"ends_at": [f"makes {span // minutes} slots; at most {MAX_SLOTS}"]})
    problem = _opening_problem(station, starts_at, ends_at)
    if problem:
        raise InvalidInput("Outside opening hours", {"starts_at": [problem]})
    event = ServiceEvent(community_id=service_type.community_id, service_type_id=service_type.id,
                         service_type=service_type, station_id=station.id, title=data.get("title") or service_type.name,
                         starts_at=starts_at, ends_at=ends_at, slot_minutes=minutes,
                         capacity_per_slot=data["capacity_per_slot"], note=data.get("note", ""), created_by_id=user.id)
    step = timedelta(minutes=minutes)
    event.slots = [ServiceSlot(starts_at=starts_at + i * step, ends_at=starts_at + (i + 1) * step,
                               capacity=event.capacity_per_slot, booked=0) for i in range(span // minutes)]
    db.session.add(event)
    db.session.flush()
    return event


def events_query(args: dict) -> Select:
    statement = select(ServiceEvent).where(readable(ServiceEvent.community_id))
    for key in ("community_id", "service_type_id", "station_id", "status"):
        if args.get(key) is not None:
            statement = statement.where(getattr(ServiceEvent, key) == args[key])
    if args.get("starts_from"):
        statement = statement.where(ServiceEvent.starts_at >= args["starts_from"])
    if args.get("starts_before"):
        statement = statement.where(ServiceEvent.starts_at < args["starts_before"])
    return statement.order_by(ServiceEvent.starts_at, ServiceEvent.id)


def get_event(event_id: int) -> ServiceEvent:
    event = db.session.get(ServiceEvent, event_id)
    if event is None or not can_read(event.community_id):
        raise NotFound(f"service event {event_id} not found")
    return event


def slots_of(event: ServiceEvent) -> list[dict]:
    """Each slot with its free places, waiting list length and (for residents) their own status."""
    waiting = dict(db.session.execute(
        select(Booking.slot_id, func.count()).where(Booking.event_id == event.id,
                                                    Booking.status == BookingStatus.waitlisted)
        .group_by(Booking.slot_id)).all())
    mine = {}
    if current_user.resident_id is not None:
        mine = dict(db.session.execute(select(Booking.slot_id, Booking.status).where(
            Booking.event_id == event.id, Booking.resident_id == current_user.resident_id)).all())
    return [{"id": s.id, "event_id": event.id, "starts_at": s.starts_at, "ends_at": s.ends_at,
             "capacity": s.capacity, "booked": s.booked, "free": s.capacity - s.booked,
             "waitlisted": waiting.get(s.id, 0), "mine": mine[s.id].value if s.id in mine else None}
            for s in event.slots]


def cancel_event(event: ServiceEvent, reason: str, user: User) -> ServiceEvent:
    """Call the event off: every booking and waiting place is cancelled and told."""
    require_staff_in(event.community_id, what="events")
    for slot in sorted(event.slots, key=lambda s: s.id):  # one order for everyone: no deadlock
        lock_row(ServiceSlot, slot.id, load=False)
    event = db.session.scalar(select(ServiceEvent).where(ServiceEvent.id == event.id)
                              .execution_options(populate_existing=True))
    if event.status == EventStatus.cancelled:
        raise Conflict("The event is already cancelled", {"id": ["cancelled"]})
    at = now()
    bookings = db.session.scalars(select(Booking).where(Booking.event_id == event.id,
                                                        Booking.status != BookingStatus.cancelled)).all()
    for booking in bookings:
        booking.status, booking.cancelled_at, booking.cancel_reason = BookingStatus.cancelled, at, f"活动取消：{reason}"
        points.refund_service(booking.charge, f"活动取消 event {event.id} called off")
    table = ServiceSlot.__table__
    db.session.execute(update(table).where(table.c.event_id == event.id).values(booked=0))
    event.status, event.note = EventStatus.cancelled, reason
    db.session.flush()
    notify(users_of_residents({b.resident_id for b in bookings}), Note(
        "booking", f"活动取消：{event.title}", f"{event.starts_at:%m月%d日 %H:%M} 的{event.title}已取消。原因：{reason}",
        f"/service-events/{event.id}"))
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
    return Conflict("This slot is full", {"slot_id": ["full: choose another slot or join the waiting list (waitlist)"]},
                    waitlist_open=True)


def book(slot_id: int, resident_id: int | None, waitlist: bool, user: User) -> Booking:
    """Book a place in a slot, or join its waiting list (``waitlist``) when it is full.

    Locks: the slot first (its places), then the resident (their other
    bookings); every path that takes both takes them in this order.
    """
    slot = db.session.get(ServiceSlot, slot_id)
    if slot is None or not can_read(slot.event.community_id):
        raise InvalidInput(f"Unknown slot {slot_id}", {"slot_id": [f"no slot {slot_id} in your community"]})
    resident = resident_for(user, resident_id)
    event = slot.event
    if resident.community_id != event.community_id:
        raise InvalidInput("Another community's event", {"slot_id": ["this event is for another community's residents"]})
    if slot.starts_at <= now():
        raise InvalidInput("Slot in the past", {"slot_id": [f"started at {slot.starts_at:%Y-%m-%d %H:%M}"]})
    if slot.booked >= slot.capacity and not waitlist:
        raise _full()  # full when read: refusing needs no lock, and a rush's many refusals wait for none
    service_type = event.service_type
    priority, price = service_type.priority_groups_first and is_priority(resident), price_for(service_type, resident)
    payer = points.service_payer(resident) if price else None
    if payer is not None and payer.balance < price:
        raise points.InsufficientPoints(f"{price} points needed, the balance is {payer.balance}", {"slot_id": [
            f"costs {price} points, the balance is {payer.balance}"]}, balance=payer.balance, needed=price)
    lock_row(ServiceSlot, slot.id, load=False)
    lock_row(Resident, resident.id, load=False)
    if db.session.scalar(select(ServiceEvent.status).where(ServiceEvent.id == event.id)) != EventStatus.scheduled:
        raise Conflict("The event was cancelled", {"slot_id": ["the event was cancelled"]})
    booking = db.session.scalar(select(Booking).where(Booking.slot_id == slot.id, Booking.resident_id == resident.id)
                                .execution_options(populate_existing=True))
    if booking is not None and booking.status != BookingStatus.cancelled:
        raise Conflict(f"{resident.name} already holds this slot", {"slot_id": [
            f"already {booking.status.value} (booking {booking.id})"]}, booking_id=booking.id)
    clash = _clash(resident.id, slot)
    if clash is not None:
        raise Conflict(f"{resident.name} already has a booking at that time", {"slot_id": [
            f"overlaps booking {clash.id}: {clash.event.title} {clash.starts_at:%m-%d %H:%M}-{clash.ends_at:%H:%M}"]},
            booking_id=clash.id)
    booking = booking or Booking(slot_id=slot.id, event_id=event.id, resident_id=resident.id)
    booking.community_id, booking.grid_id = resident.community_id, resident.grid_id
    booking.starts_at, booking.ends_at = slot.starts_at, slot.ends_at
    booking.priority, booking.price_points = priority, price
    booking.booked_by_id, booking.cancelled_at, booking.cancel_reason = user.id, None, ""
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


def bookings_query(args: dict) -> Select:
    """Coordinators: bookings in their scope; residents: their own."""
    statement = select(Booking)
    if is_staff(current_user):
        statement = statement.where(current_scope().clause(Booking))
    elif current_user.resident_id is not None:
        statement = statement.where(Booking.resident_id == current_user.resident_id)
    else:
        statement = statement.where(false())
    for key in ("event_id", "slot_id", "resident_id", "status"):
        if args.get(key) is not None:
            statement = statement.where(getattr(Booking, key) == args[key])
    return statement.order_by(Booking.starts_at, Booking.id)


def get_booking(booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None or not (
            (is_staff(current_user) and current_scope().allows(booking.community_id, booking.grid_id))
            or (current_user.resident_id is not None and booking.resident_id == current_user.resident_id)):
        raise NotFound(f"booking {booking_id} not found")
    return booking


def cancel_booking(booking_id: int, reason: str, user: User) -> Booking:
    """Cancel a place or a waiting-list entry; a freed place goes to the next in line at once."""
    booking = get_booking(booking_id)
    if booking.status == BookingStatus.booked and booking.starts_at <= now():
        raise Conflict("The slot has started", {"id": ["cannot cancel after the start; tell the station"]})
    lock_row(ServiceSlot, booking.slot_id, load=False)
    booking = db.session.scalar(select(Booking).where(Booking.id == booking_id)
                                .execution_options(populate_existing=True))
    if booking.status == BookingStatus.cancelled:
        raise Conflict("Already cancelled", {"id": ["already cancelled"]})
    held = booking.status == BookingStatus.booked
    booking.status, booking.cancelled_at, booking.cancel_reason = BookingStatus.cancelled, now(), reason
    db.session.flush()
    if held:
        points.refund_service(booking.charge, f"预约取消 booking {booking.id} cancelled")
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
        .order_by(Booking.priority.desc(), Booking.waitlisted_at, Booking.id)).all()
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
            "booking", f"候补成功：{event.title}",
            f"已为您预约 {candidate.starts_at:%m月%d日 %H:%M}-{candidate.ends_at:%H:%M} {event.title}，"
            f"如不能参加请及时取消。", f"/my/bookings/{candidate.id}"))
        return candidate
    return None


def booking_people(booking: Booking) -> list[User]:
    """Who hears about a booking: the resident, and whoever booked it for them (代办)."""
    return users_of_residents([booking.resident_id]) + [db.session.get(User, booking.booked_by_id)]


def _drop_unpaid(booking: Booking) -> None:
    """A waiting resident whose points no longer cover the price loses the turn, and is told why."""
    booking.status, booking.cancelled_at = BookingStatus.cancelled, now()
    booking.cancel_reason = f"积分不足（需要 {booking.price_points} 积分）"
    db.session.flush()
    event = booking.event
    notify(booking_people(booking), Note(
        "booking", f"候补未成功：{event.title}",
        f"{booking.starts_at:%m月%d日 %H:%M} 的{event.title}有空位，但您的积分不足 {booking.price_points}，候补已取消。",
        f"/my/bookings/{booking.id}"))


def waitlist_position(booking: Booking) -> int | None:
    """1 for the next in line; None when not waiting."""
    if booking.status != BookingStatus.waitlisted:
        return None
    ids = db.session.scalars(select(Booking.id).where(
        Booking.slot_id == booking.slot_id, Booking.status == BookingStatus.waitlisted)
        .order_by(Booking.priority.desc(), Booking.waitlisted_at, Booking.id)).all()
    return ids.index(booking.id) + 1 if booking.id in ids else None


# --- requests (工单): filing ------------------------------------------------------------------------


S = RequestState
OPEN_STATES = (S.submitted, S.accepted, S.dispatched, S.in_progress, S.escalated, S.resolved)
STEP_OF_STATE = {S.submitted: "accept", S.accepted: "dispatch", S.dispatched: "start", S.in_progress: "resolve",
                 S.resolved: "rate"}
STEP_NAMES = {"accept": "受理", "dispatch": "分派", "start": "开始处置", "resolve": "办结", "rate": "评价回访",
              "department": "部门办理"}  # as coordinators read them in notifications


def _digest(data: dict) -> str:
    """Fingerprint of a filing, to tell a retry from a different request under the same key."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def _by_key(user_id: int, key: str) -> ServiceRequest | None:
    return db.session.scalar(select(ServiceRequest).where(ServiceRequest.filed_by_id == user_id,
                                                          ServiceRequest.idempotency_key == key))


def _replay(existing: ServiceRequest, digest: str) -> tuple[ServiceRequest, bool]:
    if existing.payload_digest != digest:
        raise Conflict("This idempotency key was used for a different request", {
            "Idempotency-Key": [f"already used for request {existing.id} with other content; use a new key"]},
            existing={"id": existing.id})
    return existing, True


def _building_for(user: User, building_id: int) -> Building:
    if is_staff(user):
        return parent_in_scope(Building, building_id, "building_id")
    building = db.session.get(Building, building_id)
    if building is None or building.community_id != home_community(user):
        raise InvalidInput(f"Unknown building_id {building_id}", {"building_id": ["no such building in your community"]})
    return building


def _check_windows(windows: list[dict], service_type: ServiceType) -> list[dict]:
    at, need = now(), timedelta(minutes=service_type.duration_min)
    for number, window in enumerate(windows, start=1):
        if window["start"] <= at:
            raise InvalidInput("Time window in the past", {"preferred_windows": [f"window {number} starts in the past"]})
        if window["end"] - window["start"] < need:
            raise InvalidInput("Time window too short", {"preferred_windows": [
                f"window {number} is shorter than the {service_type.duration_min} minutes {service_type.name} takes"]})
        if service_type.location == ServiceLocation.station and service_type.station is not None:
            problem = _opening_problem(service_type.station, window["start"], window["start"] + need)
            if problem:
                raise InvalidInput("Outside opening hours", {"preferred_windows": [f"window {number}: {problem}"]})
    return [{"start": w["start"].strftime(MINUTE), "end": w["end"].strftime(MINUTE)}
            for w in sorted(windows, key=lambda w: w["start"])]


def _priority(service_type: ServiceType, resident: Resident | None, urgent: bool) -> int:
    """Roster priority (1–10): urgent first, then priority groups where the service says so."""
    if urgent:
        return 10
    return 7 if service_type.priority_groups_first and is_priority(resident) else 3


def file_request(data: dict, user: User, key: str | None) -> tuple[ServiceRequest, bool]:
    """File a request; ``(request, replayed)``. A retry with the same key returns the first one.

    A resident files for themselves; a grid worker or a volunteer for a
    resident (``resident_id``) or for a place (``building_id``).
    """
    digest, filer_id = _digest(data), user.id
    if key:
        existing = _by_key(filer_id, key)
        if existing is not None:
            return _replay(existing, digest)
    service_type = type_for(data["service_type_id"])
    resident = None
    if user.role == Role.resident or data.get("resident_id") is not None:
        resident = resident_for(user, data.get("resident_id"), volunteers_may=True)
    elif not is_staff(user) and user.volunteer_id is None:
        raise Forbidden("Your account may not file requests")
    if data.get("building_id") is not None:
        building = _building_for(user, data["building_id"])
    elif resident is not None:
        building = db.session.get(Building, resident.building_id)
    else:
        raise InvalidInput("Where is it?", {"building_id": ["give a building or a resident"]})
    if resident is not None and building.community_id != resident.community_id:
        raise InvalidInput("Building in another community", {"building_id": ["not in the resident's community"]})
    if service_type.community_id != building.community_id:
        raise InvalidInput("Not on this menu", {"service_type_id": ["not on the menu of the building's community"]})
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
        _record(request, None, S.submitted, user, request.submitted_at, "")  # its queries autoflush the insert
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
            points.service_payer(resident), request.price_points, request.community_id,
            f"{service_type.name} 工单 {request.id}", {"request_id": request.id}, field="service_type_id")
        request.charge_transfer_id = request.charge.id
        db.session.flush()
    notify(coordinators_of(request.community_id), Note(
        "request", f"新工单：{service_type.name}{'（紧急）' if request.urgent else ''}", request.description[:100],
        f"/service-requests/{request.id}"))
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


def _record(request: ServiceRequest, source: RequestState | None, target: RequestState, user: User | None,
            at: datetime, reason: str, details: dict | None = None) -> None:
    """The one way a request changes state: a history row, then the next step's deadline."""
    late = source is not None and request.due_at is not None and at > request.due_at
    request.history.append(RequestEvent(at=at, actor_id=user.id if user else None, from_state=source,
                                        to_state=target, reason=reason, late=late, details=details or {}))
    request.state = target
    _set_deadlines(request, at)


# --- requests: the transition table -------------------------------------------------------------------


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


def check_move(table: dict, source, target, roles: set[str], data: dict, what: str) -> None:
    """409 for a move the table does not have, 403 for the wrong person, 422 naming missing fields."""
    rule = table.get((source, target))
    if rule is None:
        allowed = [s.value for s in next_states(source, table)]
        raise Conflict(f"A {source.value} {what} cannot become {target.value}", {"to": [
            f"from {source.value}: {', '.join(allowed) if allowed else 'no further change (closed)'}"]},
            state=source.value, allowed=allowed)
    if not roles & rule.by:
        raise Forbidden(f"You may not make this {what} {target.value}")
    missing = {field: [f"required to make it {target.value}"] for field in rule.needs if data.get(field) in (None, "")}
    if missing:
        raise InvalidInput(f"Missing information to make it {target.value}", missing)


def roles_in(request: ServiceRequest, user: User) -> set[str]:
    roles = set()
    if is_staff(user) and current_scope().allows(request.community_id, request.grid_id):
        roles.add(STAFF)
    if user.volunteer_id is not None and request.volunteer_id == user.volunteer_id:
        roles.add(ASSIGNEE)
    if request.filed_by_id == user.id or (user.resident_id is not None and request.resident_id == user.resident_id):
        roles.add(REQUESTER)
    return roles


def get_request(request_id: int, lock: bool = False) -> ServiceRequest:
    """Coordinators see their scope, residents their own, volunteers what they filed or were given."""
    request = lock_row(ServiceRequest, request_id) if lock else db.session.get(ServiceRequest, request_id)
    if request is None or not roles_in(request, current_user):
        raise NotFound(f"service request {request_id} not found")
    return request


def requests_query(args: dict) -> Select:
    user = current_user
    mine = [ServiceRequest.filed_by_id == user.id]
    if is_staff(user):
        mine.append(current_scope().clause(ServiceRequest))
    if user.resident_id is not None:
        mine.append(ServiceRequest.resident_id == user.resident_id)
    if user.volunteer_id is not None:
        mine.append(ServiceRequest.volunteer_id == user.volunteer_id)
    statement = select(ServiceRequest).where(or_(*mine))
    for key in ("community_id", "grid_id", "service_type_id", "resident_id", "volunteer_id", "state", "urgent"):
        if args.get(key) is not None:
            statement = statement.where(getattr(ServiceRequest, key) == args[key])
    if args.get("overdue"):
        statement = statement.where(ServiceRequest.state.in_(OPEN_STATES), ServiceRequest.due_at < now())
        return statement.order_by(ServiceRequest.due_at, ServiceRequest.id)
    return statement.order_by(ServiceRequest.id.desc())


def transition(request_id: int, data: dict, user: User) -> ServiceRequest:
    """Move a request along the closed loop (one row lock: a concurrent second move gets 409).

    Accepting an urgent request dispatches it at once to the best-ranked volunteer.
    """
    request = get_request(request_id, lock=True)
    if data.get("version") is not None:
        check_version(request, data["version"])
    source, target, roles = request.state, data["to"], roles_in(request, user)
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
            raise InvalidInput("Deadline in the past", {"department_due_at": ["must be in the future"]})
        request.department, request.department_due_at = data["department"], data["department_due_at"]
        details = {"department": data["department"], "due_at": data["department_due_at"].strftime(MINUTE)}
    elif target == S.rated:
        request.rating, request.rating_comment, request.rated_by_id = data["rating"], data.get("comment", ""), user.id
        reason = request.rating_comment
        details = {"rating": data["rating"], "by": "requester" if REQUESTER in roles else "phone follow-up"}
    _record(request, source, target, user, at, reason, details)
    db.session.flush()
    if target in (S.rejected, S.cancelled):
        points.refund_service(request.charge, f"工单 {request.id} {target.value}")
    elif target == S.resolved and request.volunteer_id is not None:
        _log_hours(request, at)
    elif target == S.rated and request.volunteer_id is not None:
        earn_for_request(request, at)
    _tell(request, source, target)
    if target == S.rated and request.rating <= LOW_RATING:
        open_follow_up(request, "low_rating", f"评分 {request.rating}：{request.rating_comment}")
    if target == S.accepted and source == S.submitted and request.urgent:
        _dispatch_at_once(request, user)
    return request


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
                      description=f"工单 {request.id}：{request.service_type.name}"[:128])


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
    """Who hears of a change, in their language (zh-CN)."""
    name, link = request.service_type.name, f"/service-requests/{request.id}"
    requesters = users_of_residents([request.resident_id]) + [db.session.get(User, request.filed_by_id)]
    messages = {
        S.accepted: (requesters, f"工单已受理：{name}", "我们已收到您的需求，正在安排。"),
        S.dispatched: (requesters, f"工单已派单：{name}",
                       f"{request.volunteer.name if request.volunteer else '志愿者'} 将为您服务"
                       + (f"，时间 {request.scheduled_start:%m月%d日 %H:%M}" if request.scheduled_start else "") + "。"),
        S.resolved: (requesters, f"工单已办结：{name}", f"处理结果：{request.resolution_note}。请您评价。"),
        S.rejected: (requesters, f"工单未受理：{name}", f"原因：{request.rejection_reason}"),
        S.escalated: (requesters, f"工单已转交：{name}", f"已转交{request.department}处理。"),
        S.cancelled: (coordinators_of(request.community_id), f"工单已撤销：{name}", request.description[:100]),
    }
    if target == S.accepted and source == S.dispatched:
        messages[S.accepted] = (coordinators_of(request.community_id), f"工单被退回，请重新派单：{name}",
                                request.history[-1].reason)
    if target in messages:
        users, title, body = messages[target]
        notify(users, Note("request", title, body, link))
    if target == S.dispatched:
        notify(users_of_volunteers([request.volunteer_id]), Note(
            "task", f"新的服务任务：{name}",
            f"{request.scheduled_start:%m月%d日 %H:%M} {request.address or ''} {request.description[:60]}", link))


# --- dispatch ---------------------------------------------------------------------------------------


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
    monday, _ = week_bounds(normalise_week(week))
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


def candidates(request: ServiceRequest, k: int = 10) -> list[dict]:
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


def dispatch_options(request: ServiceRequest) -> list[DispatchOption]:
    """Every volunteer of the request's community (those who left aside), best first.

    The suitable ones come first in ``solver.suggest``'s order (nearest, then least
    loaded); then the others, fewest obstacles first, then nearest, each with what
    stops them, checked with the solver's rules against the week's live plan.
    """
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
            raise InvalidInput("Time in the past", {"start": ["the planned time is over already"]})
    else:
        start, end = _planned_window(request, at)
    if data.get("volunteer_id") is not None:
        volunteer = db.session.get(Volunteer, data["volunteer_id"])
        if volunteer is None or volunteer.community_id != request.community_id:
            raise InvalidInput("Unknown volunteer",
                               {"volunteer_id": [f"no volunteer {data['volunteer_id']} in this community"]})
        ranked = False
    else:
        found = rank_volunteers(request, start, end, 1)
        if not found:
            raise Conflict("Nobody can take it at that time", {"volunteer_id": [
                "no available volunteer with the skills within reach: name one, choose another time, or escalate"]})
        volunteer, ranked = db.session.get(Volunteer, parse_key(found[0].volunteer)), True
    request.volunteer_id, request.volunteer = volunteer.id, volunteer
    request.scheduled_start, request.scheduled_end = start, end
    return {"volunteer_id": volunteer.id, "start": start.strftime(MINUTE), "end": end.strftime(MINUTE),
            "chosen_by": "ranking" if ranked else "coordinator"}


def _dispatch_at_once(request: ServiceRequest, user: User) -> None:
    """Urgent work goes straight to the nearest able volunteer; if nobody can, the coordinators hear it."""
    at = now()
    try:
        details = _dispatch(request, {}, at)
    except Conflict:
        notify(coordinators_of(request.community_id), Note(
            "request", f"紧急工单暂无可派志愿者：{request.service_type.name} #{request.id}",
            "请指定志愿者或吹哨上报。", f"/service-requests/{request.id}"))
        return
    _record(request, S.accepted, S.dispatched, user, at, "紧急工单：派给最近的可用志愿者", details)
    db.session.flush()
    _tell(request, S.accepted, S.dispatched)


def dispatch_planned(assignments: dict[int, int], user: User | None) -> int:
    """Dispatch accepted requests as a solved roster planned them (``{request_id: volunteer_id}``)."""
    done = 0
    for request_id, volunteer_id in sorted(assignments.items()):
        request = lock_row(ServiceRequest, request_id)
        if request is None or request.state != S.accepted:
            continue
        start = _first_window_start(request, now())
        if start is None:
            continue
        end = start + timedelta(minutes=request.service_type.duration_min)
        request.volunteer_id, request.volunteer = volunteer_id, db.session.get(Volunteer, volunteer_id)
        request.scheduled_start, request.scheduled_end = start, end
        _record(request, S.accepted, S.dispatched, user, now(), "roster plan",
                {"volunteer_id": volunteer_id, "start": start.strftime(MINUTE), "chosen_by": "roster"})
        db.session.flush()
        _tell(request, S.accepted, S.dispatched)
        done += 1
    return done


def my_requests(user: User, week: str | None) -> list[ServiceRequest]:
    """A volunteer's dispatched work ("my week"), soonest first."""
    if user.volunteer_id is None:
        return []
    statement = select(ServiceRequest).where(ServiceRequest.volunteer_id == user.volunteer_id,
                                             ServiceRequest.state.in_((S.dispatched, S.in_progress, S.resolved, S.rated)))
    if week:
        first, after = week_span(week)
        statement = statement.where(ServiceRequest.scheduled_start >= first, ServiceRequest.scheduled_start < after)
    return db.session.scalars(statement.order_by(ServiceRequest.scheduled_start, ServiceRequest.id)).all()


def flag_overdue() -> int:
    """Tell the coordinators once about each request that missed its step's deadline (run periodically)."""
    rows = db.session.scalars(select(ServiceRequest).where(
        ServiceRequest.state.in_(OPEN_STATES), ServiceRequest.due_at < now())).all()
    told = 0
    for request in rows:
        told += len(notify(coordinators_of(request.community_id), Note(
            "overdue", f"工单超时：{request.service_type.name} #{request.id}",
            f"{STEP_NAMES[request.due_step]}时限 {request.due_at:%m月%d日 %H:%M} 已过", f"/service-requests/{request.id}"),
            dedupe=f"overdue:{request.id}:{request.due_step}:{request.due_at:%Y%m%d%H%M}"))
    return told


# --- follow-ups ---------------------------------------------------------------------------------------


def open_follow_up(request: ServiceRequest, code: str, reason: str) -> FollowUp:
    follow_up = FollowUp(request_id=request.id, community_id=request.community_id, grid_id=request.grid_id,
                         reason_code=code, reason=reason[:500])
    db.session.add(follow_up)
    db.session.flush()
    notify(coordinators_of(request.community_id), Note(
        "follow_up", f"差评回访：{request.service_type.name} #{request.id}", reason[:200], f"/follow-ups/{follow_up.id}"))
    return follow_up


def follow_ups_query(args: dict) -> Select:
    statement = select(FollowUp).where(current_scope().clause(FollowUp))
    for key in ("community_id", "status"):
        if args.get(key) is not None:
            statement = statement.where(getattr(FollowUp, key) == args[key])
    return statement.order_by(FollowUp.id.desc())


def close_follow_up(follow_up_id: int, note: str, user: User) -> FollowUp:
    follow_up = lock_row(FollowUp, follow_up_id)
    if follow_up is None or not current_scope().allows(follow_up.community_id, follow_up.grid_id):
        raise NotFound(f"follow-up {follow_up_id} not found")
    if follow_up.status == FollowUpStatus.closed:
        raise Conflict("Already closed", {"id": ["already closed"]})
    follow_up.status, follow_up.closed_at, follow_up.closed_by_id, follow_up.note = (
        FollowUpStatus.closed, now(), user.id, note)
    db.session.flush()
    return follow_up


# --- micro-wishes (微心愿) ------------------------------------------------------------------------------


W = WishState
WISH_MOVES: dict[tuple[WishState, WishState], Move] = {
    (W.open, W.claimed): move(HELPER),  # a volunteer or party member of the community 认领
    (W.claimed, W.open): move(CLAIMER, STAFF),  # given back
    (W.claimed, W.fulfilled): move(CLAIMER, STAFF),
    (W.fulfilled, W.confirmed): move(OWNER, STAFF),
    (W.open, W.withdrawn): move(OWNER, STAFF),
    (W.claimed, W.withdrawn): move(OWNER, STAFF),
}


def wish_roles(wish: Wish, user: User) -> set[str]:
    roles = set()
    if is_staff(user) and current_scope().allows(wish.community_id, wish.grid_id):
        roles.add(STAFF)
    if user.volunteer_id is not None and home_community(user) == wish.community_id:
        roles.add(HELPER)
        if wish.claimed_by_volunteer_id == user.volunteer_id:
            roles.add(CLAIMER)
    if wish.posted_by_id == user.id or (user.resident_id is not None and wish.resident_id == user.resident_id):
        roles.add(OWNER)
    return roles


def post_wish(data: dict, user: User) -> Wish:
    resident = resident_for(user, data.get("resident_id"))
    wish = Wish(community_id=resident.community_id, grid_id=resident.grid_id, resident_id=resident.id,
                posted_by_id=user.id, title=data["title"], description=data.get("description", ""))
    db.session.add(wish)
    db.session.flush()
    return wish


def wishes_query(args: dict) -> Select:
    """The community's board; ``mine``: what you posted or claimed."""
    statement = select(Wish).where(readable(Wish.community_id))
    for key in ("community_id", "state"):
        if args.get(key) is not None:
            statement = statement.where(getattr(Wish, key) == args[key])
    if args.get("mine"):
        mine = [Wish.posted_by_id == current_user.id]
        if current_user.resident_id is not None:
            mine.append(Wish.resident_id == current_user.resident_id)
        if current_user.volunteer_id is not None:
            mine.append(Wish.claimed_by_volunteer_id == current_user.volunteer_id)
        statement = statement.where(or_(*mine))
    return statement.order_by(Wish.id.desc())


def get_wish(wish_id: int, lock: bool = False) -> Wish:
    wish = lock_row(Wish, wish_id) if lock else db.session.get(Wish, wish_id)
    if wish is None or not can_read(wish.community_id):
        raise NotFound(f"wish {wish_id} not found")
    return wish


def wish_resident_name(wish: Wish) -> str:
    """The board shows a surname only (李*), except to the people handling the wish."""
    if wish_roles(wish, current_user) & {STAFF, OWNER, CLAIMER}:
        return wish.resident.name
    return mask_name(wish.resident.name)


def move_wish(wish_id: int, data: dict, user: User) -> Wish:
    """Claim, give back, fulfil, confirm or withdraw (a concurrent second claim gets 409)."""
    wish = get_wish(wish_id, lock=True)
    if data.get("version") is not None:
        check_version(wish, data["version"])
    source, target, at = wish.state, data["to"], now()
    check_move(WISH_MOVES, source, target, wish_roles(wish, user), data, "wish")
    owners = users_of_residents([wish.resident_id]) + [db.session.get(User, wish.posted_by_id)]
    if target == W.claimed:
        wish.claimed_by_volunteer_id, wish.claimed_at = user.volunteer_id, at
        notify(owners, Note("wish", f"微心愿已被认领：{wish.title}", "志愿者将与您联系。", f"/wishes/{wish.id}"))
    elif target == W.open:
        wish.claimed_by_volunteer_id = wish.claimed_at = None
    elif target == W.fulfilled:
        wish.fulfilled_at, wish.fulfil_note = at, data.get("note", "")
        notify(owners, Note("wish", f"微心愿已实现：{wish.title}", "请确认。", f"/wishes/{wish.id}"))
    elif target == W.confirmed:
        wish.confirmed_at = at
        notify(users_of_volunteers([wish.claimed_by_volunteer_id]), Note(
            "wish", f"居民已确认：{wish.title}", "感谢您的付出！", f"/wishes/{wish.id}"))
    wish.state = target
    db.session.flush()
    return wish


# --- queries for the pages ---


QUEUE_TABS = ("new", "overdue", "mine", "open")


def queue_query(args: dict, tab: str, user: User) -> Select:
    """A grid worker's queue: new (待受理), overdue, mine (accepted or dispatched by me) or all
    open requests in their scope, the nearest deadline first."""
    if tab == "overdue":
        return requests_query({**args, "overdue": True})
    statement = requests_query(args).order_by(None)
    if tab == "new":
        statement = statement.where(ServiceRequest.state == S.submitted)
    else:
        statement = statement.where(ServiceRequest.state.in_(OPEN_STATES))
    if tab == "mine":
        statement = statement.where(ServiceRequest.id.in_(select(RequestEvent.request_id).where(
            RequestEvent.actor_id == user.id, RequestEvent.to_state.in_((S.accepted, S.dispatched)))))
    return statement.order_by(ServiceRequest.due_at.is_(None), ServiceRequest.due_at, ServiceRequest.id)


def allowed_moves(request: ServiceRequest, user: User) -> list[RequestState]:
    """The states this user may move the request to now (the actions a page offers)."""
    roles = roles_in(request, user)
    return [target for target in next_states(request.state) if TRANSITIONS[(request.state, target)].by & roles]


def allowed_wish_moves(wish: Wish, user: User) -> list[WishState]:
    roles = wish_roles(wish, user)
    return [target for target in next_states(wish.state, WISH_MOVES) if WISH_MOVES[(wish.state, target)].by & roles]


def get_follow_up(follow_up_id: int) -> FollowUp:
    """A follow-up in the caller's scope; any other is 404, like an unknown id."""
    follow_up = db.session.get(FollowUp, follow_up_id)
    if follow_up is None or not is_staff(current_user) or not current_scope().allows(
            follow_up.community_id, follow_up.grid_id):
        raise NotFound(f"follow-up {follow_up_id} not found")
    return follow_up
