"""The .xlsx downloads open with openpyxl and hold the same figures as the API, under Chinese headers."""
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import update

from volunteer_app.extensions import db
from volunteer_app.places.models import Community
from volunteer_app.reports.exports import FIGURE_COLUMNS
from volunteer_app.spreadsheets import XLSX_MIME

from tests.support.reports import WEEK, get


def workbook(api, path: str, **query):
    response = api.get(path, query_string=query)
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == XLSX_MIME
    return load_workbook(BytesIO(response.data)), response.headers["Content-Disposition"]


def table(sheet, header_row: int = 2) -> tuple[list[str], list[tuple]]:
    rows = list(sheet.iter_rows(values_only=True))
    return list(rows[header_row - 1]), rows[header_row:]


def test_dashboard_workbook_has_the_figures_of_the_api(district):
    api = district.api_admin
    report = get(api, "/reports/dashboard", period=WEEK)
    book, disposition = workbook(api, "/reports/dashboard.xlsx", period=WEEK)
    assert "dashboard-2026-W49.xlsx" in disposition
    assert book.sheetnames == ["社区", "网格", "服务时长趋势", "光荣榜"]
    assert book["社区"]["A1"].value.startswith("数字驾驶舱 社区 2026-W49")
    headers, rows = table(book["社区"])
    assert headers[:5] == ["社区", "工单数", "已撤销", "已办结", "办结率"]
    sheet_rows = {row[0]: dict(zip(headers, row)) for row in rows}
    assert list(sheet_rows) == [row["name"] for row in report["communities"]] + ["合计"]
    a = sheet_rows["维北社区"]
    assert (a["办结率"], a["按时办结率"], a["满意度(平均分)"], a["服务时长(小时)"], a["工单·已评价"]) == (0.6, 0.6667, 4, 5, 2)
    for row in report["communities"] + [{"name": "合计", "figures": report["totals"]}]:
        for header, name, _ in FIGURE_COLUMNS:
            assert sheet_rows[row["name"]][header] == row["figures"][name], (row["name"], header)
    rate_column = headers.index("办结率") + 1
    assert book["社区"].cell(row=3, column=rate_column).number_format == "0.0%"
    headers, rows = table(book["网格"])
    grids = {row[1]: dict(zip(headers, row)) for row in rows}
    assert (grids["维北二网格"]["社区"], grids["维北二网格"]["办结率"], grids["维北二网格"]["按时办结率"]) == \
        ("维北社区", 0, None)
    headers, rows = table(book["服务时长趋势"])
    assert rows == [(w["week"], w["hours"]) for w in report["hours_by_week"]]


def test_ranking_workbook_lists_the_communities_in_rank_order(district):
    book, disposition = workbook(district.api_admin, "/reports/ranking.xlsx", period=WEEK)
    assert "ranking-2026-W49.xlsx" in disposition and book.sheetnames == ["周通报"]
    headers, rows = table(book["周通报"], header_row=3)
    assert headers == ["排名", "社区", "办结率", "满意度(平均分)", "按时办结率", "工单数", "已办结", "评价数", "当前超时"]
    assert [row[:5] for row in rows] == [
        (1, "同心社区", 1, 4, 1), (2, "兴华社区", 1, 3, 1), (3, "维北社区", 0.6, 4, 0.6667),
        (4, "永安社区", None, None, None), (4, "新民社区", None, None, None)]


def test_party_units_workbook_has_a_sheet_per_unit(district):
    book, _ = workbook(district.api_admin, "/reports/party-units.xlsx", period=WEEK)
    assert book.sheetnames == ["区人民医院", "市税务局"]
    sheet = book["市税务局"]
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][0] == "在职党员双报到服务情况反馈 市税务局"
    assert [line[:2] for line in lines[1:4]] == [("单位", "市税务局"), ("单位党组织", "市税务局机关党委"), ("报到党员(人)", 2)]
    headers, rows = table(sheet, header_row=6)
    members = {row[0]: dict(zip(headers, row)) for row in rows}
    first = members["党员甲"]
    assert (first["本期服务时长(小时)"], first["本年累计(小时)"], first["认领岗位应值守"], first["已履职"], first["办结工单"],
            first["满意度(平均分)"]) == (3, 4, 1, 1, 2, 4)
    assert (members["合计"]["本期服务时长(小时)"], members["合计"]["已履职"], members["合计"]["办结工单"]) == (3.5, 1, 3)
    only, _ = workbook(district.api_a, "/reports/party-units.xlsx", period=WEEK, unit="市税务局")
    assert only.sheetnames == ["市税务局"]


def test_a_name_that_looks_like_a_formula_is_written_as_text(district):
    """Issue 14: a community named like a formula must not become one in the workbook."""
    formula = '=HYPERLINK("http://x","y")'
    db.session.execute(update(Community).where(Community.name == "维北社区").values(name=formula))
    db.session.commit()
    book, _ = workbook(district.api_admin, "/reports/dashboard.xlsx", period=WEEK)
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value == formula]
    assert cells and all(cell.data_type == "s" and cell.quotePrefix for cell in cells)
