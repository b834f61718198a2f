"""Points and exchange in a real headless Chromium on a phone: a volunteer with earned points
redeems an item, the coordinator approves and fulfils it on the partner page, and the volunteer
sees the new balance and the order fulfilled. Everything asserted is what the pages show."""
import os
import re
from pathlib import Path

import pytest

from tests.support.browser import PHONE, log_in
from tests.support.points import fund, town  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

ORDER = re.compile(r".*/points/redemptions/(\d+)$")


def phone(browser):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    context.set_default_timeout(10_000)
    return context


def fits_the_phone(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def test_redeem_approve_fulfil_and_see_the_new_balance(browser, live_server, town):  # noqa: F811
    fund(town.volunteer_ids[0], town.community_id, 100)
    shots = Path(os.environ.get("SCREENSHOT_DIR", "/tmp"))

    volunteer_context = phone(browser)
    volunteer = volunteer_context.new_page()
    log_in(volunteer, live_server, "vol0")
    volunteer.locator("nav.mainnav").get_by_role("link", name="我的积分", exact=True).click()
    assert volunteer.locator("#balance").inner_text() == "100"
    fits_the_phone(volunteer)
    volunteer.screenshot(path=str(shots / "jiamenkou-points-phone-my.png"), full_page=True)
    card = volunteer.locator("li.p-item", has_text="上门清洗地毯")
    card.get_by_label("数量").fill("2")
    card.get_by_role("button", name="兑换").click()
    assert "兑换后余额" in volunteer.locator("#redeem-details").inner_text()  # nothing taken before confirming
    fits_the_phone(volunteer)
    volunteer.get_by_role("button", name="确认兑换").click()
    volunteer.wait_for_url(ORDER)
    order_id = ORDER.match(volunteer.url).group(1)
    assert "已提交订单" in volunteer.locator(".alert-success").inner_text()
    assert volunteer.locator("#order-status").inner_text() == "待审核"
    fits_the_phone(volunteer)

    coordinator_context = phone(browser)
    coordinator = coordinator_context.new_page()
    log_in(coordinator, live_server, "coord")
    coordinator.locator("nav.mainnav").get_by_role("link", name="积分管理", exact=True).click()
    assert coordinator.locator("#count-requested").inner_text() == "1"
    assert coordinator.locator("#books").count() == 0  # the installation-wide ledger check is the administrator's
    coordinator.get_by_role("link", name="合作方与兑换项目").click()
    coordinator.get_by_role("link", name="红心物业", exact=True).click()
    waiting = coordinator.locator(f"#orders-requested #order-{order_id}")
    assert "王芳" in waiting.inner_text() and "40" in waiting.inner_text()
    waiting.get_by_role("button", name="批准").click()
    coordinator.wait_for_url(re.compile(r".*/points/partners/\d+$"))
    to_fulfil = coordinator.locator(f"#orders-approved #order-{order_id}")
    to_fulfil.get_by_role("button", name="标记为已兑付").click()
    coordinator.wait_for_url(re.compile(r".*/points/partners/\d+$"))
    assert f"订单 {order_id} 已兑付" in coordinator.locator(".alert-success").inner_text()
    assert coordinator.locator("#owed").inner_text() == "40"
    assert "合计：1 单，40 积分" in coordinator.locator("#settlement").inner_text()
    fits_the_phone(coordinator)
    coordinator.screenshot(path=str(shots / "jiamenkou-points-phone-partner.png"), full_page=True)
    for slug, path in (("manage", "/points/manage"), ("rules", f"/points/manage/rules/{town.community_id}"),
                       ("earnings", "/points/manage/earnings"), ("orders", "/points/manage/orders?status="),
                       ("grants", "/points/manage/grants"), ("accounts", "/points/accounts"),
                       ("item", "/points/items/new"), ("order", f"/points/redemptions/{order_id}")):
        coordinator.goto(live_server + path)
        coordinator.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        fits_the_phone(coordinator)
        if slug in ("manage", "rules"):
            coordinator.screenshot(path=str(shots / f"jiamenkou-points-phone-{slug}.png"), full_page=True)
    coordinator_context.close()

    volunteer.locator("nav.mainnav").get_by_role("link", name="我的积分", exact=True).click()
    assert volunteer.locator("#balance").inner_text() == "60"
    latest = volunteer.locator(f"#order-{order_id}")
    assert "已兑付" in latest.inner_text()
    latest.get_by_role("link").first.click()
    volunteer.wait_for_url(ORDER)
    assert volunteer.locator("#order-status").inner_text() == "已兑付"
    history = volunteer.locator(".p-history").inner_text()
    assert history.index("待审核") < history.index("已批准，待兑付") < history.index("已兑付")
    volunteer.locator("nav.mainnav").get_by_role("link", name="我的积分", exact=True).click()
    volunteer.locator("nav.p-tabs").get_by_role("link", name="积分明细").click()
    volunteer.wait_for_url(re.compile(r".*/points/my/statement$"))
    assert volunteer.locator("#balance").inner_text() == "60"
    for path in ("/points/my/statement", "/points/my/orders", "/points/my/earnings", "/points/my/gift"):
        volunteer.goto(live_server + path)
        fits_the_phone(volunteer)
    volunteer_context.close()
