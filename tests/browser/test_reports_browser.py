"""The dashboard in a real headless Chromium: a coordinator opens it from the menu on a
phone, sees the charts and the numbers, and switches the period with the picker.

It lives here, not in tests/reports, to share this directory's session-wide browser
(a second Playwright instance in the same session cannot start).
"""
import re

import pytest

from tests.support.browser import log_in
from tests.support.reports import clock, district, make_service_type, make_template  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def state_counts(page) -> list[str]:
    return page.locator("#chart-states .chart-value").all_text_contents()  # SVG text has no innerText


def filed(page) -> str:
    return page.locator(".rp-card", has_text="受理工单").locator("strong").inner_text()


def test_a_coordinator_reads_the_dashboard_and_switches_the_period(page, live_server, district):  # noqa: F811
    log_in(page, live_server, "coord-a")
    page.locator("nav.mainnav").get_by_role("link", name="统计报表", exact=True).click()
    page.wait_for_url(re.compile(r".*/reports$"))
    assert page.locator("h1").inner_text() == "数字驾驶舱"
    assert "2026-W49" in page.locator(".rp-sub").first.inner_text()  # this week by the service clock
    charts = page.locator("svg.chart")
    assert charts.count() == 3
    assert page.get_by_role("img", name="工单状态分布").is_visible()
    assert page.get_by_role("img", name="每周志愿服务时长").is_visible()
    assert page.get_by_role("img", name="各社区办结率").is_visible()
    assert filed(page) == "6"
    assert page.locator(".rp-card", has_text="办结率").first.locator("strong").inner_text() == "60.0%"
    assert state_counts(page) == ["0", "1", "0", "0", "1", "2", "1", "1", "0"]

    page.get_by_role("link", name="上周", exact=True).click()
    page.wait_for_url(re.compile(r".*/reports\?period=2026-W48$"))
    assert "2026-W48" in page.locator(".rp-sub").first.inner_text()
    assert filed(page) == "1"  # only r0, still waiting to be accepted
    assert state_counts(page) == ["1", "0", "0", "0", "0", "0", "0", "0", "0"]
    assert page.get_by_role("link", name="上周", exact=True).get_attribute("aria-current") == "true"
    assert page.get_by_role("link", name="本周", exact=True).get_attribute("aria-current") is None

    page.fill("#f-period", "2026-11")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url(re.compile(r".*period=2026-11.*"))
    assert filed(page) == "7" and page.locator("svg.chart").count() == 3
    assert page.get_by_role("link", name="上月", exact=True).get_attribute("aria-current") == "true"
