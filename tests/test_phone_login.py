"""Residents and volunteers log in with their phone number and a one-time SMS code (issue 11): 6 digits, kept
as an HMAC, valid 5 minutes, 5 tries, a new one after 60 s, limits per number and per address; the login
page never tells whether a number is registered; staff keep their passwords."""
import hashlib
import hmac
import re
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from tests.support.sms import login_sms, sent_codes, tencent  # noqa: F401  (fixtures)
from tests.support.concurrency import run_together
from tests.support.pages import csrf_token, text_of
from volunteer_app.accounts import login_codes
from volunteer_app.accounts.models import LoginCode, Role, User
from volunteer_app.errors import InvalidInput
from volunteer_app.extensions import db
from volunteer_app.models_base import as_utc, utcnow
from volunteer_app.notifications import service as notifications
from volunteer_app.notifications.models import Notification, OutboxMessage
from volunteer_app.portal import phone_login

PHONE = "13900000001"
CSRF_VALUE = re.compile(r'name="csrf_token"[^>]*value="[^"]+"')


@pytest.fixture()
def resident(make_resident, make_user):
    """A resident whose registry record has PHONE, with an account."""
    return make_user(role=Role.resident, username="li", resident_id=make_resident(phone=PHONE).id)


def stored(phone: str = PHONE) -> LoginCode | None:
    db.session.expire_all()
    return db.session.scalar(select(LoginCode).where(LoginCode.phone == phone))


def shown_code(phone: str = PHONE) -> str:
    """The code as the development mode keeps it for the admins' page (no SMS in these tests)."""
    return stored(phone).shown_code


def new_code(phone: str = PHONE) -> str:
    phone_login.send_code(phone)
    db.session.commit()
    return shown_code(phone)


def refused(phone: str, code: str) -> str:
    """The error code of a refused code (the try is committed, as the page does)."""
    with pytest.raises(InvalidInput) as refusal:
        phone_login.accounts_for_code(phone, code)
    db.session.commit()
    return refusal.value.code


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10 ** 6:06d}"


# --- the rules of the code ------------------------------------------------------------------------------------

def test_a_code_goes_by_sms_at_once_and_only_its_hmac_is_kept(login_sms, resident, make_volunteer, make_user):
    """Even right after a duty SMS to the same number (the outbox would wait a minute), the code goes now."""
    notifications.notify([resident], notifications.Note("assigned", "新的值守安排"))
    db.session.commit()
    assert notifications.deliver_pending() == 1
    db.session.commit()

    phone_login.send_code(PHONE)
    db.session.commit()
    [code] = sent_codes(login_sms)
    assert len(code) == 6 and code.isdigit()
    assert login_sms.received[-1]["PhoneNumberSet"] == ["+86" + PHONE]
    assert login_sms.received[-1]["TemplateParamSet"] == [code, "5"]

    row = stored()
    assert row.shown_code is None and code not in (row.code_hash, row.salt)
    key = current_app.config["SECRET_KEY"].encode()
    assert row.code_hash == hmac.new(key, f"{row.salt}:{PHONE}:{code}".encode(), hashlib.sha256).hexdigest()
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "login_code")).one()
    assert (message.status, message.channel, message.user_id) == ("sent", "sms", resident.id)
    assert code not in str(message.params) + message.subject + message.body
    assert db.session.query(Notification).filter_by(kind="login_code").count() == 0  # never in the inbox
    assert phone_login.accounts_for_code(PHONE, code) == [resident]


def test_a_code_works_once(resident):
    code = new_code()
    assert refused(PHONE, "12345") == "code_format" and stored().attempts == 0  # not a try: not a code at all
    typed = " ".join(chr(ord(digit) + 0xFEE0) for digit in code)  # full-width digits, spaced, from a phone keyboard
    assert phone_login.accounts_for_code(PHONE, typed) == [resident]
    db.session.commit()
    assert refused(PHONE, code) == "code_expired"


def test_a_code_expires_after_five_minutes(resident):
    code = new_code()
    row = stored()
    assert as_utc(row.expires_at) - as_utc(row.created_at) == timedelta(minutes=5)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert refused(PHONE, code) == "code_expired"


