"""Input that once reached a 500 answers a 4xx in the one error shape, naming where the problem is."""
import json

from volunteer_app.extensions import db
from volunteer_app.people.models import Volunteer
from volunteer_app.jsonio import MAX_DEPTH

from tests.test_api_registry import volunteer_payload


def test_deeply_nested_json_is_refused_not_a_recursion_error(admin_api, client):
    body = "[" * 100_000 + "]" * 100_000
    response = admin_api.post("/volunteers", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.data[:200]
    assert response.json["error"] == "body_too_deep" and "_body" in response.json["errors"]


def test_nesting_past_the_limit_names_where(make_grid, admin_api):
    deep: object = "x"
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    response = admin_api.post("/volunteers", json=volunteer_payload(make_grid(), skills=deep))
    assert response.status_code == 422
    assert response.json["error"] == "body_too_deep"
    assert any(key.startswith("skills.0.0") for key in response.json["errors"])


def test_a_lone_surrogate_is_refused_naming_the_field(make_grid, admin_api):
    payload = json.dumps(volunteer_payload(make_grid(), name="王\ud800芳"))  # ensure_ascii writes "\ud800"
    assert "\\ud800" in payload
    response = admin_api.post("/volunteers", data=payload, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json["error"] == "invalid_unicode" and list(response.json["errors"]) == ["name"]
    assert db.session.query(Volunteer).count() == 0


def test_api_messages_follow_the_clients_language(make_grid, admin_api):
    payload = json.dumps(volunteer_payload(make_grid(), name="\ud800"))
    english = admin_api.post("/volunteers", data=payload, headers={"Content-Type": "application/json"})
    chinese = admin_api.post("/volunteers", data=payload, headers={"Content-Type": "application/json",
                                                                   "Accept-Language": "zh-CN"})
    assert english.json["error"] == chinese.json["error"] == "invalid_unicode"
    assert english.json["message"] == "Text must be valid Unicode."
    assert chinese.json["message"] != english.json["message"] and not chinese.json["message"].isascii()
