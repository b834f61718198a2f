"""API shapes of the service menu, events and bookings, requests (工单), follow-ups and wishes."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..accounts.policy import current_actor
from ..resources import PageArgs
from ..validation import CODE, Id, LocalDateTime, Name, Week
from .deadlines import LIMIT, STEPS, effective_limits
from .models import BookingStatus, EventStatus, FollowUpStatus, RequestState, ServiceLocation, WishState

MINUTE = "%Y-%m-%dT%H:%M"


def Moment(**kwargs):
    """A local time within reason (arithmetic on year 9999 would overflow)."""
    return LocalDateTime(validate=validate.Range(min=datetime(2000, 1, 1), max=datetime(2099, 12, 31)),
                         error_messages={"invalid": _l("Enter a date and time.")}, **kwargs)


def Minute(**kwargs):
    return fields.DateTime(format=MINUTE, **kwargs)


def end_after_start(data: dict, start: str = "start", end: str = "end") -> None:
    if data.get(start) is not None and data.get(end) is not None and data[end] <= data[start]:
        raise ValidationError(_l("The end must be after the start."), end)


# --- the menu --------------------------------------------------------------------------------


class ServiceTypeIn(Schema):
    community_id = Id(required=True)
    code = fields.String(required=True, validate=CODE)
    name = Name(required=True)
    description = fields.String(validate=validate.Length(max=256))
    duration_min = fields.Integer(validate=validate.Range(min=5, max=600))
    skills = fields.List(fields.String(validate=CODE), validate=validate.Length(max=10),
                         metadata={"description": "skill codes a volunteer needs"})
    location = fields.Enum(ServiceLocation, metadata={"description": "station, or home (上门)"})
    station_id = Id(allow_none=True,
                    metadata={"description": "where it happens; its opening hours run the deadline clock"})
    free_for_priority_groups = fields.Boolean(metadata={"description": "低保, 残疾, 独居老人 … pay no points"})
    priority_groups_first = fields.Boolean(
        metadata={"description": "priority groups go first in waiting lists and dispatch"})
    points_price = fields.Integer(validate=validate.Range(min=0, max=100_000))
    time_limits = fields.Dict(
        keys=fields.String(validate=validate.OneOf(STEPS)),
        values=fields.String(validate=validate.Regexp(
            LIMIT, error=_l("Use e.g. 10m, 2h (opening time) or 0d (same day)."))),
        metadata={"description": "per step (accept, dispatch, start, resolve, rate): 10m, 2h, 0d, 1d …"})
    active = fields.Boolean()


class ServiceTypeSchema(ServiceTypeIn):
    id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True)
    time_limits = fields.Function(lambda t: effective_limits(t.time_limits),
                                  metadata={"description": "effective limits (defaults filled in)"})


class ServiceTypeQuery(PageArgs):
    community_id = Id()
    location = fields.Enum(ServiceLocation)
    active = fields.Boolean()
    q = fields.String(validate=validate.Length(max=64), metadata={"description": "name contains"})


# --- events and bookings -----------------------------------------------------------------------


class EventIn(Schema):
    service_type_id = Id(required=True)
    station_id = Id(metadata={"description": "defaults to the service type's station"})
    title = fields.String(validate=validate.Length(max=64), metadata={"description": "defaults to the type's name"})
    starts_at = Moment(required=True)
    ends_at = Moment(required=True)
    capacity_per_slot = fields.Integer(required=True, validate=validate.Range(min=1, max=500),
                                       metadata={"description": "e.g. 2 doctors → 2"})
    note = fields.String(validate=validate.Length(max=200))

    @validates_schema
    def ends_after_start(self, data, **kwargs):
        end_after_start(data, "starts_at", "ends_at")


class EventSchema(Schema):
    id = fields.Integer()
    version = fields.Integer()
    community_id = fields.Integer()
    service_type_id = fields.Integer()
    service_type_name = fields.Function(lambda e: e.service_type.name)
    station_id = fields.Integer()
    title = fields.String()
    starts_at = Minute()
    ends_at = Minute()
    slot_minutes = fields.Integer()
    capacity_per_slot = fields.Integer()
    status = fields.Enum(EventStatus)
    note = fields.String()
    slot_count = fields.Function(lambda e: len(e.slots))
    places = fields.Function(lambda e: sum(s.capacity for s in e.slots))
    booked = fields.Function(lambda e: sum(s.booked for s in e.slots))


class EventQuery(PageArgs):
    community_id = Id()
    service_type_id = Id()
    station_id = Id()
    status = fields.Enum(EventStatus)
    starts_from = Moment()
    starts_before = Moment()


class EventCancelIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class SlotSchema(Schema):
    id = fields.Integer()
    event_id = fields.Integer()
    starts_at = Minute()
    ends_at = Minute()
    capacity = fields.Integer()
    booked = fields.Integer()
    free = fields.Integer()
    waitlisted = fields.Integer()
    mine = fields.String(allow_none=True, metadata={"description": "your booking's status here, for residents"})


class BookingIn(Schema):
    slot_id = Id(required=True)
    resident_id = Id(metadata={"description": "for whom (grid workers booking on a resident's behalf, 代办)"})
    waitlist = fields.Boolean(load_default=False, metadata={"description": "join the waiting list when full"})


class BookingSchema(Schema):
    id = fields.Integer()
    slot_id = fields.Integer()
    event_id = fields.Integer()
    event_title = fields.Function(lambda b: b.event.title)
    resident_id = fields.Integer()
    resident_name = fields.Function(lambda b: b.resident.name)
    status = fields.Enum(BookingStatus)
    starts_at = Minute()
    ends_at = Minute()
    priority = fields.Boolean()
    price_points = fields.Integer()
    booked_by_id = fields.Integer(allow_none=True)
    waitlisted_at = Minute(allow_none=True)
    booked_at = Minute(allow_none=True)
    cancelled_at = Minute(allow_none=True)
    cancel_reason = fields.String(attribute="cancel_reason_text")
    attended_at = Minute(allow_none=True, metadata={"description": "到场, ticked by staff"})
    waitlist_position = fields.Method("position", allow_none=True)

    def position(self, booking):
        from .service import waitlist_position

        return waitlist_position(booking)


class BookingQuery(PageArgs):
    event_id = Id()
    slot_id = Id()
    resident_id = Id()
    status = fields.Enum(BookingStatus)


class AttendedIn(Schema):
    attended = fields.Boolean(required=True, metadata={"description": "true: the resident came (到场)"})


class BookingCancelIn(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=200))


# --- requests (工单) ------------------------------------------------------------------------------


class WindowSchema(Schema):
    start = Moment(required=True)
    end = Moment(required=True)

    @validates_schema
    def ends_after_start(self, data, **kwargs):
        end_after_start(data)


class IdempotencyHeaders(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{1,64}$", error=_l("Use 1 to 64 letters, digits or _.:-")),
        metadata={"description": "a retried phone request with the same key returns the first request (200)"})


class RequestIn(Schema):
    service_type_id = Id(required=True)
    description = fields.String(required=True, validate=validate.Length(min=1, max=500))
    resident_id = Id(metadata={"description": "for whom; residents file for themselves"})
    building_id = Id(metadata={"description": "defaults to the resident's building"})
    address = fields.String(validate=validate.Length(max=128), metadata={"description": "e.g. 2单元301"})
    preferred_windows = fields.List(fields.Nested(WindowSchema), validate=validate.Length(max=5))
    photos = fields.List(fields.String(validate=validate.Length(min=1, max=300)), validate=validate.Length(max=6))
    urgent = fields.Boolean(load_default=False,
                            metadata={"description": "dispatch at once to the nearest able volunteer"})


class RequestEventSchema(Schema):
    at = Minute()
    actor_id = fields.Integer(allow_none=True)
    from_state = fields.Enum(RequestState, allow_none=True)
    to_state = fields.Enum(RequestState)
    reason = fields.String(attribute="reason_text")
    late = fields.Boolean()
    details = fields.Dict()


class RequestSchema(Schema):
    id = fields.Integer()
    version = fields.Integer()
    community_id = fields.Integer()
    grid_id = fields.Integer(allow_none=True)
    building_id = fields.Integer(allow_none=True)
    address = fields.String()
    resident_id = fields.Integer(allow_none=True)
    resident_name = fields.Function(lambda r: r.resident.name if r.resident else None)
    filed_by_id = fields.Integer()
    service_type_id = fields.Integer()
    service_type_name = fields.Function(lambda r: r.service_type.name)
    description = fields.String()
    photos = fields.List(fields.String())
    preferred_windows = fields.List(fields.Dict())
    urgent = fields.Boolean()
    priority = fields.Integer()
    price_points = fields.Integer()
    state = fields.Enum(RequestState)
    submitted_at = Minute()
    deadlines = fields.Dict()
    due_step = fields.String(allow_none=True)
    due_at = Minute(allow_none=True)
    overdue = fields.Method("is_overdue")
    next_states = fields.Method("moves", metadata={"description": "states this request may go to next"})
    volunteer_id = fields.Integer(allow_none=True)
    volunteer_name = fields.Function(lambda r: r.volunteer.name if r.volunteer else None)
    scheduled_start = Minute(allow_none=True)
    scheduled_end = Minute(allow_none=True)
    resolution_note = fields.String()
    rejection_reason = fields.String()
    department = fields.String()
    department_due_at = Minute(allow_none=True)
    rating = fields.Integer(allow_none=True)
    rating_comment = fields.String()
    history = fields.List(fields.Nested(RequestEventSchema))

    def is_overdue(self, request) -> bool:
        from .service import is_overdue

        return is_overdue(request)

    def moves(self, request) -> list[str]:
        from .service import next_states

        return [s.value for s in next_states(request.state)]


class RequestQuery(PageArgs):
    community_id = Id()
    grid_id = Id()
    service_type_id = Id()
    resident_id = Id()
    volunteer_id = Id()
    state = fields.Enum(RequestState)
    urgent = fields.Boolean()
    overdue = fields.Boolean()


class TransitionIn(Schema):
    to = fields.Enum(RequestState, required=True)
    version = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1),
                             metadata={"description": "version you read; 409 if it changed meanwhile"})
    reason = fields.String(load_default="", validate=validate.Length(max=500),
                           metadata={"description": "why (required to reject or hand back)"})
    note = fields.String(load_default="", validate=validate.Length(max=1000),
                         metadata={"description": "what was done (required to resolve)"})
    volunteer_id = Id(metadata={"description": "dispatch to this volunteer; omitted: the nearest able one"})
    start = Moment(metadata={"description": "dispatch: when the work is planned"})
    end = Moment()
    department = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "吹哨: to whom"})
    department_due_at = Moment()
    rating = fields.Integer(validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default="", validate=validate.Length(max=500))

    @validates_schema
    def ends_after_start(self, data, **kwargs):
        end_after_start(data)


class CandidateSchema(Schema):
    volunteer_id = fields.Integer()
    name = fields.String()
    distance_m = fields.Integer()
    load_minutes = fields.Integer()
    free_minutes = fields.Integer(allow_none=True)
    reasons = fields.List(fields.String())


class MyWeekQuery(Schema):
    week = Week()


class TasksQuery(Schema):
    community_id = Id(required=True)
    week = Week(required=True)


class TaskListSchema(Schema):
    demands = fields.List(fields.Dict(), metadata={"description": "roster-problem/1 task demands"})
    pinned = fields.List(fields.Dict(), metadata={"description": "pairs of requests already dispatched"})


class FollowUpSchema(Schema):
    id = fields.Integer()
    request_id = fields.Integer()
    community_id = fields.Integer()
    reason_code = fields.String()
    reason = fields.String(attribute="reason_text")
    status = fields.Enum(FollowUpStatus)
    created_at = fields.DateTime()
    closed_at = Minute(allow_none=True)
    closed_by_id = fields.Integer(allow_none=True)
    note = fields.String()


class FollowUpQuery(PageArgs):
    community_id = Id()
    status = fields.Enum(FollowUpStatus)


class FollowUpCloseIn(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=500))


# --- micro-wishes (微心愿) ---------------------------------------------------------------------------


class WishIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=64))
    description = fields.String(load_default="", validate=validate.Length(max=500))
    resident_id = Id(metadata={"description": "for whom (a grid worker posting on a resident's behalf)"})


class WishSchema(Schema):
    id = fields.Integer()
    version = fields.Integer()
    community_id = fields.Integer()
    resident_id = fields.Integer()
    resident_name = fields.Method("name_for_viewer")
    title = fields.String()
    description = fields.String()
    state = fields.Enum(WishState)
    claimed_by_volunteer_id = fields.Integer(allow_none=True)
    claimed_at = Minute(allow_none=True)
    fulfilled_at = Minute(allow_none=True)
    fulfil_note = fields.String()
    confirmed_at = Minute(allow_none=True)

    def name_for_viewer(self, wish) -> str:
        from .service import wish_resident_name

        return wish_resident_name(current_actor(), wish)


class WishQuery(PageArgs):
    community_id = Id()
    state = fields.Enum(WishState)
    mine = fields.Boolean(load_default=False, metadata={"description": "only wishes you posted or claimed"})


class WishTransitionIn(Schema):
    to = fields.Enum(WishState, required=True)
    version = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    note = fields.String(load_default="", validate=validate.Length(max=500))
