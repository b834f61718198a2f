"""REST endpoints of the holiday calendar: working days, public holidays and 调休."""
from datetime import date

from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from ..accounts.policy import current_actor
from ..errors import InvalidInput
from ..resources import commit
from ..validation import LocalDate
from . import service

blp = Blueprint("holidays", __name__, description="Working days, public holidays and 调休")


class HolidayRange(Schema):
    start = LocalDate(required=True)
    end = LocalDate(required=True)


class DaySchema(Schema):
    day = fields.Date()
    is_workday = fields.Boolean()
    is_public_holiday = fields.Boolean()
    is_makeup_workday = fields.Boolean()
    holiday_name = fields.String(allow_none=True)
    known = fields.Boolean(metadata={"description": "false: neither the package nor an admin knows this year"})


class CalendarSchema(Schema):
    days = fields.List(fields.Nested(DaySchema))
    unknown_years = fields.List(fields.Integer())


class OverrideIn(Schema):
    is_workday = fields.Boolean(required=True, metadata={"description": "true: 调休 working day; false: holiday"})
    name = fields.String(load_default="", validate=validate.Length(max=32))


@blp.route("/holidays")
class Holidays(MethodView):
    @blp.arguments(HolidayRange, location="query")
    @blp.response(200, CalendarSchema)
    def get(self, args):
        """Working days, public holidays and 调休 in a date range (at most a year)"""
        if args["end"] < args["start"] or (args["end"] - args["start"]).days > 366:
            raise InvalidInput(_l("Choose a range of at most a year."),
                               {"end": [_l("Must be after the start and within 366 days of it.")]}, code="bad_range")
        statuses = service.day_statuses(args["start"], args["end"])
        return {"days": list(statuses.values()),
                "unknown_years": sorted({s.day.year for s in statuses.values() if not s.known})}


@blp.route("/holidays/<string:day>")
class HolidayOverrideItem(MethodView):
    @blp.arguments(OverrideIn)
    @blp.response(200, DaySchema)
    def put(self, data, day):
        """Enter an official holiday or 调休 working day (admins); wins over the package"""
        status = service.set_override(current_actor(), _parse_day(day), data["is_workday"], data["name"])
        commit()
        return status

    @blp.response(204)
    def delete(self, day):
        """Remove an override (admins)"""
        service.remove_override(current_actor(), _parse_day(day))
        commit()


def _parse_day(day: str) -> date:
    try:
        return LocalDate().deserialize(day)
    except ValidationError as exc:
        raise InvalidInput(_l("Enter a date as YYYY-MM-DD."), {"day": exc.messages}, code="bad_date") from None
