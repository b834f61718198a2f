"""Failed logins are limited per account with a back-off, and per address only against many accounts, so one
client cannot lock a whole office out (issue 14: 10 attempts a minute from one address, then 429 for everyone
behind it, right password included); the account's owner is told."""
import pytest

from volunteer_app.accounts.models import Role
from volunteer_app.extensions import db
from volunteer_app.notifications.models import Notification

from tests.support.pages import PASSWORD, csrf_token, text_of


def attempt(client, username: str, password: str):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client, "/login")})


@pytest.fixture()
def office(app, make_user):
    """Colleagues behind one address (the test client's): every request comes from 127.0.0.1."""
    return {name: make_user(role=Role.coordinator, username=name) for name in ("wang", "li", "zhao")}


def test_guessing_one_account_blocks_that_account_not_the_office(app, office):
    guesser = app.test_client()
    for _ in range(5):
        assert attempt(guesser, "wang", "guess-guess").status_code == 200
    blocked = attempt(guesser, "wang", PASSWORD)
    assert blocked.status_code == 429
    assert "该账号登录失败次数过多" in text_of(blocked) and "系统已通知账号本人" in text_of(blocked)
    assert attempt(app.test_client(), "wang", PASSWORD).status_code == 429  # from any browser: it is the account
    colleague = app.test_client()
    assert attempt(colleague, "li", PASSWORD).status_code == 302  # same address, other account
    assert colleague.get("/api/v1/me").json["username"] == "li"


def test_the_owner_is_told_once(app, office):
    guesser = app.test_client()
    for _ in range(8):
        attempt(guesser, "wang", "guess-guess")
    notes = db.session.query(Notification).filter_by(user_id=office["wang"].id, kind="login_blocked").all()
    assert len(notes) == 1 and "登录" in notes[0].title
    assert db.session.query(Notification).filter(Notification.user_id != office["wang"].id).count() == 0


def test_logins_that_work_do_not_count(app, office, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "2 per minute")
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_RATE_LIMIT", "2 per minute")
    for _ in range(4):  # the whole office arriving at nine, some twice
        for name in office:
            assert attempt(app.test_client(), name, PASSWORD).status_code == 302


def test_one_address_failing_on_many_accounts_is_still_limited(app, office, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    sprayer = app.test_client()
    for name in ("wang", "li", "zhao"):
        assert attempt(sprayer, name, "summer2026").status_code == 200
    blocked = attempt(sprayer, "someone-else", "summer2026")
    assert blocked.status_code == 429 and "您所在网络的登录失败次数过多" in text_of(blocked)


def test_behind_a_proxy_each_client_has_its_own_address(office, database_url, tmp_path):
    """With PROXY_COUNT the limit per address counts each client's own address, not the proxy's."""
    from volunteer_app import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": "memory://",
                      "SECRET_KEY": "proxy", "PROXY_COUNT": 1, "LOGIN_RATE_LIMIT": "2 per minute"})

    def from_address(address: str, username: str):
        client = app.test_client()
        client.environ_base["HTTP_X_FORWARDED_FOR"] = address
        return attempt(client, username, "summer2026").status_code

    assert [from_address("203.0.113.7", name) for name in ("wang", "li", "zhao")] == [200, 200, 429]
    assert from_address("203.0.113.8", "zhao") == 200
