"""The visits API: the log's CRUD, needs passed on, overdue and households lists, frequencies,
the month's report and the 走访台账 workbook (typed text never becomes a formula)."""
import io

import pytest
from openpyxl import load_workbook

from tests.support.visits import NOW
from volunteer_app.extensions import db
from volunteer_app.service_requests.models import ServiceRequest


@pytest.fixture()
def apis(area, api_as):
    return {name: api_as(user) for name, user in area.users.items()}


def visit_body(area, name="王奶奶", **changes):
    return {"resident_id": area.residents[name].id, "kind": "key_group", "findings": "身体不错",
            "needs": [{"description": "楼道灯不亮"}], **changes}


def test_a_grid_worker_records_reads_corrects_and_deletes_a_visit(area, apis):
    api = apis["grid_worker"]
    created = api.post("/visits", json=visit_body(area))
    assert created.status_code == 201, created.json
    body = created.json
    assert body["resident_name"] == "王奶奶" and body["visitor_name"] == "测试用户"
    assert body["visited_at"] == "2026-11-30T09:00" and body["needs"][0]["outcome"] == "open"
    listed = api.get("/visits", query_string={"month": "2026-11", "kind": "key_group"}).json
    assert [v["id"] for v in listed["items"]] == [body["id"]]
    assert api.get("/visits", query_string={"month": "2026-10"}).json["total"] == 0
    patched = api.patch(f"/visits/{body['id']}", json={"version": body["version"], "findings": "补记：血压偏高"})
    assert patched.status_code == 200 and patched.json["findings"] == "补记：血压偏高"
    stale = api.patch(f"/visits/{body['id']}", json={"version": body["version"], "findings": "旧"})
    assert stale.status_code == 409 and stale.json["error"] == "stale"
    assert api.delete(f"/visits/{body['id']}").status_code == 204
    assert api.get(f"/visits/{body['id']}").status_code == 404


def test_refusals_name_their_field_and_code(area, apis):
    api = apis["grid_worker"]
    nowhere = api.post("/visits", json={"findings": "无"})
    assert nowhere.status_code == 422 and nowhere.json["error"] == "place_required" and "resident_id" in nowhere.json["errors"]
    other_grid = api.post("/visits", json=visit_body(area, "刘家"))
    assert other_grid.status_code == 422 and other_grid.json["error"] == "out_of_scope"
    future = api.post("/visits", json=visit_body(area, visited_at="2026-11-30T10:00"))
    assert future.status_code == 422 and future.json["error"] == "visit_in_future"
    assert apis["volunteer"].get("/visits").status_code == 403
    assert apis["volunteer"].post("/visits", json=visit_body(area)).status_code == 403


def test_a_need_is_filed_as_a_request_or_posted_as_a_wish(area, apis):
    api = apis["coordinator"]
    visit = api.post("/visits", json=visit_body(area, needs=[{"description": "厨房下水道堵了"},
                                                             {"description": "想要一台收音机"}])).json
    first, second = (need["id"] for need in visit["needs"])
    filed = api.post(f"/visits/{visit['id']}/needs/{first}/request", json={"service_type_id": area.repair.id})
    assert filed.status_code == 201, filed.json
    request = db.session.get(ServiceRequest, filed.json["request_id"])
    assert request.resident_id == area.residents["王奶奶"].id and request.description == "厨房下水道堵了"
    again = api.post(f"/visits/{visit['id']}/needs/{first}/wish", json={"title": "下水"})
    assert again.status_code == 409 and again.json["error"] == "already_passed_on"
    wished = api.post(f"/visits/{visit['id']}/needs/{second}/wish", json={"title": "收音机"})
    assert wished.status_code == 201 and wished.json["wish_id"] and wished.json["outcome"] == "in_progress"
    added = api.post(f"/visits/{visit['id']}/needs", json={"description": "换了灯泡", "solved_on_spot": True})
    assert added.status_code == 201 and added.json["outcome"] == "solved"