def test_five_tries_then_the_code_is_spent(resident):
    code = new_code()
    assert [refused(PHONE, wrong(code)) for _ in range(5)] == ["wrong_code"] * 4 + ["code_locked"]
    assert stored().attempts == 5
    assert refused(PHONE, code) == "code_locked"  # the right code comes too late


def test_the_right_code_on_the_fifth_try_still_logs_in(resident):
    code = new_code()
    for left in (4, 3, 2, 1):
        with pytest.raises(InvalidInput, match=f"Tries left: {left}"):
            phone_login.accounts_for_code(PHONE, wrong(code))
        db.session.commit()
    assert phone_login.accounts_for_code(PHONE, code) == [resident]


def test_a_new_code_only_after_a_minute_and_it_replaces_the_old(resident):
    first = new_code()
    with pytest.raises(login_codes.TooSoon) as too_soon:
        phone_login.send_code(PHONE)
    assert too_soon.value.status == 429 and 0 < too_soon.value.extra["retry_after"] <= 60
    db.session.rollback()
    row = stored()
    row.created_at = utcnow() - timedelta(seconds=61)
    db.session.commit()
    second = new_code()
    if second != first:  # one chance in a million that they are the same digits
        assert refused(PHONE, first) == "wrong_code"
    assert phone_login.accounts_for_code(PHONE, second) == [resident]


def test_staff_cannot_log_in_by_code(login_sms, make_volunteer, make_user):
    """A coordinator whose account is linked to a volunteer record with the number gets no code."""
    volunteer = make_volunteer(phone=PHONE)
    make_user(role=Role.coordinator, volunteer_id=volunteer.id)
    make_user(role=Role.admin, volunteer_id=volunteer.id)
    phone_login.send_code(PHONE)
    db.session.commit()
    assert login_sms.received == [] and phone_login.accounts_with_phone(PHONE) == []
    assert stored().code_hash == login_codes.NO_CODE  # no code of digits matches it
    assert refused(PHONE, "123456") == "wrong_code"


def test_a_deactivated_account_gets_no_code(login_sms, resident):
    resident.active = False
    db.session.commit()
    phone_login.send_code(PHONE)
    assert login_sms.received == []


def test_phone_numbers_are_read_as_people_type_them():
    for typed in ("13900000001", "139 0000 0001", "139-0000-0001", "+86 139 0000 0001", "008613900000001",
                  "１３９００００００01", "＋86 13900000001"):
        assert phone_login.normalise_phone(typed) == PHONE, typed
    for typed in ("", "12345", "23900000001", "1390000000١", "139000000012", "86139000000012"):
        assert phone_login.normalise_phone(typed) is None, typed


# --- the pages ------------------------------------------------------------------------------------------------

def ask(client, phone: str, json: bool = False, **headers):
    if json:
        headers["Accept"] = "application/json"
    return client.post("/login/phone", data={"phone": phone, "csrf_token": csrf_token(client, "/login")},
                       headers=headers)


def enter(client, code: str):
    return client.post("/login/code", data={"code": code, "csrf_token": csrf_token(client, "/login/code")})


def test_logging_in_by_phone_lands_on_the_persons_home(app, resident):
    client = app.test_client()
    asked = ask(client, "139 0000 0001")
    assert asked.status_code == 303 and asked.headers["Location"] == "/login/code"
    page = text_of(client.get("/login/code"))
    assert "139****0001" in page and 'id="development-mode"' in page and 'autocomplete="one-time-code"' in page
    wrong_try = enter(client, wrong(shown_code()))
    assert wrong_try.status_code == 422 and "还可以尝试 4 次" in text_of(wrong_try)
    logged_in = enter(client, shown_code())
    assert logged_in.status_code == 302 and logged_in.headers["Location"] == "/"
    assert client.get("/api/v1/me").json["username"] == "li"
    assert client.get("/").headers["Location"] == "/services"


