"""Reading an uploaded .xlsx or CSV and importing its rows all or nothing, with a row-by-row error report."""
import codecs
import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import openpyxl
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError
from sqlalchemy import select, tuple_
from sqlalchemy.exc import SQLAlchemyError

from ...errors import DomainError, InvalidInput, TooLarge
from ...extensions import db
from ...spreadsheets import csv_text
from .cells import CellError, Lookups, PlaceCode, _chunks, as_text, is_blank
from .sheets import Column, Kind
from ...accounts.policy import Actor

MAX_ROWS = 20_000
BATCH_SIZE = 500  # rows created per flush
HEADER_SEARCH_ROWS = 10  # a title line or two above the header row is common in 台账
# What a file may hold, checked before its rows are read, so that no file holds a worker more than a few
# seconds (a 663 KB workbook can unpack to 2,000,000 rows). The sheet's rows, blank ones included; the
# columns read of each (the templates have 14; further ones are not looked at); the .xlsx unpacked (its
# zip members; 20,000 rows of the template written by openpyxl are 14 MB).
MAX_SHEET_ROWS = MAX_ROWS + HEADER_SEARCH_ROWS
MAX_COLUMNS = 100
MAX_UNPACKED_BYTES = 24 * 1024 * 1024


def too_many_rows() -> InvalidInput:
    return InvalidInput(_l("Too many rows."), {"file": [_l("At most %(max)s rows per file; split it.", max=MAX_ROWS)]},
                        code="too_many_rows")


def _capped(rows: Iterator) -> list[list]:
    """At most ``MAX_SHEET_ROWS`` rows of at most ``MAX_COLUMNS`` cells; a longer sheet is refused unread."""
    kept = [list(row[:MAX_COLUMNS]) for _, row in zip(range(MAX_SHEET_ROWS + 1), rows)]
    if len(kept) > MAX_SHEET_ROWS:
        raise too_many_rows()
    return kept


