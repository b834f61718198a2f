"""Resident services: the menu (便民服务菜单), events with bookable slots, requests (工单)
with their history, follow-ups of low ratings, and the micro-wish board (微心愿).

Domain times (slots, deadlines, history) are naive China local time, as the
rosters keep them: opening hours and "the same day" are local notions.
"""
import enum
from datetime import datetime

from sqlalchemy import (
    JSON, Boolean, CheckConstraint, DateTime, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import Audited, TimestampMixin, VersionedMixin
from ..stored_words import Worded


class ServiceLocation(str, enum.Enum):
    station = "station"  # at a station
    home = "home"  # 上门: at the resident's home


class ServiceType(Audited, VersionedMixin, db.Model):  # 便民服务菜单项
    """One entry of a community's service menu (理发, 义诊, 维修 …).

    ``time_limits`` maps each step of the closed loop (accept, dispatch, start,
    resolve, rate) to a limit such as ``10m``, ``2h`` (minutes or hours of
    opening time) or ``0d`` (by the close of the same business day; ``1d`` the
    next one), counted on the opening hours of ``station`` (office hours when
    none).
    """

    __tablename__ = "service_types"
    __table_args__ = (UniqueConstraint("community_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(256), default="")
    duration_min: Mapped[int] = mapped_column(Integer, default=30)
    skills: Mapped[list] = mapped_column(JSON, default=list)
    location: Mapped[ServiceLocation] = mapped_column(Enum(ServiceLocation, native_enum=False, length=8),
                                                      default=ServiceLocation.station)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id", ondelete="SET NULL"))
    free_for_priority_groups: Mapped[bool] = mapped_column(Boolean, default=True)
    priority_groups_first: Mapped[bool] = mapped_column(Boolean, default=True)
    points_price: Mapped[int] = mapped_column(Integer, default=0)
    time_limits: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    station = relationship("Station")


class EventStatus(str, enum.Enum):
    scheduled = "scheduled"
    cancelled = "cancelled"


class ServiceEvent(Audited, VersionedMixin, db.Model):
    """A scheduled session of a service (义诊 at station 3, Saturday 9:00–11:30), cut into slots."""

    __tablename__ = "service_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    service_type_id: Mapped[int] = mapped_column(ForeignKey("service_types.id"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    title: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    capacity_per_slot: Mapped[int] = mapped_column(Integer)
    status: Mapped[EventStatus] = mapped_column(Enum(EventStatus, native_enum=False, length=10),
                                                default=EventStatus.scheduled)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(Integer)

    service_type: Mapped[ServiceType] = relationship()
    station = relationship("Station")
    slots: Mapped[list["ServiceSlot"]] = relationship(back_populates="event", order_by="ServiceSlot.starts_at",
                                                      cascade="all, delete-orphan")


class ServiceSlot(db.Model):
    """A bookable time of an event. ``booked`` counts live bookings.

    Not versioned on purpose: the counter only moves through guarded UPDATEs
    under the slot's row lock, and the CHECK makes the database itself refuse
    an over-booking should any code path ever get that wrong.
    """

    __tablename__ = "service_slots"
    __table_args__ = (
        CheckConstraint("booked >= 0 AND booked <= capacity", name="within_capacity"),
        UniqueConstraint("event_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("service_events.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)

    event: Mapped[ServiceEvent] = relationship(back_populates="slots")


class BookingStatus(str, enum.Enum):
    booked = "booked"
    waitlisted = "waitlisted"  # 候补
    cancelled = "cancelled"


class Booking(Audited, TimestampMixin, db.Model):
    """A resident's place (or place in the waiting list) in one slot.

    One row per (slot, resident), reused when they book again after
    cancelling: the unique key makes a duplicate booking impossible.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("slot_id", "resident_id"),
        Index("ix_bookings_resident_times", "resident_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("service_slots.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("service_events.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    # The slot's times, kept here so "does this overlap my other bookings" is one indexed query.
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[BookingStatus] = mapped_column(Enum(BookingStatus, native_enum=False, length=10), index=True)
    priority: Mapped[bool] = mapped_column(Boolean, default=False)  # a priority group, served first
    price_points: Mapped[int] = mapped_column(Integer, default=0)
    # The points paid for the place (refunded by reversing it when the place is given up).
    charge_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("point_transfers.id"))
    booked_by_id: Mapped[int | None] = mapped_column(Integer)  # the resident, or a grid worker (代办)
    waitlisted_at: Mapped[datetime | None] = mapped_column(DateTime)
    booked_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    cancel_reason_words: Mapped[dict | None] = mapped_column(JSON)
    cancel_reason_text = Worded("cancel_reason")  # the resident's words, or the app's (called off, short of points)
    attended_at: Mapped[datetime | None] = mapped_column(DateTime)  # 到场, ticked by staff (China time)
    # Its place in the waiting line when a list read it for all its bookings at once (service.note_places_in_line);
    # not a column.
    position_in_line = None

    slot: Mapped[ServiceSlot] = relationship()
    event: Mapped[ServiceEvent] = relationship()
    resident = relationship("Resident")
    charge = relationship("Transfer")


class RequestState(str, enum.Enum):  # the closed loop 受理→分派→处置→反馈→评价
    submitted = "submitted"  # 待受理
    accepted = "accepted"  # 已受理
    dispatched = "dispatched"  # 已分派
    in_progress = "in_progress"  # 处置中
    resolved = "resolved"  # 已办结
    rated = "rated"  # 已评价
    rejected = "rejected"  # 不予受理
    cancelled = "cancelled"  # 已撤销
    escalated = "escalated"  # 吹哨: handed to a department


class ServiceRequest(Audited, VersionedMixin, db.Model):  # 工单
    """A resident's request, from filing to rating; every change is a ``RequestEvent``.

    ``due_at`` is the deadline of the step the request is in now (``due_step``),
    so the overdue list is one indexed comparison.
    """

    __tablename__ = "service_requests"
    __table_args__ = (
        UniqueConstraint("filed_by_id", "idempotency_key"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"))
    address: Mapped[str] = mapped_column(String(128), default="")
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"), index=True)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    service_type_id: Mapped[int] = mapped_column(ForeignKey("service_types.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    photos: Mapped[list] = mapped_column(JSON, default=list)
    preferred_windows: Mapped[list] = mapped_column(JSON, default=list)  # [{"start": iso, "end": iso}]
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(Integer, default=3)
    price_points: Mapped[int] = mapped_column(Integer, default=0)
    # The points paid when filing (refunded by reversing it if the request is rejected or cancelled).
    charge_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("point_transfers.id"))
    state: Mapped[RequestState] = mapped_column(Enum(RequestState, native_enum=False, length=12),
                                                default=RequestState.submitted, index=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime)
    deadlines: Mapped[dict] = mapped_column(JSON, default=dict)  # step -> iso time, as computed
    due_step: Mapped[str | None] = mapped_column(String(12))
    due_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id", ondelete="SET NULL"), index=True)
    scheduled_start: Mapped[datetime | None] = mapped_column(DateTime)
    scheduled_end: Mapped[datetime | None] = mapped_column(DateTime)
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    rejection_reason: Mapped[str] = mapped_column(String(500), default="")
    department: Mapped[str] = mapped_column(String(64), default="")
    department_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str] = mapped_column(String(500), default="")
    rated_by_id: Mapped[int | None] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    payload_digest: Mapped[str] = mapped_column(String(64), default="")

    service_type: Mapped[ServiceType] = relationship()
    resident = relationship("Resident")
    volunteer = relationship("Volunteer")
    charge = relationship("Transfer")
    history: Mapped[list["RequestEvent"]] = relationship(back_populates="request", order_by="RequestEvent.id",
                                                         cascade="all, delete-orphan")


class RequestEvent(db.Model):
    """One state change of a request: who, when, from, to and why (never edited)."""

    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    from_state: Mapped[RequestState | None] = mapped_column(Enum(RequestState, native_enum=False, length=12))
    to_state: Mapped[RequestState] = mapped_column(Enum(RequestState, native_enum=False, length=12))
    reason: Mapped[str] = mapped_column(String(500), default="")
    reason_words: Mapped[dict | None] = mapped_column(JSON)
    reason_text = Worded("reason")  # typed by whoever moved it, or the app's (an urgent dispatch, a roster plan)
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # the step's deadline had passed
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    request: Mapped[ServiceRequest] = relationship(back_populates="history")


class FollowUpStatus(str, enum.Enum):
    open = "open"
    closed = "closed"


class FollowUp(TimestampMixin, db.Model):
    """Something about a request the coordinator must look into, e.g. a low rating (回访)."""

    __tablename__ = "follow_ups"
    __table_args__ = (UniqueConstraint("request_id", "reason_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    reason_code: Mapped[str] = mapped_column(String(16))  # low_rating
    reason: Mapped[str] = mapped_column(String(500), default="")
    reason_words: Mapped[dict | None] = mapped_column(JSON)
    reason_text = Worded("reason")
    status: Mapped[FollowUpStatus] = mapped_column(Enum(FollowUpStatus, native_enum=False, length=8),
                                                   default=FollowUpStatus.open, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")

    request: Mapped[ServiceRequest] = relationship()


class WishState(str, enum.Enum):
    open = "open"  # posted, waiting for someone
    claimed = "claimed"  # 已认领
    fulfilled = "fulfilled"  # 已实现, waiting for the resident's confirmation
    confirmed = "confirmed"
    withdrawn = "withdrawn"


class Wish(Audited, VersionedMixin, db.Model):  # 微心愿
    __tablename__ = "wishes"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=True)
    posted_by_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[WishState] = mapped_column(Enum(WishState, native_enum=False, length=10),
                                             default=WishState.open, index=True)
    claimed_by_volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    fulfilled_at: Mapped[datetime | None] = mapped_column(DateTime)
    fulfil_note: Mapped[str] = mapped_column(String(500), default="")
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)

    resident = relationship("Resident")
    claimed_by = relationship("Volunteer")
