"""Excel / CSV import and export of the 台账: formats, row-by-row errors, all-or-nothing, scope, PII."""
import csv
import io
import zipfile
from datetime import date
from types import SimpleNamespace

import openpyxl
import pytest
from sqlalchemy import func, select

from tests.support.pages import CSRF, csrf_token
from volunteer_app.accounts.models import AuditLog, Role
from volunteer_app.extensions import db
from volunteer_app.people import transfer
from volunteer_app.people.models import DaySelector, Resident, Volunteer
from volunteer_app.people.transfer import RESIDENTS, VOLUNTEERS, Availability, CellError
from volunteer_app.people.transfer.cells import MASKED
from volunteer_app.spreadsheets import XLSX_MIME

HEADERS = [c.header for c in VOLUNTEERS.columns]


@pytest.fixture()
def district(make_community, make_grid, make_building, make_skill, make_user):
    """Two communities; a coordinator of the first; a small skill catalogue."""
    home = make_community(code="yongan", name="永安社区")
    other = make_community(code="xinghua", name="兴华社区")
    grid = make_grid(community=home, code="yongan-g1")
    other_grid = make_grid(community=other, code="xinghua-g1")
    make_skill(code="haircut", name_zh="理发", name_en="Haircut")
    make_skill(code="blood_pressure", name_zh="测血压", name_en="Blood pressure check")
    return SimpleNamespace(
        home=home, other=other, grid=grid, other_grid=other_grid,
        building=make_building(grid=grid, code="yongan-b01"),
        other_building=make_building(grid=other_grid, code="xinghua-b01"),
        coordinator=make_user(role=Role.coordinator, communities=[home]),
    )


def volunteer_row(phone="13900000001", **cells) -> dict:
    row = {"姓名": "王建国", "手机号": phone, "社区编码": "yongan", "网格编码": "yongan-g1", "楼栋编码": "yongan-b01",
           "技能": "理发、blood_pressure", "可服务时间": "工作日 18:00-21:00; 周六 09:00-12:00", "每周最多小时": 6,
           "最远距离(米)": 1500, "状态": "在册", "是否党员": "是", "加入日期": date(2024, 3, 1)}
    row.update(cells)
    return row


def xlsx(rows: list[dict], headers=HEADERS, title_rows=()) -> bytes:
    """A workbook as a coordinator would make it: plain openpyxl, not our writer."""
    book = openpyxl.Workbook()
    for line in title_rows:
        book.active.append(line)
    book.active.append(headers)
    for row in rows:
        book.active.append([row.get(h) for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[dict], encoding: str, headers=HEADERS) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if row.get(h) is None else row.get(h) for h in headers])
    return out.getvalue().encode(encoding)


def upload(api, data: bytes, kind="volunteers", filename="台账.xlsx", **form):
    return api.post(f"/import/{kind}", data={"file": (io.BytesIO(data), filename), **form},
                    content_type="multipart/form-data")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_xlsx_import_creates_volunteers_with_skills_and_availability(district, api_as):
    response = upload(api_as(district.coordinator), xlsx([volunteer_row(), volunteer_row("13900000002", 楼栋编码=None)]))
    assert response.status_code == 200, response.json
    assert response.json == {"created": 2, "dry_run": False, "ignored_columns": []}
    volunteer = db.session.scalar(select(Volunteer).where(Volunteer.phone == "13900000001"))
    assert (volunteer.community_id, volunteer.grid_id, volunteer.building_id) == (
        district.home.id, district.grid.id, district.building.id)
    assert [s.code for s in volunteer.skills] == ["blood_pressure", "haircut"]
    assert [(s.days, f"{s.start:%H:%M}", f"{s.end:%H:%M}") for s in volunteer.availability] == [
        (DaySelector.workdays, "18:00", "21:00"), (DaySelector.sat, "09:00", "12:00")]
    assert volunteer.is_party_member and volunteer.joined_on == date(2024, 3, 1) and volunteer.max_distance_m == 1500


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_utf8_with_or_without_bom_and_gbk(district, admin_api, encoding):
    data = csv_bytes([volunteer_row(), volunteer_row("13900000002", 姓名="李秀英")], encoding)
    response = upload(admin_api, data, filename="志愿者.csv")
    assert response.status_code == 200, response.json
    assert sorted(db.session.scalars(select(Volunteer.name))) == ["李秀英", "王建国"]


