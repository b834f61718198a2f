"""Booking slots: places, the waiting list, cancellations, overlaps and who sees what."""
from volunteer_app.accounts.models import Role
from volunteer_app.extensions import db
from volunteer_app.service_requests.models import ServiceSlot

from tests.support.services import NOW


def test_book_until_full_then_wait_and_get_promoted_on_cancel(town, make_event, make_resident, make_user, api_as):
    event, slots = make_event(capacity_per_slot=1)
    first, second = town["resident_apis"]
    slot_id = slots[0]["id"]
    booked = first.post("/bookings", json={"slot_id": slot_id})
    assert booked.status_code == 201 and booked.json["status"] == "booked"
    full = second.post("/bookings", json={"slot_id": slot_id})
    assert full.status_code == 409 and full.json["error"] == "slot_full" and "slot_id" in full.json["errors"]
    waiting = second.post("/bookings", json={"slot_id": slot_id, "waitlist": True})
    assert waiting.status_code == 201 and waiting.json["status"] == "waitlisted"
    assert waiting.json["waitlist_position"] == 1
    assert first.post(f"/bookings/{booked.json['id']}/cancel", json={"reason": "有事"}).json["status"] == "cancelled"
    promoted = second.get(f"/bookings/{waiting.json['id']}").json
    assert promoted["status"] == "booked" and promoted["waitlist_position"] is None
    inbox = second.get("/notifications", headers={"Accept-Language": "zh-CN"}).json["items"]
    assert inbox and inbox[0]["title"].startswith("候补成功：")
    assert second.get("/notifications").json["items"][0]["title"].startswith("Off the waiting list: ")
    slot = first.get(f"/service-events/{event['id']}/slots").json[0]
    assert slot["booked"] == 1 and slot["free"] == 0 and slot["waitlisted"] == 0
    again = first.post("/bookings", json={"slot_id": slot_id, "waitlist": True})
    assert again.status_code == 201 and again.json["id"] == booked.json["id"]  # the row is reused
    assert again.json["status"] == "waitlisted"


def test_priority_groups_go_first_in_the_waiting_list_and_free(town, make_event, make_resident, make_user, api_as):
    event, slots = make_event(capacity_per_slot=1)
    third = api_as(make_user(role=Role.resident, resident_id=make_resident(building=town["building"], name="赵六").id))
    regular, low_income = town["resident_apis"]
    held = third.post("/bookings", json={"slot_id": slots[0]["id"]}).json
    early = regular.post("/bookings", json={"slot_id": slots[0]["id"], "waitlist": True}).json
    late = low_income.post("/bookings", json={"slot_id": slots[0]["id"], "waitlist": True}).json
    assert late["priority"] and late["waitlist_position"] == 1
    assert regular.get(f"/bookings/{early['id']}").json["waitlist_position"] == 2
    listed = town["coordinator"].get(f"/bookings?slot_id={slots[0]['id']}").json["items"]  # read for the list at once
    assert {b["id"]: b["waitlist_position"] for b in listed} == {held["id"]: None, early["id"]: 2, late["id"]: 1}
    for api, mine in ((third, "booked"), (low_income, "waitlisted"), (town["coordinator"], None)):
        slot = api.get(f"/service-events/{event['id']}/slots").json[0]
        assert (slot["waitlisted"], slot["mine"]) == (2, mine)
    third.post(f"/bookings/{held['id']}/cancel", json={})
    assert low_income.get(f"/bookings/{late['id']}").json["status"] == "booked"
    assert regular.get(f"/bookings/{early['id']}").json["status"] == "waitlisted"


def test_price_is_waived_for_priority_groups(town, make_event):
    town["clinic"].points_price = 10
    db.session.commit()
    event, slots = make_event()
    regular, low_income = town["resident_apis"]
    assert regular.post("/bookings", json={"slot_id": slots[0]["id"]}).json["price_points"] == 10
    assert low_income.post("/bookings", json={"slot_id": slots[0]["id"]}).json["price_points"] == 0


