"""The main pages run under the strict Content-Security-Policy with nothing refused: no console error, no
securitypolicyviolation event, and their scripts (now files) still work (issue 14)."""
import re

import pytest

from volunteer_app.extensions import db
from volunteer_app.roster.models import PlanJob, RosterWeek

from tests.support.browser import DESKTOP, log_in
from tests.support.roster import WEEK, district, make_template  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

WATCH_VIOLATIONS = """
window.__violations = [];
window.print = function () { window.__printed = true; };  /* no print dialog in a test */
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


class Watched:
    """A desktop page whose console errors and CSP violations are collected as it goes."""

    def __init__(self, browser):
        self.context = browser.new_context(locale="zh-CN", viewport=DESKTOP)
        self.context.set_default_timeout(20_000)
        self.context.add_init_script(WATCH_VIOLATIONS)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def clean(self, where: str) -> None:
        """Nothing refused or broken on the page now showing."""
        self.page.wait_for_load_state("load")
        violations = self.page.evaluate("window.__violations")
        assert (violations, self.errors) == ([], []), where
        self.errors.clear()


def test_the_main_pages_load_with_no_csp_violation(browser, live_server, district):
    coordinator = Watched(browser)
    page = coordinator.page
    log_in(page, live_server, "coord")
    coordinator.clean("home")

    page.goto(f"{live_server}/roster/plan")
    page.fill("#f-week", WEEK)
    page.get_by_role("button", name="开始排班").click()
    page.wait_for_url(re.compile(r".*/roster/weeks/\d+$"))
    coordinator.clean("review")
    review = page.url
    # roster.js (formerly inline) unfolds the duty a grid link points at.
    shift = page.locator(".r-grid a.r-shift:not(.r-short)").first
    target = shift.get_attribute("href")
    shift.click()
    assert page.locator(f"details{target}").evaluate("details => details.open")
    page.get_by_role("button", name="发布第 1 版").click()
    page.wait_for_url(review)
    coordinator.clean("review after publishing")

    page.goto(review + "/print")
    page.get_by_role("button", name="打印", exact=True).click()
    assert page.evaluate("window.__printed === true")  # app.js (formerly onclick="") prints
    coordinator.clean("print")

    week = db.session.scalar(db.select(RosterWeek).where(RosterWeek.week == WEEK))
    job = PlanJob(week_id=week.id, purpose="plan")  # still queued: the page keeps polling it
    db.session.add(job)
    db.session.commit()
    with page.expect_response(re.compile(rf".*/api/v1/roster/jobs/{job.id}$")) as polled:
        page.goto(f"{live_server}/roster/jobs/{job.id}")
    assert polled.value.ok  # roster.js (formerly inline) polls the job's API
    coordinator.clean("job")

    page.goto(f"{live_server}/api/docs")
    page.locator(".swagger-ui .info").wait_for()
    coordinator.clean("API docs")
    coordinator.context.close()

    volunteer = Watched(browser)
    log_in(volunteer.page, live_server, "vol0")
    volunteer.page.goto(f"{live_server}/my/week/{WEEK}")
    assert volunteer.page.locator("h1").count() == 1
    volunteer.clean("my week")
    volunteer.context.close()
