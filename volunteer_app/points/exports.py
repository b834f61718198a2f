"""Statements and partner settlements as .xlsx or CSV (UTF-8 with BOM, so Excel on Chinese Windows reads it).

The files are Chinese documents (their headers are), so the labels in them are too, whoever downloads them.
"""
import codecs
import csv
import io
import re
from datetime import timezone

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts import policy
from ..accounts.policy import Actor
from ..clock import CHINA_TIME
from ..extensions import db
from ..spreadsheets import safe_row
from ..stored_words import FILED_LOCALE
from .models import Entry, PointAccount
from ..labels import label
from .. import labels

MAX_ROWS = 100_000  # more than any account has; keeps one export from exhausting memory


def table_file(file_format: str, title: str, headers: list[str], rows: list[list]) -> bytes:
    """One table as a workbook (a title row, bold headers, frozen panes) or as CSV."""
    if file_format == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerows(safe_row(row) for row in rows)
        return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = re.sub(r"[\[\]:*?/\\]", "-", title)[:31]  # characters Excel refuses in sheet names
    sheet.append(safe_row([title], sheet))
    sheet["A1"].font = Font(size=14, bold=True)
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F2DCDB")
    for row in rows:
        sheet.append(safe_row(row, sheet))
    for index, header in enumerate(headers, start=1):
        width = max([len(str(header)) * 2] + [len(str(row[index - 1])) for row in rows[:200]])
        sheet.column_dimensions[get_column_letter(index)].width = min(40, width + 2)
    sheet.freeze_panes = "A3"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _local(moment) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")


def statement_file(actor: Actor, account: PointAccount, file_format: str) -> bytes:
    """The whole statement, oldest first, with the running balance."""
    policy.require(actor, "points.read", account)
    entries = db.session.scalars(select(Entry).where(Entry.account_id == account.id)
                                 .options(selectinload(Entry.transfer)).order_by(Entry.id).limit(MAX_ROWS)).all()
    rows = []
    with force_locale(FILED_LOCALE):
        for entry in entries:
            transfer = entry.transfer
            other = transfer.to_account if entry.amount < 0 else transfer.from_account
            rows.append([_local(entry.created_at), str(label("transfer", transfer.kind)), transfer.memo_text,
                         other.holder_name, entry.amount if entry.amount > 0 else "",
                         -entry.amount if entry.amount < 0 else "", entry.balance_after, transfer.id])
        title = f"积分明细 {account.holder_name}"
    headers = ["时间", "类型", "说明", "对方", "收入", "支出", "余额", "流水号"]
    return table_file(file_format, title, headers, rows)


def settlement_file(report: dict, file_format: str) -> bytes:
    """One line per month and item, a subtotal per month and a grand total."""
    rows, kinds = [], labels.in_chinese("item_kind")
    for month in report["months"]:
        for line in month["lines"]:
            rows.append([month["month"], line["item_name"], kinds[line["kind"]], line["unit_price"], line["orders"],
                         line["quantity"], line["points"]])
        rows.append([month["month"], "小计", "", "", month["orders"], month["quantity"], month["points"]])
    rows.append(["合计", "", "", "", report["total_orders"], sum(m["quantity"] for m in report["months"]),
                 report["total_points"]])
    headers = ["月份", "项目", "类别", "单价(积分)", "订单数", "数量", "积分"]
    title = f"结算 {report['partner_name']} {report['from_month']}~{report['to_month']}"
    return table_file(file_format, title, headers, rows)
