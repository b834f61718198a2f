"""Every entry point of resident services, called by each role on a record of its own community and on
one of another community (tests/support/policy_matrix.py): who may read the menu, events and wishes
(their community), book, file and post (for themselves, or for a resident they manage), move a request
or a wish (its staff, its volunteer, its requester), and manage events and follow-ups (staff)."""
from datetime import datetime, timedelta

import pytest

from tests.support.policy_matrix import Entry, check_entry
from tests.support.services import NOW, WEEK
from volunteer_app.errors import Forbidden, InvalidInput, NotFound
from volunteer_app.extensions import db
from volunteer_app.service_requests import service
from volunteer_app.service_requests.models import (
    Booking, BookingStatus, FollowUp, RequestState, ServiceEvent, ServiceLocation, ServiceRequest, ServiceSlot,
    ServiceType, Wish, WishState,
)

STAFF = frozenset({"admin", "coordinator"})
MANAGERS = STAFF | {"grid_worker"}  # the grid worker manages the place's grid (its residents, requests, wishes)
EVERYONE = MANAGERS | {"volunteer", "resident"}
EVENT_DAY = datetime(2026, 12, 2, 9, 0)  # a Wednesday: the stations are open
WINDOW = [{"start": "2026-12-01T14:00", "end": "2026-12-01T16:00"}]


@pytest.fixture(autouse=True)
def services_in_both_places(world, clock):
    """Each place gets a menu entry, an event with two times (its resident booked in the first), a request
    submitted, one accepted and one dispatched to its volunteer, a follow-up and an open wish."""
    filer = world.users["admin"].id  # filed by someone none of the other actors is
    for place in (world.here, world.elsewhere):
        menu = ServiceType(community_id=place.community.id, code="clinic", name="义诊", duration_min=30,
                           location=ServiceLocation.station, station_id=place.station.id)
        event = ServiceEvent(community_id=place.community.id, service_type=menu, station_id=place.station.id,
                             title="义诊", starts_at=EVENT_DAY, ends_at=EVENT_DAY + timedelta(hours=1), slot_minutes=30,
                             capacity_per_slot=2, slots=[
                                 ServiceSlot(starts_at=EVENT_DAY + timedelta(minutes=m),
                                             ends_at=EVENT_DAY + timedelta(minutes=m + 30), capacity=2,
                                             booked=1 if m == 0 else 0) for m in (0, 30)])
        db.session.add_all([menu, event])
        db.session.flush()
        first = event.slots[0]
        booking = Booking(slot_id=first.id, event_id=event.id, community_id=place.community.id,
                          grid_id=place.grid.id, resident_id=place.resident.id, starts_at=first.starts_at,
                          ends_at=first.ends_at, status=BookingStatus.booked, booked_at=NOW, booked_by_id=filer)

        def request(state, **fields):
            return ServiceRequest(community_id=place.community.id, grid_id=place.grid.id,
                                  building_id=place.building.id, resident_id=place.resident.id, filed_by_id=filer,
                                  service_type=menu, description="水管漏水", state=state, submitted_at=NOW, **fields)

        submitted = request(RequestState.submitted)
        accepted = request(RequestState.accepted, preferred_windows=WINDOW)
        dispatched = request(RequestState.dispatched, volunteer_id=place.volunteer.id,
                             scheduled_start=datetime(2026, 12, 1, 14), scheduled_end=datetime(2026, 12, 1, 14, 30),
                             deadlines={"resolve": "2026-12-01T16:00"})
        wish = Wish(community_id=place.community.id, grid_id=place.grid.id, resident_id=place.resident.id,
                    posted_by_id=filer, title="想学用智能手机")
        db.session.add_all([booking, submitted, accepted, dispatched, wish])
        db.session.flush()
        follow_up = FollowUp(request_id=submitted.id, community_id=place.community.id, grid_id=place.grid.id,
                             reason_code="low_rating", reason="评分 1")
        db.session.add(follow_up)
        db.session.commit()
        place.menu, place.event, place.booking, place.wish, place.follow_up = menu, event, booking, wish, follow_up
        place.submitted, place.accepted, place.dispatched = submitted, accepted, dispatched


