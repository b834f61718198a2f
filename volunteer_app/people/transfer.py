"""Import and export of the coordinators' Excel 台账 of volunteers and residents.

Every sheet column is declared once (``Column``): its Chinese header, the
schema field it feeds, how a cell becomes schema input and how a record
becomes a cell again. Import, export, the empty templates and the sample
files all read these declarations, so they cannot drift apart.

Rows go through the API's own schemas (``VolunteerIn`` / ``ResidentIn``) and
services, so no rule is stated twice. What the services would look up row by
row (place codes, the skill catalogue, duplicate phones) is looked up once per
file, and created rows are flushed in batches: that is what makes 5,000 rows
take seconds, and it lets the report name both rows of a duplicate. A file is
written inside one savepoint: if any row fails, nothing is kept.
"""
import codecs
import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
from marshmallow import Schema, ValidationError
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer.excel import ExcelWriter
from sqlalchemy import select, tuple_
from sqlalchemy.exc import SQLAlchemyError

from ..accounts.scoping import current_scope
from ..errors import DomainError, InvalidInput, NotFound
from ..extensions import db
from ..pii import mask_id_number, mask_phone, pii_visible
from ..places.models import Building, Community, Grid
from ..resources import ResourceService
from ..validation import CONTROL_CHARACTERS
from . import schemas, service
from .models import DaySelector, PriorityGroup, Resident, Skill, Volunteer, VolunteerStatus

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "data" / "templates"
MAX_ROWS = 20_000
BATCH_SIZE = 500  # rows created per flush
HEADER_SEARCH_ROWS = 10  # a title line or two above the header row is common in 台账
SEPARATORS = re.compile(r"[、,;/\n]+")  # after NFKC, so "，" and "；" are included
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"
FIXED_STAMP = datetime(2026, 1, 1)  # templates carry no build time: the same code gives the same file


class CellError(ValueError):
    """A cell that cannot become schema input; the message says what to write instead."""