def test_overdue_households_and_the_months_report(area, apis):
    api = apis["coordinator"]
    api.post("/visits", json=visit_body(area, "王奶奶", visited_at="2026-11-20T10:00"))  # 10 days: overdue
    api.post("/visits", json=visit_body(area, "张家", kind="routine"))
    overdue = api.get("/visits/overdue").json
    assert {d["resident_name"]: d["days_overdue"] for d in overdue["items"]} == {
        "王奶奶": 3, "李大爷": None, "赵家": None, "陈阿姨": None}
    assert overdue["items"][-1]["resident_name"] == "王奶奶"  # never visited first
    households = api.get("/visits/households", query_string={"unvisited_in": "2026-11"}).json
    assert {h["resident_name"] for h in households["items"]} == {"李大爷", "赵家", "刘家", "陈阿姨"}
    report = api.get("/visits/report", query_string={"month": "2026-11"}).json
    assert report["month"] == "2026-11"
    assert (report["totals"]["households"], report["totals"]["households_visited"], report["totals"]["coverage"]) == (
        6, 2, round(2 / 6, 4))
    assert [row["name"] for row in report["communities"]] == ["维北社区"]
    bad = api.get("/visits/report", query_string={"month": "2026-13"})
    assert bad.status_code == 422 and "query.month" in bad.json["errors"]
    assert api.get("/visits/report", query_string={"community_id": area.elsewhere.community_id}).status_code == 404


def test_frequencies_are_read_by_grid_workers_and_set_by_coordinators(area, apis):
    url = f"/communities/{area.community.id}/visit-frequencies"
    read = apis["grid_worker"].get(url).json
    assert {row["group"]: (row["every_days"], row["is_default"]) for row in read["frequencies"]} == {
        "elderly_alone": (7, True), "childless_elderly": (7, True), "disabled": (30, True), "low_income": (30, True),
        "hardship": (30, True)}
    body = {"frequencies": [{"group": "disabled", "every_days": 14}]}
    assert apis["grid_worker"].put(url, json=body).status_code == 404
    saved = apis["coordinator"].put(url, json=body)
    assert saved.status_code == 200
    assert {row["group"]: row["every_days"] for row in saved.json["frequencies"]}["disabled"] == 14
    twice = apis["coordinator"].put(url, json={"frequencies": [{"group": "disabled", "every_days": 14},
                                                               {"group": "disabled", "every_days": 10}]})
    assert twice.status_code == 422 and "frequencies" in twice.json["errors"]
    assert apis["coordinator"].put(url, json={"frequencies": [{"group": "hardship", "every_days": 0}]}).status_code == 422


def test_the_ledger_keeps_typed_text_as_text(area, apis):
    api = apis["coordinator"]
    api.post("/visits", json=visit_body(area, findings="=HYPERLINK(\"http://x\")", needs=[
        {"description": "+86 电话打不通"}, {"description": "-1 度太冷"}, {"description": "@居委会 请回电"}]))
    api.post("/visits", json={"building_id": area.building_b.id, "kind": "night", "findings": "楼道畅通",
                              "visited_at": "2026-10-31T20:00"})
    response = api.get("/visits/export.xlsx", query_string={"month": "2026-11"})
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["走访台账", "诉求明细"]
    visits, needs = book["走访台账"], book["诉求明细"]
    assert [c.value for c in visits[2]][:7] == ["编号", "走访时间", "社区", "网格", "楼栋", "门牌", "走访对象"]
    row = {header.value: cell for header, cell in zip(visits[2], visits[3])}
    assert visits.max_row == 3  # October's building visit is another month
    assert row["走访时间"].value == NOW.strftime("%Y-%m-%d %H:%M") and row["走访对象"].value == "王奶奶"
    assert row["走访类型"].value == "重点人群走访" and row["重点人群"].value == "独居老人"
    typed = [row["发现情况"]] + [needs.cell(row=r, column=6) for r in (3, 4, 5)]
    assert [c.value for c in typed] == ["=HYPERLINK(\"http://x\")", "+86 电话打不通", "-1 度太冷", "@居委会 请回电"]
    assert all(c.data_type == "s" and c.quotePrefix for c in typed)
    assert apis["volunteer"].get("/visits/export.xlsx").status_code == 403
    assert apis["stranger"].get("/visits/export.xlsx", query_string={"month": "2026-11"}).status_code == 200