def test_no_double_or_overlapping_bookings(town, make_event, make_service_type):
    event, slots = make_event()
    legal = make_service_type(town["community"].id, code="legal", name="法律咨询", station=town["station"],
                              duration_min=30)
    other_event, other_slots = make_event(service_type_id=legal.id, starts_at="2026-12-02T09:05",
                                          ends_at="2026-12-02T09:35")
    resident = town["resident_apis"][0]
    assert resident.post("/bookings", json={"slot_id": slots[0]["id"]}).status_code == 201
    twice = resident.post("/bookings", json={"slot_id": slots[0]["id"]})
    assert twice.status_code == 409 and twice.json["error"] == "already_booked" and "slot_id" in twice.json["errors"]
    overlap = resident.post("/bookings", json={"slot_id": other_slots[0]["id"]})
    assert overlap.status_code == 409 and overlap.json["error"] == "booking_overlap"
    assert "slot_id" in overlap.json["errors"]
    assert resident.post("/bookings", json={"slot_id": slots[1]["id"]}).status_code == 201  # back to back is fine


def test_slot_in_the_past_and_unknown_slot_are_422(town, make_event, clock):
    event, slots = make_event()
    resident = town["resident_apis"][0]
    clock.set(NOW.replace(day=2, month=12, hour=10))
    past = resident.post("/bookings", json={"slot_id": slots[0]["id"]})
    assert past.status_code == 422 and past.json["error"] == "slot_started" and "slot_id" in past.json["errors"]
    unknown = resident.post("/bookings", json={"slot_id": 2_000_000})
    assert unknown.status_code == 422 and unknown.json["error"] == "unknown_slot" and "slot_id" in unknown.json["errors"]
    assert resident.post("/bookings", json={}).json["errors"] == {"slot_id": ["This field is required."]}


def test_grid_worker_books_on_behalf_and_residents_see_only_their_own(town, make_event):
    event, slots = make_event()
    resident_id = town["residents"][1].id
    on_behalf = town["grid_worker"].post("/bookings", json={"slot_id": slots[0]["id"], "resident_id": resident_id})
    assert on_behalf.status_code == 201 and on_behalf.json["resident_id"] == resident_id
    needs_whom = town["grid_worker"].post("/bookings", json={"slot_id": slots[1]["id"]})
    assert needs_whom.status_code == 422 and needs_whom.json["error"] == "resident_required"
    assert "resident_id" in needs_whom.json["errors"]
    other = town["resident_apis"][0]
    assert other.get(f"/bookings/{on_behalf.json['id']}").status_code == 404
    assert other.post(f"/bookings/{on_behalf.json['id']}/cancel", json={}).status_code == 404
    assert other.get("/bookings").json["total"] == 0
    mine = town["resident_apis"][1].get("/bookings").json
    assert [b["id"] for b in mine["items"]] == [on_behalf.json["id"]]
    sneaky = other.post("/bookings", json={"slot_id": slots[2]["id"], "resident_id": resident_id})
    assert sneaky.status_code == 422 and sneaky.json["error"] == "own_behalf_only" and "resident_id" in sneaky.json["errors"]
    assert town["coordinator"].get("/bookings").json["total"] == 1


def test_counter_matches_rows_after_a_mix_of_changes(town, make_event):
    event, slots = make_event(capacity_per_slot=1)
    first, second = town["resident_apis"]
    slot_id = slots[3]["id"]
    a = first.post("/bookings", json={"slot_id": slot_id}).json
    b = second.post("/bookings", json={"slot_id": slot_id, "waitlist": True}).json
    second.post(f"/bookings/{b['id']}/cancel", json={})
    first.post(f"/bookings/{a['id']}/cancel", json={})
    assert first.post(f"/bookings/{a['id']}/cancel", json={}).status_code == 409
    db.session.expire_all()
    assert db.session.get(ServiceSlot, slot_id).booked == 0