def read_table(data: bytes) -> list[list]:
    """Rows of cells from an .xlsx (first sheet) or a CSV in UTF-8 (with or without BOM) or GBK, within the caps."""
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_rows(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InvalidInput(_l("Old .xls workbooks are not supported."),
                           {"file": [_l("Save it as .xlsx or CSV and upload it again.")]}, code="old_xls")
    return _csv_rows(data)


def _xlsx_rows(data: bytes) -> list[list]:
    try:
        # A member unpacks to its declared size at most (zipfile stops there), so the sizes bound the work.
        unpacked = sum(member.file_size for member in zipfile.ZipFile(io.BytesIO(data)).infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise TooLarge(_l("The workbook is too large."), {"file": [_l(
                "It unpacks to %(size)s MB; at most %(max)s MB per file: split it.",
                size=unpacked // 2**20, max=MAX_UNPACKED_BYTES // 2**20)]}, code="file_too_large")
        with warnings.catch_warnings():
            # openpyxl warns about Excel features it skips (styles, extensions); the values are what we need.
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                return _capped(book.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS,
                                                            max_row=MAX_SHEET_ROWS + 1))
            finally:
                book.close()
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvalidInput(_l("Cannot read the workbook."),
                           {"file": [_l("Not a readable .xlsx file (%(error)s).", error=exc.__class__.__name__)]},
                           code="unreadable_file") from exc


def _csv_rows(data: bytes) -> list[list]:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    for encoding in ("utf-8", "gb18030"):  # gb18030 reads GBK, which Excel on Chinese Windows writes
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput(_l("Cannot read the CSV file."),
                           {"file": [_l("Save it as UTF-8 or GBK (Excel's CSV) and upload it again.")]},
                           code="unreadable_file")
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    rows = _capped(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return [[csv_text(cell) for cell in row] for row in rows]


def _header_key(text) -> str:
    return re.sub(r"\s+", "", as_text(text)) if not is_blank(text) else ""


@dataclass
class RowErrors:
    """The row-by-row report: ``{"row", "column", "message"}`` with the sheet's own row numbers."""

    kind: Kind
    items: list[dict] = field(default_factory=list)
    _columns: dict[int, set[str]] = field(default_factory=dict)

    def add(self, row: int, column: str, message) -> None:
        """``message``: a text, lazily translated when it is written where the rule is."""
        self.items.append({"row": row, "column": column, "message": message})
        self._columns.setdefault(row, set()).add(column)

    def add_messages(self, row: int, messages, skip: set[str] = frozenset()) -> None:
        """Schema or service errors keyed by field, nested ones flattened into the message."""
        if not isinstance(messages, dict):
            messages = {"": messages}
        for field_name, problems in messages.items():
            if field_name in skip:
                continue
            header = self.kind.header_for(field_name) if field_name not in ("", "_schema") else ""
            for text in _flatten(problems):
                self.add(row, header, text)

    @property
    def rows(self) -> set[int]:
        return set(self._columns)

    def columns_of(self, row: int) -> set[str]:
        return self._columns.get(row, set())


def _flatten(problems, prefix: str = "") -> list[str]:
    if isinstance(problems, dict):
        out = []
        for key, value in problems.items():
            label = gettext("Entry %(number)s", number=key + 1) if isinstance(key, int) else str(key)
            out += _flatten(value, f"{prefix}{label}: ")
        return out
    if isinstance(problems, (list, tuple)):
        return [text for p in problems for text in _flatten(p, prefix)]
    return [prefix + str(problems)]


def _match_header(kind: Kind, rows: list[list], errors: RowErrors) -> tuple[int, dict[int, Column], list[str]]:
    """Find the header row; map sheet column positions to our columns."""
    names = {_header_key(h): c for c in kind.columns for h in (c.header, *c.aliases)}
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if sum(_header_key(cell) in names for cell in cells) >= 2:
            break
    else:
        expected = "、".join(c.header for c in kind.columns)
        errors.add(1, "", _l("No header row found: the first row must name the columns (%(expected)s).",
                             expected=expected))
        return 0, {}, []
    positions: dict[int, Column] = {}
    ignored = []
    for position, cell in enumerate(rows[index]):
        column = names.get(_header_key(cell))
        if column is None:
            if not is_blank(cell):
                ignored.append(as_text(cell))
        elif column in positions.values():
            errors.add(index + 1, column.header, _l("This column appears twice."))
        else:
            positions[position] = column
    for column in kind.columns:
        if column not in positions.values() and kind.required(column):
            errors.add(index + 1, column.header, _l("A required column is missing."))
    return index, positions, ignored


def _load_lookups(actor: Actor, positions: dict[int, Column], rows: Iterable[tuple[int, list]]) -> Lookups:
    lookups = Lookups(actor)
    wanted: dict[type, set[str]] = {}
    for position, column in positions.items():
        if isinstance(column.cell, PlaceCode):
            codes = wanted.setdefault(column.cell.model, set())
            codes.update(as_text(cells[position]) for _, cells in rows
                         if position < len(cells) and not is_blank(cells[position]))
    for model, codes in wanted.items():
        lookups.load(model, codes)
    return lookups


def _parse_row(kind: Kind, schema: Schema, positions, cells: list, lookups: Lookups, row: int,
               errors: RowErrors) -> tuple[dict, dict | None]:
    """Cells → schema input → the schema's ``load``; the input, and the loaded row unless it has errors."""
    data, failed = {}, set()
    for position, column in positions.items():
        raw = cells[position] if position < len(cells) else None
        if is_blank(raw):
            continue
        try:
            data[column.field] = column.cell.read(raw, lookups)
        except CellError as exc:
            errors.add(row, column.header, exc.message)
            failed.add(column.field)
    try:
        loaded = schema.load(data)
    except ValidationError as exc:
        errors.add_messages(row, exc.messages, skip=failed)
        return data, None
    return data, None if failed else loaded


def _check_duplicates(kind: Kind, inputs: list[tuple[int, dict]], lookups: Lookups, errors: RowErrors) -> None:
    """One phone per community: within the file (naming the first row) and against the database.

    Checked on every row whose phone and place were readable, even if other
    cells failed, so one upload reports all the problems.
    """
    header = kind.header_for("phone")
    first_row: dict[tuple[int, str], int] = {}
    for row, data in inputs:
        try:
            key = (kind.community_of(data, lookups), data["phone"])
        except KeyError:  # that place or the phone is missing; already reported
            continue
        if header in errors.columns_of(row):
            continue
        if key in first_row:
            errors.add(row, header, _l("The same phone as row %(row)s in the same community.", row=first_row[key]))
        else:
            first_row[key] = row
    model = kind.model
    for chunk in _chunks(list(first_row), 500):
        existing = db.session.execute(
            select(model.id, model.name, model.community_id, model.phone)
            .where(tuple_(model.community_id, model.phone).in_(chunk)))
        for record_id, name, community_id, phone in existing:
            errors.add(first_row[(community_id, phone)], header,
                       _l("This phone is already registered in this community: %(name)s (No. %(id)s).",
                          name=name, id=record_id))


@dataclass
class ImportResult:
    created: int
    dry_run: bool
    ignored_columns: list[str]


def import_file(actor: Actor, kind: Kind, data: bytes, dry_run: bool = False) -> ImportResult:
    """Validate every row and create them all, or raise ``InvalidInput`` listing every bad row.

    Only flushes (the caller commits); on any error, or for a dry run, the
    savepoint is rolled back and the database is as it was.
    """
    kind.service.require_writer(actor)
    rows = read_table(data)
    errors = RowErrors(kind)
    header_index, positions, ignored = _match_header(kind, rows, errors)
    if errors.items:
        raise InvalidInput(_l("The file does not match the template."), {"rows": errors.items}, code="not_the_template")
    body = [(number, cells) for number, cells in enumerate(rows[header_index + 1:], start=header_index + 2)
            if any(position < len(cells) and not is_blank(cells[position]) for position in positions)]
    if not body:
        raise InvalidInput(_l("The file has no data rows."), {"file": [_l("No rows below the header.")]},
                           code="no_rows")
    if len(body) > MAX_ROWS:
        raise too_many_rows()

    lookups = _load_lookups(actor, positions, body)
    schema = kind.schema()
    inputs, parsed = [], []
    for row, cells in body:
        data, loaded = _parse_row(kind, schema, positions, cells, lookups, row, errors)
        inputs.append((row, data))
        if loaded is not None:
            parsed.append((row, loaded))
    _check_duplicates(kind, inputs, lookups, errors)

    created = _create_all(actor, kind, [(row, data) for row, data in parsed if row not in errors.rows], errors, dry_run)
    if errors.items:
        errors.items.sort(key=lambda item: item["row"])
        raise InvalidInput(_l("%(bad)s of %(total)s rows have errors; nothing was imported.",
                              bad=len(errors.rows), total=len(body)), {"rows": errors.items}, code="rows_have_errors")
    return ImportResult(created, dry_run, ignored)


def _create_all(actor: Actor, kind: Kind, rows: list[tuple[int, dict]], errors: RowErrors, dry_run: bool) -> int:
    """Run the service on each row inside one savepoint; keep it only if every row passed."""
    session = db.session()
    savepoint = session.begin_nested()
    created = 0
    try:
        for batch in _chunks(rows, BATCH_SIZE):
            with _one_flush_per_batch(session):
                for row, data in batch:
                    try:
                        kind.service.create(actor, data)
                    except DomainError as exc:  # services check before they change: go on to the next row
                        errors.add_messages(row, exc.errors or {"": [exc.message]})
                    else:
                        created += 1
            try:
                session.flush()
            except SQLAlchemyError as exc:  # e.g. someone else saved the same phone meanwhile
                errors.add(batch[0][0], "", _l("The database refused one of rows %(first)s–%(last)s (%(error)s); "
                                               "try again.", first=batch[0][0], last=batch[-1][0],
                                               error=exc.__class__.__name__))
                break
    except BaseException:
        savepoint.rollback()
        raise
    if errors.items or dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return created


@contextmanager
def _one_flush_per_batch(session):
    """Let the services' per-row ``flush()`` wait until the batch is done.

    Services validate before they change anything and flush only so that
    ids exist, and duplicates within the file were caught before this point,
    so no row of a batch needs another one flushed first. One flush per
    batch halves the time of a large import.
    """
    # A shadowed method, because SQLAlchemy offers no proper switch: ``no_autoflush`` only stops autoflush,
    # not the services' explicit ``flush()``, and no session event can skip or defer a flush.
    session.flush = lambda objects=None: None  # shadows the method on this one session object
    try:
        yield
    finally:
        del session.flush