# --- how an entry point that answers rather than refuses shows a refusal ---------------------------------

def listed(rows, record) -> None:
    """A list (a statement or a page) reaches ``record`` only if it lists it: not listed is 404."""
    items = rows["items"] if isinstance(rows, dict) else db.session.scalars(rows).all()
    if record.id not in {item.id for item in items}:
        raise NotFound("not listed")


def some(answer) -> None:
    """Nothing offered (no move, a masked name) is being refused."""
    if not answer:
        raise Forbidden("nothing offered")


def refusing(*codes):
    """An entry point that answers an id beyond reach with its own 422 code (``unknown_slot`` …, the
    answer for an unknown id too, which clients rely on): that code counts as the policy's out_of_scope."""
    def wrap(call):
        def refused(world, actor, place):
            try:
                return call(world, actor, place)
            except InvalidInput as error:
                if error.code in codes:
                    raise InvalidInput(error.message, error.errors, code="out_of_scope") from error
                raise
        return refused
    return wrap


def unmasked(name: str) -> str:
    some("*" not in name)
    return name


def moved(to):
    return lambda w, a, p: service.transition(a, (p.dispatched if to == "in_progress" else p.submitted).id,
                                              {"to": RequestState(to)})


def filing(place) -> dict:
    return {"service_type_id": place.menu.id, "description": "水管漏水", "urgent": False, "preferred_windows": [],
            "resident_id": place.resident.id}


def new_event(place) -> dict:
    return {"service_type_id": place.menu.id, "starts_at": EVENT_DAY + timedelta(hours=2),
            "ends_at": EVENT_DAY + timedelta(hours=3), "capacity_per_slot": 2}


