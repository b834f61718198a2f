"""API shapes of volunteers, party-member reports, residents and skills."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..pii import MaskedIdNumber, MaskedPhone
from ..resources import PageArgs
from ..validation import (
    CODE, HourMinute, Id, Latitude, LocalDate, LocalDateTime, Longitude, Name, check_time_band, validate_id_number,
    validate_mobile,
)
from ..validation import lazy_gettext as _l
from .contact import Purpose
from .models import DaySelector, HolidayMode, PriorityGroup, VolunteerStatus


class SkillIn(Schema):
    code = fields.String(required=True, validate=CODE)
    name_zh = Name(required=True, max=32)
    name_en = Name(required=True)


class SkillSchema(SkillIn):
    id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True)


class TimeBand(Schema):
    start = HourMinute(required=True)
    end = HourMinute(required=True)

    @validates_schema
    def end_after_start(self, data, **kwargs):
        check_time_band(data)


class AvailabilitySlotSchema(TimeBand):
    days = fields.Enum(DaySelector, required=True, metadata={
        "description": "workdays (incl. 调休 make-up days), rest_days (weekends and holidays) or one weekday mon..sun"})


class AvailabilityExceptionSchema(Schema):
    on_date = LocalDate(required=True)
    available = fields.Boolean(required=True, metadata={"description": "false: away; true: extra time"})
    start = HourMinute(allow_none=True)
    end = HourMinute(allow_none=True)
    note = fields.String(validate=validate.Length(max=128))

    @validates_schema
    def band_is_whole_or_valid(self, data, **kwargs):
        if (data.get("start") is None) != (data.get("end") is None):
            raise ValidationError(_l("Give both start and end, or neither."), "end")
        if data.get("available") and data.get("start") is None:
            raise ValidationError(_l("Extra time needs a start and an end."), "start")
        check_time_band(data)


class VolunteerIn(Schema):
    name = Name(required=True, max=32)
    phone = fields.String(required=True, validate=validate_mobile)
    id_number = fields.String(allow_none=True, validate=validate_id_number)
    community_id = Id(required=True)
    grid_id = Id(required=True)
    building_id = Id(allow_none=True)
    lat = Latitude(metadata={"description": "home location; defaults to the building's or grid's"})
    lon = Longitude()
    skills = fields.List(fields.String(validate=CODE), validate=validate.Length(max=30),
                         metadata={"description": "skill codes from the catalogue"})
    availability = fields.List(fields.Nested(AvailabilitySlotSchema), validate=validate.Length(max=50))
    exceptions = fields.List(fields.Nested(AvailabilityExceptionSchema), validate=validate.Length(max=200))
    max_hours_per_week = fields.Integer(validate=validate.Range(min=0, max=80))
    max_distance_m = fields.Integer(validate=validate.Range(min=0, max=50_000))
    status = fields.Enum(VolunteerStatus)
    holiday_mode = fields.Enum(HolidayMode)
    is_party_member = fields.Boolean()
    show_in_rankings = fields.Boolean(metadata={"description": "consents to be named among top volunteers"})
    joined_on = fields.Date()


class VolunteerSchema(VolunteerIn):
    id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True)
    phone = MaskedPhone()
    id_number = MaskedIdNumber()
    skills = fields.Function(lambda v: [s.code for s in v.skills])


class VolunteerQuery(PageArgs):
    q = fields.String(validate=validate.Length(max=32), metadata={"description": "name or phone contains"})
    community_id = Id()
    grid_id = Id()
    skill = fields.String(validate=CODE, metadata={"description": "skill code"})
    status = fields.Enum(VolunteerStatus)
    is_party_member = fields.Boolean()
    available_at = LocalDateTime(metadata={
        "description": "local time, e.g. 2026-12-05T09:00 (an offset is converted to China time); "
                       "holidays and 调休 understood"})


class ClaimedPostSchema(TimeBand):
    station_id = Id(required=True)
    weekday = fields.Integer(required=True, validate=validate.Range(min=0, max=6), metadata={"description": "0 = Monday"})


class PartyReportIn(Schema):
    volunteer_id = Id(required=True)
    work_unit = Name(required=True, max=128)
    party_organization = Name(required=True, max=128)
    community_id = Id(required=True)
    reported_on = LocalDate(required=True)
    yearly_target_hours = fields.Integer(validate=validate.Range(min=0, max=2000))
    claimed_posts = fields.List(fields.Nested(ClaimedPostSchema), validate=validate.Length(max=20))


class ProgressSchema(Schema):
    year = fields.Integer()
    served_hours = fields.Float()
    target_hours = fields.Integer()
    percent = fields.Integer()


class PartyReportSchema(PartyReportIn):
    id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True)
    volunteer_name = fields.Function(lambda r: r.volunteer.name)
    progress = fields.Method("dump_progress")

    def dump_progress(self, report):
        from .service import yearly_progress

        return ProgressSchema().dump(yearly_progress(report))


class PartyReportQuery(PageArgs):
    community_id = Id()
    q = fields.String(validate=validate.Length(max=64), metadata={"description": "work unit contains"})


class ResidentIn(Schema):
    name = Name(required=True, max=32)
    phone = fields.String(required=True, validate=validate_mobile)
    id_number = fields.String(allow_none=True, validate=validate_id_number)
    building_id = Id(required=True)
    household = fields.String(validate=validate.Length(max=32))
    priority_groups = fields.List(fields.Enum(PriorityGroup), validate=validate.Length(max=5))
    notes = fields.String(validate=validate.Length(max=256))


class ResidentSchema(ResidentIn):
    id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True)
    community_id = fields.Integer(dump_only=True)
    grid_id = fields.Integer(dump_only=True)
    registered_by_id = fields.Integer(dump_only=True)
    phone = MaskedPhone()
    id_number = MaskedIdNumber()
    priority_groups = fields.Function(lambda r: [g.group.value for g in r.priority_groups])


class ResidentQuery(PageArgs):
    q = fields.String(validate=validate.Length(max=32), metadata={"description": "name or phone contains"})
    community_id = Id()
    grid_id = Id()
    building_id = Id()
    priority_group = fields.Enum(PriorityGroup)


class ServiceLogIn(Schema):
    volunteer_id = Id(required=True)
    served_on = LocalDate(required=True)
    minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=24 * 60))
    description = fields.String(validate=validate.Length(max=128))


class ServiceLogSchema(ServiceLogIn):
    id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True)


class ServiceLogQuery(PageArgs):
    volunteer_id = Id()
    community_id = Id()


class RankingConsentIn(Schema):
    show_in_rankings = fields.Boolean(required=True)
    version = fields.Integer(required=True)


class PhoneRevealIn(Schema):
    purpose = fields.Enum(Purpose, by_value=True, required=True, metadata={
        "description": "the page whose task needs the number: callout (a call-out's invited volunteers), "
                       "duty_sheet (a week's duty sheet), request (a request's resident), follow_up (回访)"})
    record_id = Id(required=True, metadata={"description": "that page's record: the call-out, week, request or "
                                                            "follow-up"})
    person_id = Id(required=True, metadata={"description": "the volunteer (callout, duty_sheet) or resident "
                                                            "(request, follow_up) to call"})


class PhoneRevealSchema(PhoneRevealIn):
    phone = fields.String(metadata={"description": "the full number; the reveal is in the audit log"})