def test_title_rows_extra_columns_and_full_width_input_are_understood(district, admin_api):
    headers = ["序号", *HEADERS[:7], "可服务时间", "最远距离（米）"]
    row = volunteer_row("１３９０００００００１", 序号=1, 技能="理发，测血压", 可服务时间="周一至周三 ９:００－１１:３０",
                        **{"最远距离（米）": 800})
    response = upload(admin_api, xlsx([row], headers, title_rows=[["永安社区志愿者台账"], []]))
    assert response.status_code == 200, response.json
    assert response.json["ignored_columns"] == ["序号"]
    volunteer = db.session.scalar(select(Volunteer))
    assert volunteer.phone == "13900000001" and volunteer.max_distance_m == 800
    assert [s.days for s in volunteer.availability] == [DaySelector.mon, DaySelector.tue, DaySelector.wed]
    assert f"{volunteer.availability[0].start:%H:%M}" == "09:00"


def test_errors_are_reported_row_by_row_and_nothing_is_written(district, admin_api):
    before = count(AuditLog)
    rows = [
        volunteer_row(),
        volunteer_row("12345", 可服务时间="工作日 21:00-18:00"),
        volunteer_row("13900000003", 技能="理发、杂技", 网格编码="nowhere"),
        volunteer_row("13900000004", 状态="休假", 身份证号=110105194912310021),
    ]
    response = upload(admin_api, xlsx(rows))
    assert response.status_code == 422
    body = response.json
    assert set(body) == {"code", "error", "message", "errors"} and body["code"] == 422
    assert body["error"] == "rows_have_errors" and "nothing was imported" in body["message"]
    found = {(e["row"], e["column"]) for e in body["errors"]["rows"]}
    assert found == {(3, "手机号"), (3, "可服务时间"), (4, "技能"), (4, "网格编码"), (5, "状态"), (5, "身份证号")}
    messages = {(e["row"], e["column"]): e["message"] for e in body["errors"]["rows"]}
    assert "杂技" in messages[(4, "技能")] and "nowhere" in messages[(4, "网格编码")]
    assert "end must be after the start" in messages[(3, "可服务时间")]
    assert "text" in messages[(5, "身份证号")]
    assert count(Volunteer) == 0 and count(AuditLog) == before


def test_service_rules_apply_to_every_row(district, admin_api):
    """Rules that live only in the service (grid inside the community) reject the file too."""
    rows = [volunteer_row(), volunteer_row("13900000002", 网格编码="xinghua-g1", 楼栋编码=None)]
    response = upload(admin_api, xlsx(rows))
    assert response.status_code == 422
    assert response.json["errors"]["rows"] == [
        {"row": 3, "column": "网格编码", "message": "Not in the chosen community."}]
    assert count(Volunteer) == 0


def test_duplicates_name_both_rows_and_the_existing_record(district, admin_api, make_volunteer):
    existing = make_volunteer(grid=district.grid, phone="13900000009", name="赵磊")
    rows = [volunteer_row(), volunteer_row(姓名="重复"), volunteer_row("13900000009"),
            volunteer_row(网格编码="xinghua-g1", 社区编码="xinghua", 楼栋编码=None)]  # other community: fine
    response = upload(admin_api, xlsx(rows))
    assert response.status_code == 422
    assert response.json["errors"]["rows"] == [
        {"row": 3, "column": "手机号", "message": "The same phone as row 2 in the same community."},
        {"row": 4, "column": "手机号",
         "message": f"This phone is already registered in this community: 赵磊 (No. {existing.id})."},
    ]
    assert count(Volunteer) == 1


def test_dry_run_checks_but_keeps_nothing(district, admin_api):
    response = upload(admin_api, xlsx([volunteer_row()]), dry_run="true")
    assert response.status_code == 200
    assert response.json["created"] == 1 and response.json["dry_run"] is True
    assert count(Volunteer) == 0


def test_missing_required_column_and_bad_files(district, admin_api):
    response = upload(admin_api, xlsx([volunteer_row()], headers=[h for h in HEADERS if h != "手机号"]))
    assert response.status_code == 422
    assert response.json["error"] == "not_the_template"
    assert response.json["errors"]["rows"] == [{"row": 1, "column": "手机号", "message": "A required column is missing."}]
    old_xls = upload(admin_api, b"\xd0\xcf\x11\xe0" + bytes(100), filename="old.xls")
    assert old_xls.status_code == 422 and "file" in old_xls.json["errors"]
    no_rows = upload(admin_api, xlsx([]))
    assert no_rows.status_code == 422 and "file" in no_rows.json["errors"]
    no_file = admin_api.post("/import/volunteers", data={}, content_type="multipart/form-data")
    assert no_file.status_code == 422 and "file" in no_file.json["errors"]


