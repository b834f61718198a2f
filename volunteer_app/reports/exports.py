"""The reports as .xlsx workbooks with Chinese headers: the same figures as the API.

Rates are written as fractions formatted as percentages, so a formula over
them still works; a rate with nothing to divide by is an empty cell.
"""
import io
import re

from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from ..spreadsheets import safe_row
from ..service_requests.models import RequestState
from .service import Figures, Period
from ..labels import label

PERCENT = "0.0%"
#: (header, Figures attribute, is a rate)
FIGURE_COLUMNS = [
    ("工单数", "filed", False), ("已撤销", "cancelled", False), ("已办结", "completed", False),
    ("办结率", "completion_rate", True), ("按时办结", "resolved_on_time", False), ("按时办结率", "on_time_rate", True),
    ("评价数", "ratings", False), ("满意度(平均分)", "mean_rating", False), ("当前超时", "overdue_now", False),
    ("服务时长(小时)", "hours", False), ("服务志愿者(人)", "volunteers_served", False),
    ("值守岗位需求", "places_needed", False), ("已安排", "places_filled", False), ("岗位满足率", "fill_rate", True),
    ("已履职", "places_served", False), ("已签到", "places_checked_in", False), ("预约", "bookings_booked", False),
    ("到场", "bookings_attended", False), ("到场率", "attendance_rate", True), ("候补", "bookings_waitlisted", False),
    ("取消预约", "bookings_cancelled", False), ("发放积分", "points_issued", False),
    ("冲正积分", "points_reversed", False), ("兑换积分", "points_redeemed", False),
    ("兑付订单", "redemptions_fulfilled", False),
]
RANKING_COLUMNS = ("completion_rate", "mean_rating", "on_time_rate", "filed", "completed", "ratings", "overdue_now")


def period_title(period: Period) -> str:
    kind = "周" if period.kind == "week" else "月"
    return f"{period.label}（{kind}：{period.first:%Y-%m-%d} 至 {period.last:%Y-%m-%d}）"


def _sheet(workbook: Workbook, name: str, title: str, headers: list[str], rows: list[list],
           rate_columns: set[int] = frozenset(), heading_rows: list[list] = ()) -> None:
    """A sheet: a bold title, optional lines under it, a coloured header row, the rows; frozen under the header."""
    used = {sheet.title for sheet in workbook.worksheets}
    base = re.sub(r"[\[\]:*?/\\]", "-", name)[:31] or "-"
    sheet_name, n = base, 1
    while sheet_name in used:  # units whose names agree in their first 31 characters
        n += 1
        sheet_name = f"{base[:28]}({n})"
    sheet = workbook.create_sheet(sheet_name)
    sheet.append(safe_row([title], sheet))
    sheet["A1"].font = Font(size=14, bold=True)
    for line in heading_rows:
        sheet.append(safe_row(line, sheet))
    sheet.append(headers)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F2DCDB")
    for row in rows:
        sheet.append(safe_row(row, sheet))
        for index in rate_columns:
            sheet.cell(row=sheet.max_row, column=index + 1).number_format = PERCENT
    for index, header in enumerate(headers, start=1):
        width = max([len(header) * 2] + [len(str(row[index - 1])) for row in rows[:200]])
        sheet.column_dimensions[get_column_letter(index)].width = min(40, width + 2)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)


def _figure_cells(figures: Figures) -> list:
    return [getattr(figures, name) for _, name, _ in FIGURE_COLUMNS] + \
        [figures.states[state.value] for state in RequestState]


def _figure_headers(leading: list[str]) -> tuple[list[str], set[int]]:
    with force_locale("zh_CN"):  # a Chinese workbook, whoever downloads it
        states = [f"工单·{str(label('request', state))}" for state in RequestState]
    headers = leading + [header for header, _, _ in FIGURE_COLUMNS] + states
    rates = {len(leading) + i for i, (_, _, is_rate) in enumerate(FIGURE_COLUMNS) if is_rate}
    return headers, rates


