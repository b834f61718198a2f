"""Words at their source: a refusal of the people, places, accounts and import rules is written where the rule
is, with a stable code; the API answers in the language its client asks for (English by default), a page in
the page's; marshmallow's own messages are set once to the same sentences."""
import io
import re

import openpyxl

import pytest

from tests.support.pages import csrf_token, logged_in, text_of
from volunteer_app.accounts.models import Role
from volunteer_app.extensions import db
from volunteer_app.people.transfer import VOLUNTEERS
from volunteer_app.places.models import Community

ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture()
def place(make_grid, make_station):
    grid = make_grid(name="第一网格")
    community = db.session.get(Community, grid.community_id)
    return {"grid": grid, "community_id": community.id, "station": make_station(community=community, name="维北红色驿站")}


def volunteer_payload(grid, **changes) -> dict:
    return {"name": "王芳", "phone": "13812345678", "community_id": grid.community_id, "grid_id": grid.id,
            "max_hours_per_week": 6, **changes}


def test_a_service_refusal_reads_in_the_readers_language_with_one_code(app_ctx, place, make_grid, make_user, admin_api):
    other_grid = make_grid(name="外社区网格")
    payload = volunteer_payload(place["grid"], grid_id=other_grid.id)
    english, chinese = admin_api.post("/volunteers", json=payload), admin_api.post("/volunteers", json=payload, headers=ZH)
    assert english.status_code == chinese.status_code == 422
    assert english.json["error"] == chinese.json["error"] == "other_community"
    assert english.json["errors"] == {"grid_id": ["Not in the chosen community."]}
    assert chinese.json["errors"] == {"grid_id": ["不在所选社区内。"]}
    assert (english.json["message"], chinese.json["message"]) == ("The grid is in another community.", "该网格属于其他社区。")

    make_user(role=Role.admin, username="boss")
    pages = logged_in(app_ctx, "boss")
    form = {"name": "赵敏", "phone": "13912345678", "community_id": place["community_id"], "grid_id": other_grid.id,
            "holiday_mode": "off", "max_hours_per_week": "6", "max_distance_m": "1500", "status": "active",
            "joined_on": "2026-03-01", "csrf_token": csrf_token(pages, "/volunteers/new")}
    page = pages.post("/volunteers/new", data=form)
    assert page.status_code == 422, re.findall(r'id="([^"]+)-error">([^<]*)<', text_of(page))
    assert re.search(r'id="grid_id-error">不在所选社区内。<', text_of(page))


def test_a_place_conflict_names_its_code_in_both_languages(place, admin_api):
    station = place["station"]
    body = {"code": station.code, "name": "重复", "station_type": "red_post", "community_id": place["community_id"],
            "lat": 43.88, "lon": 125.32}
    english, chinese = admin_api.post("/stations", json=body), admin_api.post("/stations", json=body, headers=ZH)
    assert english.status_code == chinese.status_code == 409
    assert english.json["error"] == chinese.json["error"] == "duplicate_code"
    assert english.json["message"] == f"The code {station.code} is already in use."
    assert chinese.json["message"] == f"编码 {station.code} 已被使用。"
    assert chinese.json["errors"] == {"code": [f"已被 {station.id} 号记录使用。"]}


def test_an_accounts_refusal_reads_in_the_readers_language(admin_api):
    query = {"start": "2026-03-01", "end": "2026-01-01"}
    english = admin_api.get("/holidays", query_string=query)
    chinese = admin_api.get("/holidays", query_string=query, headers=ZH)
    assert english.json["error"] == chinese.json["error"] == "bad_range"
    assert english.json["errors"] == {"end": ["Must be after the start and within 366 days of it."]}
    assert chinese.json["errors"] == {"end": ["须晚于开始日期，且相隔不超过 366 天。"]}


def test_import_rows_read_in_the_readers_language(place, admin_api):
    book = openpyxl.Workbook()
    book.active.append([column.header for column in VOLUNTEERS.columns])
    book.active.append(["赵敏", "13912345678", None, "nowhere", "nowhere-g1"])
    data = io.BytesIO()
    book.save(data)

    def upload(**headers):
        return admin_api.post("/import/volunteers", data={"file": (io.BytesIO(data.getvalue()), "v.xlsx")},
                              content_type="multipart/form-data", headers=headers)

    english, chinese = upload(), upload(**ZH)
    assert english.json["error"] == chinese.json["error"] == "rows_have_errors"
    assert english.json["message"] == "1 of 1 rows have errors; nothing was imported."
    assert chinese.json["message"] == "1 行中有 1 行有错误，未导入任何数据。"
    rows = {row["column"]: row["message"] for row in chinese.json["errors"]["rows"]}
    assert rows["社区编码"] == "在您管辖的范围内没有编码为 nowhere 的地点。"


def test_marshmallow_messages_are_set_once_to_translatable_sentences(place, admin_api):
    payload = volunteer_payload(place["grid"], name="", max_hours_per_week="many")
    del payload["phone"]
    english, chinese = admin_api.post("/volunteers", json=payload), admin_api.post("/volunteers", json=payload, headers=ZH)
    assert english.json["errors"]["phone"] == ["This field is required."]
    assert chinese.json["errors"]["phone"] == ["此项必填。"]
    assert chinese.json["errors"]["max_hours_per_week"] == ["请输入整数。"]
    assert english.json["errors"]["name"] == ["Enter 1 to 32 characters."]