def test_coordinator_cannot_import_outside_scope_and_volunteers_not_at_all(district, api_as, make_user):
    api = api_as(district.coordinator)
    row = volunteer_row(社区编码="xinghua", 网格编码="xinghua-g1", 楼栋编码="xinghua-b01")
    response = upload(api, xlsx([row]))
    assert response.status_code == 422
    assert {e["column"] for e in response.json["errors"]["rows"]} == {"社区编码", "网格编码", "楼栋编码"}
    assert "among the records you manage" in response.json["errors"]["rows"][0]["message"]
    volunteer_user = make_user(role=Role.volunteer)
    assert upload(api_as(volunteer_user), xlsx([volunteer_row()])).status_code == 403
    assert count(Volunteer) == 0


def test_residents_import_with_priority_groups(district, admin_api, make_resident):
    make_resident(building=district.building, phone="13900000009")
    headers = [c.header for c in RESIDENTS.columns]
    rows = [
        {"姓名": "刘淑兰", "手机号": "13900000001", "楼栋编码": "yongan-b01", "门牌": "1单元201",
         "重点人群": "独居老人、孤寡", "备注": "行动不便，需上门服务"},
        {"姓名": "陈国富", "手机号": "13900000002", "楼栋编码": "xinghua-b01", "重点人群": "低保,残疾"},
    ]
    response = upload(admin_api, xlsx(rows, headers), kind="residents")
    assert response.status_code == 200, response.json
    resident = db.session.scalar(select(Resident).where(Resident.phone == "13900000001"))
    assert [g.group.value for g in resident.priority_groups] == ["childless_elderly", "elderly_alone"]
    assert resident.notes == "行动不便，需上门服务" and resident.community_id == district.home.id
    bad = upload(admin_api, xlsx([{**rows[0], "手机号": "13900000009", "重点人群": "富裕"}], headers), kind="residents")
    assert bad.status_code == 422
    assert {e["column"] for e in bad.json["errors"]["rows"]} == {"重点人群", "手机号"}


def test_export_masks_pii_and_is_scoped(district, api_as, admin_api, make_volunteer, make_user):
    make_volunteer(grid=district.grid, phone="13912345678", name="本社区", id_number="110105194912310021")
    make_volunteer(grid=district.other_grid, phone="13987654321", name="外社区")
    masked = api_as(district.coordinator).get("/export/volunteers?format=csv")
    assert masked.status_code == 200 and masked.headers["Content-Type"] == "text/csv; charset=utf-8"  # once
    assert masked.data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.DictReader(io.StringIO(masked.data.decode("utf-8-sig"))))
    assert [(r["姓名"], r["手机号"], r["身份证号"]) for r in lines] == [("本社区", "139****5678", "1101**********0021")]
    assert api_as(district.coordinator).get(f"/export/volunteers?community_id={district.other.id}").status_code == 404

    by_default = admin_api.get(f"/export/volunteers?format=csv&community_id={district.home.id}")
    assert "139****5678" in by_default.data.decode("utf-8-sig")  # even for an account that may see numbers
    assert by_default.headers["Cache-Control"] == "no-store"
    full = admin_api.get(f"/export/volunteers?format=xlsx&community_id={district.home.id}&full_numbers=true")
    assert full.status_code == 200 and full.mimetype == XLSX_MIME
    sheet = openpyxl.load_workbook(io.BytesIO(full.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert rows[1][:5] == ("本社区", "13912345678", "110105194912310021", "yongan", "yongan-g1")
    assert rows[1][HEADERS.index("可服务时间")] == "工作日 18:00-21:00"
    assert make_user and api_as(make_user(role=Role.resident)).get("/export/volunteers").status_code == 403


def test_full_numbers_are_an_audited_choice_of_accounts_allowed_to_see_them(district, api_as, make_volunteer,
                                                                            make_user):
    make_volunteer(grid=district.grid, phone="13912345678", name="本社区")
    refused = api_as(district.coordinator).get("/export/volunteers?format=csv&full_numbers=true")
    assert refused.status_code == 403 and refused.json["error"] == "pii_permission_required"
    trusted = make_user(role=Role.coordinator, communities=[district.home], pii=True)
    full = api_as(trusted).get(f"/export/volunteers?format=csv&community_id={district.home.id}&full_numbers=true")
    assert full.status_code == 200 and "13912345678" in full.data.decode("utf-8-sig")
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "reveal")).all()
    assert [(r.user_id, r.entity, r.entity_id, r.changes["purpose"], r.changes["rows"]) for r in rows] == [
        (trusted.id, "volunteers", str(district.home.id), "export", 1)]