def test_an_unknown_number_gets_the_same_answer_and_no_sms(app, login_sms, resident):
    known, unknown = app.test_client(), app.test_client()
    answers = [ask(known, PHONE), ask(unknown, "13900000002")]
    assert [a.status_code for a in answers] == [303, 303]
    pages = [CSRF_VALUE.sub("", text_of(c.get("/login/code"))) for c in (known, unknown)]
    assert pages[0].replace("139****0001", "").replace(PHONE, "") == \
        pages[1].replace("139****0002", "").replace("13900000002", "")
    assert len(login_sms.received) == 1 and login_sms.received[0]["PhoneNumberSet"] == ["+86" + PHONE]
    again = [ask(known, PHONE, json=True), ask(unknown, "13900000002", json=True)]
    assert [a.status_code for a in again] == [429, 429]
    assert {a.json["error"] for a in again} == {"resend_too_soon"}
    assert enter(unknown, "123456").status_code == 422


def test_a_number_several_accounts_share_asks_which(app, make_resident, make_volunteer, make_user, make_community,
                                                     make_grid):
    at_home = make_resident(phone=PHONE)
    elsewhere = make_volunteer(grid=make_grid(make_community(name="永安社区")), phone=PHONE, name="李秀英")
    make_user(role=Role.resident, username="li-resident", resident_id=at_home.id)
    make_user(role=Role.volunteer, username="li-volunteer", volunteer_id=elsewhere.id)
    client = app.test_client()
    ask(client, PHONE)
    chosen = enter(client, shown_code())
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/login/choose"
    assert client.get("/api/v1/me").status_code == 401  # not logged in before choosing
    page = text_of(client.get("/login/choose"))
    assert "居民 · 维北社区" in page and "志愿者 · 永安社区" in page
    volunteer = db.session.scalar(select(User).where(User.username == "li-volunteer"))
    picked = client.post("/login/choose", data={"user_id": volunteer.id,
                                                "csrf_token": csrf_token(client, "/login/choose")})
    assert picked.status_code == 302 and client.get("/api/v1/me").json["username"] == "li-volunteer"


def test_a_code_login_ends_with_logout_like_any_session(app, resident):
    client = app.test_client()
    ask(client, PHONE)
    enter(client, shown_code())
    copy = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    client.post("/logout", data={"csrf_token": csrf_token(client, "/me")})
    stale = app.test_client()
    stale.set_cookie(app.config["SESSION_COOKIE_NAME"], copy)
    assert stale.get("/api/v1/me").status_code == 401


def test_a_malformed_number_is_named_on_the_login_page(app, resident):
    client = app.test_client()
    answer = ask(client, "12345")
    assert answer.status_code == 422 and "请输入 11 位手机号码" in text_of(answer)
    assert ask(client, "12345", json=True).json["errors"] == {"phone": ["请输入 11 位手机号码。"]}
    in_english = ask(client, "12345", json=True, **{"Accept-Language": "en"})
    assert in_english.json["errors"] == {"phone": ["Enter the 11 digits of your mobile number."]}


# --- the limits (Flask-Limiter) -------------------------------------------------------------------------------

def is_error_shape(response, status: int) -> bool:
    body = response.json
    return response.status_code == status and set(body) >= {"code", "error", "message", "errors"} \
        and body["code"] == status


def test_codes_asked_for_one_number_are_limited(app, resident, monkeypatch):
    """Every request counts, a refused one included, so the limit holds for a known and an unknown number alike."""
    monkeypatch.setitem(app.config, "LOGIN_CODE_NUMBER_LIMIT", "2 per hour")
    client = app.test_client()
    assert ask(client, PHONE, json=True).status_code == 202
    assert ask(client, PHONE, json=True).json["error"] == "resend_too_soon"
    stored().created_at = utcnow() - timedelta(minutes=2)
    db.session.commit()
    blocked = ask(client, "139 0000 0001", json=True)  # the same number, however it is typed
    assert is_error_shape(blocked, 429) and blocked.json["error"] == "too_many_requests"
    assert "该号码请求验证码的次数过多" in blocked.json["message"]
    assert ask(client, "13900000002", json=True).status_code == 202  # another number is not held up
    assert "该号码请求验证码的次数过多" in text_of(ask(client, PHONE))  # a page for the browser


