"""Logout and a new password end sessions for good (issue 14: a session cookie saved before logout still read
/my/requests and /api/v1/me, and after an admin reset a password the old session and token still worked)."""
from flask import current_app

from volunteer_app.accounts.models import ApiToken, Role
from volunteer_app.extensions import db

from tests.support.pages import csrf_token, logged_in


def saved_cookie(client) -> str:
    return client.get_cookie(current_app.config["SESSION_COOKIE_NAME"]).value


def with_cookie(app, value: str):
    """Another browser presenting a copy of a session cookie."""
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], value)
    return client


def reads_as_that_user(client, username: str) -> bool:
    me = client.get("/api/v1/me")
    page = client.get("/my/requests")
    assert (me.status_code == 200) == (page.status_code == 200), (me.status_code, page.status_code)
    return me.status_code == 200 and me.json["username"] == username


def test_a_cookie_saved_before_logout_no_longer_works(app, make_user, make_resident):
    make_user(role=Role.resident, username="resident", resident_id=make_resident().id)
    browser = logged_in(app, "resident")
    copy = saved_cookie(browser)
    assert reads_as_that_user(with_cookie(app, copy), "resident")  # the copy works while the session lasts
    assert browser.post("/logout", data={"csrf_token": csrf_token(browser, "/my/requests")}).status_code == 302
    stale = with_cookie(app, copy)
    assert not reads_as_that_user(stale, "resident")
    assert stale.get("/api/v1/me").status_code == 401
    assert stale.get("/my/requests").headers["Location"].startswith("/login")
    assert reads_as_that_user(logged_in(app, "resident"), "resident")  # logging in again works


def test_logout_ends_the_users_other_sessions_too(app, make_user, make_resident):
    make_user(role=Role.resident, username="resident", resident_id=make_resident().id)
    phone, laptop = logged_in(app, "resident"), logged_in(app, "resident")
    phone.post("/logout", data={"csrf_token": csrf_token(phone, "/my/requests")})
    assert not reads_as_that_user(laptop, "resident")


def test_a_password_reset_ends_the_users_sessions_and_revokes_their_tokens(app, make_user, make_resident, api_as,
                                                                            admin_api):
    user = make_user(role=Role.resident, username="resident", resident_id=make_resident().id)
    other = make_user(role=Role.resident, username="neighbour", resident_id=make_resident().id)
    browser, neighbour = logged_in(app, "resident"), logged_in(app, "neighbour")
    token, neighbours_token = api_as(user), api_as(other)
    assert token.get("/me").status_code == 200

    changed = admin_api.patch(f"/users/{user.id}", json={"password": "a-brand-new-one", "version": user.version})
    assert changed.status_code == 200, changed.json
    assert not reads_as_that_user(browser, "resident")
    assert token.get("/me").status_code == 401
    assert db.session.query(ApiToken).filter(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).count() == 0
    assert reads_as_that_user(neighbour, "neighbour") and neighbours_token.get("/me").status_code == 200
    fresh = app.test_client()
    response = fresh.post("/login", data={"username": "resident", "password": "a-brand-new-one",
                                          "csrf_token": csrf_token(fresh, "/login")})
    assert response.status_code == 302 and reads_as_that_user(fresh, "resident")


def test_other_changes_to_a_user_keep_their_sessions(app, make_user, make_resident, admin_api):
    user = make_user(role=Role.resident, username="resident", resident_id=make_resident().id)
    browser = logged_in(app, "resident")
    changed = admin_api.patch(f"/users/{user.id}", json={"display_name": "李阿姨", "version": user.version})
    assert changed.status_code == 200, changed.json
    assert reads_as_that_user(browser, "resident")
