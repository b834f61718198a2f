"""The registry pages in a real headless Chromium: log in, add a volunteer, find them, switch language."""
import os
import re
from pathlib import Path

import pytest

from volunteer_app.accounts.models import Role
from volunteer_app.extensions import db

from tests.support.browser import CHROMIUM, DESKTOP, PHONE, log_in, menu_link
from tests.support.pages import PASSWORD

pytestmark = pytest.mark.browser



@pytest.fixture()
def seeded(make_community, make_grid, make_building, make_skill, make_user, make_volunteer, make_station):
    """One community with a grid, a building, skills, a volunteer, and its coordinator; committed."""
    community = make_community(name="维北社区")
    grid = make_grid(community=community, name="第一网格")
    make_grid(community=make_community(name="别的社区"), name="外网格")
    building = make_building(grid=grid, name="3号楼")
    haircut = make_skill(code="haircut", name_zh="理发", name_en="Haircut")
    make_skill(code="clinic", name_zh="义诊", name_en="Free clinic")
    make_volunteer(grid=grid, name="钱多多", phone="13700001111", skills=[haircut])
    make_station(community=community, name="维北红色驿站")
    make_user(role=Role.coordinator, communities=[community], username="wang", password=PASSWORD)
    db.session.commit()
    return {"community": community, "grid": grid, "building": building}


def test_chromium_is_installed():
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing; the browser tests need Debian's chromium"


def test_add_volunteer_then_find_them_by_search(page, live_server, seeded):
    log_in(page, live_server, "wang", "/")
    assert page.locator("h1").inner_text() == "我的社区"
    menu_link(page, "志愿者").click()
    page.get_by_role("link", name="+ 登记志愿者").click()
    assert page.locator("html").get_attribute("lang") == "zh-CN"

    page.fill("#f-name", "赵敏")
    page.fill("#f-phone", "123")  # wrong first: the page names the field
    page.select_option("#f-community_id", str(seeded["community"].id))
    page.select_option("#f-grid_id", str(seeded["grid"].id))
    page.select_option("#f-building_id", str(seeded["building"].id))
    page.get_by_label("理发").check()
    page.select_option("#f-availability-0-days", "workdays")
    page.fill("#f-availability-0-start", "18:00")
    page.fill("#f-availability-0-end", "21:00")
    page.click("text=+ 添加一行")
    page.select_option("#f-availability-2-days", "sat")
    page.fill("#f-availability-2-start", "09:00")
    page.fill("#f-availability-2-end", "11:00")
    page.get_by_role("button", name="保存").click()

    assert "手机号" in page.locator("#phone-error").inner_text()
    assert page.input_value("#f-name") == "赵敏"
    page.fill("#f-phone", "13912345678")
    page.get_by_role("button", name="保存").click()

    page.wait_for_url(live_server + "/volunteers")
    assert "已保存志愿者:赵敏" in page.locator(".alert-success").inner_text()
    page.fill("input[name=q]", "赵敏")
    page.get_by_role("button", name="搜索").click()
    rows = page.locator("table.table tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert "赵敏" in row and "139****5678" in row and "理发" in row and "13912345678" not in row

    rows.first.get_by_role("link", name="赵敏").click()
    assert page.input_value("#f-availability-1-start") == "09:00"  # the saturday line, compacted
    assert page.locator("#f-phone").get_attribute("placeholder") == "139****5678"


def test_switching_language_shows_english_labels(page, live_server, seeded):
    log_in(page, live_server, "wang", "/")
    assert menu_link(page, "志愿者").is_visible()
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "My communities"
    for label in ("Volunteers", "Party members", "Residents", "Stations"):
        assert menu_link(page, label).is_visible()
    menu_link(page, "Volunteers").click()
    assert page.get_by_role("link", name="+ Add volunteer").is_visible()
    row = page.locator("table.table tbody tr").first.inner_text()
    assert "Haircut" in row and "Active" in row and "理发" not in row  # skill names and codes in English too
    page.get_by_role("link", name="中文").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "志愿者"


def test_layout_fits_phone_and_desktop(browser, live_server, seeded):
    """No sideways scrolling on a 390 px phone; screenshots for a look (SCREENSHOT_DIR, default /tmp)."""
    out = Path(os.environ.get("SCREENSHOT_DIR", "/tmp"))
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browser.new_context(locale="zh-CN", viewport=viewport)
        try:
            page = context.new_page()
            log_in(page, live_server, "wang", "/")
            for path in ("/", "/volunteers", "/volunteers/new", "/stations", "/party-reports/new"):
                page.goto(live_server + path)
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on {name}"
                slug = re.sub(r"\W+", "-", path).strip("-") or "home"
                page.screenshot(path=str(out / f"jiamenkou-{name}-{slug}.png"), full_page=True)
        finally:
            context.close()
