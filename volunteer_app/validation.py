"""Field validators shared by every domain's schemas."""
import re
from datetime import time

from marshmallow import ValidationError, fields, validate

from .clock import CHINA_TIME

MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")
CODE = validate.Regexp(r"^[A-Za-z0-9_-]{1,32}$", error="letters, digits, '-' or '_' (at most 32)")


def validate_mobile(value: str) -> None:
    if not MAINLAND_MOBILE.match(value or ""):
        raise ValidationError("not a mainland mobile number (11 digits starting 13–19)")


def validate_id_number(value: str) -> None:
    """Mainland resident ID: 18 characters with the ISO 7064 MOD 11-2 check digit."""
    if not ID_NUMBER.match(value or ""):
        raise ValidationError("not an 18-character resident ID number")
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(value[:17], weights)) % 11]
    if value[17].upper() != check:
        raise ValidationError("resident ID check digit is wrong")


MAX_ID = 2**31 - 1  # PostgreSQL INTEGER; larger ids cannot exist


def Id(**kwargs):
    """A record id: positive and within the database's integer range."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def Latitude(**kwargs):
    return fields.Float(validate=validate.Range(min=3.0, max=54.0), **kwargs)  # mainland China


def Longitude(**kwargs):
    return fields.Float(validate=validate.Range(min=73.0, max=136.0), **kwargs)


def Name(**kwargs):
    return fields.String(validate=validate.Length(min=1, max=kwargs.pop("max", 64)), **kwargs)


class HourMinute(fields.Time):
    """``HH:MM`` on the wire."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


def check_time_band(data: dict, start_key: str = "start", end_key: str = "end") -> None:
    start: time | None = data.get(start_key)
    end: time | None = data.get(end_key)
    if start is not None and end is not None and end <= start:
        raise ValidationError("must be after start", end_key)




class LocalDateTime(fields.DateTime):
    """Naive local (China) time, as the rosters use; an offset given is converted first."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is not None:
            moment = moment.astimezone(CHINA_TIME).replace(tzinfo=None)
        return moment


#: C0 control characters but tab, newline and carriage return: invisible, refused by PostgreSQL (NUL)
#: and by the .xlsx format (all of them), so they are never stored.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _control_paths(value, path: str):
    """Where a control character hides in parsed input."""
    if isinstance(value, str):
        if CONTROL_CHARACTERS.search(value):
            yield path or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _control_paths(str(key), path)
            yield from _control_paths(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _control_paths(item, f"{path}.{index}" if path else str(index))


def reject_control_characters() -> None:
    """422 for any control character (NUL, escape …) in a query, form or JSON body, naming the field.

    The database or the Excel exports would fail on it later; refusing it up
    front, for every endpoint at once, beats an error halfway through a write
    or a register that can no longer be exported.
    """
    from flask import request

    from .errors import InvalidInput

    sources = [("", request.args.to_dict(flat=False)), ("", request.form.to_dict(flat=False))]
    if request.is_json:
        sources.append(("", request.get_json(silent=True)))
    fields_with_controls = sorted({p for prefix, data in sources for p in _control_paths(data, prefix)})
    if fields_with_controls:
        raise InvalidInput("Text may not contain control characters",
                           {name: ["contains a control character (such as NUL or ESC)"]
                            for name in fields_with_controls})
