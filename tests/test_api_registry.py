"""The registry API: create, read, update, delete, validation, duplicates, PII, versions."""
import pytest

from volunteer_app.accounts.models import AuditLog, Role
from volunteer_app.extensions import db
from volunteer_app.people.models import Volunteer
from volunteer_app.places.models import Community


def volunteer_payload(grid, **overrides):
    payload = {
        "name": "王芳", "phone": "13812345678", "community_id": grid.community_id, "grid_id": grid.id,
        "skills": [], "availability": [{"days": "workdays", "start": "18:00", "end": "21:00"}],
        "max_hours_per_week": 6, "max_distance_m": 1500,
    }
    payload.update(overrides)
    return payload


def test_create_get_update_delete_volunteer(make_grid, make_skill, admin_api):
    grid = make_grid()
    make_skill(code="haircut")
    created = admin_api.post("/volunteers", json=volunteer_payload(grid, skills=["haircut"]))
    assert created.status_code == 201, created.json
    body = created.json
    assert body["skills"] == ["haircut"] and body["version"] == 1
    assert body["lat"] == grid.lat  # home defaults to the grid's location
    fetched = admin_api.get(f"/volunteers/{body['id']}").json
    assert fetched["availability"] == [{"days": "workdays", "start": "18:00", "end": "21:00"}]
    patched = admin_api.patch(f"/volunteers/{body['id']}", json={"version": 1, "max_hours_per_week": 10})
    assert patched.status_code == 200, patched.json
    assert patched.json["max_hours_per_week"] == 10 and patched.json["version"] == 2
    assert admin_api.delete(f"/volunteers/{body['id']}").status_code == 204
    assert admin_api.get(f"/volunteers/{body['id']}").status_code == 404


def test_invalid_fields_are_named_and_nothing_is_written(make_grid, admin_api):
    grid = make_grid()
    response = admin_api.post("/volunteers", json=volunteer_payload(
        grid, phone="12345", availability=[{"days": "someday", "start": "21:00", "end": "18:00"}]))
    assert response.status_code == 422
    body = response.json
    assert set(body) == {"code", "error", "message", "errors"} and body["error"] == "invalid_input"
    assert "phone" in body["errors"] and "availability" in body["errors"]
    assert db.session.query(Volunteer).count() == 0


def test_unknown_skill_is_422_naming_skills(make_grid, admin_api):
    response = admin_api.post("/volunteers", json=volunteer_payload(make_grid(), skills=["juggling"]))
    assert response.status_code == 422
    assert "juggling" in response.json["errors"]["skills"][0]
    assert db.session.query(Volunteer).count() == 0


def test_duplicate_phone_in_community_is_409_naming_existing(make_grid, make_volunteer, admin_api):
    grid = make_grid()
    existing = make_volunteer(grid=grid, phone="13812345678", name="赵磊")
    response = admin_api.post("/volunteers", json=volunteer_payload(grid))
    assert response.status_code == 409
    assert response.json["existing"] == {"id": existing.id, "name": "赵磊"}
    assert "phone" in response.json["errors"]


def test_same_phone_in_another_community_is_allowed(make_grid, make_volunteer, admin_api):
    make_volunteer(phone="13812345678")
    assert admin_api.post("/volunteers", json=volunteer_payload(make_grid())).status_code == 201


def test_grid_must_belong_to_community(make_grid, admin_api):
    other = make_grid()
    response = admin_api.post("/volunteers", json=volunteer_payload(make_grid(), grid_id=other.id))
    assert response.status_code == 422 and "grid_id" in response.json["errors"]


def test_stale_version_is_409_and_keeps_first_write(make_volunteer, admin_api):
    volunteer = make_volunteer()
    first = admin_api.patch(f"/volunteers/{volunteer.id}", json={"version": 1, "name": "甲"})
    second = admin_api.patch(f"/volunteers/{volunteer.id}", json={"version": 1, "name": "乙"})
    assert first.status_code == 200 and second.status_code == 409
    assert second.json["current_version"] == 2
    assert admin_api.get(f"/volunteers/{volunteer.id}").json["name"] == "甲"


def test_patch_without_version_is_422(make_volunteer, admin_api):
    response = admin_api.patch(f"/volunteers/{make_volunteer().id}", json={"name": "甲"})
    assert response.status_code == 422 and "version" in response.json["errors"]


def test_phone_masked_without_pii_permission(make_grid, make_volunteer, make_user, api_as):
    grid = make_grid()
    make_volunteer(grid=grid, phone="13812345678", id_number="11010519491231002X")
    plain = api_as(make_user(communities=[grid.community]))
    item = plain.get("/volunteers").json["items"][0]
    assert item["phone"] == "138****5678" and item["id_number"] == "1101**********002X"
    privileged = api_as(make_user(communities=[grid.community], pii=True))
    assert privileged.get("/volunteers").json["items"][0]["phone"] == "13812345678"


