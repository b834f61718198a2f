"""Cells of the 台账: how one column's cells become schema input, and records become cells again.

Also the per-file ``Lookups`` that reading cells needs (place codes, the skill
catalogue) and the ``WriteContext`` that writing them needs.
"""
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from openpyxl.utils.datetime import from_excel
from sqlalchemy import select

from ...accounts import policy
from ...accounts.policy import Actor
from ...extensions import db
from ...pii import mask_id_number, mask_phone
from ...places.models import Community
from ...validation import CONTROL_CHARACTERS
from ..models import DaySelector, Skill

SEPARATORS = re.compile(r"[、,;/\n]+")  # after NFKC, so "，" and "；" are included


class CellError(ValueError):
    """A cell that cannot become schema input; the (lazily translated) message says what to write instead."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


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

    def __init__(self, actor: Actor):
        self.actor = actor
        self._by_code: dict[type, dict[str, Any]] = {}
        self._by_id: dict[type, dict[int, Any]] = {}
        self._skills: dict[str, str] | None = None

    def load(self, model, codes: Iterable[str]) -> None:
        found = self._by_code.setdefault(model, {})
        action = "places.read" if model is Community else "records.write"
        wanted = sorted(set(codes) - set(found))
        for chunk in _chunks(wanted, 500):
            for obj in db.session.scalars(select(model).where(model.code.in_(chunk))):
                if policy.may(self.actor, action, obj):
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
    """What writing cells needs: whether phone and ID numbers are written in full, and place codes by id."""

    full_numbers: bool
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


MASKED = _l("This number is masked (an export without full numbers): enter the full number, or export again "
             "choosing to include full numbers.")


def unmasked(text: str) -> str:
    """A masked number (138****5678) cannot be imported: say so, rather than that it is not a number."""
    if "*" in text:
        raise CellError(MASKED)
    return text


class Phone(Cell):
    text_format = True

    def read(self, value, lookups):
        return unmasked(re.sub(r"[\s-]", "", as_text(value)))

    def write(self, value, context):
        return value if context.full_numbers else mask_phone(value)


class IdNumber(Cell):
    text_format = True

    def read(self, value, lookups):
        text = as_text(value)
        if isinstance(value, (int, float)) or re.fullmatch(r"\d(\.\d+)?E\+\d+", text, re.IGNORECASE):
            raise CellError(_l("Excel stored this ID number as a number and lost its last digits: "
                               "format the column as text and enter it again."))
        return unmasked(text).upper()

    def write(self, value, context):
        return value if context.full_numbers else mask_id_number(value)


class PlaceCode(Cell):
    """A place given by its code in the file and by its id in the schema."""

    def __init__(self, model):
        self.model = model

    def read(self, value, lookups):
        code = as_text(value)
        obj = lookups.by_code(self.model, code)
        if obj is None:
            raise CellError(_l("No place with the code %(code)s among the records you manage.", code=code))
        return obj.id

    def write(self, value, context):
        return context.codes.get(self.model, {}).get(value)


class WholeNumber(Cell):
    def read(self, value, lookups):
        if isinstance(value, float) and not value.is_integer():
            raise CellError(_l("Enter a whole number."))
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
            raise CellError(_l("%(text)s is not one of: %(choices)s", text=repr(text), choices="、".join(self.labels.values())))
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
            raise CellError(_l("Not in the skill catalogue: %(codes)s", codes="、".join(unknown)))
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
        raise CellError(_l("%(text)s is not a date: write e.g. 2024-03-01.", text=repr(text)))


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
                raise CellError(_l("Cannot read %(text)s: write e.g. %(example)s.", text=repr(text[position:]),
                                   example=repr(self.EXAMPLE)))
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
                raise CellError(_l("Unknown day %(token)s: use 工作日, 休息日, 周一 … 周日 or a range like 周一至周五.",
                                   token=repr(token)))
            first, last = WEEKDAYS.index(ends[0]), WEEKDAYS.index(ends[-1])
            if first > last:
                raise CellError(_l("The range %(token)s runs backwards: write e.g. 周一至周五.", token=repr(token)))
            selectors += WEEKDAYS[first:last + 1]
        if not selectors:
            raise CellError(_l("Which days? Write e.g. %(example)s.", example=repr(self.EXAMPLE)))
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
