"""Every menu entry is reachable at 390 px and at 1366 px: groups open, each link is visible and
leads to a page; the unread badge sits beside 消息 and goes when the inbox marks the messages read."""
import pytest

from volunteer_app.accounts.models import User
from volunteer_app.extensions import db
from volunteer_app.notifications.service import Note, notify

from tests.support.browser import PHONE, log_in, visit_every_entry
from tests.support.roster import district, make_template  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

WIDE = {"width": 1366, "height": 768}


@pytest.mark.parametrize("viewport", [PHONE, WIDE], ids=["390px", "1366px"])
def test_every_menu_entry_of_a_coordinator_is_reachable(browser, live_server, district, viewport):
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, live_server, "coord")
    entries = visit_every_entry(page, live_server)
    groups = {group for group, _ in entries if group}
    assert {"值班", "台账"} <= groups, groups
    assert len(entries) >= 12  # nothing is hidden off-screen any more
    context.close()


@pytest.mark.parametrize("viewport", [PHONE, WIDE], ids=["390px", "1366px"])
def test_a_volunteer_sees_the_unread_badge_until_the_inbox_marks_them_read(browser, live_server, district, viewport):
    volunteer = db.session.query(User).filter_by(username="vol1").one()
    notify([volunteer], Note("reminder", "明天 18:00 晚间值守", "红色驿站"))
    notify([volunteer], Note("reminder", "后天 18:00 晚间值守", "红色驿站"))
    db.session.commit()
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, live_server, "vol1")
    visit_every_entry(page, live_server)
    badge = page.locator("nav.mainnav a", has_text="消息").locator(".badge")
    assert badge.inner_text() == "2"
    page.locator("nav.mainnav a", has_text="消息").click()
    page.get_by_role("button", name="全部标为已读").click()
    page.wait_for_load_state()
    assert page.locator("nav.mainnav a", has_text="消息").locator(".badge").count() == 0
    context.close()
