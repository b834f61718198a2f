"""A coordinator makes a one-time login QR code for an elderly resident (issue 11): it logs that person in once,
within 10 minutes; making it and using it are in the audit log; only staff who manage the person make one."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.support.pages import csrf_token, logged_in, text_of
from tests.support.policy_matrix import Entry, check_entry
from volunteer_app.accounts.models import AuditLog, LoginLink, Role, User
from volunteer_app.extensions import db
from volunteer_app.models_base import utcnow
from volunteer_app.places.models import Grid
from volunteer_app.portal import phone_login

QR_URL = re.compile(r"http://localhost/login/qr/([A-Za-z0-9_-]+)")


@pytest.fixture()
def neighbourhood(make_community, make_grid, make_building, make_resident, make_user):
    """A coordinator of 维北社区 with a resident there, and a resident of 永安社区."""
    here, away = make_community(name="维北社区"), make_community(name="永安社区")
    grid = make_grid(here)
    coordinator = make_user(communities=[here], username="coord")
    elder = make_user(role=Role.resident, username="elder",
                      resident_id=make_resident(make_building(grid), name="王秀兰").id)
    elder.display_name = "王奶奶"
    stranger = make_user(role=Role.resident, username="stranger",
                         resident_id=make_resident(make_building(make_grid(away))).id)
    db.session.commit()
    return coordinator, elder, stranger


def make_qr(client, user: User):
    return client.post(f"/login-qr/{user.id}", data={"csrf_token": csrf_token(client, "/login-qr")})


def test_a_coordinator_makes_a_qr_code_that_logs_the_resident_in_once(app, neighbourhood):
    coordinator, elder, _ = neighbourhood
    staff = logged_in(app, "coord")
    listing = text_of(staff.get("/login-qr"))
    assert "王秀兰" in listing and "生成登录二维码" in listing
    made = make_qr(staff, elder)
    assert made.status_code == 200
    page = text_of(made)
    assert "<svg" in page and "王秀兰 · 维北社区" in page
    token = QR_URL.search(page).group(1)
    link = db.session.scalars(select(LoginLink)).one()
    assert token not in link.token_hash and link.user_id == elder.id
    assert timedelta(minutes=9) < link.expires_at.replace(tzinfo=None) - utcnow().replace(tzinfo=None) <= \
        timedelta(minutes=10)

    phone = app.test_client()
    shown = phone.get(f"/login/qr/{token}")
    assert shown.status_code == 200 and "以 王奶奶 的身份登录" in text_of(shown)  # opening it uses nothing up
    used = phone.post(f"/login/qr/{token}", data={"csrf_token": csrf_token(phone, f"/login/qr/{token}")})
    assert used.status_code == 302 and used.headers["Location"] == "/"
    assert phone.get("/api/v1/me").json["username"] == "elder"

    again = app.test_client()
    refused = again.get(f"/login/qr/{token}")
    assert refused.status_code == 404 and "此登录二维码已失效" in text_of(refused)

    audit = db.session.scalars(select(AuditLog).where(AuditLog.entity == "login_links")).all()
    assert [(row.action, row.user_id) for row in audit] == [("create", coordinator.id), ("update", None)]
    assert audit[0].changes["user_id"] == elder.id and "token_hash" not in audit[0].changes
    assert audit[1].changes["used_at"][0] is None and audit[1].changes["used_at"][1]


def test_the_persons_page_has_the_login_qr_button(app, neighbourhood, make_volunteer, make_user):
    """Issue 11: a coordinator reaches the QR code from the resident's or volunteer's page, one button per account;
    a record without an account offers none."""
    coordinator, elder, _ = neighbourhood
    grid = db.session.get(Grid, db.session.get(phone_login.Resident, elder.resident_id).grid_id)
    helper = make_volunteer(grid=grid, name="赵志愿")
    helper_account = make_user(role=Role.volunteer, username="helper", volunteer_id=helper.id)
    staff = logged_in(app, "coord")
    for page, account in ((f"/residents/{elder.resident_id}/edit", elder), (f"/volunteers/{helper.id}/edit",
                                                                          helper_account)):
        html = text_of(staff.get(page))
        button = re.search(r'<form method="post" action="(/login-qr/\d+)"[^>]*data-login-qr>.*?</form>', html, re.S)
        assert button and button.group(1) == f"/login-qr/{account.id}" and "登录二维码" in button.group(0), page
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', button.group(0)).group(1)
        made = staff.post(button.group(1), data={"csrf_token": csrf})
        assert made.status_code == 200 and "<svg" in text_of(made) and QR_URL.search(text_of(made))
    assert db.session.scalars(select(LoginLink.user_id).order_by(LoginLink.id)).all() == [elder.id, helper_account.id]
    db.session.delete(helper_account)
    db.session.commit()
    assert "data-login-qr" not in text_of(staff.get(f"/volunteers/{helper.id}/edit"))


def test_a_qr_code_expires_after_ten_minutes(app, neighbourhood):
    _, elder, _ = neighbourhood
    token = QR_URL.search(text_of(make_qr(logged_in(app, "coord"), elder))).group(1)
    link = db.session.scalars(select(LoginLink)).one()
    link.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    phone = app.test_client()
    token_page = phone.get(f"/login/qr/{token}")
    assert token_page.status_code == 404
    assert phone.post(f"/login/qr/{token}", data={"csrf_token": csrf_token(phone, "/login")}).status_code == 404
    assert phone.get("/api/v1/me").status_code == 401


def test_a_qr_login_ends_with_logout(app, neighbourhood):
    _, elder, _ = neighbourhood
    token = QR_URL.search(text_of(make_qr(logged_in(app, "coord"), elder))).group(1)
    phone = app.test_client()
    phone.post(f"/login/qr/{token}", data={"csrf_token": csrf_token(phone, f"/login/qr/{token}")})
    copy = phone.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    phone.post("/logout", data={"csrf_token": csrf_token(phone, "/me")})
    stale = app.test_client()
    stale.set_cookie(app.config["SESSION_COOKIE_NAME"], copy)
    assert stale.get("/api/v1/me").status_code == 401


def test_the_api_makes_one_for_people_the_coordinator_manages_only(app, neighbourhood, api_as):
    coordinator, elder, stranger = neighbourhood
    api = api_as(coordinator)
    made = api.post("/login-links", json={"user_id": elder.id})
    assert made.status_code == 201 and made.json["user_id"] == elder.id
    assert QR_URL.fullmatch(made.json["url"])
    for someone in (stranger, coordinator):  # another community's resident; a staff account
        refused = api.post("/login-links", json={"user_id": someone.id})
        assert refused.status_code == 404 and refused.json["error"] == "not_found"
    assert api_as(elder).post("/login-links", json={"user_id": elder.id}).status_code == 403


def test_the_admins_page_shows_pending_codes_in_development_mode_only_to_admins(app, neighbourhood, make_user):
    _, elder, _ = neighbourhood
    make_user(role=Role.admin, username="admin", pii=True)
    resident = db.session.get(phone_login.Resident, elder.resident_id)
    phone_login.send_code(resident.phone)
    db.session.commit()
    code = db.session.scalars(select(phone_login.LoginCode)).one().shown_code
    page = text_of(logged_in(app, "admin").get("/login-codes"))
    assert 'id="development-mode"' in page and code in page and "王秀兰" in page
    assert logged_in(app, "coord").get("/login-codes").status_code == 403


# --- who may make one -------------------------------------------------------------------------------------------

def account_of(place, role: str) -> int:
    """An account for the place's resident or volunteer (made inside the case; the matrix rolls it back)."""
    user = User(username=f"{role}-{place.community.id}", display_name="某人", role=Role(role),
                resident_id=place.resident.id if role == "resident" else None,
                volunteer_id=place.volunteer.id if role == "volunteer" else None)
    db.session.add(user)
    db.session.flush()
    return user.id