ENTRIES = [
    # the menu (ResourceService) and the menu entry a request or an event names
    Entry("service_types.list", lambda w, a, p: listed(service.service_types.list(a, {"page": 1, "per_page": 50}),
                                                       p.menu), allowed=EVERYONE),
    Entry("service_types.get", lambda w, a, p: service.service_types.get(a, p.menu.id), allowed=EVERYONE),
    Entry("service_types.create", lambda w, a, p: service.service_types.create(a, {
        "community_id": p.community.id, "code": "haircut", "name": "理发"})),
    Entry("service_types.update", lambda w, a, p: service.service_types.update(a, p.menu, {
        "version": p.menu.version, "name": "健康义诊"})),
    Entry("service_types.delete", lambda w, a, p: service.service_types.delete(a, p.menu)),
    Entry("type_for", refusing("unknown_service_type")(lambda w, a, p: service.type_for(a, p.menu.id)),
          allowed=EVERYONE),
    # events
    Entry("events_query", lambda w, a, p: listed(service.events_query(a, {}), p.event), allowed=EVERYONE),
    Entry("get_event", lambda w, a, p: service.get_event(a, p.event.id), allowed=EVERYONE),
    Entry("slots_of", lambda w, a, p: service.slots_of(a, p.event), allowed=EVERYONE),
    Entry("event_types", lambda w, a, p: listed(service.event_types(a), p.menu)),
    Entry("create_event", refusing("unknown_service_type")(lambda w, a, p: service.create_event(a, new_event(p)))),
    Entry("cancel_event", lambda w, a, p: service.cancel_event(a, p.event.id, "下雨")),
    # bookings: residents for themselves, staff for a resident they manage (代办)
    Entry("resident_for", refusing("own_behalf_only")(lambda w, a, p: service.resident_for(
        a, "service_bookings.book", p.resident.id)), allowed=MANAGERS | {"resident"}),
    Entry("book", refusing("unknown_slot")(lambda w, a, p: service.book(a, p.event.slots[1].id, p.resident.id,
                                                                        False)), allowed=MANAGERS | {"resident"}),
    Entry("bookings_query", lambda w, a, p: listed(service.bookings_query(a, {}), p.booking), allowed=MANAGERS,
          own=frozenset({"resident"})),
    Entry("get_booking", lambda w, a, p: service.get_booking(a, p.booking.id), allowed=MANAGERS,
          own=frozenset({"resident"})),
    Entry("cancel_booking", lambda w, a, p: service.cancel_booking(a, p.booking.id, "有事"), allowed=MANAGERS,
          own=frozenset({"resident"})),
    Entry("mark_attended", lambda w, a, p: service.mark_attended(a, p.booking.id, False), allowed=MANAGERS),
    # requests: filed by a resident, a volunteer of the community or staff; then its staff, volunteer, requester
    Entry("file_request", refusing("unknown_service_type")(lambda w, a, p: service.file_request(a, filing(p), None)),
          allowed=EVERYONE),
    Entry("requests_query", lambda w, a, p: listed(service.requests_query(a, {}), p.dispatched), allowed=MANAGERS,
          own=frozenset({"resident", "volunteer"})),
    Entry("get_request", lambda w, a, p: service.get_request(a, p.dispatched.id), allowed=MANAGERS,
          own=frozenset({"resident", "volunteer"})),
    Entry("queue_query", lambda w, a, p: listed(service.queue_query(a, {}, "new"), p.submitted), allowed=MANAGERS),
    Entry("queue_grids", lambda w, a, p: listed(service.queue_grids(a), p.grid), allowed=MANAGERS),
    Entry("allowed_moves", lambda w, a, p: some(service.allowed_moves(a, p.submitted)), allowed=MANAGERS,
          own=frozenset({"resident"})),
    Entry("transition.accept", moved("accepted"), allowed=MANAGERS),
    Entry("transition.cancel", moved("cancelled"), allowed=MANAGERS, own=frozenset({"resident"})),
    Entry("transition.start", moved("in_progress"), allowed=MANAGERS, own=frozenset({"volunteer"})),
    Entry("candidates", lambda w, a, p: service.candidates(a, p.accepted), allowed=MANAGERS),
    Entry("dispatch_options", lambda w, a, p: service.dispatch_options(a, p.accepted), allowed=MANAGERS),
    Entry("dispatch_planned", lambda w, a, p: service.dispatch_planned(a, {p.accepted.id: p.volunteer.id}),
          allowed=MANAGERS),
    Entry("week_tasks", lambda w, a, p: service.week_tasks(a, p.community.id, WEEK)),
    Entry("my_requests", lambda w, a, p: service.my_requests(a, WEEK), allowed=EVERYONE, placeless=True),
    # follow-ups (回访): staff
    Entry("follow_ups_query", lambda w, a, p: listed(service.follow_ups_query(a, {}), p.follow_up),
          allowed=MANAGERS),
    Entry("get_follow_up", lambda w, a, p: service.get_follow_up(a, p.follow_up.id), allowed=MANAGERS),
    Entry("close_follow_up", lambda w, a, p: service.close_follow_up(a, p.follow_up.id, "已回访"), allowed=MANAGERS),
    # the wish board: the community reads it; residents (or staff for them) post; its volunteers claim
    Entry("wishes_query", lambda w, a, p: listed(service.wishes_query(a, {}), p.wish), allowed=EVERYONE),
    Entry("get_wish", lambda w, a, p: service.get_wish(a, p.wish.id), allowed=EVERYONE),
    Entry("post_wish", refusing("own_behalf_only")(lambda w, a, p: service.post_wish(a, {
        "title": "想要一副老花镜", "resident_id": p.resident.id})), allowed=MANAGERS | {"resident"}),
    Entry("wish_resident_name", lambda w, a, p: unmasked(service.wish_resident_name(a, p.wish)), allowed=MANAGERS,
          own=frozenset({"resident"})),
    Entry("allowed_wish_moves", lambda w, a, p: some(service.allowed_wish_moves(a, p.wish)), allowed=EVERYONE),
    Entry("move_wish.claim", lambda w, a, p: service.move_wish(a, p.wish.id, {"to": WishState.claimed}),
          allowed=frozenset({"volunteer"})),
    Entry("move_wish.withdraw", lambda w, a, p: service.move_wish(a, p.wish.id, {"to": WishState.withdrawn}),
          allowed=MANAGERS, own=frozenset({"resident"})),
]


@pytest.mark.parametrize("entry", ENTRIES, ids=str)
def test_each_service_entry_point_with_each_role(world, entry):
    check_entry(world, entry)
