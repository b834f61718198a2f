"""What a volunteer and a resident read every day, in any number: duties, dispatched requests, menu entries,
an event's slots with their bookings (half waiting in line) and points.

Plain rows, no HTTP: tests/test_read_queries.py grows them to count a read's statements, and
bench/read_paths.py seeds them to time the same reads through gunicorn.
"""
import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from volunteer_app.extensions import db
from volunteer_app.points import service as points
from volunteer_app.points.models import PointAccount
from volunteer_app.roster.models import Assignment, Demand, RosterWeek, WeekStatus
from volunteer_app.service_requests.models import (
    Booking, BookingStatus, RequestEvent, RequestState, ServiceEvent, ServiceRequest, ServiceSlot, ServiceType,
)

_serial = itertools.count(1)


@dataclass
class Everyday:
    """The items of one volunteer and one resident (of the same community), grown with ``grow_to``."""

    volunteer_id: int
    resident_id: int
    resident_user_id: int
    community_id: int
    grid_id: int
    station: tuple[int, float, float]  # id, lat, lon: where the duties and the event are
    service_type_ids: tuple[int, int]  # what the requests alternate between
    week: str  # the ISO week of the duties and the dispatched requests
    monday: datetime
    week_id: int = 0
    event_id: int = 0
    items: int = 0

    def __post_init__(self):
        week = RosterWeek(community_id=self.community_id, week=self.week, status=WeekStatus.published,
                          published_version=1)
        start = self.monday + timedelta(days=2, hours=9)
        event = ServiceEvent(community_id=self.community_id, service_type_id=self.service_type_ids[0],
                             station_id=self.station[0], title="义诊", starts_at=start,
                             ends_at=start + timedelta(hours=8), slot_minutes=10, capacity_per_slot=1)
        db.session.add_all([week, event])
        db.session.flush()
        self.week_id, self.event_id, self.event_start = week.id, event.id, start

    def grow_to(self, items: int) -> None:
        """Up to ``items`` of each: duties, requests dispatched to the volunteer (filed for the resident), menu
        entries, slots each with the resident's booking, and earnings. Only flushes: the caller commits."""
        station_id, lat, lon = self.station
        for i in range(self.items, items):
            start = self.monday + timedelta(days=i % 7, hours=8 + i // 7 % 12)
            demand = Demand(week_id=self.week_id, title=f"值守{i}", station_id=station_id, start=start,
                            end=start + timedelta(hours=1), lat=lat, lon=lon)
            request = ServiceRequest(
                community_id=self.community_id, grid_id=self.grid_id, resident_id=self.resident_id,
                filed_by_id=self.resident_user_id, description=f"请求{i}", submitted_at=self.monday,
                service_type_id=self.service_type_ids[i % 2], state=RequestState.dispatched,
                volunteer_id=self.volunteer_id, scheduled_start=start, scheduled_end=start + timedelta(hours=1))
            request.history = [
                RequestEvent(at=self.monday, to_state=RequestState.submitted),
                RequestEvent(at=self.monday, from_state=RequestState.submitted, to_state=RequestState.dispatched)]
            slot_start = self.event_start + timedelta(minutes=10 * i)
            slot = ServiceSlot(event_id=self.event_id, starts_at=slot_start, capacity=1, booked=1,
                               ends_at=slot_start + timedelta(minutes=10))
            waiting = i % 2 == 1  # half wait in line: each shows its place in it
            booking = Booking(slot=slot, event_id=self.event_id, community_id=self.community_id, grid_id=self.grid_id,
                              resident_id=self.resident_id, starts_at=slot.starts_at, ends_at=slot.ends_at,
                              status=BookingStatus.waitlisted if waiting else BookingStatus.booked,
                              waitlisted_at=self.monday if waiting else None,
                              booked_at=None if waiting else self.monday)
            menu = ServiceType(community_id=self.community_id, code=f"menu{next(_serial)}", name=f"服务{i}",
                               station_id=station_id, time_limits={})
            db.session.add_all([demand, request, slot, booking, menu,
                                Assignment(week_id=self.week_id, demand=demand, volunteer_id=self.volunteer_id)])
            db.session.flush()
            points.earn_for_source("everyday", next(_serial), self.volunteer_id, self.community_id, 30, None,
                                   start, set())
        self.items = items

    def reads(self) -> dict[str, tuple[str, str]]:
        """Each everyday read: its name → (who reads it: "volunteer" or "resident", path under /api/v1)."""
        account = db.session.scalar(select(PointAccount.id).where(PointAccount.volunteer_id == self.volunteer_id))
        return {
            "my week": ("volunteer", f"/my/assignments?week={self.week}"),
            "my dispatched requests": ("volunteer", f"/my/service-requests?week={self.week}"),
            "my points": ("volunteer", "/points/my-account"),
            "my points statement": ("volunteer", f"/points/accounts/{account}/statement"),
            "my bookings": ("resident", "/bookings"),
            "my requests": ("resident", "/service-requests"),
            "the service menu": ("resident", "/service-types"),
            "an event's slots": ("resident", f"/service-events/{self.event_id}/slots"),
        }
