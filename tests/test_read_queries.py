"""The reads a phone makes every day cost a fixed number of SQL statements, however many items they list.

Each read is counted with 2 items and again with 15: the same count means no statement per item (N+1).
"""
import itertools
from datetime import timedelta

import pytest

from tests.support.points import fund
from tests.support.queries import counted_statements
from tests.support.services import NOW, WEEK, clock, make_service_type, town  # noqa: F401 (fixtures)
from volunteer_app.extensions import db
from volunteer_app.points.models import PointAccount
from volunteer_app.roster.models import Assignment, Demand, RosterWeek, WeekStatus
from volunteer_app.service_requests.models import (
    Booking, BookingStatus, RequestEvent, RequestState, ServiceEvent, ServiceRequest, ServiceSlot, ServiceType,
)

MONDAY = NOW.replace(hour=0)
_serial = itertools.count(1)


class Day:
    """One community's volunteer and resident with a growing number of everything they read."""

    def __init__(self, town):
        volunteer, resident, station = town["volunteers"][0], town["residents"][0], town["station"]
        self.volunteer_id, self.community_id = volunteer.id, volunteer.community_id
        self.resident_id, self.resident_grid = resident.id, resident.grid_id
        self.resident_user_id = town["resident_users"][0].id
        self.services = (town["clinic"].id, town["repair"].id)
        self.station = (station.id, station.lat, station.lon)
        self.volunteer_api, self.resident_api = town["volunteer_apis"][0], town["resident_apis"][0]
        week = RosterWeek(community_id=self.community_id, week=WEEK, status=WeekStatus.published, published_version=1)
        event = ServiceEvent(community_id=self.community_id, service_type_id=self.services[0], station_id=station.id,
                             title="义诊", starts_at=MONDAY + timedelta(days=2, hours=9),
                             ends_at=MONDAY + timedelta(days=2, hours=17), slot_minutes=10, capacity_per_slot=1)
        db.session.add_all([week, event])
        db.session.commit()
        self.week_id, self.event_id, self.event_start = week.id, event.id, event.starts_at
        self.items = 0

    def grow_to(self, items: int) -> None:
        """Add duties, dispatched requests, menu entries, slots with bookings and points up to ``items`` each."""
        station_id, lat, lon = self.station
        for i in range(self.items, items):
            start = MONDAY + timedelta(days=i % 7, hours=8 + i // 7)
            demand = Demand(week_id=self.week_id, title=f"值守{i}", station_id=station_id, start=start,
                            end=start + timedelta(hours=1), lat=lat, lon=lon)
            request = ServiceRequest(
                community_id=self.community_id, grid_id=self.resident_grid, resident_id=self.resident_id,
                filed_by_id=self.resident_user_id, description=f"请求{i}", submitted_at=NOW,
                service_type_id=self.services[i % 2], state=RequestState.dispatched, volunteer_id=self.volunteer_id,
                scheduled_start=start, scheduled_end=start + timedelta(hours=1))
            request.history = [RequestEvent(at=NOW, to_state=RequestState.submitted),
                               RequestEvent(at=NOW, from_state=RequestState.submitted, to_state=RequestState.dispatched)]
            slot_start = self.event_start + timedelta(minutes=10 * i)
            slot = ServiceSlot(event_id=self.event_id, starts_at=slot_start, ends_at=slot_start + timedelta(minutes=10),
                               capacity=1, booked=1)
            waiting = i % 2 == 1  # half wait in line: each has a place in it to show
            booking = Booking(slot=slot, event_id=self.event_id, community_id=self.community_id,
                              grid_id=self.resident_grid, resident_id=self.resident_id, starts_at=slot.starts_at,
                              ends_at=slot.ends_at, status=BookingStatus.waitlisted if waiting else BookingStatus.booked,
                              waitlisted_at=NOW if waiting else None, booked_at=None if waiting else NOW)
            menu = ServiceType(community_id=self.community_id, code=f"menu{next(_serial)}", name=f"服务{i}",
                               station_id=station_id, time_limits={})
            db.session.add_all([demand, Assignment(week_id=self.week_id, demand=demand, volunteer_id=self.volunteer_id),
                                request, slot, booking, menu])
        db.session.commit()
        for _ in range(self.items, items):
            fund(self.volunteer_id, self.community_id, 5)
        self.items = items

    def reads(self) -> dict:
        """Each everyday read: (API client, path)."""
        account = db.session.scalar(db.select(PointAccount.id).where(PointAccount.volunteer_id == self.volunteer_id))
        return {
            "my week": (self.volunteer_api, f"/my/assignments?week={WEEK}"),
            "my dispatched requests": (self.volunteer_api, f"/my/service-requests?week={WEEK}"),
            "my points": (self.volunteer_api, "/points/my-account"),
            "my points statement": (self.volunteer_api, f"/points/accounts/{account}/statement"),
            "my bookings": (self.resident_api, "/bookings"),
            "my requests": (self.resident_api, "/service-requests"),
            "the service menu": (self.resident_api, "/service-types"),
            "an event's slots": (self.resident_api, f"/service-events/{self.event_id}/slots"),
        }


def statements_of(api, path: str, items: int) -> int:
    """The statements one read sends (after one unmeasured call: the token's last use is written once)."""
    assert api.get(path).status_code == 200
    db.session.remove()
    with counted_statements() as statements:
        response = api.get(path)
    assert response.status_code == 200, response.json
    listed = response.json["items"] if "items" in response.json else response.json
    assert not isinstance(listed, list) or len(listed) >= items, (path, len(listed))
    return len(statements)


@pytest.fixture()
def day(town):
    return Day(town)


def test_each_everyday_read_costs_the_same_statements_for_2_and_15_items(day):
    day.grow_to(2)
    few = {name: statements_of(api, path, 2) for name, (api, path) in day.reads().items()}
    day.grow_to(15)
    many = {name: statements_of(api, path, 15) for name, (api, path) in day.reads().items()}
    assert many == few
    print(few)


def test_the_health_check_asks_the_database_once(client):
    with counted_statements() as statements:
        assert client.get("/healthz").status_code == 200
    assert statements == ["SELECT 1"]
