"""Resident-service pages with the Flask test client: the menu, booking and the waiting list,
filing a request (once, however often the form is sent), the closed loop through the detail
page, the queue, follow-ups, the wish board, 代办 by staff; field errors, 409s, access, English."""
import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from tests.support.pages import csrf_token, logged_in, post, text_of
from volunteer_app.accounts.models import User
from volunteer_app.extensions import db
from volunteer_app.notifications.models import Notification
from volunteer_app.service_requests.models import (
    Booking, BookingStatus, FollowUp, RequestState, ServiceEvent, ServiceRequest, Wish,
)

def error_of(response, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="{re.escape(field)}-error">(.*?)</p>', text_of(response), re.S)
    assert found, f"no error shown for {field}: " + banner(response)
    return found.group(1)


def banner(response) -> str:
    found = re.search(r'<div class="alert alert-error".*?</div>', text_of(response), re.S)
    return found.group(0) if found else "(no error banner)"


def fresh(model, record_id):
    db.session.expire_all()
    return db.session.get(model, record_id)


def location_id(response, prefix: str) -> int:
    assert response.status_code == 302, (response.status_code, banner(response))
    match = re.fullmatch(rf"{re.escape(prefix)}/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


class Clients(dict):
    """Logged-in page clients by username, each logging in when first used (password hashing is slow)."""

    def __init__(self, app):
        super().__init__()
        self.app = app

    def __missing__(self, username: str):
        self[username] = logged_in(self.app, username)
        return self[username]


@pytest.fixture()
def clients(town, app_ctx):
    """Page clients of the town's people: coord, gridworker, resident0/1, vol0/1 (see tests/support/services.py)."""
    return Clients(app_ctx)


def book(client, event_id: int, slot_id: int, waitlist: bool = False, **extra):
    return post(client, f"/service-events/{event_id}/book",
                {"slot_id": slot_id, "waitlist": "true" if waitlist else "false", **extra},
                f"/service-events/{event_id}")


def request_form(client, path="/service-requests/new", **fields):
    """The request form as sent by a phone: the fields plus the hidden key generated into the page."""
    page = text_of(client.get(path))
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    return {"idempotency_key": key, "description": "厨房下水道堵了", "windows-0-start": "2026-12-01T14:00",
            "windows-0-end": "2026-12-01T16:00", **fields}


def file_request(client, town, **fields) -> int:
    data = request_form(client, service_type_id=town["repair"].id, **fields)
    return location_id(post(client, "/service-requests/new", data, "/service-requests/new"), "/service-requests")


def move(client, request_id: int, to: str, **fields):
    page = f"/service-requests/{request_id}"
    version = re.search(r'name="version" value="(\d+)"', text_of(client.get(page))).group(1)
    return post(client, f"{page}/move", {"to": to, "version": version, **fields}, page)


# --- the menu and navigation --------------------------------------------------------------------

def test_residents_land_on_the_service_menu(town, clients, app_ctx):
    resident = clients["resident0"]
    assert resident.get("/").headers["Location"] == "/services"
    menu = text_of(resident.get("/services"))
    assert re.search(r'href="/services" aria-current="page">便民服务<', menu)
    for path, name in (("/my/bookings", "我的预约"), ("/my/requests", "我的工单"), ("/wishes", "微心愿")):
        assert re.search(rf'href="{path}"[^>]*>{name}<', menu), name
    assert 'href="/service-requests"' not in menu  # the queue is for staff
    assert "义诊" in menu and "维修" in menu and "上门服务" in menu and "20 积分" in menu
    assert f'href="/service-requests/new?service_type_id={town["repair"].id}"' in menu
    low_income = text_of(clients["resident1"].get("/services"))  # 低保: the repair is free for them
    assert "对您免费" in low_income

    staff = text_of(clients["coord"].get("/services"))
    for path, name in (("/service-requests", "工单"), ("/service-events", "服务活动"), ("/follow-ups", "回访"),
                       ("/wishes", "微心愿")):
        assert re.search(rf'href="{path}"[^>]*>{name}<', staff), name
    assert "代办" in staff and "/service-requests/new" not in staff  # no resident chosen yet
    volunteer = text_of(clients["vol0"].get("/my/requests"))
    assert re.search(r'href="/my/requests" aria-current="page">我的任务<', volunteer)


def test_pages_need_login(client):
    for path in ("/services", "/service-events", "/my/bookings", "/my/requests", "/service-requests",
                 "/service-requests/1", "/wishes", "/follow-ups"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path


def test_the_menu_shows_upcoming_times_of_event_services(town, clients, make_event):
    event, _ = make_event()
    menu = text_of(clients["resident0"].get("/services"))
    assert f'href="/service-events/{event["id"]}"' in menu and "周三 12-02 09:00–11:30" in menu
    assert f'href="/service-events?service_type_id={town["clinic"].id}"' in menu  # 预约时间
    listing = text_of(clients["resident0"].get(f"/service-events?service_type_id={town['clinic'].id}"))
    assert "义诊" in listing and "剩余 30 / 30 个名额" in listing


# --- booking, the waiting list, promotion ------------------------------------------------------------

def test_the_last_place_the_waiting_list_and_the_promotion(town, clients, make_event):
    event, slots = make_event(capacity_per_slot=1)
    first, second = clients["resident0"], clients["resident1"]
    booked = book(first, event["id"], slots[0]["id"])
    booking_id = location_id(booked, "/my/bookings")
    page = text_of(first.get(booked.headers["Location"]))
    assert "已预约：义诊" in page and "已预约" in page and "取消预约" in page

    full = text_of(second.get(f"/service-events/{event['id']}"))
    slot_row = re.search(rf'id="slot-{slots[0]["id"]}".*?</li>', full, re.S).group(0)
    assert "已满" in slot_row and "排队候补" in slot_row
    refused = book(second, event["id"], slots[0]["id"])
    assert refused.status_code == 409
    assert "此时段已满：请选择其他时间或排队候补。" in text_of(refused)
    waiting = book(second, event["id"], slots[0]["id"], waitlist=True)
    waiting_id = location_id(waiting, "/my/bookings")
    assert "排第 1 位" in text_of(second.get(waiting.headers["Location"]))
    assert "排第 1 位" in text_of(second.get("/my/bookings"))

    cancelled = post(first, f"/my/bookings/{booking_id}/cancel", {"reason": "临时有事"}, f"/my/bookings/{booking_id}")
    assert cancelled.status_code == 302
    assert fresh(Booking, booking_id).status == BookingStatus.cancelled
    assert fresh(Booking, waiting_id).status == BookingStatus.booked
    promoted = text_of(second.get(f"/my/bookings/{waiting_id}"))
    assert "s-booking-booked" in promoted and "取消预约" in promoted
    inbox = text_of(second.get("/inbox"))
    assert "候补成功：义诊" in inbox and f'href="/my/bookings/{waiting_id}"' in inbox


def test_booking_twice_and_cancelling_twice_are_refused_on_the_page(town, clients, make_event):
    event, slots = make_event()
    resident = clients["resident0"]
    booking_id = location_id(book(resident, event["id"], slots[1]["id"]), "/my/bookings")
    again = book(resident, event["id"], slots[1]["id"])
    assert again.status_code == 409 and "已预约或已在此时间的候补名单中" in text_of(again)
    page = f"/my/bookings/{booking_id}"
    token = csrf_token(resident, page)
    assert resident.post(f"{page}/cancel", data={"csrf_token": token}).status_code == 302
    twice = resident.post(f"{page}/cancel", data={"csrf_token": token})
    assert twice.status_code == 409 and "已取消。" in banner(twice)
    not_a_slot = post(resident, f"/service-events/{event['id']}/book", {"slot_id": "abc", "waitlist": "false"},
                      f"/service-events/{event['id']}")
    assert not_a_slot.status_code == 422 and "请输入整数" in banner(not_a_slot)


def test_a_resident_cannot_see_or_cancel_anothers_booking(town, clients, make_event):
    event, slots = make_event()
    booking_id = location_id(book(clients["resident0"], event["id"], slots[0]["id"]), "/my/bookings")
    other = clients["resident1"]
    assert other.get(f"/my/bookings/{booking_id}").status_code == 404
    token = csrf_token(other, "/my/bookings")
    assert other.post(f"/my/bookings/{booking_id}/cancel", data={"csrf_token": token}).status_code == 404
    assert fresh(Booking, booking_id).status == BookingStatus.booked


# --- filing a request ----------------------------------------------------------------------------

def test_a_form_sent_twice_files_one_request(town, clients):
    resident = clients["resident0"]
    data = request_form(resident, service_type_id=town["repair"].id, address="2单元301", urgent="y")
    first = post(resident, "/service-requests/new", data, "/service-requests/new")
    again = post(resident, "/service-requests/new", data, "/service-requests/new")
    request_id = location_id(first, "/service-requests")
    assert location_id(again, "/service-requests") == request_id
    assert db.session.scalar(select(func.count()).select_from(ServiceRequest)) == 1
    filed = fresh(ServiceRequest, request_id)
    assert (filed.address, filed.urgent, filed.resident_id, filed.building_id) == (
        "2单元301", True, town["residents"][0].id, town["building"].id)
    assert filed.preferred_windows == [{"start": "2026-12-01T14:00", "end": "2026-12-01T16:00"}]
    assert "此工单已提交过" in text_of(resident.get(again.headers["Location"]))
    other_form = request_form(resident, service_type_id=town["repair"].id)
    assert other_form["idempotency_key"] != data["idempotency_key"]  # each form its own key


def test_the_request_form_names_the_bad_fields(town, clients):
    resident = clients["resident0"]
    form = f"/service-requests/new?service_type_id={town['repair'].id}"
    page = text_of(resident.get(form))
    assert f'<option value="{town["repair"].id}" selected>维修</option>' in page
    assert f'<option value="{town["building"].id}" selected>' in page

    empty = post(resident, "/service-requests/new", request_form(resident, description="",
                                                                 service_type_id=town["repair"].id), form)
    assert empty.status_code == 422 and error_of(empty, "description") == "请输入 1 至 500 个字符。"
    no_type = post(resident, "/service-requests/new", request_form(resident), form)
    assert no_type.status_code == 422 and error_of(no_type, "service_type_id") == "此项必填。"
    past = post(resident, "/service-requests/new", request_form(
        resident, service_type_id=town["repair"].id, **{"windows-0-start": "2026-11-29T10:00",
                                                       "windows-0-end": "2026-11-29T12:00"}), form)
    assert past.status_code == 422 and error_of(past, "preferred_windows") == "第 1 个时间已过。"
    backwards = post(resident, "/service-requests/new", request_form(
        resident, service_type_id=town["repair"].id, **{"windows-0-end": "2026-12-01T13:00"}), form)
    assert backwards.status_code == 422
    assert error_of(backwards, "preferred_windows-0-end") == "结束时间必须晚于开始时间。"
    assert 'value="2026-12-01T13:00"' in text_of(backwards)  # what was typed stays in the form
    closed = post(resident, "/service-requests/new", request_form(
        resident, service_type_id=town["clinic"].id, **{"windows-0-start": "2026-12-01T17:25",
                                                       "windows-0-end": "2026-12-01T18:30"}), form)
    assert closed.status_code == 422 and "不在党群服务站 2026-12-01 的开放时间内" in error_of(closed, "preferred_windows")
    forged = post(resident, "/service-requests/new", request_form(
        resident, service_type_id=town["repair"].id, idempotency_key="no spaces"), form)
    assert forged.status_code == 422 and "表单已过期" in banner(forged)
    assert db.session.scalar(select(func.count()).select_from(ServiceRequest)) == 0


# --- the closed loop through the detail page -------------------------------------------------------

def test_request_accept_dispatch_start_resolve_rate(town, clients):
    resident, worker, volunteer = clients["resident0"], clients["gridworker"], clients["vol0"]
    request_id = file_request(resident, town)
    mine = text_of(resident.get("/my/requests"))
    assert f'href="/service-requests/{request_id}"' in mine and "待受理" in mine and "受理时限 周一 11-30 09:10" in mine
    own_page = text_of(resident.get(f"/service-requests/{request_id}"))
    assert "撤销工单" in own_page and ">受理</button>" not in own_page  # residents may withdraw, not accept

    queue = text_of(worker.get("/service-requests"))
    assert f'href="/service-requests/{request_id}"' in queue and "李秀英" in queue
    assert re.search(r'aria-current="page" class="s-tab">待受理 <span class="s-count">1</span>', queue)
    assert move(worker, request_id, "accepted").status_code == 302
    detail = text_of(worker.get(f"/service-requests/{request_id}"))
    near = town["volunteers"][0]
    assert f'<option value="{near.id}">近志愿者' in detail  # ranked candidates to choose from
    dispatched = move(worker, request_id, "dispatched", volunteer_id=near.id)
    assert dispatched.status_code == 302 and "已派给 近志愿者" in text_of(worker.get(dispatched.headers["Location"]))
    assert f'href="/service-requests/{request_id}"' in text_of(worker.get("/service-requests?tab=mine"))

    tasks = text_of(volunteer.get("/my/requests"))
    assert f'href="/service-requests/{request_id}"' in tasks and "计划 周二 12-01 14:00" in tasks
    week = text_of(volunteer.get("/my/week/2026-W49"))  # next to the duties of the week, too
    assert "派给您的居民工单" in week and f'href="/service-requests/{request_id}">周二 12-01 14:00 · 维修' in week
    assert clients["vol1"].get(f"/service-requests/{request_id}").status_code == 404
    assert move(volunteer, request_id, "in_progress").status_code == 302
    no_note = move(volunteer, request_id, "resolved")
    assert no_note.status_code == 422 and error_of(no_note, "resolved-note") == "此步骤必填。"
    assert move(volunteer, request_id, "resolved", note="疏通了下水管").status_code == 302

    rate_page = text_of(resident.get(f"/service-requests/{request_id}"))
    assert "服务怎么样？" in rate_page and "疏通了下水管" in rate_page
    no_stars = move(resident, request_id, "rated")
    assert no_stars.status_code == 422 and error_of(no_stars, "rated-rating") == "此步骤必填。"
    assert move(resident, request_id, "rated", rating="5", comment="很及时").status_code == 302
    item = fresh(ServiceRequest, request_id)
    assert (item.state, item.rating, item.rating_comment) == (RequestState.rated, 5, "很及时")
    history = text_of(resident.get(f"/service-requests/{request_id}"))
    steps = re.findall(r'<span class="s-change">(.*?)</span>', history, re.S)
    assert [re.sub(r"<.*?>|\s", "", s) for s in steps] == [
        "待受理", "待受理→已受理", "已受理→已分派", "已分派→处置中", "处置中→已办结", "已办结→已评价"]
    assert "志愿者: 近志愿者" in history and "★★★★★" in history and "办理时限" in history
    assert re.search(r'<span class="s-step">受理</span>\s*<span class="s-when">时限 周一 11-30 09:10</span>', history)
    assert "下一步" not in history  # rated: nothing left to do


def test_illegal_and_stale_moves_show_409_and_reasons_are_required(town, clients):
    resident, coordinator = clients["resident0"], clients["coord"]
    request_id = file_request(resident, town)
    page = f"/service-requests/{request_id}"
    skipped = post(coordinator, f"{page}/move", {"to": "resolved", "note": "x"}, page)
    assert skipped.status_code == 409
    assert "当前无法进行此操作：工单现为“待受理”" in banner(skipped) and ">受理</button>" in text_of(skipped)
    no_reason = move(coordinator, request_id, "rejected")
    assert no_reason.status_code == 422 and error_of(no_reason, "rejected-reason") == "此步骤必填。"
    assert 'id="rejected-reason"' in text_of(no_reason) and "<details open>" in text_of(no_reason)
    not_hers = post(resident, f"{page}/move", {"to": "accepted"}, page)
    assert not_hers.status_code == 403 and fresh(ServiceRequest, request_id).state == RequestState.submitted
    stale = post(coordinator, f"{page}/move", {"to": "accepted", "version": "99"}, page)
    assert stale.status_code == 409 and "其他人修改" in banner(stale)
    assert move(resident, request_id, "cancelled", reason="已自行解决").status_code == 302
    late = post(coordinator, f"{page}/move", {"to": "accepted"}, page)
    assert late.status_code == 409 and "工单现为“已撤销”" in banner(late)
    assert fresh(ServiceRequest, request_id).state == RequestState.cancelled


def test_escalation_and_hand_back_from_the_page(town, clients):
    coordinator, volunteer = clients["coord"], clients["vol0"]
    request_id = file_request(clients["resident0"], town)
    move(coordinator, request_id, "accepted")
    move(coordinator, request_id, "dispatched", volunteer_id=town["volunteers"][0].id)
    handed = move(volunteer, request_id, "accepted", reason="没有工具")
    assert handed.status_code == 302 and "已退回，等待重新派单" in text_of(volunteer.get("/my/requests"))
    past = move(coordinator, request_id, "escalated", department="物业公司", department_due_at="2026-11-29T10:00")
    assert past.status_code == 422 and error_of(past, "escalated-department_due_at") == "请选择将来的时间。"
    missing = move(coordinator, request_id, "escalated", department="物业公司")
    assert missing.status_code == 422 and error_of(missing, "escalated-department_due_at") == "此步骤必填。"
    assert move(coordinator, request_id, "escalated", department="物业公司",
                department_due_at="2026-12-03T17:00").status_code == 302
    page = text_of(coordinator.get(f"/service-requests/{request_id}"))
    assert "已转交部门" in page and "部门办理时限 周四 12-03 17:00" in page and "没有工具" in page


def test_overdue_requests_are_flagged_in_the_queue(town, clients, clock):
    coordinator = clients["coord"]
    late_id = file_request(clients["resident0"], town)
    clock.set(datetime(2026, 11, 30, 9, 30))
    fresh_id = file_request(clients["resident1"], town, **{"windows-0-start": "2026-12-02T14:00",
                                                          "windows-0-end": "2026-12-02T16:00"})
    overdue = text_of(coordinator.get("/service-requests?tab=overdue"))
    assert f'href="/service-requests/{late_id}"' in overdue and f'href="/service-requests/{fresh_id}"' not in overdue
    assert '<span class="tag tag-red">已超时</span>' in overdue
    assert re.search(r'class="s-tab s-tab-alert">已超时 <span class="s-count">1</span>', overdue)
    detail = text_of(coordinator.get(f"/service-requests/{late_id}"))
    assert re.search(r'<li class="s-current s-late">\s*<span class="s-step">受理</span>', detail)
    move(coordinator, late_id, "accepted")
    history = text_of(coordinator.get(f"/service-requests/{late_id}"))
    assert '<span class="tag tag-red">超时</span>' in history  # accepted after its deadline
    everything = text_of(coordinator.get("/service-requests?tab=open"))
    assert everything.index(f'href="/service-requests/{fresh_id}"') < everything.index(
        f'href="/service-requests/{late_id}"')  # the nearest deadline first
    by_type = text_of(coordinator.get(f"/service-requests?tab=open&service_type_id={town['clinic'].id}"))
    assert f'href="/service-requests/{late_id}"' not in by_type and "没有工单。" in by_type


def test_the_queue_filters_by_grid_and_grid_workers_see_their_grid(town, clients, make_grid, make_building,
                                                                    make_resident):
    coordinator = clients["coord"]
    second = make_grid(community=town["community"], name="第二网格")
    neighbour = make_resident(building=make_building(grid=second), name="赵大爷")
    here = file_request(clients["resident0"], town)
    path = f"/service-requests/new?resident_id={neighbour.id}"
    unfunded = post(coordinator, "/service-requests/new", request_form(
        coordinator, path, service_type_id=town["repair"].id, resident_id=neighbour.id), path)
    assert unfunded.status_code == 422 and "需要 20 积分" in error_of(unfunded, "service_type_id")
    there = location_id(post(coordinator, "/service-requests/new", request_form(
        coordinator, path, service_type_id=town["clinic"].id, resident_id=neighbour.id), path), "/service-requests")
    filtered = text_of(coordinator.get(f"/service-requests?grid_id={second.id}"))
    assert f'<option value="{second.id}" selected>第二网格</option>' in filtered
    assert f'href="/service-requests/{there}"' in filtered and f'href="/service-requests/{here}"' not in filtered
    worker_queue = text_of(clients["gridworker"].get("/service-requests"))
    assert f'href="/service-requests/{here}"' in worker_queue and f'href="/service-requests/{there}"' not in worker_queue
    assert 'name="grid_id"' not in worker_queue  # one grid: nothing to filter
    assert clients["gridworker"].get(f"/service-requests/{there}").status_code == 404


# --- follow-ups of low ratings ----------------------------------------------------------------------

def test_a_low_rating_is_followed_up_and_closed_from_the_page(town, clients):
    coordinator, resident = clients["coord"], clients["resident0"]
    request_id = file_request(resident, town)
    move(coordinator, request_id, "accepted")
    move(coordinator, request_id, "dispatched", volunteer_id=town["volunteers"][0].id)
    move(clients["vol0"], request_id, "in_progress")
    move(clients["vol0"], request_id, "resolved", note="换了垫圈")
    move(resident, request_id, "rated", rating="1", comment="还在漏水")
    follow_up = db.session.scalar(select(FollowUp))
    listing = text_of(coordinator.get("/follow-ups"))
    assert f'href="/follow-ups/{follow_up.id}"' in listing and "评分 1：还在漏水" in listing and "待回访" in listing
    page = f"/follow-ups/{follow_up.id}"
    empty = post(coordinator, f"{page}/close", {"note": ""}, page)
    assert empty.status_code == 422 and error_of(empty, "close-note") == "请输入 1 至 500 个字符。"
    assert post(coordinator, f"{page}/close", {"note": "上门复查，已修好"}, page).status_code == 302
    closed = text_of(coordinator.get(page))
    assert "已回访" in closed and "上门复查，已修好" in closed
    again = post(coordinator, f"{page}/close", {"note": "再关一次"}, "/follow-ups")
    assert again.status_code == 409 and "已办结。" in banner(again)
    assert resident.get(page).status_code == 403 and resident.get("/follow-ups").status_code == 403


# --- events: schedule, book for a resident, call off -------------------------------------------------

def test_scheduling_an_event_names_bad_fields(town, clients):
    coordinator = clients["coord"]
    form = {"service_type_id": town["clinic"].id, "starts_at": "2026-12-02T09:00", "ends_at": "2026-12-02T09:25",
            "capacity_per_slot": "2"}
    uneven = post(coordinator, "/service-events/new", form, "/service-events/new")
    assert uneven.status_code == 422 and error_of(uneven, "ends_at") == "时长不能整分为 10 分钟的时段。"
    evening = post(coordinator, "/service-events/new", {**form, "starts_at": "2026-12-02T18:00",
                                                        "ends_at": "2026-12-02T19:00"}, "/service-events/new")
    assert evening.status_code == 422 and "不在党群服务站 2026-12-02 的开放时间内" in error_of(evening, "starts_at")
    backwards = post(coordinator, "/service-events/new", {**form, "ends_at": "2026-12-02T08:00"}, "/service-events/new")
    assert backwards.status_code == 422 and error_of(backwards, "ends_at") == "结束时间必须晚于开始时间。"
    no_places = post(coordinator, "/service-events/new", {**form, "capacity_per_slot": "0",
                                                          "ends_at": "2026-12-02T09:30"}, "/service-events/new")
    assert no_places.status_code == 422 and error_of(no_places, "capacity_per_slot") == "请输入 1 至 500 之间的数值。"
    assert db.session.scalar(select(func.count()).select_from(ServiceEvent)) == 0
    made = post(coordinator, "/service-events/new", {**form, "ends_at": "2026-12-02T09:30", "note": "请带医保卡"},
                "/service-events/new")
    event_id = location_id(made, "/service-events")
    page = text_of(coordinator.get(made.headers["Location"]))
    assert "共 3 个可预约时段" in page and "请带医保卡" in page and page.count('<li class="s-slot') == 3
    assert "预约名单" in page and "还没有预约。" in page
    assert f'href="/service-events/{event_id}"' in text_of(coordinator.get("/service-events"))
    assert clients["resident0"].get("/service-events/new").status_code == 403


def test_staff_book_for_a_resident_and_call_the_event_off(town, clients, make_event):
    worker = clients["gridworker"]
    event, slots = make_event()
    found = text_of(worker.get("/services?q=王建国"))
    resident = town["residents"][1]
    assert f'href="/services?resident_id={resident.id}"' in found and "李秀英" not in found
    acting = text_of(worker.get(f"/services?resident_id={resident.id}"))
    assert "正在为 王建国 代办" in acting and f"/service-events/{event['id']}?resident_id={resident.id}" in acting
    page = f"/service-events/{event['id']}?resident_id={resident.id}"
    booked = post(worker, f"/service-events/{event['id']}/book",
                  {"slot_id": slots[0]["id"], "waitlist": "false", "resident_id": resident.id}, page)
    booking_id = location_id(booked, "/my/bookings")
    booking = fresh(Booking, booking_id)
    worker_id = db.session.scalar(select(User.id).where(User.username == "gridworker"))
    assert (booking.resident_id, booking.booked_by_id, booking.price_points) == (resident.id, worker_id, 0)
    event_page = text_of(worker.get(f"/service-events/{event['id']}"))
    assert "王建国" in event_page and "取消活动" not in event_page  # events belong to the community's staff
    assert "王建国" in text_of(worker.get(f"/my/bookings?resident_id={resident.id}"))

    coordinator = clients["coord"]
    no_reason = post(coordinator, f"/service-events/{event['id']}/cancel", {"reason": ""},
                     f"/service-events/{event['id']}")
    assert no_reason.status_code == 422 and error_of(no_reason, "cancel-reason") == "请输入 1 至 200 个字符。"
    called_off = post(coordinator, f"/service-events/{event['id']}/cancel", {"reason": "医生临时有事"},
                      f"/service-events/{event['id']}")
    assert called_off.status_code == 302
    assert fresh(Booking, booking_id).status == BookingStatus.cancelled
    assert "已取消" in text_of(clients["resident1"].get(f"/my/bookings/{booking_id}"))


def test_staff_file_a_request_for_a_resident(town, clients, make_community, make_resident, make_building, make_grid):
    worker = clients["gridworker"]
    resident = town["residents"][0]
    assert worker.get("/service-requests/new").headers["Location"] == "/services"  # choose whom first
    path = f"/service-requests/new?resident_id={resident.id}&service_type_id={town['repair'].id}"
    data = request_form(worker, path, service_type_id=town["repair"].id, resident_id=resident.id)
    request_id = location_id(post(worker, "/service-requests/new", data, path), "/service-requests")
    filed = fresh(ServiceRequest, request_id)
    assert filed.resident_id == resident.id and filed.filed_by_id != town["resident_users"][0].id
    assert f'href="/service-requests/{request_id}"' in text_of(clients["resident0"].get("/my/requests"))
    wish_id = location_id(post(worker, "/wishes", {"title": "轮椅", "resident_id": resident.id},
                               f"/wishes?resident_id={resident.id}"), "/wishes")
    assert fresh(Wish, wish_id).resident_id == resident.id
    assert f'href="/wishes/{wish_id}"' in text_of(clients["resident0"].get("/wishes?mine=true"))
    no_one = post(worker, "/wishes", {"title": "轮椅"}, "/wishes")
    assert no_one.status_code == 302 and no_one.headers["Location"] == "/services"
    assert clients["vol0"].get("/service-requests/new").status_code == 403
    stranger = make_resident(building=make_building(grid=make_grid(community=make_community())), name="外人")
    assert worker.get(f"/services?resident_id={stranger.id}").status_code == 404
    assert worker.get("/services?resident_id=99999999999").status_code == 404


# --- the wish board -----------------------------------------------------------------------------------

def test_wishes_are_posted_claimed_fulfilled_and_confirmed(town, clients):
    resident, volunteer, neighbour = clients["resident0"], clients["vol0"], clients["resident1"]
    empty = post(resident, "/wishes", {"title": "", "description": ""}, "/wishes")
    assert empty.status_code == 422 and error_of(empty, "title") == "请输入 1 至 64 个字符。"
    wish_id = location_id(post(resident, "/wishes", {"title": "一根拐杖", "description": "腿脚不便"}, "/wishes"),
                          "/wishes")
    board = text_of(neighbour.get("/wishes"))
    assert f'href="/wishes/{wish_id}"' in board and "待认领" in board
    assert "李*" in text_of(neighbour.get(f"/wishes/{wish_id}"))  # others see a surname only
    assert "我来认领" not in text_of(neighbour.get(f"/wishes/{wish_id}"))

    page = f"/wishes/{wish_id}"
    version = lambda client: re.search(r'name="version" value="(\d+)"', text_of(client.get(page))).group(1)  # noqa: E731
    assert post(volunteer, f"{page}/move", {"to": "claimed", "version": version(volunteer)}, page).status_code == 302
    claimed = text_of(volunteer.get(page))
    assert "李秀英" in claimed and "近志愿者" in claimed and "心愿已完成" in claimed
    again = post(clients["vol1"], f"{page}/move", {"to": "claimed"}, page)
    assert again.status_code == 409 and "心愿现为“已认领”" in banner(again)
    assert post(volunteer, f"{page}/move", {"to": "fulfilled", "note": "送到家了", "version": version(volunteer)},
                page).status_code == 302
    assert post(resident, f"{page}/move", {"to": "confirmed", "version": version(resident)}, page).status_code == 302
    assert fresh(Wish, wish_id).state.value == "confirmed"
    mine = text_of(volunteer.get("/wishes?mine=true"))
    assert f'href="/wishes/{wish_id}"' in mine and "已确认" in mine


# --- access, notifications, English ----------------------------------------------------------------

def test_others_requests_are_404_and_staff_pages_403(town, clients, make_community, make_user, app_ctx):
    request_id = file_request(clients["resident0"], town)
    other = clients["resident1"]
    assert other.get(f"/service-requests/{request_id}").status_code == 404
    token = csrf_token(other, "/my/requests")
    assert other.post(f"/service-requests/{request_id}/move",
                      data={"to": "cancelled", "csrf_token": token}).status_code == 404
    assert f'href="/service-requests/{request_id}"' not in text_of(other.get("/my/requests"))
    for path in ("/service-requests", "/follow-ups", "/service-events/new"):
        assert other.get(path).status_code == 403, path
        assert clients["vol0"].get(path).status_code == 403, path

    make_user(communities=[make_community(name="别的社区")], username="outsider")
    outsider = logged_in(app_ctx, "outsider")
    assert outsider.get(f"/service-requests/{request_id}").status_code == 404
    assert f'href="/service-requests/{request_id}"' not in text_of(outsider.get("/service-requests?tab=open"))
    assert "义诊" not in text_of(outsider.get("/services"))


def test_every_notification_link_opens_a_page_for_its_reader(town, clients, make_event):
    event, slots = make_event(capacity_per_slot=1)
    request_id = file_request(clients["resident0"], town)
    move(clients["coord"], request_id, "accepted")
    first = location_id(book(clients["resident0"], event["id"], slots[0]["id"]), "/my/bookings")
    book(clients["resident1"], event["id"], slots[0]["id"], waitlist=True)
    post(clients["resident0"], f"/my/bookings/{first}/cancel", {}, f"/my/bookings/{first}")  # resident1 promoted
    post(clients["coord"], f"/service-events/{event['id']}/cancel", {"reason": "停电"}, f"/service-events/{event['id']}")
    wish_id = location_id(post(clients["resident0"], "/wishes", {"title": "读报"}, "/wishes"), "/wishes")
    page = f"/wishes/{wish_id}"
    version = re.search(r'name="version" value="(\d+)"', text_of(clients["vol0"].get(page))).group(1)
    post(clients["vol0"], f"{page}/move", {"to": "claimed", "version": version}, page)

    sent = db.session.execute(select(User.username, Notification.link).join(User, User.id == Notification.user_id)).all()
    for username, link in sent:
        response = clients[username].get(link)
        assert response.status_code == 200, (username, link, response.status_code)
    assert {link.split("/")[1] for _, link in sent} >= {"service-requests", "my", "service-events", "wishes"}


def test_the_pages_in_english(town, clients, make_event):
    resident = clients["resident0"]
    resident.get("/lang/en")
    menu = text_of(resident.get("/services"))
    assert "Community services" in menu and "At your home (上门)" in menu and "20 points" in menu
    assert re.search(r'href="/services" aria-current="page">Services<', menu)
    empty = post(resident, "/service-requests/new", request_form(resident, service_type_id=town["repair"].id,
                                                                 description=""), "/service-requests/new")
    assert empty.status_code == 422 and error_of(empty, "description") == "Enter 1 to 500 characters."
    request_id = file_request(resident, town)
    detail = text_of(resident.get(f"/service-requests/{request_id}"))
    assert "Waiting to be accepted" in detail and "Acceptance by Mon 11-30 09:10" in detail
    event, slots = make_event(capacity_per_slot=1)
    book(resident, event["id"], slots[0]["id"])
    full = book(clients["resident1"], event["id"], slots[0]["id"])
    assert "此时段已满" in text_of(full)  # resident1 kept Chinese
    clients["resident1"].get("/lang/en")
    assert "This time is full: choose another time or join the waiting list." in text_of(
        book(clients["resident1"], event["id"], slots[0]["id"]))


def test_a_refusal_is_worded_where_its_rule_is_in_each_readers_language(town, clients, make_event):
    """One rule, one code: the API answers in English unless its client asks for Chinese, the page in Chinese,
    and a state named in a refusal reads as the pages name it; no table translates anything back."""
    event, slots = make_event(capacity_per_slot=1)
    first, second = town["resident_apis"]
    assert first.post("/bookings", json={"slot_id": slots[0]["id"]}).status_code == 201
    english = second.post("/bookings", json={"slot_id": slots[0]["id"]})
    chinese = second.post("/bookings", json={"slot_id": slots[0]["id"]}, headers={"Accept-Language": "zh-CN"})
    assert english.status_code == chinese.status_code == 409
    assert english.json["error"] == chinese.json["error"] == "slot_full"
    assert english.json["errors"] == {"slot_id": ["This time is full: choose another time or join the waiting list."]}
    assert chinese.json["errors"] == {"slot_id": ["此时段已满：请选择其他时间或排队候补。"]}
    page = book(clients["resident1"], event["id"], slots[0]["id"])
    assert page.status_code == 409 and "此时段已满：请选择其他时间或排队候补。" in banner(page)

    request_id = file_request(clients["resident0"], town)
    skipped = [town["coordinator"].post(f"/service-requests/{request_id}/transitions", json={"to": "rated"},
                                        headers=headers) for headers in ({}, {"Accept-Language": "zh-CN"})]
    assert [r.json["error"] for r in skipped] == ["invalid_transition"] * 2
    assert skipped[0].json["message"] == "It is “Waiting to be accepted” now and cannot become “Rated”."
    assert skipped[1].json["message"] == "当前为“待受理”，不能变为“已评价”。"


def test_staff_tick_who_came_on_the_events_booking_list(town, clients, make_event, clock):
    """到场: once a slot has begun, its booked residents are ticked (and unticked) on the event's page."""
    event, slots = make_event()
    resident = town["residents"][0]
    coordinator = clients["coord"]
    page = f"/service-events/{event['id']}?resident_id={resident.id}"
    booking_id = location_id(post(coordinator, f"/service-events/{event['id']}/book",
                                  {"slot_id": slots[0]["id"], "waitlist": "false", "resident_id": resident.id},
                                  page), "/my/bookings")
    event_page = f"/service-events/{event['id']}"
    assert "登记到场" not in text_of(coordinator.get(event_page))  # not begun yet: nothing to tick
    clock.set(datetime.fromisoformat(slots[0]["starts_at"]))
    assert "到场：0 / 预约 1" in text_of(coordinator.get(event_page))
    ticked = post(coordinator, f"/bookings/{booking_id}/attended", {"attended": "true"}, event_page)
    assert ticked.status_code == 302 and fresh(Booking, booking_id).attended_at is not None
    shown = text_of(coordinator.get(event_page))
    assert "到场：1 / 预约 1" in shown and "已到场 ✓" in shown
    post(coordinator, f"/bookings/{booking_id}/attended", {"attended": "false"}, event_page)
    assert fresh(Booking, booking_id).attended_at is None
    resident_client = clients["resident0"]
    assert resident_client.post(f"/bookings/{booking_id}/attended", data={
        "attended": "true", "csrf_token": csrf_token(resident_client, "/services")}).status_code == 403
