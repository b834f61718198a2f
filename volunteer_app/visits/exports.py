"""The 走访台账 as an .xlsx workbook: one sheet of visits, one of the needs they raised.

A Chinese document (its headers are), whatever the reader's language. Text typed by people goes
into cells as text: one starting with = + - or @ is stored as a string with Excel's quote prefix,
so a spreadsheet never runs it as a formula.
"""
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from ..accounts import policy
from ..accounts.policy import Actor
from ..extensions import db
from ..labels import in_chinese
from ..places.models import Community, Grid
from .models import Visit, VisitNeed
from .service import visits

MAX_ROWS = 50_000  # a city's year of visits; keeps one export from exhausting memory
FORMULA_STARTS = ("=", "+", "-", "@")
VISIT_HEADERS = ["编号", "走访时间", "社区", "网格", "楼栋", "门牌", "走访对象", "重点人群", "走访类型", "走访人",
                 "发现情况", "诉求", "诉求办理"]
NEED_HEADERS = ["走访编号", "走访时间", "社区", "网格", "走访对象", "诉求", "办理方式", "工单编号", "心愿编号", "办理结果"]
WIDTHS = {"发现情况": 40, "诉求": 40, "诉求办理": 30}


def as_text(cell) -> None:
    """Keep typed text as text: never a formula when it starts like one."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True


def _sheet(book: Workbook, name: str, title: str, headers: list[str], rows: list[list]) -> None:
    sheet = book.create_sheet(name)
    sheet.append([title])
    sheet["A1"].font = Font(size=14, bold=True)
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="F2DCDB")
    wrap = Alignment(wrap_text=True, vertical="top")
    for number, row in enumerate(rows, start=3):  # cell by cell: reading back a whole row costs a scan of the sheet
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=number, column=column, value=value)
            as_text(cell)
            if isinstance(value, str) and "\n" in value:
                cell.alignment = wrap
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS.get(header, max(10, len(header) * 2 + 2))
    sheet.freeze_panes = "A3"


def _how(need: VisitNeed) -> str:
    if need.solved_on_spot:
        return "当场解决"
    return "转工单" if need.request_id else "转微心愿" if need.wish_id else "未转办"


def ledger_records(actor: Actor, args: dict) -> list[Visit]:
    """The actor's visits (narrowed like the list), oldest first."""
    policy.require(actor, "visits.read")
    if args.get("community_id") is not None:
        policy.get(actor, "visits.report", Community, args["community_id"])
    return db.session.scalars(visits.filtered(actor, args).order_by(Visit.visited_at, Visit.id).limit(MAX_ROWS)).all()


def ledger_workbook(actor: Actor, args: dict) -> bytes:
    records = ledger_records(actor, args)
    communities = dict(db.session.execute(select(Community.id, Community.name).where(
        Community.id.in_({v.community_id for v in records}))).all())
    grids = dict(db.session.execute(select(Grid.id, Grid.name).where(Grid.id.in_({v.grid_id for v in records}))).all())
    kinds, outcomes, groups = in_chinese("visit_kind"), in_chinese("need_outcome"), in_chinese("priority_group")
    visit_rows, need_rows = [], []
    for visit in records:
        resident = visit.resident
        whom = resident.name if resident else "（楼栋走访）"
        when = visit.visited_at.strftime("%Y-%m-%d %H:%M")
        where = [communities.get(visit.community_id, ""), grids.get(visit.grid_id, "")]
        handled = []
        for number, need in enumerate(visit.needs, start=1):
            reference = f" 工单{need.request_id}" if need.request_id else f" 心愿{need.wish_id}" if need.wish_id else ""
            handled.append(f"{number}. {_how(need)}{reference}（{outcomes[need.outcome]}）")
            need_rows.append([visit.id, when, *where, whom, need.description, _how(need), need.request_id,
                              need.wish_id, outcomes[need.outcome]])
        visit_rows.append([
            visit.id, when, *where, visit.building.name, resident.household if resident else "", whom,
            "、".join(groups[member.group.value] for member in resident.priority_groups) if resident else "",
            kinds[visit.kind.value], visit.visitor.display_name if visit.visitor else "", visit.findings,
            "\n".join(f"{number}. {need.description}" for number, need in enumerate(visit.needs, start=1)),
            "\n".join(handled)])
    span = f"{args['month']:%Y年%m月}" if args.get("month") else "全部"
    book = Workbook()
    _sheet(book, "走访台账", f"走访台账（民情日志）{span}", VISIT_HEADERS, visit_rows)
    _sheet(book, "诉求明细", f"走访诉求明细 {span}", NEED_HEADERS, need_rows)
    book.remove(book.worksheets[0])  # the empty default sheet
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
