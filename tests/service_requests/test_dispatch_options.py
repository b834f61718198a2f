"""Dispatch offers every volunteer of the community, best first: the suitable ones to choose,
the others with what stops them (distance, skill, busy, hours, leave)."""
from datetime import date, datetime

import pytest

from tests.support.pages import logged_in, text_of
from tests.support.services import file, move
from volunteer_app.accounts.policy import Actor
from volunteer_app.extensions import db
from volunteer_app.people.models import AvailabilityException, DaySelector, VolunteerStatus
from volunteer_app.service_requests import service
from volunteer_app.service_requests.models import ServiceRequest

ALL_DAY = [(DaySelector.workdays, "08:00", "20:00"), (DaySelector.rest_days, "08:00", "20:00")]


@pytest.fixture()
def crowd(town, make_volunteer, make_skill):
    """Next to the town's two able volunteers, one of each kind who cannot take Tuesday's repair at 14:00."""
    repair = town["repair"]
    skill = town["volunteers"][0].skills[0]
    grid = town["grid"]

    def able(name, **fields):
        return make_volunteer(grid=grid, name=name, skills=[skill], slots=fields.pop("slots", ALL_DAY), **fields)

    people = {
        "no_skill": make_volunteer(grid=grid, name="无技能", slots=ALL_DAY),
        "paused": able("暂停者", status=VolunteerStatus.paused),
        "away": able("请假者"),
        "evenings": able("晚上有空", slots=[(DaySelector.workdays, "18:00", "21:00")]),
        "distant": able("住得远"),
        "busy": able("正忙"),
        "tired": able("时长满", max_hours_per_week=1),
        "gone": able("已退出", status=VolunteerStatus.left),
    }
    people["away"].exceptions = [AvailabilityException(on_date=date(2026, 12, 1), available=False, note="探亲")]
    people["distant"].lat += 0.05
    db.session.commit()
    coordinator = town["coordinator"]
    for volunteer, start in ((people["busy"], "2026-12-01T14:30"), (people["tired"], "2026-12-02T10:00")):
        other = file(town["resident_apis"][1], town, preferred_windows=[]).json
        move(coordinator, other["id"], "accepted")
        moved = move(coordinator, other["id"], "dispatched", volunteer_id=volunteer.id, start=start)
        assert moved.status_code == 200, moved.json
    request = file(town["resident_apis"][0], town, service_type_id=repair.id).json
    assert move(coordinator, request["id"], "accepted").status_code == 200
    return {"request_id": request["id"], **people}


def test_every_volunteer_is_ranked_with_what_stops_the_unsuitable(town, crowd):
    options = service.dispatch_options(Actor.system(), db.session.get(ServiceRequest, crowd["request_id"]))
    near, far = town["volunteers"]
    assert [(o.volunteer.id, o.suitable) for o in options[:2]] == [(near.id, True), (far.id, True)]
    assert options[0].distance_m < options[1].distance_m
    reasons = {o.volunteer.name: [code for code, _ in o.reasons] for o in options[2:]}
    assert reasons == {"无技能": ["lacks_skills"], "暂停者": ["paused"], "请假者": ["on_leave"],
                       "晚上有空": ["not_available"], "住得远": ["too_far"], "正忙": ["busy"], "时长满": ["over_hours"]}
    assert not any(o.suitable for o in options[2:])
    details = {o.volunteer.name: dict(o.reasons) for o in options}
    assert details["无技能"]["lacks_skills"] == {"skills": ["repair"]}
    assert details["住得远"]["too_far"] == {"limit_m": 2000}
    assert details["正忙"]["busy"] == {"start": datetime(2026, 12, 1, 14, 30), "end": datetime(2026, 12, 1, 15, 30)}
    assert details["时长满"]["over_hours"] == {"free_minutes": 0, "needed_minutes": 60}


def test_the_picker_offers_the_suitable_and_greys_the_others_with_their_reason(town, crowd, app_ctx):
    page = text_of(logged_in(app_ctx, "coord").get(f"/service-requests/{crowd['request_id']}"))
    near = town["volunteers"][0]
    assert f'<option value="{near.id}">近志愿者' in page
    for name, reason in (("无技能", "缺少技能：维修"), ("暂停者", "已暂停服务"), ("请假者", "该时段请假"),
                         ("晚上有空", "该时段没空"), ("住得远", "超出其 2000 米服务范围"),
                         ("正忙", "该时段已有任务：周二 12-01 14:30–15:30"),
                         ("时长满", "超出每周服务时长（剩 0 分钟，需 60 分钟）")):
        option = next(line for line in page.splitlines() if f">{name}" in line)
        assert "disabled" in option and reason in option, (name, option)
    assert "已退出" not in page
    assert page.index("近志愿者") < page.index("远志愿者") < page.index("无技能")


def test_namesakes_in_the_picker_are_told_apart(town, make_volunteer, app_ctx):
    skill = town["volunteers"][0].skills[0]
    for phone in ("13900001111", "13900002222"):
        make_volunteer(grid=town["grid"], name="周岩", phone=phone, skills=[skill], slots=ALL_DAY)
    request = file(town["resident_apis"][0], town).json
    move(town["coordinator"], request["id"], "accepted")
    page = text_of(logged_in(app_ctx, "coord").get(f"/service-requests/{request['id']}"))
    grid = town["grid"].name
    assert f">周岩（{grid} · 尾号 1111） · " in page and f">周岩（{grid} · 尾号 2222） · " in page