def test_export_then_import_round_trips(district, admin_api, make_volunteer):
    """What we write, we read: an export with full numbers re-imports to the same records."""
    upload(admin_api, xlsx([volunteer_row(), volunteer_row("13900000002", 状态="暂停", 是否党员="否")]))
    masked = admin_api.get("/export/volunteers").data
    refused = upload(admin_api, masked)
    assert refused.status_code == 422
    assert {(e["column"], e["message"]) for e in refused.json["errors"]["rows"]} == {("手机号", str(MASKED))}
    exported = admin_api.get("/export/volunteers?full_numbers=true").data
    before = [(v.name, v.phone, [s.code for s in v.skills], len(v.availability), v.status, v.joined_on)
              for v in db.session.scalars(select(Volunteer).order_by(Volunteer.phone))]
    for volunteer in db.session.scalars(select(Volunteer)):
        db.session.delete(volunteer)
    db.session.commit()
    response = upload(admin_api, exported)
    assert response.status_code == 200, response.json
    db.session.expire_all()
    after = [(v.name, v.phone, [s.code for s in v.skills], len(v.availability), v.status, v.joined_on)
             for v in db.session.scalars(select(Volunteer).order_by(Volunteer.phone))]
    assert after == before


def test_residents_exported_with_full_numbers_import_again_with_the_same_numbers(district, admin_api, make_resident):
    """The 台账 a community exports is the file it imports again (issue 11): with full numbers it does; a
    masked one is refused, each masked cell saying why."""
    make_resident(building=district.building, name="刘淑兰", phone="13900000011", id_number="11010519491231002X")
    make_resident(building=district.building, name="陈国富", phone="13900000012")
    path = f"/export/residents?format=csv&community_id={district.home.id}"
    masked = upload(admin_api, admin_api.get(path).data, kind="residents", filename="居民.csv")
    assert masked.status_code == 422
    assert sorted((e["row"], e["column"]) for e in masked.json["errors"]["rows"]) == [
        (2, "手机号"), (2, "身份证号"), (3, "手机号")]
    exported = admin_api.get(path + "&full_numbers=true").data
    before = [(r.name, r.phone, r.id_number) for r in db.session.scalars(select(Resident).order_by(Resident.phone))]
    for resident in db.session.scalars(select(Resident)):
        db.session.delete(resident)
    db.session.commit()
    response = upload(admin_api, exported, kind="residents", filename="居民.csv")
    assert response.status_code == 200, response.json
    db.session.expire_all()
    assert [(r.name, r.phone, r.id_number) for r in db.session.scalars(select(Resident).order_by(Resident.phone))] \
        == before


def test_templates_and_samples_download_and_are_reproducible(client, admin_api, tmp_path):
    for kind in transfer.KINDS.values():
        response = admin_api.get(f"/import/templates/{kind.name}.xlsx")
        assert response.status_code == 200 and response.mimetype == XLSX_MIME
        assert "attachment" in response.headers["Content-Disposition"]
        book = openpyxl.load_workbook(io.BytesIO(response.data))
        assert [c.value for c in book.worksheets[0][1]] == [c.header for c in kind.columns]
        assert book.worksheets[0].max_row == 1 or not any(c.value for c in book.worksheets[0][2])
        sample = admin_api.get(f"/import/samples/{kind.name}.xlsx")
        assert sample.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(sample.data)).worksheets[0]
        assert sum(any(row) for row in sheet.iter_rows(values_only=True)) == len(kind.samples) + 1
    assert admin_api.get("/import/templates/stations.xlsx").status_code == 404

    for path in transfer.write_templates(tmp_path):  # the shipped files are what the code writes
        shipped = transfer.TEMPLATE_DIR / path.name
        assert _zip_contents(path.read_bytes()) == _zip_contents(shipped.read_bytes()), path.name


