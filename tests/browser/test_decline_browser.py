"""In Chromium: a decline never comes back. The coordinator pins one volunteer to two
duties and publishes; she declines one on her phone; the automatic repair publishes
version 2; the review agrees with it, and publishing again keeps her off that duty.
Then planning in the embedded mode's background thread shows its progress page."""
import re

import pytest

from tests.support.browser import DESKTOP, PHONE, log_in
from tests.support.roster import WEEK, district, make_template  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

REVIEW = re.compile(r".*/roster/weeks/\d+(#.*)?$")
HER = "志愿者1"


def evening_duties(page):
    return page.locator("details.r-demand", has_text="晚间值守")


def pin_her(page, duty) -> None:
    """Pin HER on one duty of the review page: her own 固定 button if drafted, otherwise 加人并固定."""
    duty.evaluate("d => d.open = true")
    drafted = duty.locator(".r-people li").filter(has=page.locator(".r-who", has_text=HER))
    if drafted.count():
        drafted.get_by_role("button", name="固定").click()
    else:
        duty.locator("select[name=volunteer_id]").select_option(label=HER)
        duty.get_by_role("button", name="添加").click()
    page.wait_for_url(REVIEW)


def test_a_declined_duty_stays_declined_through_the_next_publish(browser, live_server, district):
    coordinator = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    coordinator.set_default_timeout(20_000)
    page = coordinator.new_page()
    log_in(page, live_server, "coord")
    page.goto(f"{live_server}/roster/plan")
    page.fill("#f-week", WEEK)
    page.get_by_role("button", name="开始排班").click()
    page.wait_for_url(REVIEW)
    review_url = page.url.split("#")[0]
    for index in range(2):
        pin_her(page, evening_duties(page).nth(index))
    first_duty = evening_duties(page).nth(0).locator("summary strong").inner_text()
    page.get_by_role("button", name="发布第 1 版").click()
    page.wait_for_url(REVIEW)

    her = browser.new_context(locale="zh-CN", viewport=PHONE)
    her.set_default_timeout(20_000)
    phone = her.new_page()
    log_in(phone, live_server, "vol1")
    phone.goto(f"{live_server}/my/week/{WEEK}")
    card = phone.locator("section.r-duty", has_text=first_duty).first
    card.locator("summary", has_text="我去不了").click()
    card.locator("textarea, input[name=reason]").first.fill("要去医院")
    card.locator("button[type=submit]", has_text="不能参加").click()
    phone.wait_for_url(re.compile(r".*#assignment-\d+$"))
    her.close()

    page.goto(review_url)
    assert "第 2 版" in page.locator(".r-sub").inner_text()
    assert page.get_by_test_id("changes-to-publish").inner_text() == "0"
    assert "草稿与已发布的值班表相同" in page.locator("#publish").inner_text()
    duty = evening_duties(page).nth(0)
    duty.evaluate("d => d.open = true")
    assert not any(HER in who for who in duty.locator(".r-people .r-who").all_inner_texts())
    count = duty.locator("summary .muted").inner_text()  # "2 / 2", never "3 / 2"
    drafted, needed = map(int, re.findall(r"\d+", count))
    assert drafted <= needed
    assert HER in duty.locator(".r-rule-declined").inner_text() and "要去医院" in duty.inner_text()

    page.get_by_role("button", name="发布第 3 版").click()
    page.wait_for_url(REVIEW)
    live = page.locator("#live tbody tr", has_text=first_duty).first
    assert "要去医院" in live.locator(".live-row", has_text=HER).inner_text()
    assert "待确认" not in live.locator(".live-row", has_text=HER).inner_text()
    coordinator.close()


def test_planning_in_the_background_shows_progress_then_the_review(app, page, live_server, district, monkeypatch):
    monkeypatch.setitem(app.config, "ROSTER_JOBS_IN_BACKGROUND", True)
    monkeypatch.setitem(app.config, "ROSTER_TIME_LIMIT_S", 3.0)
    log_in(page, live_server, "coord")
    page.goto(f"{live_server}/roster/plan")
    page.fill("#f-week", WEEK)
    page.get_by_role("button", name="开始排班").click()
    page.wait_for_url(re.compile(r".*/roster/jobs/\d+$"))
    assert page.locator("#job progress").count() == 1
    page.wait_for_url(REVIEW, timeout=60_000)
    assert "排班完成" in page.locator(".alert-success").inner_text()
