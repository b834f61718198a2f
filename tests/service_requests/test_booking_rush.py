"""A rush of concurrent bookings for the last places: exactly the capacity, never more."""
from flask import current_app
from sqlalchemy import func, select

from volunteer_app.accounts.models import Role, User
from volunteer_app.accounts.service import create_token
from volunteer_app.extensions import db
from volunteer_app.people.models import Resident
from volunteer_app.service_requests.models import Booking, BookingStatus, ServiceSlot

from tests.support.concurrency import run_together
from tests.support.factories import ApiClient

CLIENTS = 40


def crowd(town, count: int) -> list[ApiClient]:
    """``count`` residents of the town, each with their own account and token."""
    building = town["building"]
    residents = [Resident(name=f"居民{i}", phone=f"137{i:08d}", community_id=building.community_id,
                          grid_id=building.grid_id, building_id=building.id) for i in range(count)]
    db.session.add_all(residents)
    db.session.flush()
    users = [User(username=f"rush{i}", display_name=r.name, role=Role.resident, resident_id=r.id)
             for i, r in enumerate(residents)]
    db.session.add_all(users)
    db.session.flush()
    tokens = [create_token(u)[0] for u in users]
    db.session.commit()
    return [ApiClient(current_app._get_current_object(), token) for token in tokens]


def booked_in(slot_id: int) -> tuple[int, int]:
    db.session.expire_all()
    rows = db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.slot_id == slot_id, Booking.status == BookingStatus.booked))
    return db.session.get(ServiceSlot, slot_id).booked, rows


def test_last_places_rush_books_exactly_the_capacity(town, make_event):
    event, slots = make_event(capacity_per_slot=5)
    slot_id = slots[0]["id"]
    town["resident_apis"][0].post("/bookings", json={"slot_id": slot_id})  # one place already gone
    clients = crowd(town, CLIENTS)
    responses = run_together([lambda api=api: api.post("/bookings", json={"slot_id": slot_id}) for api in clients])
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 4, statuses
    assert statuses.count(409) == CLIENTS - 4, statuses
    assert all(r.json["error"] == "slot_full" and "slot_id" in r.json["errors"] for r in responses if r.status_code == 409)
    assert booked_in(slot_id) == (5, 5)


def test_rush_with_waiting_list_keeps_everyone_in_order(town, make_event):
    event, slots = make_event(capacity_per_slot=3)
    slot_id = slots[1]["id"]
    clients = crowd(town, 20)
    responses = run_together([lambda api=api: api.post("/bookings", json={"slot_id": slot_id, "waitlist": True})
                              for api in clients])
    assert all(r.status_code == 201 for r in responses), [r.json for r in responses if r.status_code != 201]
    statuses = sorted(r.json["status"] for r in responses)
    assert statuses.count("booked") == 3 and statuses.count("waitlisted") == 17
    positions = sorted(r.json["waitlist_position"] for r in responses if r.json["status"] == "waitlisted")
    assert positions == list(range(1, 18))
    holders = [(api, r.json["id"]) for api, r in zip(clients, responses) if r.json["status"] == "booked"]
    run_together([lambda api=api, b=b: api.post(f"/bookings/{b}/cancel", json={}) for api, b in holders])
    assert booked_in(slot_id) == (3, 3)  # three from the waiting list took the freed places


def test_one_resident_racing_for_two_overlapping_slots_gets_one(town, make_event):
    first, slots_a = make_event()
    second, slots_b = make_event(service_type_id=town["repair"].id, starts_at="2026-12-02T09:00",
                                 ends_at="2026-12-02T10:00")  # one 60-minute time
    api = town["resident_apis"][0]
    for round_number in range(3):
        a, b = slots_a[round_number]["id"], slots_b[0]["id"]
        responses = run_together([lambda: api.post("/bookings", json={"slot_id": a}),
                                  lambda: api.post("/bookings", json={"slot_id": b})])
        assert sorted(r.status_code for r in responses) == [201, 409], [r.json for r in responses]
        winner = next(r for r in responses if r.status_code == 201)
        api.post(f"/bookings/{winner.json['id']}/cancel", json={})