def _zip_contents(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_sample_files_import_into_the_demo_district(app_ctx, api_as):
    from volunteer_app.accounts.models import User
    from volunteer_app.demo import seed

    seed(password="demo-password")
    db.session.commit()
    api = api_as(db.session.scalar(select(User).where(User.username == "admin")))
    for kind in transfer.KINDS.values():
        data = (transfer.TEMPLATE_DIR / transfer.template_name(kind, sample=True)).read_bytes()
        response = upload(api, data, kind=kind.name)
        assert response.status_code == 200, response.json
        assert response.json["created"] == len(kind.samples)


def test_availability_formats():
    read = Availability().read
    assert read("工作日 18:00-21:00; 周六 09:00-12:00", None) == [
        {"days": "workdays", "start": "18:00", "end": "21:00"}, {"days": "sat", "start": "09:00", "end": "12:00"}]
    assert read("周六、周日 9:00~11:30, 14:00-17:00", None) == [
        {"days": d, "start": s, "end": e} for s, e in (("09:00", "11:30"), ("14:00", "17:00")) for d in ("sat", "sun")]
    assert [s["days"] for s in read("周一至周五 08:30-11:30", None)] == ["mon", "tue", "wed", "thu", "fri"]
    assert [s["days"] for s in read("休息日 09:00-12:00；星期三 19:00-21:00", None)] == ["rest_days", "wed"]
    assert [s["days"] for s in read("周末 09:00-12:00\n每周二 19:00-21:00", None)] == ["rest_days", "tue"]
    assert [s["days"] for s in read("每天 07:00-08:00", None)] == ["workdays", "rest_days"]
    for bad in ("有空就来", "周八 09:00-10:00", "工作日", "周五至周一 09:00-10:00"):
        with pytest.raises(CellError):
            read(bad, None)


def test_page_imports_and_lists_errors(district, client, make_user):
    user = make_user(role=Role.coordinator, communities=[district.home], username="coord", password="correct-horse-1")
    token = csrf_token(client, "/login")
    client.post("/login", data={"username": user.username, "password": "correct-horse-1", "csrf_token": token})
    page = client.get("/io/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    token = CSRF.search(html).group(1)
    assert "/api/v1/import/templates/volunteers.xlsx" in html and "永安社区" in html and "兴华社区" not in html

    def post(rows):
        return client.post("/io/import/volunteers", content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(xlsx(rows)), "a.xlsx")})

    bad = post([volunteer_row("123")])
    assert bad.status_code == 422 and "手机号" in bad.get_data(as_text=True)
    good = post([volunteer_row()])
    assert good.status_code == 200 and count(Volunteer) == 1
    export = client.get("/api/v1/export/volunteers?community_id=&format=csv")  # the page's "all communities"
    assert export.status_code == 200 and "王建国" in export.data.decode("utf-8-sig")


def test_page_is_for_staff_only(client, make_user):
    make_user(role=Role.volunteer, username="vol", password="correct-horse-1")
    token = csrf_token(client, "/login")
    client.post("/login", data={"username": "vol", "password": "correct-horse-1", "csrf_token": token})
    assert client.get("/io/").status_code == 403


def test_openapi_documents_the_endpoints(client):
    spec = client.get("/api/openapi.json").json
    upload_doc = spec["paths"]["/api/v1/import/{kind}"]["post"]
    body = upload_doc["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"file", "dry_run"} <= set(_properties(spec, body))
    assert "422" in upload_doc["responses"]
    assert "/api/v1/export/{kind}" in spec["paths"]
    assert "/api/v1/import/templates/{kind}.xlsx" in spec["paths"]


def _properties(spec, schema) -> dict:
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema:
        merged = {}
        for part in schema["allOf"]:
            merged.update(_properties(spec, part))
        return merged
    return schema.get("properties", {})


def test_five_thousand_rows_import_in_one_go(district, admin_api, make_grid, make_building):
    grids = [district.grid] + [make_grid(community=district.home, code=f"yongan-g{n}") for n in range(2, 5)]
    for grid in grids[1:]:
        make_building(grid=grid, code=f"{grid.code}-b1")
    rows = [volunteer_row(f"139{n:08d}", 网格编码=grids[n % 4].code,
                          楼栋编码="yongan-b01" if n % 4 == 0 else f"{grids[n % 4].code}-b1")
            for n in range(5000)]
    response = upload(admin_api, xlsx(rows))
    assert response.status_code == 200, response.json["errors"]["rows"][:3]
    assert count(Volunteer) == 5000


def test_cells_lose_invisible_control_characters():
    """A stray ESC from another program would make the register impossible to export again."""
    assert transfer.as_text("王\x1b芳 ") == "王芳" and transfer.Text(fold=False).read("备注\x07：\t有狗", {}) == "备注：\t有狗"
