"""A service-record certificate in a real headless Chromium on a phone (390 px): the volunteer applies from
the menu, the coordinator issues it on her phone from the records the page shows, the volunteer downloads
the PDF, and anyone opening the verification link sees it valid. Everything asserted is what pages show."""
import os
from pathlib import Path

import pytest

from tests.support.browser import PHONE, log_in, menu_link
from tests.support.certificates import PERIOD, area  # noqa: F401 (fixture)
from volunteer_app.certificates import service
from volunteer_app.certificates.models import Certificate
from volunteer_app.extensions import db

pytestmark = pytest.mark.browser


def phone(browser):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, accept_downloads=True)
    context.set_default_timeout(10_000)
    return context


def fits_the_phone(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def test_apply_issue_download_and_verify_on_a_phone(browser, live_server, area):  # noqa: F811
    shots = Path(os.environ.get("SCREENSHOT_DIR", "/tmp"))
    volunteer_context, coordinator_context, public_context = phone(browser), phone(browser), phone(browser)
    try:
        volunteer = volunteer_context.new_page()
        log_in(volunteer, live_server, "vol")
        menu_link(volunteer, "我的服务证明").click()
        volunteer.get_by_label("起始日期").fill(PERIOD[0].isoformat())
        volunteer.get_by_label("截止日期").fill(PERIOD[1].isoformat())
        fits_the_phone(volunteer)
        volunteer.get_by_role("button", name="申请", exact=True).click()
        assert "已提交申请" in volunteer.locator(".alert-success").inner_text()
        assert "已申请" in volunteer.locator("li.c-item").inner_text()

        record_id = db.session.query(Certificate.id).scalar()
        coordinator = coordinator_context.new_page()
        log_in(coordinator, live_server, "coord", lands_on=r"/.*")
        coordinator.goto(f"{live_server}/certificates/{record_id}")
        assert coordinator.locator("#c-hours").inner_text() == "4.2"  # what issuing would certify
        assert "只排了班" not in coordinator.locator(".c-records").inner_text()
        fits_the_phone(coordinator)
        coordinator.screenshot(path=str(shots / "jiamenkou-certificate-phone-review.png"), full_page=True)
        coordinator.get_by_role("button", name="出具证明").click()
        assert "已出具证明 WB-000001" in coordinator.locator(".alert-success").inner_text()
        assert coordinator.locator("#c-number").inner_text() == "WB-000001"
        fits_the_phone(coordinator)

        volunteer.reload()
        item = volunteer.locator("li.c-item")
        assert "WB-000001" in item.inner_text() and "已出具" in item.inner_text()
        volunteer.screenshot(path=str(shots / "jiamenkou-certificate-phone-mine.png"), full_page=True)
        with volunteer.expect_download() as download:
            item.get_by_role("link", name="下载 PDF").click()
        assert download.value.suggested_filename == "志愿服务记录证明-WB-000001.pdf"
        with open(download.value.path(), "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"

        public = public_context.new_page()
        public.goto(f"{live_server}/certificates/verify/WB-000001?s={service.signature('WB-000001')}")
        assert "有效" in public.locator("#c-valid").inner_text()
        assert public.locator("#c-number").inner_text() == "WB-000001"
        fits_the_phone(public)
        public.screenshot(path=str(shots / "jiamenkou-certificate-phone-verify.png"), full_page=True)
    finally:
        for context in (volunteer_context, coordinator_context, public_context):
            context.close()
