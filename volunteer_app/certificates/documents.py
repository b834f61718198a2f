"""The certificate as a PDF (A4), and the register of issued certificates as a workbook.

Both are Chinese documents whatever the reader's language, as the rules' certificate is. The PDF uses
reportlab's built-in CID font STSong-Light (the reader's viewer supplies the glyphs: nothing to
download or embed) and carries a QR code of the public verification link. It is drawn only from the
certificate's frozen facts, so the same number always prints the same certificate.
"""
import io

from openpyxl import Workbook
from openpyxl.styles import Font
import qrcode
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from xml.sax.saxutils import escape

from ..labels import in_chinese
from ..spreadsheets import safe_row
from .models import Certificate
from .service import revoked_on, verify_url

FONT = "STSong-Light"
PDF_MIME = "application/pdf"
QR_SIZE = 32 * mm
REGISTER_HEADERS = ["证明编号", "出具日期", "志愿者", "志愿者编号", "证件类型", "证件号码", "服务起始", "服务截止",
                    "服务时长(小时)", "服务记录(条)", "出具单位", "经办人", "状态", "撤销日期", "撤销原因", "更正为",
                    "更正自", "备注"]
WIDTHS = {"A": 16, "C": 10, "F": 22, "K": 24, "O": 24, "R": 30}


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _styles() -> dict:
    font = _font()
    return {"title": ParagraphStyle("title", fontName=font, fontSize=20, leading=28, alignment=1, spaceAfter=4 * mm),
            "body": ParagraphStyle("body", fontName=font, fontSize=11, leading=17),
            "cell": ParagraphStyle("cell", fontName=font, fontSize=10, leading=14),
            "small": ParagraphStyle("small", fontName=font, fontSize=9, leading=13, textColor=colors.grey)}


def _text(value) -> str:
    return escape(str(value if value is not None else ""))


class QrCode(Flowable):
    """The verification link as a QR code: the matrix from the ``qrcode`` library (the login codes' too),
    drawn as filled runs of modules. reportlab's own QR widget took ten times as long to draw."""

    def __init__(self, payload: str, size: float = QR_SIZE):
        super().__init__()
        self.payload, self.width, self.height = payload, size, size
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        code.add_data(payload)
        code.make(fit=True)
        self.matrix = code.get_matrix()

    def draw(self) -> None:
        cell = self.width / len(self.matrix)
        self.canv.setFillColor(colors.black)
        for y, row in enumerate(self.matrix):
            x = 0
            while x < len(row):
                if not row[x]:
                    x += 1
                    continue
                run = next((i for i in range(x, len(row)) if not row[i]), len(row)) - x
                self.canv.rect(x * cell, self.height - (y + 1) * cell, run * cell, cell, stroke=0, fill=1)
                x += run


def id_line(volunteer: dict) -> str:
    """证件: its type and the masked number, or a dash when the register holds none."""
    if not volunteer.get("id_type"):
        return "—"
    return f"{in_chinese('id_type')[volunteer['id_type']]} {volunteer['id_number']}"


def certificate_pdf(record: Certificate, *, invariant: bool = False) -> bytes:
    """The PDF of an issued (or revoked) certificate; ``invariant`` (tests) fixes its dates and ids and leaves
    its pages uncompressed, so the same facts give the same bytes and their text can be read."""
    facts, styles = record.facts, _styles()
    cell, volunteer, issuer = styles["cell"], facts["volunteer"], facts["issuer"]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                                 bottomMargin=18 * mm, title=f"志愿服务记录证明 {facts['number']}",
                                 author=issuer["name"], invariant=int(invariant), pageCompression=0 if invariant else 1)
    period = f"{facts['period']['start']} 至 {facts['period']['end']}"
    head = Table([[Paragraph(f"证明编号:{_text(facts['number'])}", styles["body"]), QrCode(verify_url(facts["number"]))]],
                 colWidths=[document.width - QR_SIZE - 4 * mm, QR_SIZE + 4 * mm])
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "RIGHT")]))
    who = Table([[Paragraph(_text(a), cell), Paragraph(_text(b), cell)] for a, b in (
        ("姓名", volunteer["name"]), ("证件", id_line(volunteer)), ("志愿者编号", volunteer["number"]),
        ("服务时段", period), ("服务时长", f"{facts['total_hours']} 小时"))], colWidths=[30 * mm, document.width - 30 * mm])
    # Dates and hours are short plain cells; only the content, which may wrap, is a paragraph (they are slow).
    rows = [["日期", "服务内容", "时长(小时)"]]
    rows += [[r["date"], Paragraph(_text(r["content"]), cell), r["hours"]] for r in facts["records"]]
    records = Table(rows, colWidths=[30 * mm, document.width - 60 * mm, 30 * mm], repeatRows=1)
    for table in (who, records):
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("FONT", (0, 0), (-1, -1), cell.fontName, cell.fontSize, cell.leading)]))
    statement = (f"兹证明 {_text(volunteer['name'])} 同志于 {period} 期间在我单位参加志愿服务,"
                 f"经核实服务记录,累计服务时长 {facts['total_hours']} 小时。服务内容如下:")
    story = [Paragraph("志愿服务记录证明", styles["title"]), head, Spacer(0, 3 * mm), who, Spacer(0, 5 * mm),
             Paragraph(statement, styles["body"]), Spacer(0, 2 * mm), records, Spacer(0, 6 * mm)]
    if facts.get("note"):
        story.append(Paragraph(f"备注:{_text(facts['note'])}", styles["body"]))
    if facts.get("replaces"):
        story.append(Paragraph(f"本证明更正并替代第 {_text(facts['replaces'])} 号证明。", styles["body"]))
    story += [Spacer(0, 6 * mm)] + [Paragraph(_text(line), styles["body"]) for line in (
        f"出具单位:{issuer['name']}", f"负责人:{issuer['person_in_charge']}", f"经办人:{facts['handler']}",
        f"联系电话:{issuer['contact']}", f"出具日期:{facts['issued_on']}")]
    story += [Spacer(0, 6 * mm), Paragraph("本证明依据志愿服务记录免费出具。扫描二维码或访问证明上的链接可核验真伪;"
                                           "已撤销的证明核验时显示“已撤销”。", styles["small"])]
    document.build(story)
    return buffer.getvalue()


def register_workbook(records: list[Certificate]) -> bytes:
    """出具登记: one row per number given, in number order; typed text stays text."""
    book = Workbook()
    sheet = book.active
    sheet.title = "志愿服务记录证明登记"
    sheet.append(REGISTER_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    states = in_chinese("certificate_state")
    for record in records:
        facts = record.facts or {}
        volunteer, issuer = facts.get("volunteer", {}), facts.get("issuer", {})
        id_type = in_chinese("id_type").get(volunteer.get("id_type") or "", "")
        sheet.append(safe_row([
            record.number, record.issued_on, volunteer.get("name"), volunteer.get("number"), id_type,
            volunteer.get("id_number"), record.period_start, record.period_end, float(facts.get("total_hours", 0)),
            len(facts.get("records", [])), issuer.get("name"), facts.get("handler"), states[record.state.value],
            revoked_on(record), record.revoke_reason or None,
            record.replaced_by.number if record.replaced_by else None, facts.get("replaces"), facts.get("note") or None,
        ], sheet))
    for column, width in WIDTHS.items():
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