def test_list_filters_and_paginates(make_grid, make_volunteer, make_skill, admin_api):
    grid, other = make_grid(), make_grid()
    haircut = make_skill(code="haircut")
    for i in range(5):
        make_volunteer(grid=grid, name=f"志愿者{i}", skills=[haircut] if i % 2 == 0 else [])
    make_volunteer(grid=other)
    page = admin_api.get(f"/volunteers?grid_id={grid.id}&per_page=2&page=2").json
    assert page["total"] == 5 and page["pages"] == 3 and len(page["items"]) == 2
    assert admin_api.get("/volunteers?skill=haircut").json["total"] == 3
    assert admin_api.get("/volunteers?q=志愿者3").json["total"] == 1
    assert admin_api.get("/volunteers?per_page=1000").status_code == 422


def test_audit_log_records_who_and_what(make_volunteer, make_user, api_as):
    volunteer = make_volunteer()
    coordinator = make_user(communities=[db.session.get(Community, volunteer.community_id)])
    admin = make_user(role=Role.admin)
    api = api_as(admin)
    api.patch(f"/volunteers/{volunteer.id}", json={"version": 1, "max_hours_per_week": 12})
    rows = db.session.query(AuditLog).filter_by(entity="volunteers", action="update").all()
    assert len(rows) == 1
    assert rows[0].user_id == admin.id
    assert rows[0].changes["max_hours_per_week"] == [8, 12]
    listed = api.get(f"/audit?entity=volunteers&entity_id={volunteer.id}").json
    assert [r["action"] for r in listed["items"]] == ["update", "create"]
    assert api_as(coordinator).get("/audit").status_code == 403


def test_resident_gets_grid_and_community_from_building(make_building, admin_api):
    building = make_building()
    response = admin_api.post("/residents", json={
        "name": "刘桂兰", "phone": "13900001111", "building_id": building.id, "household": "2单元301",
        "priority_groups": ["elderly_alone", "low_income"]})
    assert response.status_code == 201, response.json
    body = response.json
    assert body["grid_id"] == building.grid_id and body["community_id"] == building.community_id
    assert body["priority_groups"] == ["elderly_alone", "low_income"]
    assert admin_api.get("/residents?priority_group=low_income").json["total"] == 1


def test_party_report_with_claimed_posts_and_progress(make_volunteer, make_station, admin_api):
    volunteer = make_volunteer()
    station = make_station(community=db.session.get(Community, volunteer.community_id))
    admin_api.post("/service-logs", json={"volunteer_id": volunteer.id, "served_on": "2026-03-01", "minutes": 300})
    response = admin_api.post("/party-reports", json={
        "volunteer_id": volunteer.id, "work_unit": "市税务局", "party_organization": "市税务局机关党委",
        "community_id": volunteer.community_id, "reported_on": "2026-02-01", "yearly_target_hours": 20,
        "claimed_posts": [{"station_id": station.id, "weekday": 5, "start": "09:00", "end": "11:00"}]})
    assert response.status_code == 201, response.json
    assert response.json["progress"]["served_hours"] == 5.0
    assert response.json["progress"]["percent"] == 25
    db.session.expire_all()
    assert db.session.get(Volunteer, volunteer.id).is_party_member
    again = admin_api.post("/party-reports", json={
        "volunteer_id": volunteer.id, "work_unit": "x", "party_organization": "y",
        "community_id": volunteer.community_id, "reported_on": "2026-02-01"})
    assert again.status_code == 409


def test_station_opening_hours_validated(make_community, admin_api):
    community = make_community()
    response = admin_api.post("/stations", json={
        "code": "ST1", "name": "红色驿站", "station_type": "red_post", "community_id": community.id,
        "lat": 43.88, "lon": 125.32, "opening_hours": [{"weekday": 7, "start": "18:00", "end": "09:00"}]})
    assert response.status_code == 422
    assert "opening_hours" in response.json["errors"]


def test_duplicate_code_is_409(make_community, admin_api):
    community = make_community(code="WB")
    response = admin_api.post("/communities", json={"code": "WB", "name": "x", "subdistrict_id": community.subdistrict_id})
    assert response.status_code == 409 and response.json["existing"]["id"] == community.id


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x07"])
def test_control_characters_are_refused_naming_the_field(make_grid, admin_api, character):
    """NUL breaks PostgreSQL, any control character breaks the Excel exports: none is ever stored."""
    grid = make_grid()
    response = admin_api.post("/volunteers", json=volunteer_payload(grid, name=f"王{character}芳"))
    assert response.status_code == 422
    assert response.json["error"] == "control_character"
    assert response.json["errors"] == {"name": ["Contains a control character (such as NUL or ESC)."]}
    assert admin_api.get(f"/volunteers?q={character}").status_code == 422
    assert db.session.query(Volunteer).count() == 0
    kept = admin_api.post("/volunteers", json=volunteer_payload(grid, name="王芳", phone="13800138077"))
    assert kept.status_code == 201, kept.json
