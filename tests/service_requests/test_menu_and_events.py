"""The service menu per community, and events cut into bookable slots."""
from datetime import date

from tests.support.pages import logged_in, text_of
from volunteer_app.accounts.models import Role
from volunteer_app.extensions import db
from volunteer_app.holidays.models import HolidayOverride


def type_payload(town, **changes):
    return {"community_id": town["community"].id, "code": "haircut", "name": "理发", "duration_min": 20,
            "location": "station", "station_id": town["station"].id, "points_price": 5,
            "time_limits": {"accept": "15m", "resolve": "1d"}, **changes}


def test_coordinator_manages_the_menu_and_residents_read_it(town, make_community, make_user, api_as):
    api = town["coordinator"]
    created = api.post("/service-types", json=type_payload(town))
    assert created.status_code == 201, created.json
    assert created.json["time_limits"] == {"accept": "15m", "dispatch": "30m", "start": "2h", "resolve": "1d",
                                           "rate": "3d"}  # the defaults fill the steps left out
    changed = api.patch(f"/service-types/{created.json['id']}",
                        json={"version": created.json["version"], "points_price": 8})
    assert changed.status_code == 200 and changed.json["points_price"] == 8
    assert api.post("/service-types", json=type_payload(town)).status_code == 409  # same code twice
    menu = town["resident_apis"][0].get("/service-types").json
    assert {t["code"] for t in menu["items"]} == {"clinic", "repair", "haircut"}
    resident = town["resident_apis"][0]
    assert resident.post("/service-types", json=type_payload(town, code="knives")).status_code == 403
    outsider = api_as(make_user(communities=[make_community()]))
    assert outsider.get("/service-types").json["total"] == 0
    assert outsider.get(f"/service-types/{created.json['id']}").status_code == 404


def test_menu_input_errors_name_the_field(town):
    api = town["coordinator"]
    bad_limit = api.post("/service-types", json=type_payload(town, time_limits={"accept": "soon"}))
    assert bad_limit.status_code == 422 and "time_limits" in bad_limit.json["errors"]
    bad_skill = api.post("/service-types", json=type_payload(town, skills=["juggling"]))
    assert bad_skill.status_code == 422 and "skills" in bad_skill.json["errors"]
    used = api.delete(f"/service-types/{town['clinic'].id}")
    assert used.status_code == 204  # unused yet: may go


def test_event_is_cut_into_slots_with_capacity(town, make_event):
    event, slots = make_event()
    assert event["slot_count"] == 15 and event["places"] == 30 and event["booked"] == 0
    assert slots[0]["starts_at"] == "2026-12-02T09:00" and slots[-1]["ends_at"] == "2026-12-02T11:30"
    assert all(s["capacity"] == 2 and s["free"] == 2 for s in slots)
    listed = town["resident_apis"][0].get("/service-events").json
    assert [e["id"] for e in listed["items"]] == [event["id"]]


def test_event_input_errors_name_the_field(town, event_payload):
    api = town["coordinator"]
    cases = [
        ({"starts_at": "2026-11-27T09:00", "ends_at": "2026-11-27T10:00"}, "starts_at", "in_the_past"),
        ({"starts_at": "2026-12-02T17:00", "ends_at": "2026-12-02T18:00"}, "starts_at", "outside_opening_hours"),
        ({"starts_at": "2026-12-06T09:00", "ends_at": "2026-12-06T10:00"}, "starts_at", "outside_opening_hours"),
        ({"starts_at": "2026-12-02T09:00", "ends_at": "2026-12-02T09:25"}, "ends_at", "slots_do_not_fit"),
        ({"service_type_id": 999_999}, "service_type_id", "unknown_service_type"),
        ({"ends_at": "2026-12-02T08:00"}, "ends_at", "invalid_input"),  # the schema's own check
        ({"capacity_per_slot": 0}, "capacity_per_slot", "invalid_input"),
    ]
    for changes, field, code in cases:
        response = api.post("/service-events", json=event_payload(**changes))
        assert response.status_code == 422, (changes, response.json)
        assert field in response.json["errors"], (changes, response.json)
        assert response.json.get("error", "invalid_input") == code, response.json
    sunday = api.post("/service-events", json=event_payload(starts_at="2026-12-06T09:00", ends_at="2026-12-06T10:00"))
    assert "closed on 2026-12-06" in sunday.json["errors"]["starts_at"][0]  # names the day, not only the hours


