"""签到 on a phone (390 px) in a real headless Chromium: the volunteer on duty opens the station's check-in URL
(what scanning its QR code opens), logs in, checks in with one tap, and later checks out."""
import re
from datetime import timedelta
import pytest

from volunteer_app.extensions import db
from volunteer_app.models_base import utcnow
from volunteer_app.roster import service
from volunteer_app.roster.models import Assignment

from tests.roster.test_attendance_pages import duty_now
from tests.support.pages import PASSWORD
from tests.support.roster import district, make_template  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def test_a_volunteer_checks_in_and_out_from_the_station_code_on_a_phone(page, live_server, district):
    index, _ = duty_now(district)
    station = district["station"]
    path = f"/checkin/{station.id}?c={service.live_code(station, utcnow())}"

    page.goto(live_server + path)  # what the phone's camera opens; not logged in yet: the login form first
    page.fill("#username", f"vol{index}")
    page.fill("#password", PASSWORD)
    page.click("#log-in")
    page.wait_for_url(live_server + path)
    assert page.viewport_size["width"] == 390
    assert page.locator("h1").inner_text() == "签到"
    assert "应急值守" in page.locator("dl.details").inner_text()
    button = page.get_by_role("button", name="现在签到")
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # on the screen, no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    button.click()
    page.wait_for_url(re.compile(r".*/my/duties/\d+/attendance$"))
    assert "已于" in page.locator(".alert-success").inner_text()
    assert re.fullmatch(r"\d\d:\d\d", page.get_by_test_id("checked-in").inner_text())
    assert page.get_by_test_id("checked-out").inner_text() == "—"

    leaving = page.url
    page.goto(live_server + path)  # scanning again straight away: under a minute served is refused
    page.get_by_role("button", name="现在签退").click()
    assert "至少一分钟" in page.locator(".alert-error").inner_text()

    assignment = db.session.get(Assignment, int(leaving.split("/")[-2]))
    assignment.checked_in_at -= timedelta(minutes=45)  # as if three quarters of an hour went by
    db.session.commit()
    page.goto(live_server + path)  # scanning again on leaving
    page.get_by_role("button", name="现在签退").click()
    page.wait_for_url(re.compile(r".*/my/duties/\d+/attendance$"))
    assert "感谢您的服务" in page.locator(".alert-success").inner_text()
    assert re.fullmatch(r"\d\d:\d\d", page.get_by_test_id("checked-out").inner_text())