MANAGERS = frozenset({"admin", "coordinator", "grid_worker"})
ENTRIES = [
    Entry("login_qr.create for a resident", lambda w, a, p: phone_login.create_login_qr(a, account_of(p, "resident")),
          allowed=MANAGERS),
    Entry("login_qr.create for a volunteer",
          lambda w, a, p: phone_login.create_login_qr(a, account_of(p, "volunteer")), allowed=MANAGERS),
    Entry("login_qr.people", lambda w, a, p: phone_login.people_for_qr(a), allowed=MANAGERS, placeless=True),
    Entry("login_codes.read", lambda w, a, p: phone_login.pending_codes(a), allowed=frozenset({"admin"}),
          placeless=True),
]


@pytest.mark.parametrize("entry", ENTRIES, ids=str)
def test_each_login_entry_point_with_each_role(world, entry):
    check_entry(world, entry)


def test_no_qr_code_for_a_staff_account(world):
    coordinator = world.actor("coordinator")
    with pytest.raises(phone_login.NotFound):
        phone_login.create_login_qr(world.actor("admin"), coordinator.id)


def test_a_coordinator_lists_only_the_people_they_manage(world):
    home = account_of(world.here, "resident")
    away = account_of(world.elsewhere, "resident")
    listed = {person.user.id for person in phone_login.people_for_qr(world.actor("coordinator"))}
    assert home in listed and away not in listed
