"""API shapes of the place hierarchy and stations."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..resources import PageArgs
from ..validation import CODE, Id, Latitude, LocalDate, Longitude, Name
from ..validation import lazy_gettext as _l
from .models import StationType


class SubdistrictIn(Schema):
    code = fields.String(required=True, validate=CODE)
    name = Name(required=True)


class SubdistrictSchema(SubdistrictIn):
    id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True)


class CommunityIn(Schema):
    code = fields.String(required=True, validate=CODE)
    name = Name(required=True)
    subdistrict_id = Id(required=True)
    lat = Latitude(allow_none=True)
    lon = Longitude(allow_none=True)


class CommunitySchema(CommunityIn):
    id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True)


class GridIn(Schema):
    code = fields.String(required=True, validate=CODE)
    name = Name(required=True)
    community_id = Id(required=True)
    lat = Latitude(required=True)
    lon = Longitude(required=True)


class GridSchema(GridIn):
    id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True)


class BuildingIn(Schema):
    code = fields.String(required=True, validate=CODE)
    name = Name(required=True)
    grid_id = Id(required=True)
    lat = Latitude(required=True)
    lon = Longitude(required=True)


class BuildingSchema(BuildingIn):
    id = fields.Integer(dump_only=True)
    community_id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True)


class OpeningHours(Schema):
    weekday = fields.Integer(required=True, validate=validate.Range(min=0, max=6), metadata={"description": "0 = Monday"})
    start = fields.String(required=True, validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$"))
    end = fields.String(required=True, validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$"))

    @validates_schema
    def end_after_start(self, data, **kwargs):
        if "start" in data and "end" in data and data["end"] <= data["start"]:
            raise ValidationError(_l("The end must be after the start."), "end")


class StationIn(Schema):
    code = fields.String(required=True, validate=CODE)
    name = Name(required=True)
    station_type = fields.Enum(StationType, required=True)
    community_id = Id(required=True)
    grid_id = Id(allow_none=True)
    address = fields.String(validate=validate.Length(max=128))
    lat = Latitude(required=True)
    lon = Longitude(required=True)
    opening_hours = fields.List(fields.Nested(OpeningHours), validate=validate.Length(max=50))
    closed_on_holidays = fields.Boolean()
    closures = fields.List(LocalDate(), validate=validate.Length(max=366))


class StationSchema(StationIn):
    id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True)
    closures = fields.List(fields.String())


class PlaceQuery(PageArgs):
    q = fields.String(validate=validate.Length(max=64), metadata={"description": "code or name contains"})
    subdistrict_id = Id()
    community_id = Id()
    grid_id = Id()
    station_type = fields.Enum(StationType)