def test_holiday_closes_the_station_unless_it_opens_on_holidays(town, event_payload):
    api = town["coordinator"]
    new_year = event_payload(starts_at="2027-01-01T09:00", ends_at="2027-01-01T10:00")  # a Friday, 元旦
    db.session.add(HolidayOverride(day=date(2027, 1, 1), is_workday=False, name="元旦"))
    db.session.commit()
    refused = api.post("/service-events", json=new_year)
    assert refused.status_code == 422 and "元旦" in refused.json["errors"]["starts_at"][0]
    town["station"].closed_on_holidays = False
    db.session.commit()
    assert api.post("/service-events", json=new_year).status_code == 201


def test_only_coordinators_schedule_and_cancel(town, make_event):
    event, slots = make_event()
    assert town["resident_apis"][0].post(f"/service-events/{event['id']}/cancel", json={"reason": "x"}).status_code == 403
    assert town["volunteer_apis"][0].post("/service-events", json={}).status_code in (403, 422)
    booked = town["resident_apis"][0].post("/bookings", json={"slot_id": slots[0]["id"]})
    assert booked.status_code == 201
    cancelled = town["coordinator"].post(f"/service-events/{event['id']}/cancel", json={"reason": "医生临时有事"})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert town["resident_apis"][0].get(f"/bookings/{booked.json['id']}").json["status"] == "cancelled"
    inbox = town["resident_apis"][0].get("/notifications").json["items"]
    assert any(n["title"].startswith("Called off: ") and n["body"].endswith("Reason: 医生临时有事") for n in inbox)
    chinese = town["resident_apis"][0].get("/notifications", headers={"Accept-Language": "zh-CN"}).json["items"]
    assert any(n["title"].startswith("活动取消：") and n["body"].endswith("原因：医生临时有事") for n in chinese)
    assert town["resident_apis"][0].get(f"/bookings/{booked.json['id']}").json["cancel_reason"] == (
        "Event called off: 医生临时有事")
    again = town["resident_apis"][1].post("/bookings", json={"slot_id": slots[1]["id"]})
    assert again.status_code == 409 and "slot_id" in again.json["errors"]


def test_events_of_other_communities_are_invisible(town, make_event, make_grid, make_building, make_resident,
                                                   make_user, api_as):
    event, slots = make_event()
    stranger = make_resident(building=make_building(grid=make_grid()))
    api = api_as(make_user(role=Role.resident, resident_id=stranger.id))
    assert api.get(f"/service-events/{event['id']}").status_code == 404
    assert api.get("/service-events").json["total"] == 0
    refused = api.post("/bookings", json={"slot_id": slots[0]["id"]})
    assert refused.status_code == 422 and "slot_id" in refused.json["errors"]


def test_an_event_cuts_its_times_as_long_as_the_menu_says_the_service_takes(town, app_ctx, event_payload):
    """One source: the menu's duration; an event's times are cut from it and cannot say otherwise."""
    api = town["coordinator"]
    haircut = api.post("/service-types", json=type_payload(town)).json  # takes 20 minutes
    payload = event_payload(service_type_id=haircut["id"], starts_at="2026-12-02T09:00", ends_at="2026-12-02T10:00")
    event = api.post("/service-events", json=payload)
    assert event.status_code == 201, event.json
    slots = api.get(f"/service-events/{event.json['id']}/slots").json
    assert [(s["starts_at"], s["ends_at"]) for s in slots] == [
        ("2026-12-02T09:00", "2026-12-02T09:20"), ("2026-12-02T09:20", "2026-12-02T09:40"),
        ("2026-12-02T09:40", "2026-12-02T10:00")]
    other = api.post("/service-events", json={**payload, "slot_minutes": 10})
    assert other.status_code == 422 and "slot_minutes" in other.json["errors"]
    resident = logged_in(app_ctx, "resident0")
    menu = text_of(resident.get("/services"))
    card = menu[menu.index(f'id="service-{haircut["id"]}"'):]
    assert "20 分钟" in card[:card.index("</li>")]
    event_page = text_of(resident.get(f"/service-events/{event.json['id']}"))
    assert "理发 · 20 分钟" in event_page
