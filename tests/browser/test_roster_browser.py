"""The weekly roster in a real headless Chromium: a coordinator plans, reviews and
publishes; one volunteer confirms, another declines; the re-plan keeps the rest.

Everything asserted is what the pages show (eager jobs: a plan finishes inside its request).
"""
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import DESKTOP, PHONE, log_in, menu_link
from tests.support.roster import WEEK, district, make_template  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

REVIEW = re.compile(r".*/roster/weeks/\d+$")


def plan_and_publish(page, base: str) -> None:
    """Coordinator: plan WEEK from the menu, land on the review, publish version 1."""
    log_in(page, base, "coord")
    menu_link(page, "排班").click()
    page.fill("#f-week", WEEK)
    page.get_by_role("button", name="开始排班").click()
    page.wait_for_url(REVIEW)
    page.get_by_role("button", name="发布第 1 版").click()
    page.wait_for_url(REVIEW)
    assert "第 1 版已发布" in page.locator(".alert-success").inner_text()


def username_of(name: str) -> str:
    """The district's volunteers are 志愿者0 … 志愿者4 with logins vol0 … vol4."""
    return "vol" + name.removeprefix("志愿者")


def live_rows(page) -> dict[str, dict[str, str]]:
    """The published roster as the review page shows it: {when: {volunteer name: status}}."""
    rows = {}
    for row in page.locator("#live tbody tr").all():
        when = row.locator("td").first.inner_text().strip()
        rows[when] = {}
        for entry in row.locator(".live-row").all():
            name = entry.inner_text().split()[0]
            rows[when][name] = entry.locator(".tag").inner_text().strip()
    return rows


def test_plan_publish_confirm_decline_and_the_replan_keeps_the_rest(browser, live_server, district):
    coordinator = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    coordinator.set_default_timeout(20_000)
    page = coordinator.new_page()
    plan_and_publish(page, live_server)
    review_url = page.url

    # What the coordinator reviewed: a grid of the week, the open legal-advice duty explained.
    assert page.locator("h1").inner_text().startswith("排班审核")
    assert page.locator(".r-grid .r-station").first.inner_text() == "红色驿站"
    short = page.locator(".r-shift.r-short")
    assert short.count() == 1 and "缺 1 人" in short.inner_text()
    assert "没有志愿者具备法律咨询" in page.locator("#publish ~ section").first.inner_text()
    rows = live_rows(page)
    assert len(rows) == 3 and all(len(people) == 2 for people in rows.values())
    assert all(status == "待确认" for people in rows.values() for status in people.values())

    # Volunteer A (first duty) confirms; volunteer B (a duty on another day) declines.
    (a_when, a_people), (b_when, b_people) = list(rows.items())[:2]
    a_name = next(iter(a_people))
    b_name = next(name for name in b_people if name != a_name)

    a_context = browser.new_context(locale="zh-CN", viewport=PHONE)
    a_context.set_default_timeout(20_000)
    volunteer = a_context.new_page()
    log_in(volunteer, live_server, username_of(a_name))
    volunteer.locator("nav.mainnav").get_by_role("link", name="我的值班").click()
    volunteer.goto(f"{live_server}/my/week/{WEEK}")
    card = volunteer.locator("section.r-duty", has_text=a_when)
    assert card.locator(".tag").inner_text() == "待确认"
    card.get_by_role("button", name="确认参加").click()
    volunteer.wait_for_url(re.compile(r".*/my/week/" + WEEK + r"#assignment-\d+$"))
    assert "谢谢!您已确认" in volunteer.locator(".alert-success").inner_text()
    assert volunteer.locator("section.r-duty", has_text=a_when).locator(".tag").inner_text() == "已确认"
    a_context.close()

    b_context = browser.new_context(locale="zh-CN", viewport=PHONE)
    b_context.set_default_timeout(20_000)
    volunteer = b_context.new_page()
    log_in(volunteer, live_server, username_of(b_name))
    volunteer.goto(f"{live_server}/my/week/{WEEK}")
    card = volunteer.locator("section.r-duty", has_text=b_when)
    card.locator("summary", has_text="我去不了").click()
    card.get_by_role("button", name="不能参加", exact=True).click()  # no reason yet: the browser asks for one
    assert volunteer.locator(".alert-success").count() == 0
    card.get_by_label("不能参加的原因(必填)").fill("家里老人住院")
    card.get_by_role("button", name="不能参加", exact=True).click()
    volunteer.wait_for_url(re.compile(r".*#assignment-\d+$"))
    assert "您已回复不能参加" in volunteer.locator(".alert-success").inner_text()
    declined = volunteer.locator("section.r-duty", has_text=b_when)
    assert declined.locator(".tag").inner_text() == "不能参加" and "家里老人住院" in declined.inner_text()
    b_context.close()

    # The coordinator reloads: version 2 replaced B only, A's confirmation stands.
    page.goto(review_url)
    assert "已发布,第 2 版" in page.locator(".r-sub").inner_text()
    versions = page.locator("#versions li.version")
    assert versions.count() == 2
    latest = versions.first.inner_text()
    assert "第 2 版" in latest and "有志愿者不能参加,系统自动重排" in latest
    assert f"－ {b_name}" in latest and latest.count("＋") == 1 and latest.count("－") == 1
    after = live_rows(page)
    assert after[a_when][a_name] == "已确认"
    assert after[b_when][b_name] == "不能参加"
    standing = {name for name, status in after[b_when].items() if status in ("待确认", "已确认")}
    assert len(standing) == 2 and b_name not in standing
    newcomer = (standing - set(b_people)).pop()
    assert f"＋ {newcomer}" in latest
    for when, people in rows.items():  # everyone else keeps their place
        for name in people:
            if (when, name) != (b_when, b_name):
                assert after[when][name] in ("待确认", "已确认"), (when, name)
    coordinator.close()


