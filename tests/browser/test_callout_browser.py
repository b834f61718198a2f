"""An emergency call-out in a real headless Chromium: the coordinator calls volunteers to a
station from the call-out page and sees who was invited and where; a volunteer accepts on
their phone from "my call-out"; the coordinator's page shows it filled.
"""
import re

import pytest

from tests.support.browser import DESKTOP, PHONE, log_in
from tests.support.roster import district, make_template  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

CALLOUT = re.compile(r".*/roster/callouts/(\d+)$")


def test_coordinator_calls_out_to_a_station_and_a_volunteer_accepts(browser, live_server, district):
    coordinator = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    coordinator.set_default_timeout(10_000)
    volunteer = browser.new_context(locale="zh-CN", viewport=PHONE)
    volunteer.set_default_timeout(10_000)
    try:
        page = coordinator.new_page()
        log_in(page, live_server, "coord")
        page.goto(live_server + "/roster/callouts")
        page.fill("#f-title", "积水排查")
        page.fill("#f-needed", "1")
        page.select_option("#f-station_id", label="红色驿站")
        page.fill("#f-start_at", "2026-12-03T18:30")
        page.select_option("#f-duration", "60")
        page.get_by_role("button", name="立即召集").click()
        page.wait_for_url(CALLOUT)
        callout_id = CALLOUT.match(page.url).group(1)
        assert "已召集 3 位志愿者" in page.locator(".alert-success").inner_text()
        assert page.locator("#callout-place").inner_text() == "红色驿站"
        rows = page.locator("tr.invite")
        assert rows.count() == 3
        first = rows.first.locator("td").nth(1).inner_text().split()[0]
        assert all("尚未回复" in row.inner_text() for row in rows.all())

        phone = volunteer.new_page()
        log_in(phone, live_server, "vol" + first.removeprefix("志愿者"))
        phone.goto(f"{live_server}/my/callouts/{callout_id}")
        assert "红色驿站" in phone.locator("dl.details").inner_text()
        phone.get_by_role("button", name="我能去").click()
        phone.wait_for_url(re.compile(rf".*/my/callouts/{callout_id}$"))
        assert phone.locator("#invite-status").inner_text() == "已接受"

        page.reload()
        assert page.locator("#callout-status").inner_text() == "已满员"
        assert "已接受" in rows.first.inner_text()
    finally:
        coordinator.close()
        volunteer.close()
