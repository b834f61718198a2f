"""Field validators shared by every domain's schemas, and marshmallow's own messages in words people read."""
import re
from datetime import time
from urllib.parse import quote

from flask_babel import gettext
from flask_babel.speaklater import LazyString
from marshmallow import Schema, ValidationError, fields, validate

from .clock import CHINA_TIME, YEARS_SERVED, IsoWeek, OutsideYearsServed, month_text


class FieldText(LazyString, str):
    """A lazily translated text that marshmallow carries like one of its own messages.

    It is a ``str`` (its English msgid), so marshmallow wraps and stores it as it
    does its own messages; ``format`` (marshmallow's way to fill in ``{min}``,
    ``{max}`` …) answers another lazy text that fills those values in as named
    parameters (``%(min)s``) when it is shown, in the reader's language. It is
    immutable, so copies (flask-smorest deep-copies the schemas' docs) are itself,
    and no language is asked for before there is a reader.
    """

    def __new__(cls, msgid: str, **values):
        return str.__new__(cls, msgid)

    def __init__(self, msgid: str, **values):
        super().__init__(gettext, msgid, **values)
        self.msgid, self.values = msgid, values

    def format(self, *args, **values):
        return FieldText(self.msgid, **{**self.values, **values})

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


def lazy_gettext(msgid: str, **values) -> FieldText:
    """Flask-Babel's ``lazy_gettext`` for the texts schemas and validators raise: see :class:`FieldText`."""
    return FieldText(msgid, **values)


_l = lazy_gettext


def _use_our_words() -> None:
    """marshmallow's messages, set once to the sentences the pages show (before any schema builds its fields).

    The classes without a table of their own (``Time``, ``DateTime``) get one, so the shared parent's is untouched.
    """
    fields.Field.default_error_messages.update(required=_l("This field is required."),
                                                null=_l("This field is required."))
    fields.Integer.default_error_messages["invalid"] = _l("Enter a whole number.")
    fields.Number.default_error_messages["invalid"] = _l("Enter a number.")
    fields.Date.default_error_messages["invalid"] = _l("Enter a date as YYYY-MM-DD.")
    fields.Time.default_error_messages = {"invalid": _l("Enter a time as HH:MM.")}
    fields.DateTime.default_error_messages = {"invalid": _l("Enter a date and time.")}
    fields.Boolean.default_error_messages["invalid"] = _l("Choose yes or no.")
    fields.Enum.default_error_messages["unknown"] = _l("Choose one of the offered options.")
    Schema._default_error_messages["unknown"] = _l("Unexpected field.")
    validate.OneOf.default_message = _l("Choose one of the offered options.")
    validate.Regexp.default_message = _l("The format is not right.")
    validate.Length.message_min = _l("Enter at least %(min)s.")
    validate.Length.message_max = _l("Enter at most %(max)s.")
    validate.Length.message_all = _l("Enter %(min)s to %(max)s characters.")
    validate.Range.message_min = _l("Enter at least %(min)s.")
    validate.Range.message_max = _l("Enter at most %(max)s.")
    validate.Range.message_all = _l("Enter a value from %(min)s to %(max)s.")


_use_our_words()

MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")
CODE = validate.Regexp(r"^[A-Za-z0-9_-]{1,32}$", error=_l("Use letters, digits, '-' or '_' (at most 32)."))


def validate_mobile(value: str) -> None:
    if not MAINLAND_MOBILE.match(value or ""):
        raise ValidationError(_l("Not a mainland mobile number (11 digits starting with 13 to 19)."))


def validate_id_number(value: str) -> None:
    """Mainland resident ID: 18 characters with the ISO 7064 MOD 11-2 check digit."""
    if not ID_NUMBER.match(value or ""):
        raise ValidationError(_l("Not an 18-character resident ID number."))
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(value[:17], weights)) % 11]
    if value[17].upper() != check:
        raise ValidationError(_l("The check digit of this ID number is wrong."))


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
        raise ValidationError(_l("The end must be after the start."), end_key)




def outside_years_served() -> FieldText:
    return _l("Choose a time between the years %(first)s and %(last)s.",
              first=YEARS_SERVED.start, last=YEARS_SERVED.stop - 1)


ISO_WEEK_HELP = _l("Enter an ISO week such as 2026-W49.")
MONTH_HELP = _l("Enter a month as YYYY-MM, e.g. 2026-11.")


class LocalDateTime(fields.DateTime):
    """Naive local (China) time, as the rosters use; an offset given is converted first."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is not None:
            moment = moment.astimezone(CHINA_TIME).replace(tzinfo=None)
        if moment.year not in YEARS_SERVED:
            raise ValidationError(outside_years_served())
        return moment


class LocalDate(fields.Date):
    """A calendar day (``2026-12-07``) in the years the app serves."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if day.year not in YEARS_SERVED:
            raise ValidationError(outside_years_served())
        return day


def _parsed(parse, text, help_text):
    """``parse(text)``, its ``ValueError`` in words: the years served, or the format asked for."""
    try:
        return parse(text)
    except OutsideYearsServed:
        raise ValidationError(outside_years_served()) from None
    except ValueError:
        raise ValidationError(help_text) from None


class Week(fields.String):
    """An ISO week (``2026-W49``) with a day in the years served, loaded as a :class:`clock.IsoWeek`.

    Every week the API or a page reads goes through here (or :func:`parse_week`), so
    no week that cannot be counted in reaches the date arithmetic behind it.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        return _parsed(IsoWeek, super()._deserialize(value, attr, data, **kwargs), ISO_WEEK_HELP)


class Month(fields.String):
    """A calendar month (``2026-11``) of the years served, loaded as its text."""

    def _deserialize(self, value, attr, data, **kwargs):
        return _parsed(month_text, super()._deserialize(value, attr, data, **kwargs), MONTH_HELP)


def parse_week(text: str, field: str = "week") -> IsoWeek:
    """A week given as text outside a schema (a URL, a service's argument): 422 naming ``field``."""
    from .errors import InvalidInput

    try:
        return Week().deserialize(text)
    except ValidationError as exc:
        raise InvalidInput(ISO_WEEK_HELP, {field: exc.messages}, code="bad_week") from None


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


#: The longest URL (path and query, as sent) the app answers; longer ones get 414 in the one error shape.
#: gunicorn.conf.py lets request lines up to 8,190 bytes through to the app, so that the app can say so.
MAX_URL_BYTES = 4096


def raw_url_length(environ: dict) -> int:
    """The URL's length in bytes as the client sent it (gunicorn keeps it; otherwise it is put back together)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw is not None:
        return len(raw.encode("latin-1", "replace"))
    path = quote(environ.get("PATH_INFO", "").encode("latin-1", "replace"), safe="/;=,~!$&'()*+:@")
    query = environ.get("QUERY_STRING", "")
    return len(path) + (len(query) + 1 if query else 0)


def refuse_long_urls() -> None:
    """414 in the app's own words (the API's JSON, a page for pages) for a URL longer than ``MAX_URL_BYTES``.

    Runs before anything reads the query: such a URL is a mistake or an attack, never a request to serve.
    """
    from flask import request

    from .errors import UrlTooLong

    if raw_url_length(request.environ) > MAX_URL_BYTES:
        raise UrlTooLong(_l("The address is too long (at most %(limit)s bytes).", limit=MAX_URL_BYTES),
                         {"url": [_l("At most %(limit)s bytes.", limit=MAX_URL_BYTES)]})


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
        raise InvalidInput(_l("Text may not contain control characters."),
                           {name: [_l("Contains a control character (such as NUL or ESC).")]
                            for name in fields_with_controls}, code="control_character")
