"""Bearer tokens, the CLI that makes them, and CSRF for cookie sessions on the API."""
from datetime import timedelta

from sqlalchemy import select

from tests.support.pages import PASSWORD, csrf_token
from volunteer_app.accounts.models import ApiToken, Role
from volunteer_app.accounts.service import create_token
from volunteer_app.extensions import db
from volunteer_app.models_base import utcnow


def test_missing_invalid_expired_and_revoked_tokens_are_401(client, make_user):
    user = make_user(role=Role.admin)
    assert client.get("/api/v1/me").status_code == 401
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer jmk_nope"})
    assert bad.status_code == 401 and bad.json["code"] == 401
    plain, record = create_token(user, "old")
    record.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 401
    plain, record = create_token(user, "revoked")
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.delete(f"/api/v1/tokens/{record.id}", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_inactive_user_token_is_401(client, make_user):
    user = make_user(active=False)
    plain, _ = create_token(user)
    db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 401


def test_token_created_through_api_is_shown_once_and_stored_hashed(make_user, api_as):
    api = api_as(make_user())
    created = api.post("/tokens", json={"name": "integration", "days": 30})
    assert created.status_code == 201
    secret = created.json["token"]
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert secret not in stored and all(len(h) == 64 for h in stored)
    listed = api.get("/tokens").json
    assert all("token" not in t for t in listed) and {t["name"] for t in listed} == {"test", "integration"}


def test_cli_token_create_prints_a_working_token(app_ctx, make_user):
    make_user(username="ops", role=Role.admin)
    result = app_ctx.test_cli_runner().invoke(args=["token", "create", "--user", "ops"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("jmk_")
    response = app_ctx.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.json["username"] == "ops"
    unknown = app_ctx.test_cli_runner().invoke(args=["token", "create", "--user", "ghost"])
    assert unknown.exit_code != 0 and "ghost" in unknown.output


def login(client, username, password=PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token}), token


def test_cookie_session_needs_csrf_token_to_write_through_api(client, make_user, make_community):
    community = make_community()
    make_user(username="coord", communities=[community])
    response, token = login(client, "coord")
    assert response.status_code == 302
    assert client.get("/api/v1/me").json["username"] == "coord"
    payload = {"code": "GX", "name": "x", "community_id": community.id, "lat": 43.9, "lon": 125.3}
    refused = client.post("/api/v1/grids", json=payload)
    assert refused.status_code == 403 and refused.json["error"] == "csrf_failed" and "csrf_token" in refused.json["errors"]
    accepted = client.post("/api/v1/grids", json=payload, headers={"X-CSRFToken": token})
    assert accepted.status_code == 201


def test_wrong_password_does_not_log_in(client, make_user):
    make_user(username="coord")
    response, _ = login(client, "coord", "wrong-password")
    assert response.status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_session_cookie_is_http_only(client, make_user):
    make_user(username="coord")
    response, _ = login(client, "coord")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_admin_cannot_lock_themselves_out(make_user, api_as):
    admin = make_user(role=Role.admin)
    api = api_as(admin)
    assert api.patch(f"/users/{admin.id}", json={"version": admin.version, "active": False}).status_code == 409
    assert api.patch(f"/users/{admin.id}", json={"version": admin.version, "role": "volunteer"}).status_code == 409
    assert api.delete(f"/users/{admin.id}").status_code == 409
    assert api.get("/me").status_code == 200
    other = make_user(role=Role.admin)
    assert api.patch(f"/users/{other.id}", json={"version": other.version, "active": False}).status_code == 200


def test_token_last_used_is_recorded_without_a_write_per_call(client, make_user):
    user = make_user()
    plain, record = create_token(user)
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    db.session.expire_all()
    first = db.session.get(ApiToken, record.id).last_used_at
    assert first is not None
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, record.id).last_used_at == first  # within five minutes: not rewritten
