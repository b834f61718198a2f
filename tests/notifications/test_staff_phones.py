"""Staff accounts' own mobile numbers (issue 11): admins set them on the users API, staff on their profile
(我的信息); validated like every mobile in the app, masked in answers like other numbers, used by SMS, and never
a way to log in by code (staff keep their passwords)."""
from tests.support.pages import csrf_token, logged_in, text_of
from volunteer_app.accounts.models import Role
from volunteer_app.extensions import db
from volunteer_app.portal import phone_login

MOBILE = "13712345678"


def test_an_admin_gives_a_coordinator_a_mobile_shown_masked_without_the_pii_permission(make_user, api_as):
    coordinator = make_user(username="coord")
    plain_admin = api_as(make_user(role=Role.admin, username="admin2"))
    pii_admin = api_as(make_user(role=Role.admin, username="admin3", pii=True))
    changed = plain_admin.patch(f"/users/{coordinator.id}", json={"version": coordinator.version, "phone": MOBILE})
    assert changed.status_code == 200 and changed.json["phone"] == "137****5678"
    db.session.refresh(coordinator)
    assert coordinator.phone == MOBILE
    assert pii_admin.get(f"/users/{coordinator.id}").json["phone"] == MOBILE
    assert {u["phone"] for u in plain_admin.get("/users", query_string={"role": "coordinator"}).json["items"]} == \
        {"137****5678"}
    assert api_as(coordinator).get("/me").json["phone"] == "137****5678"  # an answer like any other: masked

    wrong = plain_admin.patch(f"/users/{coordinator.id}", json={"version": coordinator.version, "phone": "1371234"})
    assert wrong.status_code == 422 and "phone" in wrong.json["errors"]
    removed = plain_admin.patch(f"/users/{coordinator.id}", json={"version": coordinator.version, "phone": None})
    assert removed.status_code == 200 and removed.json["phone"] is None


def test_a_resident_or_volunteer_account_has_no_number_of_its_own(make_user, make_volunteer, api_as):
    volunteer = make_user(role=Role.volunteer, volunteer_id=make_volunteer(phone="13900000001").id)
    admin = api_as(make_user(role=Role.admin, username="admin2"))
    refused = admin.patch(f"/users/{volunteer.id}", json={"version": volunteer.version, "phone": MOBILE})
    assert refused.status_code == 422 and refused.json["error"] == "phone_on_record"
    own = api_as(volunteer)
    assert own.put("/me/notify-channels", json={"channels": ["sms"], "phone": MOBILE}).json["error"] == \
        "phone_on_record"
    kept = own.put("/me/notify-channels", json={"channels": ["sms"]})
    assert kept.status_code == 200 and kept.json["phone"] == "13900000001"  # their record's, their own


def test_staff_set_their_own_mobile_on_their_profile(app, make_user, api_as):
    coordinator = make_user(username="coord")
    client = logged_in(app, "coord")
    assert 'name="phone"' in text_of(client.get("/me"))
    saved = client.post("/me/channels", data={"channels": ["sms"], "phone": " 13712345678 ",
                                              "csrf_token": csrf_token(client, "/me")})
    assert saved.status_code == 302
    db.session.refresh(coordinator)
    assert (coordinator.phone, coordinator.notify_channels) == (MOBILE, "sms")
    assert f'value="{MOBILE}"' in text_of(client.get("/me"))

    refused = client.post("/me/channels", data={"channels": ["sms"], "phone": "137-1234",
                                                "csrf_token": csrf_token(client, "/me")}, follow_redirects=True)
    assert "请输入 11 位手机号码" in text_of(refused) or "11 digits" in text_of(refused)
    db.session.refresh(coordinator)
    assert coordinator.phone == MOBILE

    api = api_as(coordinator)
    assert api.put("/me/notify-channels", json={"channels": ["sms"]}).json["phone"] == MOBILE  # left out: kept
    assert api.put("/me/notify-channels", json={"channels": [], "phone": None}).json["phone"] is None


def test_a_volunteers_profile_offers_no_phone_field(app, make_user, make_volunteer):
    make_user(role=Role.volunteer, username="vol", volunteer_id=make_volunteer(phone="13900000001").id)
    assert 'name="phone"' not in text_of(logged_in(app, "vol").get("/me"))


def test_a_staff_mobile_does_not_log_in_by_code(make_user):
    make_user(username="coord", phone=MOBILE)
    assert phone_login.accounts_with_phone(MOBILE) == []
