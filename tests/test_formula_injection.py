"""Text that starts like a formula is exported as text and imports back to the same text (issue 14: a resident
named ``=HYPERLINK("http://x","y")`` came out of the registry export as a live formula)."""
import csv
import io

import openpyxl
import pytest
from sqlalchemy import select

from volunteer_app.extensions import db
from volunteer_app.people.models import Volunteer
from volunteer_app.spreadsheets import csv_text, safe_row

from tests.test_transfer import district, upload  # noqa: F401 (fixture)

NAMES = ['=HYPERLINK("http://x","y")', "+1+2", "-3+4", "@SUM(A1)", "王=芳"]


def test_safe_row_marks_csv_text_and_csv_text_reads_it_back():
    row = safe_row(NAMES + [-5, None, "'=already"])
    assert row[:5] == ["'" + name for name in NAMES[:4]] + ["王=芳"]
    assert row[5:] == [-5, None, "'=already"]  # numbers are numbers; text starting with a quote is left alone
    assert [csv_text(cell) for cell in row[:5]] == NAMES
    assert csv_text("'=already") == "=already" and csv_text("'quoted") == "'quoted"


@pytest.fixture()
def formula_names(district, make_volunteer):
    for number, name in enumerate(NAMES):
        make_volunteer(grid=district.grid, name=name, phone=f"1390000010{number}")
    return NAMES


def names_in_registry() -> list[str]:
    return db.session.scalars(select(Volunteer.name).order_by(Volunteer.phone)).all()


def reimport(admin_api, exported: bytes, filename: str) -> None:
    for volunteer in db.session.scalars(select(Volunteer)):
        db.session.delete(volunteer)
    db.session.commit()
    response = upload(admin_api, exported, filename=filename)
    assert response.status_code == 200, response.json
    db.session.expire_all()


def test_the_xlsx_export_writes_formula_like_names_as_text_and_reimports_them(formula_names, admin_api):
    exported = admin_api.get("/export/volunteers?format=xlsx&full_numbers=true").data
    sheet = openpyxl.load_workbook(io.BytesIO(exported)).worksheets[0]
    cells = {cell.value: cell for cell in next(sheet.iter_cols(min_col=1, max_col=1, min_row=2)) if cell.value}
    assert set(cells) == set(formula_names)
    for name in formula_names[:4]:
        assert cells[name].data_type == "s" and cells[name].quotePrefix, name  # text, shown as typed, never run
    reimport(admin_api, exported, "台账.xlsx")
    assert names_in_registry() == formula_names


def test_the_csv_export_marks_formula_like_names_and_reimports_them(formula_names, admin_api):
    exported = admin_api.get("/export/volunteers?format=csv&full_numbers=true").data
    names = [row[0] for row in csv.reader(io.StringIO(exported.decode("utf-8-sig")))][1:]
    assert names == ["'" + name for name in formula_names[:4]] + ["王=芳"]
    reimport(admin_api, exported, "台账.csv")
    assert names_in_registry() == formula_names
