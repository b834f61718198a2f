"""Resident services in a real headless Chromium on phone-sized screens: the last place of a
slot, the waiting list and its promotion; a request from filing to rating, through the pages
of the resident, the grid worker and the volunteer. Everything asserted is what the pages show."""
import re

import pytest

from tests.support.browser import PHONE, log_in, menu_link
from tests.support.services import clock, event_payload, make_event, make_service_type, town  # noqa: F401

pytestmark = pytest.mark.browser



@pytest.fixture()
def phones(browser):
    """``phones()`` opens one more phone-sized browser (its own cookies); all are closed after the test."""
    contexts = []

    def open_phone():
        context = browser.new_context(locale="zh-CN", viewport=PHONE)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_phone
    for context in contexts:
        context.close()


def flash(page) -> str:
    return page.locator(".alert-success").inner_text()


def test_last_place_waiting_list_cancel_and_promotion(phones, live_server, town, make_event):
    event, slots = make_event(capacity_per_slot=1)
    first, second = phones(), phones()

    # The first resident finds the clinic on the menu and books the 09:00 place, the only one.
    log_in(first, live_server, "resident0", "/services")
    first.locator(f"#service-{town['clinic'].id}").get_by_role("link", name="预约时间").click()
    first.get_by_role("link", name="义诊").click()
    first.get_by_role("button", name="预约 09:00").click()
    first.wait_for_url(re.compile(r".*/my/bookings/\d+$"))
    assert "已预约：义诊" in flash(first)

    # The second resident finds it full and joins the waiting list.
    log_in(second, live_server, "resident1", "/services")
    second.goto(f"{live_server}/service-events/{event['id']}")
    slot = second.locator(f"#slot-{slots[0]['id']}")
    assert "已满" in slot.inner_text()
    slot.get_by_role("button", name="排队候补 09:00").click()
    second.wait_for_url(re.compile(r".*/my/bookings/\d+$"))
    waiting_url = second.url
    assert "排第 1 位" in second.locator(".s-status-line").inner_text()

    # The first cancels from "my bookings"; the place goes to the second at once.
    first.locator("nav.mainnav").get_by_role("link", name="我的预约").click()
    first.get_by_role("link", name="义诊").click()
    first.fill("#cancel-reason", "临时有事")
    first.get_by_role("button", name="取消预约").click()
    assert "已取消" in flash(first)
    assert "已取消" in first.locator(".s-status-line").inner_text()

    second.goto(waiting_url)
    assert second.locator(".s-status-line").inner_text().strip() == "已预约"
    second.locator("nav.mainnav").get_by_role("link", name="消息").click()
    note = second.locator(".notification").first
    assert "候补成功：义诊" in note.inner_text()
    note.get_by_role("link", name="打开").click()
    assert second.url == waiting_url


def test_request_accepted_dispatched_started_resolved_and_rated(phones, live_server, town):
    resident, worker, volunteer = phones(), phones(), phones()

    # The resident describes the need from the menu.
    log_in(resident, live_server, "resident0", "/services")
    resident.locator(f"#service-{town['repair'].id}").get_by_role("link", name="提出需求").click()
    resident.fill("#f-description", "厨房下水道堵了")
    resident.fill("#windows-0-start", "2026-12-01T14:00")
    resident.fill("#windows-0-end", "2026-12-01T16:00")
    resident.get_by_role("button", name="提交").click()
    resident.wait_for_url(re.compile(r".*/service-requests/\d+$"))
    request_url = resident.url
    assert "待受理" in resident.locator(".s-status-line").inner_text()

    # The grid worker takes it from the queue, accepts and dispatches it to the nearest volunteer.
    log_in(worker, live_server, "gridworker", "/services", start="/services")
    menu_link(worker, "工单").click()
    worker.get_by_role("link", name=re.compile("维修")).click()
    worker.get_by_role("button", name="受理", exact=True).click()
    assert "已受理" in flash(worker)
    worker.select_option("#dispatched-volunteer_id", str(town["volunteers"][0].id))
    worker.get_by_role("button", name="派单").click()
    assert "已派给 近志愿者" in flash(worker)

    # The volunteer starts and resolves it from their phone.
    log_in(volunteer, live_server, "vol0", "/my/week")
    volunteer.locator("nav.mainnav").get_by_role("link", name="我的任务").click()
    volunteer.get_by_role("link", name=re.compile("维修")).click()
    volunteer.get_by_role("button", name="开始处置").click()
    assert "处置中" in volunteer.locator(".s-status-line").inner_text()
    volunteer.fill("#resolved-note", "疏通了下水管")
    volunteer.get_by_role("button", name="办结").click()
    assert "已办结" in volunteer.locator(".s-status-line").inner_text()

    # The resident rates it; the history shows every step.
    resident.goto(request_url)
    assert "疏通了下水管" in resident.locator(".details").inner_text()
    resident.check("input[name=rating][value='5']")
    resident.fill("#rated-comment", "很及时")
    resident.get_by_role("button", name="提交评价").click()
    assert "感谢您的评价" in flash(resident)
    assert "已评价" in resident.locator(".s-status-line").inner_text()
    changes = [re.sub(r"\s", "", text) for text in resident.locator(".s-history .s-change").all_inner_texts()]
    assert changes == ["待受理", "待受理→已受理", "已受理→已分派", "已分派→处置中", "处置中→已办结", "已办结→已评价"]
