"""Logging in by phone number at phone size (390 px), as a resident does: the real login page, the code from
the SMS (the loopback Tencent server), or, without SMS, from the admin's page of pending codes; and a
coordinator's QR code opened on the resident's phone."""
import re

import pytest

from tests.support.browser import DESKTOP, PHONE, log_in
from tests.support.sms import login_sms, sent_codes, tencent  # noqa: F401  (fixtures)
from volunteer_app.accounts.models import Role
from volunteer_app.extensions import db

pytestmark = pytest.mark.browser

NUMBER = "13900000001"


@pytest.fixture()
def elder(make_community, make_grid, make_building, make_resident, make_user):
    """王秀兰, a resident of 维北社区 with an account and her mobile in the registry; her coordinator."""
    community = make_community(name="维北社区")
    building = make_building(make_grid(community))
    user = make_user(role=Role.resident, username="wang", resident_id=make_resident(building, name="王秀兰",
                                                                                       phone=NUMBER).id)
    user.display_name = "王秀兰"
    make_user(communities=[community], username="coord")
    db.session.commit()
    return user


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def ask_for_a_code(page, base: str) -> None:
    page.goto(base + "/login")
    assert fits_the_screen(page)
    page.get_by_label("手机号码").fill("139 0000 0001")
    page.get_by_role("button", name="发送短信验证码").click()
    page.wait_for_url(base + "/login/code")
    assert "139****0001" in page.locator("main").inner_text() and fits_the_screen(page)


def enter_the_code(page, base: str, code: str) -> None:
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(base + "/services")  # a resident's home: the service menu
    assert page.locator(".topbar .who").inner_text() == "王秀兰"


def test_a_resident_logs_in_with_the_code_from_the_sms(page, live_server, login_sms, elder):
    ask_for_a_code(page, live_server)
    assert page.locator("#development-mode").count() == 0
    [code] = sent_codes(login_sms)
    page.get_by_label("短信验证码").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="登录", exact=True).click()
    assert "验证码不正确，还可以尝试 4 次" in page.locator("#code-error").inner_text()
    enter_the_code(page, live_server, code)


def test_without_sms_the_code_is_on_the_admins_page_marked_as_development_mode(browser, page, live_server, elder,
                                                                               make_user):
    make_user(role=Role.admin, username="admin", pii=True)
    ask_for_a_code(page, live_server)
    assert "开发模式" in page.locator("#development-mode").inner_text()

    admin = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    admin.set_default_timeout(10_000)
    desk = admin.new_page()
    log_in(desk, live_server, "admin", lands_on="/")
    desk.goto(live_server + "/login-codes")
    assert "开发模式" in desk.locator("#development-mode").inner_text()
    row = desk.locator("tr", has_text=NUMBER)
    assert "王秀兰" in row.inner_text()
    code = row.locator(".login-code").inner_text().strip()
    admin.close()
    assert re.fullmatch(r"\d{6}", code)
    enter_the_code(page, live_server, code)


def test_a_coordinators_qr_code_logs_the_resident_in_on_her_phone(browser, page, live_server, elder):
    office = browser.new_context(locale="zh-CN", viewport=PHONE)
    office.set_default_timeout(10_000)
    desk = office.new_page()
    log_in(desk, live_server, "coord", lands_on="/")
    desk.goto(live_server + "/login-qr")
    desk.locator("tr", has_text="王秀兰").get_by_role("button", name="生成登录二维码").click()
    assert desk.locator(".qr-code svg").is_visible() and fits_the_screen(desk)
    url = desk.locator(".qr-url").inner_text().strip()
    office.close()

    page.goto(url)
    page.get_by_role("button", name="以 王秀兰 的身份登录").click()
    page.wait_for_url(live_server + "/services")
    page.goto(url)  # once only
    assert "此登录二维码已失效" in page.locator("main").inner_text()