def test_codes_asked_from_one_address_are_limited(app, resident, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_CODE_ADDRESS_LIMIT", "3 per hour")
    client = app.test_client()
    assert [ask(client, f"1390000001{n}", json=True).status_code for n in range(3)] == [202] * 3
    blocked = ask(client, PHONE, json=True)
    assert is_error_shape(blocked, 429) and "您所在网络请求验证码的次数过多" in blocked.json["message"]
    assert stored() is None  # nothing was sent to the number


def test_wrong_codes_from_one_address_are_limited_like_wrong_passwords(app, resident, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "2 per minute")
    client = app.test_client()
    ask(client, PHONE)
    code = shown_code()
    assert [enter(client, wrong(code)).status_code for _ in range(2)] == [422, 422]
    blocked = client.post("/login/code", data={"code": code, "csrf_token": csrf_token(client, "/login/code")},
                          headers={"Accept": "application/json"})
    assert is_error_shape(blocked, 429)


# --- tries at the same moment ---------------------------------------------------------------------------------

def waiting_for_a_code(app, phone: str):
    """A browser at the code page of ``phone``, with its form's CSRF token."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["login_phone"] = phone
    return client, csrf_token(client, "/login/code")


def test_wrong_codes_sent_at_once_each_count(app, resident, is_postgres):
    """The try is counted by the database (attempts = attempts + 1), not read and written back: two wrong codes
    at the same moment leave two tries spent. (On SQLite one may answer 503 busy instead: it is not counted.)"""
    code = new_code()
    browsers = [waiting_for_a_code(app, PHONE) for _ in range(2)]
    answers = run_together([
        lambda c=client, t=token: c.post("/login/code", data={"code": wrong(code), "csrf_token": t})
        for client, token in browsers])
    told_wrong = [a for a in answers if a.status_code == 422]
    assert stored().attempts == len(told_wrong)
    if is_postgres:
        assert len(told_wrong) == 2


def test_the_right_code_sent_twice_at_once_logs_in_once(app, resident, is_postgres):
    code = new_code()
    browsers = [waiting_for_a_code(app, PHONE) for _ in range(2)]
    answers = run_together([lambda c=client, t=token: c.post("/login/code", data={"code": code, "csrf_token": t})
                            for client, token in browsers])
    assert sorted(a.status_code for a in answers)[0] == 302
    assert [a.status_code for a in answers].count(302) == 1, [a.status_code for a in answers]
    if is_postgres:
        assert sorted(a.status_code for a in answers) == [302, 422]


def test_a_city_installation_without_sms_has_no_phone_login(app, resident, monkeypatch):
    """Development mode is for the embedded default only: with Redis and no SMS template, no code is made."""
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/15")
    client = app.test_client()
    assert 'id="phone"' not in text_of(client.get("/login"))
    refused = ask(client, PHONE, json=True)
    assert refused.status_code == 409 and refused.json["error"] == "phone_login_off"
    assert "本系统未开通短信验证码登录" in text_of(ask(client, PHONE))
    assert stored() is None


def test_quickstart_says_how_people_log_in_and_where_development_codes_are(app_ctx, login_sms, monkeypatch):
    """The quickstart's output (issue 11): residents and volunteers use their phone; without SMS, on the embedded
    default, the codes are in the server log and on /login-codes; with it, they go by SMS."""
    from volunteer_app.cli import login_help

    base = "http://127.0.0.1:5000"
    assert "mobile number" in login_help(base)[0] and "SMS" in login_help(base)[1]
    monkeypatch.setitem(app_ctx.config, "NOTIFY_CHANNELS", [])
    development = " ".join(login_help(base))
    assert "server's log" in development and f"{base}/login-codes" in development
    monkeypatch.setitem(app_ctx.config, "REDIS_URL", "redis://127.0.0.1:6379/15")
    assert "/login-codes" not in " ".join(login_help(base))
