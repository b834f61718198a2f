"""Text in the files people open in Excel or WPS stays text (issue 14: formula injection).

A resident named ``=HYPERLINK("http://x","y")`` must come out of an export as that
name, not as a live link, and a cell starting with ``+``, ``-``, ``@``, a tab or a
carriage return must not become a formula when someone edits it. Every export
(the registry, the reports, the points statements, the printed roster) writes
its rows through :func:`safe_row`; the registry import reads them back to the
same text (:func:`csv_text`).
"""
from openpyxl.cell.cell import Cell

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Flask adds ``; charset=utf-8`` to text types itself: naming the charset here answered it twice.
CSV_MIME = "text/csv"

#: What makes Excel, WPS or LibreOffice read a cell's text as a formula (OWASP's list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: CSV has no cell types: such text gets this mark in front, which Excel shows as text and hides.
CSV_TEXT_MARK = "'"


def looks_like_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def safe_row(values, sheet=None) -> list:
    """A row to write with its formula-like text kept as text.

    With ``sheet`` (openpyxl), for ``sheet.append``: such text becomes a text cell
    with Excel's quote prefix, the same text, shown as typed and never run, even
    after the cell is edited. Without, for ``csv.writer``: the text gets
    ``CSV_TEXT_MARK`` in front.
    """
    if sheet is None:
        return [CSV_TEXT_MARK + value if looks_like_formula(value) else value for value in values]
    return [_text_cell(sheet, value) if looks_like_formula(value) else value for value in values]


def _text_cell(sheet, text: str) -> Cell:
    cell = Cell(sheet, value=text)
    cell.data_type = "s"  # openpyxl makes text starting with "=" a formula
    cell.quotePrefix = True
    return cell


def csv_text(text: str) -> str:
    """A CSV cell as it was before :func:`safe_row` marked it (other text as it is)."""
    unmarked = text[len(CSV_TEXT_MARK):] if text.startswith(CSV_TEXT_MARK) else text
    return unmarked if looks_like_formula(unmarked) else text
