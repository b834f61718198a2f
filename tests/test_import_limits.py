"""A file too big to read answers 413/422 naming the limit before its rows are read (issue 14: a 663 KB .xlsx
that unpacks to 2,000,000 rows kept a worker reading until it was killed)."""
import io
import zipfile

from volunteer_app.extensions import db
from volunteer_app.people.models import Volunteer
from volunteer_app.people.transfer import MAX_ROWS, VOLUNTEERS
from volunteer_app.people.transfer.importing import MAX_SHEET_ROWS, MAX_UNPACKED_BYTES

from tests.support.pages import CSRF, logged_in, text_of
from tests.test_transfer import district, upload  # noqa: F401 (fixture)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
PARTS = {
    "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
    'PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": f'<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" Type="{RELATIONS}/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONS}"><sheets><sheet name="志愿者" sheetId="1" '
    'r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" '
    f'Type="{RELATIONS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}


def row_xml(*texts: str) -> bytes:
    cells = "".join(f'<c t="inlineStr"><is><t>{text}</t></is></c>' for text in texts)
    return f"<row>{cells}</row>".encode()


def workbook(rows: bytes) -> bytes:
    """A minimal .xlsx whose one sheet holds ``rows`` (``<row>`` elements), written as a bomb would be."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml",
                         f'<worksheet xmlns="{MAIN}"><sheetData>'.encode() + rows + b"</sheetData></worksheet>")
    return buffer.getvalue()


HEADER = row_xml(*(column.header for column in VOLUNTEERS.columns))
DATA_ROW = row_xml("王建国", "13900000001", "yongan", "yongan-g1")


def test_a_workbook_that_unpacks_to_two_million_rows_is_refused_unread(district, api_as):
    bomb = workbook(HEADER + row_xml("x") * 2_000_000)
    assert len(bomb) < 1_000_000  # small to upload …
    response = upload(api_as(district.coordinator), bomb)  # … huge to read
    assert response.status_code == 413, response.json
    assert response.json["error"] == "file_too_large"
    assert f"at most {MAX_UNPACKED_BYTES // 2**20} MB" in response.json["errors"]["file"][0]
    assert db.session.query(Volunteer).count() == 0


def test_more_rows_than_a_file_may_hold_are_refused_before_the_rest_is_read(district, api_as):
    sheet = workbook(HEADER + DATA_ROW * (MAX_SHEET_ROWS + 50_000))
    assert sum(m.file_size for m in zipfile.ZipFile(io.BytesIO(sheet)).infolist()) < MAX_UNPACKED_BYTES
    response = upload(api_as(district.coordinator), sheet)
    assert response.status_code == 422
    assert response.json["error"] == "too_many_rows" and str(MAX_ROWS) in response.json["errors"]["file"][0]


def test_a_csv_with_more_rows_than_a_file_may_hold_is_refused(district, api_as):
    csv = ",".join(c.header for c in VOLUNTEERS.columns).encode() + b"\n" + b"\n" * (MAX_SHEET_ROWS + 1)
    response = upload(api_as(district.coordinator), csv, filename="台账.csv")
    assert response.status_code == 422 and response.json["error"] == "too_many_rows"


def test_the_page_names_the_limit(district, app):
    client = logged_in(app, district.coordinator.username)
    token = CSRF.search(text_of(client.get("/io/"))).group(1)
    page = client.post("/io/import/volunteers", content_type="multipart/form-data",
                       data={"csrf_token": token, "file": (io.BytesIO(workbook(HEADER + row_xml("x") * 600_000)), "a.xlsx")})
    assert page.status_code == 413 and f"{MAX_UNPACKED_BYTES // 2**20} MB" in text_of(page)
