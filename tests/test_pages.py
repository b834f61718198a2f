"""Server-rendered pages: login, language, registry lists and forms, scope and masking."""
import re

import pytest
from sqlalchemy import select

from tests.support.pages import CSRF, PASSWORD, csrf_token, text_of
from volunteer_app.accounts.models import Role
from volunteer_app.extensions import db
from volunteer_app.people.models import (
    DaySelector, PartyMemberReport, PriorityGroup, Resident, ServiceLog, Volunteer, VolunteerStatus,
)
from volunteer_app.places.models import Community, Station, StationType

def login(client, user, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": user.username, "password": password, "csrf_token": token})


def shown_errors(response) -> dict:
    """Field errors on a re-shown form, for assertion messages."""
    return dict(re.findall(r'id="([^"]+)-error">([^<]*)<', text_of(response)))


@pytest.fixture()
def place(make_grid, make_building, make_station, make_skill):
    """One community with a grid, a building, a station and two skills."""
    grid = make_grid(name="第一网格")
    building = make_building(grid=grid, name="3号楼")
    station = make_station(community=db.session.get(Community, grid.community_id), name="维北红色驿站")
    haircut = make_skill(code="haircut", name_zh="理发", name_en="Haircut")
    clinic = make_skill(code="clinic", name_zh="义诊", name_en="Free clinic")
    return {"grid": grid, "community_id": grid.community_id, "building": building, "station": station,
            "skills": (haircut, clinic)}


@pytest.fixture()
def coordinator(make_user, place):
    return make_user(role=Role.coordinator, communities=[db.session.get(Community, place["community_id"])],
                     username="wang")


@pytest.fixture()
def staff_client(client, coordinator):
    response = login(client, coordinator)
    assert response.status_code == 302
    return client


def volunteer_form(place, **overrides) -> dict:
    data = {
        "name": "赵敏", "phone": "13912345678", "id_number": "", "community_id": str(place["community_id"]),
        "grid_id": str(place["grid"].id), "building_id": str(place["building"].id), "lat": "", "lon": "",
        "skills": ["haircut", "clinic"], "availability-0-days": "workdays", "availability-0-start": "18:00",
        "availability-0-end": "21:00", "availability-1-days": "sat", "availability-1-start": "",
        "availability-1-end": "", "availability-2-days": "rest_days", "availability-2-start": "09:00",
        "availability-2-end": "11:30", "holiday_mode": "off", "max_hours_per_week": "6",
        "max_distance_m": "1500", "status": "active", "joined_on": "2026-03-01",
    }
    data.update(overrides)
    return data


# --- login, logout, language ----------------------------------------------------------------

def test_login_page_is_chinese_by_default(client):
    page = client.get("/login")
    html = text_of(page)
    assert page.status_code == 200
    assert 'lang="zh-CN"' in html and "登录" in html and "用户名" in html


def test_login_page_uses_only_local_assets(client):
    html = text_of(client.get("/login"))
    assert "http://" not in html and "https://" not in html
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
        with client.get(asset) as response:
            assert response.status_code == 200, asset


def test_english_after_language_switch(client):
    switched = client.get("/lang/en", headers={"Referer": "http://localhost/login"})
    assert switched.status_code == 302 and switched.headers["Location"] == "/login"
    html = text_of(client.get("/login"))
    assert 'lang="en"' in html and "Log in" in html and "Username" in html and "登录" not in html
    client.get("/lang/zh_CN")
    assert "用户名" in text_of(client.get("/login"))


def test_language_switch_never_redirects_off_site(client):
    response = client.get("/lang/en", headers={"Referer": "https://evil.example/phish"})
    assert response.headers["Location"] == "/"


def test_login_success_shows_home_with_communities(client, coordinator, place, make_volunteer, make_resident):
    make_volunteer(grid=place["grid"])
    make_volunteer(grid=place["grid"], name="李娜")
    make_resident(building=place["building"])
    response = login(client, coordinator)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = text_of(client.get("/"))
    code = db.session.get(Community, place["grid"].community_id).code
    assert "维北社区" in home and code not in home  # a card names its community; the code is for files and the API
    counts = re.findall(r"<dd><a [^>]*>(\d+)</a></dd>", home)
    assert counts == ["2", "1", "1"]  # volunteers, residents, stations
    assert "退出" in home  # logout button
    assert 'action="/logout"' in home


def test_home_lists_only_the_coordinators_communities(client, coordinator, make_community):
    make_community(name="别的社区")
    login(client, coordinator)
    home = text_of(client.get("/"))
    assert "维北社区" in home and "别的社区" not in home


def test_a_grid_worker_sees_the_community_of_their_grid(client, make_user, place, make_volunteer):
    """Scoped to one grid: home counts only that grid's records (grids are in their own grid)."""
    make_volunteer(grid=place["grid"])
    worker = make_user(role=Role.coordinator, grids=[place["grid"]], username="grid-worker")
    login(client, worker)
    home = client.get("/")
    assert home.status_code == 200 and "维北社区" in text_of(home)


def test_login_wrong_password_shows_error(client, coordinator):
    response = login(client, coordinator, password="wrong-password")
    html = text_of(response)
    assert response.status_code == 200
    assert "用户名或密码错误" in html
    assert 'value="wang"' in html  # the username stays filled in
    assert client.get("/").status_code == 302  # still logged out


def test_next_parameter_stays_on_site(client, coordinator):
    token = csrf_token(client, "/login")
    response = client.post("/login?next=//evil.example/x",
                           data={"username": "wang", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_login_rate_limit_answers_429_with_friendly_page(app, client, coordinator, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    token = csrf_token(client, "/login")
    for _ in range(3):
        response = client.post("/login", data={"username": "wang", "password": "nope-nope", "csrf_token": token})
        assert response.status_code == 200
    blocked = client.post("/login", data={"username": "wang", "password": PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429
    assert "尝试次数过多" in text_of(blocked)
    assert client.get("/login").status_code == 200  # only POSTs are limited


def test_logout_needs_post_with_csrf(staff_client):
    assert staff_client.get("/logout").status_code == 405
    assert staff_client.post("/logout").status_code == 403
    token = csrf_token(staff_client, "/volunteers")
    assert staff_client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert staff_client.get("/volunteers").status_code == 302  # back to login


def test_pages_need_login(client):
    response = client.get("/volunteers")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# --- CSRF -----------------------------------------------------------------------------------

def test_login_without_csrf_token_is_refused(client, coordinator):
    client.get("/login")
    response = client.post("/login", data={"username": "wang", "password": PASSWORD})
    assert response.status_code == 403
    assert "表单已过期" in text_of(response)


def test_forms_without_csrf_token_are_refused(staff_client, place):
    response = staff_client.post("/volunteers/new", data=volunteer_form(place))
    assert response.status_code == 403
    assert db.session.scalar(select(Volunteer.id)) is None


# --- volunteers -----------------------------------------------------------------------------

def test_create_volunteer_via_form(staff_client, place):
    form = volunteer_form(place, csrf_token=csrf_token(staff_client, "/volunteers/new"))
    response = staff_client.post("/volunteers/new", data=form)
    assert response.status_code == 302, shown_errors(response)
    assert response.headers["Location"] == "/volunteers"
    volunteer = db.session.scalar(select(Volunteer).where(Volunteer.name == "赵敏"))
    assert volunteer.phone == "13912345678" and volunteer.building_id == place["building"].id
    assert [s.code for s in volunteer.skills] == ["clinic", "haircut"]
    assert [(s.days, s.start.strftime("%H:%M"), s.end.strftime("%H:%M")) for s in volunteer.availability] == [
        (DaySelector.workdays, "18:00", "21:00"), (DaySelector.rest_days, "09:00", "11:30")]
    assert volunteer.max_hours_per_week == 6 and volunteer.holiday_mode.value == "off"
    assert (volunteer.lat, volunteer.lon) == (place["building"].lat, place["building"].lon)
    listing = text_of(staff_client.get("/volunteers?q=赵敏"))
    assert "已保存" in listing and "赵敏" in listing and "139****5678" in listing


def test_validation_error_names_the_field(staff_client, place):
    form = volunteer_form(place, phone="123", **{"availability-0-end": "17:00"},
                          csrf_token=csrf_token(staff_client, "/volunteers/new"))
    response = staff_client.post("/volunteers/new", data=form)
    html = text_of(response)
    assert response.status_code == 422
    phone_error = re.search(r'<p class="field-error" id="phone-error">([^<]+)</p>', html)
    assert phone_error and "手机号" in phone_error.group(1)
    assert 'aria-describedby="phone-error"' in html
    assert re.search(r'id="availability-0-end-error">[^<]*结束时间', html)
    assert 'value="赵敏"' in html  # what was typed is kept
    assert db.session.scalar(select(Volunteer.id)) is None


def test_missing_required_field_is_named(staff_client, place):
    form = volunteer_form(place, name="", grid_id="", csrf_token=csrf_token(staff_client, "/volunteers/new"))
    html = text_of(response := staff_client.post("/volunteers/new", data=form))
    assert response.status_code == 422
    assert re.search(r'id="name-error">此项必填', html) and re.search(r'id="grid_id-error">此项必填', html)


def test_service_rule_error_is_shown_on_the_field(staff_client, place, make_grid):
    other_grid = make_grid(name="外社区网格")
    form = volunteer_form(place, grid_id=str(other_grid.id), building_id="",
                          csrf_token=csrf_token(staff_client, "/volunteers/new"))
    response = staff_client.post("/volunteers/new", data=form)
    assert response.status_code == 422
    assert re.search(r'id="grid_id-error">[^<]+', text_of(response))


def test_duplicate_phone_names_the_existing_volunteer(staff_client, place, make_volunteer):
    existing = make_volunteer(grid=place["grid"], name="钱多多", phone="13912345678")
    form = volunteer_form(place, csrf_token=csrf_token(staff_client, "/volunteers/new"))
    response = staff_client.post("/volunteers/new", data=form)
    html = text_of(response)
    assert response.status_code == 409
    assert "钱多多" in html and f"/volunteers/{existing.id}/edit" in html
    assert db.session.scalar(select(Volunteer).where(Volunteer.name == "赵敏")) is None


def test_edit_volunteer_keeps_masked_phone_when_left_blank(staff_client, place, make_volunteer):
    volunteer = make_volunteer(grid=place["grid"], name="孙悟", phone="13800001111")
    page = text_of(staff_client.get(f"/volunteers/{volunteer.id}/edit"))
    assert "13800001111" not in page and "138****1111" in page
    assert f'name="version" value="{volunteer.version}"' in page
    form = volunteer_form(place, name="孙悟空", phone="", version=str(volunteer.version),
                          csrf_token=csrf_token(staff_client, "/volunteers/new"))
    response = staff_client.post(f"/volunteers/{volunteer.id}/edit", data=form)
    assert response.status_code == 302
    db.session.expire_all()
    changed = db.session.get(Volunteer, volunteer.id)
    assert changed.name == "孙悟空" and changed.phone == "13800001111" and changed.version > 1


def test_edit_with_stale_version_shows_conflict(staff_client, place, make_volunteer):
    volunteer = make_volunteer(grid=place["grid"], name="周到")
    token = csrf_token(staff_client, "/volunteers/new")
    first = staff_client.post(f"/volunteers/{volunteer.id}/edit",
                              data=volunteer_form(place, name="周到一", phone="", version="1", csrf_token=token))
    assert first.status_code == 302
    second = staff_client.post(f"/volunteers/{volunteer.id}/edit",
                               data=volunteer_form(place, name="周到二", phone="", version="1", csrf_token=token))
    assert second.status_code == 409
    assert "其他人修改" in text_of(second)
    db.session.expire_all()
    assert db.session.get(Volunteer, volunteer.id).name == "周到一"


def test_list_masks_phones_without_pii_permission(client, make_user, place, make_volunteer):
    make_volunteer(grid=place["grid"], name="吴用", phone="13700002222")
    community = db.session.get(Community, place["community_id"])
    plain = make_user(communities=[community], username="plain")
    login(client, plain)
    html = text_of(client.get("/volunteers"))
    assert "137****2222" in html and "13700002222" not in html
    client.post("/logout", data={"csrf_token": csrf_token(client, "/volunteers")})
    trusted = make_user(communities=[community], pii=True, username="trusted")
    login(client, trusted)
    assert "13700002222" in text_of(client.get("/volunteers"))


def test_list_search_and_filters(staff_client, place, make_volunteer):
    haircut, clinic = place["skills"]
    make_volunteer(grid=place["grid"], name="甲理发", skills=[haircut])
    make_volunteer(grid=place["grid"], name="乙义诊", skills=[clinic], status=VolunteerStatus.paused)
    assert "乙义诊" not in text_of(staff_client.get("/volunteers?q=甲"))
    by_skill = text_of(staff_client.get("/volunteers?skill=clinic"))
    assert "乙义诊" in by_skill and "甲理发" not in by_skill
    by_status = text_of(staff_client.get("/volunteers?status=active"))
    assert "甲理发" in by_status and "乙义诊" not in by_status
    # a malformed filter is ignored rather than failing the page
    assert staff_client.get("/volunteers?grid_id=abc&page=0").status_code == 200


def test_list_is_paginated(staff_client, place, make_volunteer):
    for n in range(23):
        make_volunteer(grid=place["grid"], name=f"志愿者{n:02d}")
    first = text_of(staff_client.get("/volunteers"))
    assert "第 1/2 页" in first and 'href="/volunteers?page=2"' in first
    second = text_of(staff_client.get("/volunteers?page=2"))
    assert second.count('data-label="姓名"') == 3


def test_out_of_scope_record_is_404(staff_client, make_volunteer, make_resident, make_station):
    stranger = make_volunteer(name="外人")
    resident = make_resident()
    station = make_station()
    for path in (f"/volunteers/{stranger.id}/edit", f"/residents/{resident.id}/edit",
                 f"/stations/{station.id}/edit", "/volunteers/999999/edit"):
        response = staff_client.get(path)
        assert response.status_code == 404, path
        assert "不存在" in text_of(response)
    assert "外人" not in text_of(staff_client.get("/volunteers"))


# --- party-member reports, residents, stations ----------------------------------------------

def test_create_party_report_with_claimed_post_and_progress(staff_client, place, make_volunteer):
    volunteer = make_volunteer(grid=place["grid"], name="党员甲")
    station = place["station"]
    form = {
        "csrf_token": csrf_token(staff_client, "/party-reports/new"), "volunteer_id": str(volunteer.id),
        "community_id": str(place["community_id"]), "work_unit": "市税务局", "party_organization": "市税务局机关党委",
        "reported_on": "2026-02-01", "yearly_target_hours": "10",
        "claimed_posts-0-station_id": str(station.id), "claimed_posts-0-weekday": "5",
        "claimed_posts-0-start": "09:00", "claimed_posts-0-end": "11:00",
        "claimed_posts-1-station_id": "", "claimed_posts-1-weekday": "0",
        "claimed_posts-1-start": "", "claimed_posts-1-end": "",
    }
    assert staff_client.post("/party-reports/new", data=form).status_code == 302
    report = db.session.scalar(select(PartyMemberReport))
    assert report.work_unit == "市税务局" and len(report.claimed_posts) == 1
    assert report.claimed_posts[0].weekday == 5
    from datetime import date
    db.session.add(ServiceLog(volunteer_id=volunteer.id, served_on=date.today(), minutes=180))
    db.session.commit()
    listing = text_of(staff_client.get("/party-reports"))
    assert "党员甲" in listing and '<progress max="100" value="30"' in listing


def test_party_report_bad_post_names_the_row(staff_client, place, make_volunteer):
    volunteer = make_volunteer(grid=place["grid"])
    form = {
        "csrf_token": csrf_token(staff_client, "/party-reports/new"), "volunteer_id": str(volunteer.id),
        "community_id": str(place["community_id"]), "work_unit": "单位", "party_organization": "党支部",
        "reported_on": "2026-02-01", "claimed_posts-0-station_id": str(place["station"].id),
        "claimed_posts-0-weekday": "5", "claimed_posts-0-start": "11:00", "claimed_posts-0-end": "09:00",
    }
    response = staff_client.post("/party-reports/new", data=form)
    assert response.status_code == 422
    assert re.search(r'id="claimed_posts-0-end-error">', text_of(response))


def test_create_and_edit_resident(staff_client, place):
    token = csrf_token(staff_client, "/residents/new")
    form = {"csrf_token": token, "name": "郑大爷", "phone": "13600003333", "id_number": "",
            "building_id": str(place["building"].id), "household": "2单元301",
            "priority_groups": ["elderly_alone", "low_income"], "notes": "腿脚不便"}
    assert staff_client.post("/residents/new", data=form).status_code == 302
    resident = db.session.scalar(select(Resident))
    assert resident.grid_id == place["grid"].id
    assert {g.group for g in resident.priority_groups} == {PriorityGroup.low_income, PriorityGroup.elderly_alone}
    listing = text_of(staff_client.get("/residents?priority_group=elderly_alone"))
    assert "郑大爷" in listing and "独居老人" in listing and "136****3333" in listing
    form.update(priority_groups=["disabled"], phone="", version=str(resident.version))
    assert staff_client.post(f"/residents/{resident.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert [g.group for g in db.session.get(Resident, resident.id).priority_groups] == [PriorityGroup.disabled]


def test_create_station_with_opening_hours(staff_client, place):
    form = {
        "csrf_token": csrf_token(staff_client, "/stations/new"), "code": "WB-RP-9", "name": "维北9号红色驿站",
        "station_type": "red_post", "community_id": str(place["community_id"]), "grid_id": str(place["grid"].id),
        "address": "维北路9号", "lat": "43.88", "lon": "125.32", "closed_on_holidays": "y",
        "opening_hours-0-weekday": "5", "opening_hours-0-start": "08:00", "opening_hours-0-end": "12:00",
        "closures": "2026-10-01\n2026-10-02",
    }
    assert staff_client.post("/stations/new", data=form).status_code == 302
    station = db.session.scalar(select(Station).where(Station.code == "WB-RP-9"))
    assert station.station_type == StationType.red_post
    assert station.opening_hours == [{"weekday": 5, "start": "08:00", "end": "12:00"}]
    assert station.closures == ["2026-10-01", "2026-10-02"]
    listing = text_of(staff_client.get("/stations?station_type=red_post"))
    assert "维北9号红色驿站" in listing and "周六 08:00–12:00" in listing


def test_station_code_conflict_and_bad_location(staff_client, place):
    form = {
        "csrf_token": csrf_token(staff_client, "/stations/new"), "code": place["station"].code, "name": "重复",
        "station_type": "red_post", "community_id": str(place["community_id"]), "lat": "43.88", "lon": "125.32",
    }
    duplicate = staff_client.post("/stations/new", data=form)
    assert duplicate.status_code == 409 and "维北红色驿站" in text_of(duplicate)
    form.update(code="NEW-1", lat="95")
    bad = staff_client.post("/stations/new", data=form)
    assert bad.status_code == 422 and re.search(r'id="lat-error">', text_of(bad))


# --- roles ----------------------------------------------------------------------------------

def test_volunteer_sees_own_profile_not_the_registry(client, make_user, place, make_volunteer):
    volunteer = make_volunteer(grid=place["grid"], name="韩梅梅", skills=[place["skills"][0]])
    user = make_user(role=Role.volunteer, volunteer_id=volunteer.id, username="meimei")
    response = login(client, user)
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"] == "/my/week"
    profile = text_of(client.get("/me"))
    assert "韩梅梅" in profile and "理发" in profile and "工作日 18:00–21:00" in profile
    assert 'href="/volunteers"' not in profile  # navigation offers only what the role may use
    assert client.get("/volunteers").status_code == 403
    assert client.get(f"/volunteers/{volunteer.id}/edit").status_code == 403


def test_a_volunteer_chooses_whether_reports_may_name_them(client, make_user, place, make_volunteer):
    volunteer = make_volunteer(grid=place["grid"], name="韩梅梅")
    login(client, make_user(role=Role.volunteer, volunteer_id=volunteer.id, username="meimei"))
    profile = text_of(client.get("/me"))
    assert 'name="show_in_rankings" value="y">' in profile  # off until they say so
    token, version = CSRF.search(profile).group(1), str(volunteer.version)
    saved = client.post("/me/ranking-consent", data={"csrf_token": token, "show_in_rankings": "y",
                                                     "version": version})
    assert saved.status_code == 302 and saved.headers["Location"] == "/me"
    db.session.expire_all()
    assert db.session.get(Volunteer, volunteer.id).show_in_rankings is True
    profile = text_of(client.get("/me"))
    assert "光荣榜可以公开您的姓名" in profile and 'name="show_in_rankings" value="y" checked>' in profile
    stale = client.post("/me/ranking-consent", data={"csrf_token": token, "version": version})
    assert stale.status_code == 302 and "请重新选择" in text_of(client.get("/me"))
    db.session.expire_all()
    assert db.session.get(Volunteer, volunteer.id).show_in_rankings is True  # the stale form changed nothing


def test_resident_sees_own_profile(client, make_user, make_resident):
    resident = make_resident(name="李秀英", household="1单元101")
    user = make_user(role=Role.resident, resident_id=resident.id, username="xiuying")
    login(client, user)
    profile = text_of(client.get("/me"))
    assert "李秀英" in profile and "1单元101" in profile
    assert client.get("/residents").status_code == 403


def test_staff_navigation(staff_client):
    html = text_of(staff_client.get("/volunteers"))
    for path in ("/volunteers", "/party-reports", "/residents", "/stations"):
        assert f'href="{path}"' in html
    assert re.search(r'href="/volunteers" aria-current="page"', html)