def test_job_page_shows_progress_and_moves_on_to_the_review(page, live_server, district):
    """The progress page polls the API with the session cookie (a job a worker would run)."""
    from volunteer_app.accounts.policy import Actor
    from volunteer_app.extensions import db
    from volunteer_app.roster.models import JobStatus, PlanJob
    from volunteer_app.roster.service import week_for

    week = week_for(Actor.system(), district["community_id"], WEEK)
    job = PlanJob(week_id=week.id, purpose="plan", status=JobStatus.running, stage="coverage", best_coverage=12)
    db.session.add(job)
    db.session.commit()
    log_in(page, live_server, "coord")
    page.goto(f"{live_server}/roster/jobs/{job.id}")
    progress = page.locator("#job")
    assert "安排岗位人员" in progress.inner_text() and "12" in progress.inner_text()

    job.stage, job.best_coverage, job.elapsed_s = "fairness", 18, 7.0
    db.session.commit()
    expect(progress.locator('[data-field="stage"]')).to_contain_text("均衡分配任务")  # no eval under the CSP
    assert progress.locator('[data-field="best_coverage"]').inner_text() == "18"
    assert progress.locator('[data-field="elapsed_s"]').inner_text() == "7"
    page.screenshot(path=str(Path(os.environ.get("SCREENSHOT_DIR", "/tmp")) / "jiamenkou-roster-phone-job.png"))

    job.status, job.stage, job.summary = JobStatus.succeeded, "done", {"assignments": 6, "unfilled": 1}
    db.session.commit()
    page.wait_for_url(re.compile(rf".*/roster/weeks/{week.id}$"))
    assert "排班完成" in page.locator(".alert-success").inner_text()


def test_roster_pages_fit_phone_and_desktop(browser, live_server, district):
    """No sideways scrolling at 390 px; screenshots of the roster pages (SCREENSHOT_DIR, default /tmp)."""
    out = Path(os.environ.get("SCREENSHOT_DIR", "/tmp"))
    setup = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    page = setup.new_page()
    plan_and_publish(page, live_server)
    review = page.url.removeprefix(live_server)
    name = page.locator("#live .live-row").first.inner_text().split()[0]
    setup.close()
    pages = {
        "coord": {"review": review, "print": review + "/print", "plan": "/roster/plan",
                  "templates": "/roster/templates", "callouts": "/roster/callouts"},
        username_of(name): {"my-week": f"/my/week/{WEEK}", "inbox": "/inbox"},
    }
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        for user, paths in pages.items():
            context = browser.new_context(locale="zh-CN", viewport=viewport)
            try:
                page = context.new_page()
                log_in(page, live_server, user)
                for slug, path in paths.items():
                    page.goto(live_server + path)
                    if slug in ("review", "my-week"):  # with every duty's actions unfolded
                        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
                    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on {size}"
                    page.screenshot(path=str(out / f"jiamenkou-roster-{size}-{slug}.png"), full_page=True)
                    if slug == "print":
                        page.emulate_media(media="print")
                        assert not page.locator("header.topbar").is_visible()
                        assert page.locator(".r-print table").first.is_visible()
                        page.screenshot(path=str(out / f"jiamenkou-roster-{size}-print-media.png"), full_page=True)
                        page.emulate_media(media="screen")
            finally:
                context.close()