def as_text(value) -> str:
    """A cell as text: full-width digits and punctuation folded (NFKC), 13912345678.0 → "13912345678"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return clean_text(unicodedata.normalize("NFKC", str(value)))


def clean_text(value) -> str:
    """Cell text without invisible control characters (a spreadsheet's stray ESC would break exports)."""
    return CONTROL_CHARACTERS.sub("", str(value)).strip()


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def split_list(value) -> list[str]:
    return [token.strip() for token in SEPARATORS.split(as_text(value)) if token.strip()]


# ---------------------------------------------------------------- lookups


class Lookups:
    """Codes of places and skills resolved once per file, limited to the caller's scope.

    Loading the places also puts them in the session's identity map, so the
    services' own ``db.session.get`` of each row's grid or building costs no query.
    """

    def __init__(self):
        self._by_code: dict[type, dict[str, Any]] = {}
        self._by_id: dict[type, dict[int, Any]] = {}
        self._skills: dict[str, str] | None = None

    def load(self, model, codes: Iterable[str]) -> None:
        scope = current_scope()
        found = self._by_code.setdefault(model, {})
        wanted = sorted(set(codes) - set(found))
        for chunk in _chunks(wanted, 500):
            for obj in db.session.scalars(select(model).where(model.code.in_(chunk))):
                visible = scope.everything or (obj.id in scope.visible_communities if model is Community
                                               else scope.allows(obj.community_id, obj.grid_id))
                if visible:
                    found[obj.code] = obj
                    self._by_id.setdefault(model, {})[obj.id] = obj

    def by_code(self, model, code: str):
        return self._by_code.get(model, {}).get(code)

    def by_id(self, model, record_id: int):
        return self._by_id.get(model, {}).get(record_id)

    def skill_code(self, token: str) -> str | None:
        """A skill named by code, Chinese or English name (any case)."""
        if self._skills is None:
            self._skills = {}
            for skill in db.session.scalars(select(Skill)):
                for name in (skill.code, skill.name_zh, skill.name_en):
                    self._skills.setdefault(as_text(name).lower(), skill.code)
        return self._skills.get(token.lower())


@dataclass
class WriteContext:
    """What writing cells needs: whether PII shows, and place codes by id."""

    reveal_pii: bool
    codes: dict[type, dict[int, str]] = field(default_factory=dict)

    def load_codes(self, model, ids: Iterable[int]) -> None:
        known = self.codes.setdefault(model, {})
        wanted = sorted({i for i in ids if i is not None} - set(known))
        for chunk in _chunks(wanted, 500):
            known.update(db.session.execute(select(model.id, model.code).where(model.id.in_(chunk))).all())


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


# ---------------------------------------------------------------- cells


class Cell:
    """How one column's cells turn into schema input, and records into cells."""

    text_format = False  # keep as text in Excel: long digit strings would be mangled into numbers
    date_format = False

    @property
    def choices(self) -> tuple[str, ...]:
        """Values offered as a drop-down in the templates (none: free input)."""
        return ()

    def read(self, value, lookups: Lookups):
        return as_text(value)

    def write(self, value, context: WriteContext):
        return value


class Text(Cell):
    def __init__(self, fold: bool = True):
        self.fold = fold  # free text (notes) keeps its full-width punctuation

    def read(self, value, lookups):
        return as_text(value) if self.fold else clean_text(value)


class Phone(Cell):
    text_format = True

    def read(self, value, lookups):
        return re.sub(r"[\s-]", "", as_text(value))

    def write(self, value, context):
        return value if context.reveal_pii else mask_phone(value)


class IdNumber(Cell):
    text_format = True

    def read(self, value, lookups):
        text = as_text(value)
        if isinstance(value, (int, float)) or re.fullmatch(r"\d(\.\d+)?E\+\d+", text, re.IGNORECASE):
            raise CellError("Excel stored this ID number as a number and lost its last digits: "
                            "format the column as text and enter it again")
        return text.upper()

    def write(self, value, context):
        return value if context.reveal_pii else mask_id_number(value)


class PlaceCode(Cell):
    """A place given by its code in the file and by its id in the schema."""

    def __init__(self, model):
        self.model = model

    def read(self, value, lookups):
        code = as_text(value)
        obj = lookups.by_code(self.model, code)
        if obj is None:
            raise CellError(f"no {self.model.__tablename__[:-1]} with code {code} in your scope")
        return obj.id

    def write(self, value, context):
        return context.codes.get(self.model, {}).get(value)


class WholeNumber(Cell):
    def read(self, value, lookups):
        if isinstance(value, float) and not value.is_integer():
            raise CellError("must be a whole number")
        return as_text(value)  # the schema's Integer field parses (and names bad input)


class Choice(Cell):
    """A value from a fixed list, written as its Chinese label; English values are accepted too."""

    def __init__(self, labels: dict, aliases: dict | None = None):
        self.labels = labels
        self._by_text = {}
        for value, label in labels.items():
            self._by_text[label] = value
            self._by_text[str(getattr(value, "value", value)).lower()] = value
        self._by_text.update(aliases or {})

    @property
    def choices(self):
        return tuple(self.labels.values())

    def read(self, value, lookups):
        text = as_text(value)
        if text.lower() not in self._by_text:
            raise CellError(f"{text!r} is not one of: {'、'.join(self.labels.values())}")
        chosen = self._by_text[text.lower()]
        return getattr(chosen, "name", chosen)  # enum fields load by name

    def write(self, value, context):
        return self.labels.get(value)


class ChoiceList(Cell):
    """Several values of one ``Choice`` in a cell, separated by 、 or ,."""

    def __init__(self, choice: Choice):
        self.choice = choice

    def read(self, value, lookups):
        return [self.choice.read(token, lookups) for token in split_list(value)]

    def write(self, values, context):
        return "、".join(self.choice.write(v, context) for v in values)


class Skills(Cell):
    def read(self, value, lookups):
        tokens = split_list(value)
        unknown = [t for t in tokens if lookups.skill_code(t) is None]
        if unknown:
            raise CellError(f"not in the skill catalogue: {'、'.join(unknown)}")
        return list(dict.fromkeys(lookups.skill_code(t) for t in tokens))

    def write(self, skills, context):
        return "、".join(s.name_zh for s in skills)


class Day(Cell):
    date_format = True
    FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")

    def read(self, value, lookups):
        if isinstance(value, (int, float)) and 10_000 < value < 100_000:  # an Excel serial day number
            value = from_excel(value)
        if isinstance(value, (date, datetime)):
            return as_text(value)
        text = as_text(value)
        for fmt in self.FORMATS:
            try:
                return datetime.strptime(text, fmt).date().isoformat()
            except ValueError:
                continue
        raise CellError(f"{text!r} is not a date: write e.g. 2024-03-01")


DAY_LABELS = {
    DaySelector.workdays: "工作日", DaySelector.rest_days: "休息日",
    DaySelector.mon: "周一", DaySelector.tue: "周二", DaySelector.wed: "周三", DaySelector.thu: "周四",
    DaySelector.fri: "周五", DaySelector.sat: "周六", DaySelector.sun: "周日",
}
WEEKDAYS = [DaySelector.mon, DaySelector.tue, DaySelector.wed, DaySelector.thu, DaySelector.fri,
            DaySelector.sat, DaySelector.sun]
_TIME = r"\d{1,2}:\d{2}"
_BAND = re.compile(rf"({_TIME})\s*[-~–—至到]\s*({_TIME})")
_ENTRY = re.compile(rf"[\s;,、]*([^\d;]+?)\s*((?:{_BAND.pattern}[\s,、]*)+)[\s;,、]*")
_WEEKDAY = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")
_DAY_WORDS = {label: selector for selector, label in DAY_LABELS.items()} | {s.value: s for s in DaySelector} | {
    "周末": DaySelector.rest_days, "双休日": DaySelector.rest_days, "节假日": DaySelector.rest_days,
    "每天": None,  # every day: working days and rest days
}


class Availability(Cell):
    """Weekly pattern written the way coordinators do: "工作日 18:00-21:00; 周六 09:00-12:00"."""

    EXAMPLE = "工作日 18:00-21:00; 周六 09:00-12:00"

    def read(self, value, lookups):
        text, slots, position = as_text(value), [], 0
        while position < len(text):
            match = _ENTRY.match(text, position)
            if match is None or match.end() == position:
                raise CellError(f"cannot read {text[position:]!r}: write e.g. {self.EXAMPLE!r}")
            days = self._days(match.group(1).strip(" ,、;"))
            for start, end in _BAND.findall(match.group(2)):
                slots += [{"days": d.name, "start": f"{int(start[:-3]):02d}{start[-3:]}",
                           "end": f"{int(end[:-3]):02d}{end[-3:]}"} for d in days]
            position = match.end()
        return slots

    def _days(self, text: str) -> list[DaySelector]:
        selectors = []
        for token in re.split(r"[、,/和及与\s]+", text):
            token = token if token.lower() in _DAY_WORDS else token.removeprefix("每")
            if not token:
                continue
            if token.lower() in _DAY_WORDS:
                selector = _DAY_WORDS[token.lower()]
                selectors += [selector] if selector else [DaySelector.workdays, DaySelector.rest_days]
                continue
            span = re.fullmatch(r"(.+?)(?:至|到|-|~)(.+)", token)
            ends = [self._weekday(part) for part in (span.groups() if span else (token,))]
            if None in ends:
                raise CellError(f"unknown day {token!r}: use 工作日, 休息日, 周一 … 周日 or a range like 周一至周五")
            first, last = WEEKDAYS.index(ends[0]), WEEKDAYS.index(ends[-1])
            if first > last:
                raise CellError(f"the range {token!r} runs backwards: write e.g. 周一至周五")
            selectors += WEEKDAYS[first:last + 1]
        if not selectors:
            raise CellError(f"which days? write e.g. {self.EXAMPLE!r}")
        return list(dict.fromkeys(selectors))

    @staticmethod
    def _weekday(token: str) -> DaySelector | None:
        match = _WEEKDAY.fullmatch(token)
        if match:
            return WEEKDAYS["一二三四五六日天".index(match.group(1)) % 7]
        selector = _DAY_WORDS.get(token.lower())
        return selector if selector in WEEKDAYS else None

    def write(self, slots, context):
        return "; ".join(f"{DAY_LABELS[s.days]} {s.start:%H:%M}-{s.end:%H:%M}" for s in slots)


# ---------------------------------------------------------------- sheets


@dataclass(frozen=True)
class Column:
    header: str
    field: str  # the schema field it feeds
    cell: Cell
    hint: str = ""
    aliases: tuple[str, ...] = ()
    width: int = 14
    value: Callable[[Any], Any] | None = None  # record → what ``cell.write`` takes; default the field

    def value_of(self, record):
        return self.value(record) if self.value else getattr(record, self.field)


@dataclass(frozen=True)
class Kind:
    """One importable registry: its sheet columns, schema, service and duplicate key."""

    name: str  # in URLs and file names
    label: str  # 志愿者 / 居民
    model: type
    schema: type[Schema]
    service: ResourceService
    columns: tuple[Column, ...]
    community_of: Callable[[dict, Lookups], int]
    samples: tuple[dict[str, Any], ...]

    def column_for(self, field_name: str) -> Column | None:
        return next((c for c in self.columns if c.field == field_name), None)

    def header_for(self, field_name: str) -> str:
        column = self.column_for(field_name)
        return column.header if column else field_name

    def required(self, column: Column) -> bool:
        """A column the schema cannot do without must be in the file (asked once, up front)."""
        return self.schema().fields[column.field].required


STATUS = Choice({VolunteerStatus.active: "在册", VolunteerStatus.paused: "暂停", VolunteerStatus.left: "退出"},
                {"正常": VolunteerStatus.active, "活跃": VolunteerStatus.active, "已退出": VolunteerStatus.left})
YES_NO = Choice({True: "是", False: "否"}, {"y": True, "n": False, "yes": True, "no": False, "1": True, "0": False})
PRIORITY = Choice({
    PriorityGroup.low_income: "低保", PriorityGroup.disabled: "残疾", PriorityGroup.elderly_alone: "独居老人",
    PriorityGroup.childless_elderly: "孤寡", PriorityGroup.hardship: "困难",
}, {"独居": PriorityGroup.elderly_alone, "孤寡老人": PriorityGroup.childless_elderly,
    "困难家庭": PriorityGroup.hardship, "低保户": PriorityGroup.low_income, "残疾人": PriorityGroup.disabled})

NAME = Column("姓名", "name", Text(), "必填", width=10)
PHONE = Column("手机号", "phone", Phone(), "11位手机号；同一社区内不能重复", ("手机", "手机号码", "联系电话"), width=14)
ID_NUMBER = Column("身份证号", "id_number", IdNumber(), "18位；请设为文本格式，可空", ("身份证", "身份证号码"), width=21)

VOLUNTEERS = Kind(
    name="volunteers", label="志愿者", model=Volunteer, schema=schemas.VolunteerIn, service=service.volunteers,
    columns=(
        NAME, PHONE, ID_NUMBER,
        Column("社区编码", "community_id", PlaceCode(Community), "必填，例如 yongan"),
        Column("网格编码", "grid_id", PlaceCode(Grid), "必填，须属于该社区"),
        Column("楼栋编码", "building_id", PlaceCode(Building), "可空；须属于该网格"),
        Column("技能", "skills", Skills(), "技能代码或中文名，用、分隔，例如 理发、测血压", width=22),
        Column("可服务时间", "availability", Availability(),
               "工作日/休息日/周一…周日 + 时段，多段用 ; 分隔，例如 " + Availability.EXAMPLE, width=34),
        Column("每周最多小时", "max_hours_per_week", WholeNumber(), "0–80，默认 8"),
        Column("最远距离(米)", "max_distance_m", WholeNumber(), "0–50000，默认 2000", ("最远距离",)),
        Column("状态", "status", STATUS, "在册、暂停或退出，默认在册", width=8),
        Column("是否党员", "is_party_member", YES_NO, "是或否", width=8),
        Column("加入日期", "joined_on", Day(), "例如 2024-03-01，默认今天", width=12),
    ),
    community_of=lambda data, lookups: data["community_id"],
    samples=(
        {"姓名": "王建国", "手机号": "17743100001", "身份证号": "220102196505123417", "社区编码": "yongan",
         "网格编码": "yongan-g1", "楼栋编码": "yongan-b01", "技能": "理发、磨刀", "可服务时间": "工作日 08:30-11:30",
         "每周最多小时": 10, "最远距离(米)": 1500, "状态": "在册", "是否党员": "是", "加入日期": date(2021, 4, 12)},
        {"姓名": "李晓梅", "手机号": "17743100002", "身份证号": "220102198809162422", "社区编码": "yongan",
         "网格编码": "yongan-g2", "技能": "法律咨询、纠纷调解", "可服务时间": "工作日 18:30-21:00; 周六 09:00-12:00",
         "每周最多小时": 6, "最远距离(米)": 3000, "状态": "在册", "是否党员": "是", "加入日期": date(2023, 7, 1)},
        {"姓名": "赵子涵", "手机号": "17743100003", "社区编码": "xinghua", "网格编码": "xinghua-g1",
         "楼栋编码": "xinghua-b02", "技能": "tutoring, first_aid", "可服务时间": "周六、周日 14:00-17:00",
         "每周最多小时": 4, "状态": "在册", "是否党员": "否", "加入日期": date(2025, 9, 20)},
        {"姓名": "孙立伟", "手机号": "17743100004", "社区编码": "tongxin", "网格编码": "tongxin-g3",
         "技能": "维修、疏通下水、线路维修", "可服务时间": "周二 19:00-21:00; 休息日 09:00-11:30",
         "每周最多小时": 5, "最远距离(米)": 2500, "状态": "暂停", "是否党员": "否", "加入日期": date(2022, 11, 5)},
    ),
)

RESIDENTS = Kind(
    name="residents", label="居民", model=Resident, schema=schemas.ResidentIn, service=service.residents,
    columns=(
        NAME, PHONE, ID_NUMBER,
        Column("楼栋编码", "building_id", PlaceCode(Building), "必填，例如 yongan-b01；社区和网格随楼栋"),
        Column("门牌", "household", Text(), "单元/门牌，例如 2单元301", ("单元门牌", "户号", "门牌号")),
        Column("重点人群", "priority_groups", ChoiceList(PRIORITY), "低保、残疾、独居老人、孤寡、困难，可多选，用、分隔",
               width=20, value=lambda r: [g.group for g in r.priority_groups]),
        Column("备注", "notes", Text(fold=False), "最多 256 字", width=30),
    ),
    community_of=lambda data, lookups: lookups.by_id(Building, data["building_id"]).community_id,
    samples=(
        {"姓名": "刘淑兰", "手机号": "17743100011", "身份证号": "220102194203153021", "楼栋编码": "yongan-b01",
         "门牌": "1单元201", "重点人群": "独居老人、孤寡", "备注": "行动不便，需上门服务"},
        {"姓名": "陈国富", "手机号": "17743100012", "楼栋编码": "xinghua-b03", "门牌": "3单元502",
         "重点人群": "低保、残疾"},
        {"姓名": "周婷", "手机号": "17743100013", "楼栋编码": "tongxin-b05", "门牌": "2单元101"},
    ),
)

KINDS = {kind.name: kind for kind in (VOLUNTEERS, RESIDENTS)}


def kind_named(name: str) -> Kind:
    if name not in KINDS:
        raise NotFound(f"nothing to import or export as {name!r}")
    return KINDS[name]


# ---------------------------------------------------------------- reading files


def read_table(data: bytes) -> list[list]:
    """Rows of cells from an .xlsx (first sheet) or a CSV in UTF-8 (with or without BOM) or GBK."""
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_rows(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InvalidInput("Old .xls workbooks are not supported",
                           {"file": ["save it as .xlsx or CSV and upload again"]})
    return _csv_rows(data)


def _xlsx_rows(data: bytes) -> list[list]:
    try:
        with warnings.catch_warnings():
            # openpyxl warns about Excel features it skips (styles, extensions); the values are what we need.
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
            finally:
                book.close()
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvalidInput("Cannot read the workbook",
                           {"file": [f"not a readable .xlsx file ({exc.__class__.__name__})"]}) from exc


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
        raise InvalidInput("Cannot read the CSV file",
                           {"file": ["save it as UTF-8 or GBK (Excel's CSV) and upload again"]})
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _header_key(text) -> str:
    return re.sub(r"\s+", "", as_text(text)) if not is_blank(text) else ""


@dataclass
class RowErrors:
    """The row-by-row report: ``{"row", "column", "message"}`` with the sheet's own row numbers."""

    kind: Kind
    items: list[dict] = field(default_factory=list)
    _columns: dict[int, set[str]] = field(default_factory=dict)

    def add(self, row: int, column: str, message: str) -> None:
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
            label = f"entry {key + 1}" if isinstance(key, int) else str(key)
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
        errors.add(1, "", f"no header row found: the first row must name the columns ({expected})")
        return 0, {}, []
    positions: dict[int, Column] = {}
    ignored = []
    for position, cell in enumerate(rows[index]):
        column = names.get(_header_key(cell))
        if column is None:
            if not is_blank(cell):
                ignored.append(as_text(cell))
        elif column in positions.values():
            errors.add(index + 1, column.header, "this column appears twice")
        else:
            positions[position] = column
    for column in kind.columns:
        if column not in positions.values() and kind.required(column):
            errors.add(index + 1, column.header, "required column is missing")
    return index, positions, ignored


def _load_lookups(positions: dict[int, Column], rows: Iterable[tuple[int, list]]) -> Lookups:
    lookups = Lookups()
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
            errors.add(row, column.header, str(exc))
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
            errors.add(row, header, f"same phone as row {first_row[key]} in the same community")
        else:
            first_row[key] = row
    model = kind.model
    for chunk in _chunks(list(first_row), 500):
        existing = db.session.execute(
            select(model.id, model.name, model.community_id, model.phone)
            .where(tuple_(model.community_id, model.phone).in_(chunk)))
        for record_id, name, community_id, phone in existing:
            errors.add(first_row[(community_id, phone)], header,
                       f"already registered in this community: {name} (id {record_id})")


@dataclass
class ImportResult:
    created: int
    dry_run: bool
    ignored_columns: list[str]


def import_file(kind: Kind, data: bytes, dry_run: bool = False) -> ImportResult:
    """Validate every row and create them all, or raise ``InvalidInput`` listing every bad row.

    Only flushes (the caller commits); on any error, or for a dry run, the
    savepoint is rolled back and the database is as it was.
    """
    kind.service.require_writer()
    rows = read_table(data)
    errors = RowErrors(kind)
    header_index, positions, ignored = _match_header(kind, rows, errors)
    if errors.items:
        raise InvalidInput("The file does not match the template", {"rows": errors.items})
    body = [(number, cells) for number, cells in enumerate(rows[header_index + 1:], start=header_index + 2)
            if any(position < len(cells) and not is_blank(cells[position]) for position in positions)]
    if not body:
        raise InvalidInput("The file has no data rows", {"file": ["no rows below the header"]})
    if len(body) > MAX_ROWS:
        raise InvalidInput("Too many rows", {"file": [f"at most {MAX_ROWS} rows per file; split it"]})

    lookups = _load_lookups(positions, body)
    schema = kind.schema()
    inputs, parsed = [], []
    for row, cells in body:
        data, loaded = _parse_row(kind, schema, positions, cells, lookups, row, errors)
        inputs.append((row, data))
        if loaded is not None:
            parsed.append((row, loaded))
    _check_duplicates(kind, inputs, lookups, errors)

    created = _create_all(kind, [(row, data) for row, data in parsed if row not in errors.rows], errors, dry_run)
    if errors.items:
        errors.items.sort(key=lambda item: item["row"])
        raise InvalidInput(f"{len(errors.rows)} of {len(body)} rows have errors; nothing was imported",
                           {"rows": errors.items})
    return ImportResult(created, dry_run, ignored)


def _create_all(kind: Kind, rows: list[tuple[int, dict]], errors: RowErrors, dry_run: bool) -> int:
    """Run the service on each row inside one savepoint; keep it only if every row passed."""
    session = db.session()
    savepoint = session.begin_nested()
    created = 0
    try:
        for batch in _chunks(rows, BATCH_SIZE):
            with _one_flush_per_batch(session):
                for row, data in batch:
                    try:
                        kind.service.create(data)
                    except DomainError as exc:  # services check before they change: go on to the next row
                        errors.add_messages(row, exc.errors or {"": [exc.message]})
                    else:
                        created += 1
            try:
                session.flush()
            except SQLAlchemyError as exc:  # e.g. someone else saved the same phone meanwhile
                errors.add(batch[0][0], "", f"the database refused one of rows {batch[0][0]}–{batch[-1][0]} "
                                            f"({exc.__class__.__name__}); try again")
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
    session.flush = lambda objects=None: None  # shadows the method on this one session object
    try:
        yield
    finally:
        del session.flush


# ---------------------------------------------------------------- writing files


def export_records(kind: Kind, community_id: int | None = None) -> list:
    """The caller's records (scoped like the lists), one community if asked."""
    kind.service.require_writer()
    scope = current_scope()
    if community_id is not None and not (scope.everything or community_id in scope.visible_communities):
        raise NotFound(f"community {community_id} not found")
    statement = kind.service.filtered({"community_id": community_id}).order_by(
        kind.model.community_id, kind.model.grid_id, kind.model.id)
    return db.session.scalars(statement).all()


def rows_for(kind: Kind, records: list, reveal_pii: bool) -> list[list]:
    context = WriteContext(reveal_pii)
    for column in kind.columns:
        if isinstance(column.cell, PlaceCode):
            context.load_codes(column.cell.model, (getattr(r, column.field) for r in records))
    return [[column.cell.write(column.value_of(r), context) for column in kind.columns] for r in records]


def sample_rows(kind: Kind) -> list[list]:
    return [[sample.get(column.header) for column in kind.columns] for sample in kind.samples]


def export_file(kind: Kind, file_format: str, community_id: int | None = None) -> bytes:
    """Phones and ID numbers are masked unless the caller may see them (pii_visible)."""
    rows = rows_for(kind, export_records(kind, community_id), pii_visible())
    return write_csv(kind, rows) if file_format == "csv" else write_xlsx(kind, rows, datetime.now())


def write_csv(kind: Kind, rows: list[list]) -> bytes:
    """UTF-8 with BOM: Excel on Chinese Windows opens it without garbling."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([c.header for c in kind.columns])
    for row in rows:
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else v for v in row])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


class _StableZip(zipfile.ZipFile):
    """Entries with a fixed timestamp, so writing the same workbook twice gives the same bytes."""

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
        sheet.append(row)
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
