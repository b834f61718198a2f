"""Writing the 台账: exports (.xlsx or CSV), the empty templates and the sample files."""
import codecs
import csv
import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer.excel import ExcelWriter

from ...accounts import policy
from ...accounts.policy import Actor
from ...places.models import Community
from ...extensions import db
from ...spreadsheets import safe_row
from .. import contact
from .cells import ChoiceList, PlaceCode, WriteContext
from .sheets import KINDS, Kind

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "data" / "templates"
FIXED_STAMP = datetime(2026, 1, 1)  # templates carry no build time: the same code gives the same file


def export_records(actor: Actor, kind: Kind, community_id: int | None = None) -> list:
    """The actor's records (scoped like the lists), one community if asked."""
    kind.service.require_writer(actor)
    if community_id is not None:
        policy.get(actor, "places.read", Community, community_id)
    statement = kind.service.filtered(actor, {"community_id": community_id}).order_by(
        kind.model.community_id, kind.model.grid_id, kind.model.id)
    return db.session.scalars(statement).all()


def rows_for(kind: Kind, records: list, full_numbers: bool) -> list[list]:
    context = WriteContext(full_numbers)
    for column in kind.columns:
        if isinstance(column.cell, PlaceCode):
            context.load_codes(column.cell.model, (getattr(r, column.field) for r in records))
    return [[column.cell.write(column.value_of(r), context) for column in kind.columns] for r in records]


def sample_rows(kind: Kind) -> list[list]:
    return [[sample.get(column.header) for column in kind.columns] for sample in kind.samples]


def export_file(actor: Actor, kind: Kind, file_format: str, community_id: int | None = None,
                full_numbers: bool = False) -> bytes:
    """Phones and ID numbers masked; in full (so the file imports again) only when asked for, by an account
    allowed to see personal information, and written to the audit log."""
    if full_numbers:
        policy.require(actor, "phones.export_full")
    records = export_records(actor, kind, community_id)
    if full_numbers:
        contact.audit_export(actor, kind.model, community_id, len(records), file_format)
    rows = rows_for(kind, records, full_numbers)
    return write_csv(kind, rows) if file_format == "csv" else write_xlsx(kind, rows, datetime.now())


def write_csv(kind: Kind, rows: list[list]) -> bytes:
    """UTF-8 with BOM: Excel on Chinese Windows opens it without garbling."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([c.header for c in kind.columns])
    for row in rows:
        writer.writerow(safe_row(["" if v is None else v.isoformat() if isinstance(v, date) else v for v in row]))
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


class _StableZip(zipfile.ZipFile):
    """Entries with a fixed timestamp, so writing the same workbook twice gives the same bytes.

    openpyxl has no option for this: ``Workbook.save`` stamps the current time into the
    properties and its zip entries, whatever the mode (write-only too), so ``write_xlsx``
    hands this archive to openpyxl's ``ExcelWriter``, the writer that ``save`` itself uses.
    """

    def writestr(self, zinfo_or_arcname, data, *args, **kwargs):
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=FIXED_STAMP.timetuple()[:6])
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):  # openpyxl writes worksheets via temp files
        self.writestr(arcname or Path(filename).name, Path(filename).read_bytes())


def write_xlsx(kind: Kind, rows: list[list], stamp: datetime = FIXED_STAMP) -> bytes:
    """The template sheet (headers with hints, drop-downs, text columns) plus an instructions sheet."""
    book = openpyxl.Workbook()
    book.properties.creator = "jiamenkou"
    book.properties.created = book.properties.modified = stamp
    sheet = book.active
    sheet.title = kind.label
    sheet.append([c.header for c in kind.columns])
    for row in rows:
        sheet.append(safe_row(row, sheet))
    last_row = max(len(rows) + 1, 500)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="FDE9D9")
    for position, column in enumerate(kind.columns, start=1):
        letter = get_column_letter(position)
        header = sheet.cell(row=1, column=position)
        header.font, header.fill = bold, fill
        if column.hint:
            header.comment = Comment(column.hint, "jiamenkou", width=240, height=80)
        sheet.column_dimensions[letter].width = column.width
        number_format = "@" if column.cell.text_format else "yyyy-mm-dd" if column.cell.date_format else None
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, max_row=last_row, min_col=position, max_col=position):
                cell.number_format = number_format
        if column.cell.choices and not isinstance(column.cell, ChoiceList):
            choices = '"' + ",".join(column.cell.choices) + '"'
            validation = DataValidation(type="list", formula1=choices, allow_blank=True)
            validation.add(f"{letter}2:{letter}{last_row}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    _instructions(book.create_sheet("填写说明"), kind)

    buffer = io.BytesIO()
    with _StableZip(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()  # not save_workbook: it would stamp the current time
    return buffer.getvalue()


def _instructions(sheet, kind: Kind) -> None:
    sheet.append(["列名", "是否必填", "填写说明"])
    for column in kind.columns:
        sheet.append([column.header, "必填" if kind.required(column) else "", column.hint])
    sheet.append([])
    sheet.append(["说明", "", "第一行为列名，请勿修改；数据从第二行开始。可上传 .xlsx 或 CSV（UTF-8 或 GBK）。"])
    sheet.append(["", "", "任何一行有错误时整份文件都不会导入，系统会逐行列出错误（行号、列名、原因）。"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in (("A", 14), ("B", 10), ("C", 70)):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_col=3, max_col=3):
        row[0].alignment = Alignment(wrap_text=True)


def template_name(kind: Kind, sample: bool = False) -> str:
    return f"{kind.name}{'-sample' if sample else ''}.xlsx"


def write_templates(directory: Path = TEMPLATE_DIR) -> list[Path]:
    """Write the empty templates and the sample files shipped in ``data/templates``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in KINDS.values():
        for sample in (False, True):
            path = directory / template_name(kind, sample)
            path.write_bytes(write_xlsx(kind, sample_rows(kind) if sample else []))
            written.append(path)
    return written