def _save(workbook: Workbook) -> bytes:
    workbook.remove(workbook.worksheets[0])  # the empty default sheet
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def dashboard_workbook(report: dict) -> bytes:
    """Sheets: communities (with the total), grids, and the weekly hours."""
    workbook = Workbook()
    when = period_title(report["period"])
    headers, rates = _figure_headers(["社区"])
    rows = [[row["name"]] + _figure_cells(row["figures"]) for row in report["communities"]]
    rows.append(["合计"] + _figure_cells(report["totals"]))
    _sheet(workbook, "社区", f"数字驾驶舱 社区 {when}", headers, rows, rates)
    names = {row["community_id"]: row["name"] for row in report["communities"]}
    headers, rates = _figure_headers(["社区", "网格"])
    rows = [[names.get(row["community_id"], ""), row["name"]] + _figure_cells(row["figures"])
            for row in report["grids"]]
    _sheet(workbook, "网格", f"数字驾驶舱 网格 {when}", headers, rows, rates)
    _sheet(workbook, "服务时长趋势", f"志愿服务时长 近{len(report['hours_by_week'])}周（截至 {report['period'].label}）",
           ["周次", "服务时长(小时)"], [[week["week"], week["hours"]] for week in report["hours_by_week"]])
    _sheet(workbook, "光荣榜", f"志愿者光荣榜 {when}（仅列同意公开姓名的志愿者）",
           ["名次", "姓名", "社区", "服务时长(小时)", "服务次数"],
           [[row["rank"], row["name"], names.get(row["community_id"], ""), row["hours"], row["services"]]
            for row in report["top_volunteers"]])
    return _save(workbook)


def ranking_workbook(report: dict) -> bytes:
    """The 周通报: one row per community in rank order."""
    workbook = Workbook()
    columns = [(header, name, is_rate) for header, name, is_rate in FIGURE_COLUMNS if name in RANKING_COLUMNS]
    columns.sort(key=lambda column: RANKING_COLUMNS.index(column[1]))
    headers = ["排名", "社区"] + [header for header, _, _ in columns]
    rates = {2 + i for i, (_, _, is_rate) in enumerate(columns) if is_rate}
    rows = [[row["rank"], row["name"]] + [getattr(row["figures"], name) for _, name, _ in columns]
            for row in report["rows"]]
    _sheet(workbook, "周通报", f"社区服务通报 {period_title(report['period'])}", headers, rows, rates,
           [["排序：办结率 → 满意度 → 按时办结率（从高到低）"]])
    return _save(workbook)


MEMBER_HEADERS = ["姓名", "社区", "单位党组织", "认领岗位数", "本期服务时长(小时)", "本年累计(小时)", "年度目标(小时)",
                  "认领岗位应值守", "已履职", "办结工单", "评价数", "满意度(平均分)"]


def party_units_workbook(report: dict) -> bytes:
    """One sheet per work unit, ready to send to its party organisation (在职党员双报到反馈)."""
    workbook = Workbook()
    when = period_title(report["period"])
    for unit in report["units"]:
        rows = [[m.name, m.community_name, m.party_organization, m.claimed_posts, m.hours, m.year_hours,
                 m.yearly_target_hours, m.posts_due, m.posts_kept, m.requests_resolved, m.ratings, m.mean_rating]
                for m in unit.members]
        rows.append(["合计", "", "", sum(m.claimed_posts for m in unit.members), unit.hours, "", "", unit.posts_due,
                     unit.posts_kept, unit.requests_resolved, unit.ratings, unit.mean_rating])
        heading = [["单位", unit.work_unit], ["单位党组织", "、".join(unit.party_organizations)],
                   ["报到党员(人)", unit.member_count], ["统计期间", when]]
        _sheet(workbook, unit.work_unit, f"在职党员双报到服务情况反馈 {unit.work_unit}", MEMBER_HEADERS, rows,
               heading_rows=heading)
    if not report["units"]:
        _sheet(workbook, "双报到", f"在职党员双报到服务情况反馈 {when}", MEMBER_HEADERS, [])
    return _save(workbook)
