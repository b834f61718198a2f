"""REST endpoints for accounts, API tokens, the audit log and holidays."""
from datetime import date

from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select

from ..errors import InvalidInput, NotFound
from ..extensions import db
from ..holidays import service as holidays
from ..holidays.models import HolidayOverride
from ..resources import ID_IN_URL, commit, paginate, page_schema, register_crud, update_schema_for
from ..validation import LocalDate
from . import schemas, service
from .auth import require_role
from .models import ApiToken, AuditLog, Role

blp = Blueprint("accounts", __name__, description="Users, API tokens, audit log, holidays")

register_crud(blp, "/users", service.users, schemas.UserSchema, schemas.UserIn, schemas.UserQuery,
              update_schema_for(schemas.UserIn))


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, schemas.UserSchema)
    def get(self):
        """The calling user, with role and scope"""
        return current_user


@blp.route("/tokens")
class Tokens(MethodView):
    @blp.response(200, schemas.TokenSchema(many=True))
    def get(self):
        """Your API tokens (never the secrets)"""
        return db.session.scalars(select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id)).all()

    @blp.arguments(schemas.TokenIn)
    @blp.response(201, schemas.NewTokenSchema)
    def post(self, data):
        """Create a token for yourself; the secret is in this response only"""
        plain, record = service.create_token(current_user, data["name"], data["days"])
        commit()
        record.token = plain  # transient: dumped in this response, never stored
        return record


@blp.route(f"/tokens/<{ID_IN_URL}:token_id>")
class TokenItem(MethodView):
    @blp.response(204)
    def delete(self, token_id):
        """Revoke a token (your own; admins any)"""
        record = db.session.get(ApiToken, token_id)
        if record is None or (record.user_id != current_user.id and current_user.role != Role.admin):
            raise NotFound(_l("No such token."))
        service.revoke_token(token_id)
        commit()


@blp.route("/audit")
class Audit(MethodView):
    @blp.arguments(schemas.AuditQuery, location="query")
    @blp.response(200, page_schema(schemas.AuditSchema))
    def get(self, args):
        """Who created, changed or deleted which record (admins)"""
        require_role(Role.admin)
        statement = select(AuditLog).order_by(AuditLog.id.desc())
        for key in ("entity", "entity_id", "user_id"):
            if args.get(key) is not None:
                statement = statement.where(getattr(AuditLog, key) == args[key])
        return paginate(statement, args["page"], args["per_page"])


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
        statuses = holidays.day_statuses(args["start"], args["end"])
        return {"days": list(statuses.values()),
                "unknown_years": sorted({s.day.year for s in statuses.values() if not s.known})}


@blp.route("/holidays/<string:day>")
class HolidayOverrideItem(MethodView):
    @blp.arguments(OverrideIn)
    @blp.response(200, DaySchema)
    def put(self, data, day):
        """Enter an official holiday or 调休 working day (admins); wins over the package"""
        require_role(Role.admin)
        on = _parse_day(day)
        override = db.session.get(HolidayOverride, on) or HolidayOverride(day=on)
        override.is_workday, override.name = data["is_workday"], data["name"]
        db.session.add(override)
        commit()
        return holidays.day_status(on)

    @blp.response(204)
    def delete(self, day):
        """Remove an override (admins)"""
        require_role(Role.admin)
        override = db.session.get(HolidayOverride, _parse_day(day))
        if override is None:
            raise NotFound(_l("No override on %(day)s.", day=day))
        db.session.delete(override)
        commit()


def _parse_day(day: str) -> date:
    try:
        return LocalDate().deserialize(day)
    except ValidationError as exc:
        raise InvalidInput(_l("Enter a date as YYYY-MM-DD."), {"day": exc.messages}, code="bad_date") from None
