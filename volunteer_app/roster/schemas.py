"""API shapes of templates, weeks, demands, assignments and plan jobs."""
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..resources import PageArgs
from ..validation import CODE, HourMinute, Id, LocalDateTime, Week, check_time_band
from .models import (
    AssignmentStatus, CallOutStatus, DemandKind, HolidayRule, InviteStatus, JobStatus, PairRuleKind, SwapStatus,
    WeekStatus,
)
from .service import END_AFTER_START, served_minutes
from .urgent import MAX_RADIUS_M, shortfall

Priority = lambda **kw: fields.Integer(validate=validate.Range(min=1, max=10), **kw)  # noqa: E731
Needed = lambda **kw: fields.Integer(validate=validate.Range(min=1, max=50), **kw)  # noqa: E731


class TemplateIn(Schema):
    station_id = Id(required=True)
    title = fields.String(validate=validate.Length(max=64))
    weekday = fields.Integer(required=True, validate=validate.Range(min=0, max=6), metadata={"description": "0 = Monday"})
    start = HourMinute(required=True)
    end = HourMinute(required=True)
    needed = Needed()
    skills = fields.List(fields.String(validate=CODE), validate=validate.Length(max=10))
    priority = Priority()
    holiday_rule = fields.Enum(HolidayRule)
    holiday_needed = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=50))
    active = fields.Boolean()

    @validates_schema
    def end_after_start(self, data, **kwargs):
        check_time_band(data)


class TemplateSchema(TemplateIn):
    id = fields.Integer(dump_only=True)
    community_id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True)


class TemplateQuery(PageArgs):
    community_id = Id()
    station_id = Id()


class DemandIn(Schema):
    kind = fields.Enum(DemandKind)
    title = fields.String(validate=validate.Length(max=64))
    station_id = Id(allow_none=True)
    start = LocalDateTime(required=True)
    end = LocalDateTime(required=True)
    needed = Needed()
    skills = fields.List(fields.String(validate=CODE), validate=validate.Length(max=10))
    priority = Priority()
    lat = fields.Float(validate=validate.Range(min=3.0, max=54.0))
    lon = fields.Float(validate=validate.Range(min=73.0, max=136.0))
    cancelled = fields.Boolean()

    @validates_schema
    def end_after_start(self, data, **kwargs):
        if "start" in data and "end" in data and data["end"] <= data["start"]:
            raise ValidationError(END_AFTER_START, "end")


class DemandCreate(DemandIn):
    week_id = Id(required=True)


class DemandSchema(DemandCreate):
    id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True)
    start = fields.DateTime(format="%Y-%m-%dT%H:%M")
    end = fields.DateTime(format="%Y-%m-%dT%H:%M")


class DemandQuery(PageArgs):
    week_id = Id()


class PlanIn(Schema):
    community_id = Id(required=True)
    week = Week(required=True)


class JobSchema(Schema):
    id = fields.Integer()
    week_id = fields.Integer()
    purpose = fields.String()
    status = fields.Enum(JobStatus)
    stage = fields.String()
    best_coverage = fields.Integer(allow_none=True)
    elapsed_s = fields.Float()
    error = fields.String()
    summary = fields.Dict()
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class PairSchema(Schema):
    demand_id = fields.Integer()
    volunteer_id = fields.Integer()
    volunteer_name = fields.String()


class AssignmentSchema(Schema):
    id = fields.Integer()
    version = fields.Integer()
    demand_id = fields.Integer()
    volunteer_id = fields.Integer()
    volunteer_name = fields.Function(lambda a: a.volunteer.name)
    status = fields.Enum(AssignmentStatus)
    reason = fields.String()
    served_at = fields.DateTime(allow_none=True)
    checked_in_at = fields.DateTime(allow_none=True, format="%Y-%m-%dT%H:%M", metadata={"description": "签到, China time"})
    checked_out_at = fields.DateTime(allow_none=True, format="%Y-%m-%dT%H:%M", metadata={"description": "签退, China time"})
    served_minutes = fields.Function(lambda a: served_minutes(a) if a.served_at else None, metadata={
        "description": "the minutes the served duty counts for (attended where recorded, else scheduled)"})
    title = fields.Function(lambda a: a.demand.title)
    start = fields.Function(lambda a: a.demand.start.strftime("%Y-%m-%dT%H:%M"))
    end = fields.Function(lambda a: a.demand.end.strftime("%Y-%m-%dT%H:%M"))
    station_id = fields.Function(lambda a: a.demand.station_id)


class UnfilledSchema(Schema):
    demand_id = fields.Integer()
    missing = fields.Integer()
    reasons = fields.List(fields.String())
    reason_codes = fields.List(fields.Dict(), metadata={
        "description": "each reason as {code, params}, in the order of reasons (absent on plans made before codes were kept)"})


class WeekSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    week = fields.String()
    status = fields.Enum(WeekStatus)
    version = fields.Integer(metadata={"description": "send back to publish; 409 if someone published meanwhile"})
    published_version = fields.Integer()
    draft_scores = fields.Dict()
    draft_unfilled = fields.List(fields.Nested(UnfilledSchema))
    demands = fields.List(fields.Nested(DemandSchema))
    draft = fields.List(fields.Nested(PairSchema))
    changes_to_publish = fields.Integer(metadata={
        "description": "pairs publishing the draft would add or remove; 0 when the draft equals the published roster"})
    live = fields.List(fields.Nested(AssignmentSchema))


class WeekQuery(PageArgs):
    community_id = Id()
    week = Week()


class WeekListSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    week = fields.String()
    status = fields.Enum(WeekStatus)
    version = fields.Integer()
    published_version = fields.Integer()


class RuleIn(Schema):
    demand_id = Id(required=True)
    volunteer_id = Id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(
        [PairRuleKind.pinned.value, PairRuleKind.forbidden.value, "clear"]))  # a decline is the volunteer's own
    reason = fields.String(load_default="", validate=validate.Length(max=200))


class ReaskIn(Schema):
    """Ask a volunteer who declined a duty once more (they must confirm again)."""

    demand_id = Id(required=True)
    volunteer_id = Id(required=True)


class MoveIn(Schema):
    demand_id = Id(required=True)
    from_volunteer_id = Id(required=True)
    to_volunteer_id = Id(required=True)


class PublishIn(Schema):
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    note = fields.String(load_default="", validate=validate.Length(max=200))


class VersionSchema(Schema):
    number = fields.Integer()
    published_at = fields.DateTime()
    published_by_id = fields.Integer(allow_none=True)
    note = fields.String(attribute="note_text")
    assignments = fields.List(fields.List(fields.Integer()))
    added = fields.List(fields.List(fields.Integer()))
    removed = fields.List(fields.List(fields.Integer()))


class MyQuery(Schema):
    week = Week()


class AnswerIn(Schema):
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    confirm = fields.Boolean(required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=200))


class AnswerOut(Schema):
    assignment = fields.Nested(AssignmentSchema)
    replan_job_id = fields.Integer(allow_none=True)


class RosterProblemSchema(Schema):
    """docs/roster-problem.md, version 1 (items passed through as they are)."""

    format = fields.String()
    name = fields.String()
    walking_speed_m_per_min = fields.Float()
    max_distance_m = fields.Integer()
    volunteers = fields.List(fields.Dict())
    demands = fields.List(fields.Dict())
    pinned = fields.List(fields.Dict())
    forbidden = fields.List(fields.Dict())
    previous = fields.List(fields.Dict())


#: Shorter than this, nobody could arrive before it is over.
MIN_CALLOUT = timedelta(minutes=15)


class CallOutIn(Schema):
    community_id = Id(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=64))
    station_id = Id(metadata={"description": "the place: a station of the community (then lat and lon are not needed)"})
    place = fields.String(validate=validate.Length(max=128), metadata={
        "description": "the address as people name it; without a station or a place, the nearest station's name"})
    lat = fields.Float(validate=validate.Range(min=3.0, max=54.0))
    lon = fields.Float(validate=validate.Range(min=73.0, max=136.0))
    radius_m = fields.Integer(validate=validate.Range(min=100, max=MAX_RADIUS_M), metadata={
        "description": "call people living within this distance; default: the CALLOUT_RADIUS_M setting"})
    skills = fields.List(fields.String(validate=CODE), load_default=list, validate=validate.Length(max=10))
    skills_required = fields.Boolean(load_default=True, metadata={
        "description": "false: the skills only rank people, nobody is left out for lacking them"})
    needed = Needed(required=True)
    start = LocalDateTime(required=True)
    end = LocalDateTime(required=True)
    team_id = Id(metadata={"description": "a team of the community asked for: its members are called first"})
    team_only = fields.Boolean(load_default=False, metadata={"description": "true: call only the team's members"})

    @validates_schema
    def end_after_start(self, data, **kwargs):
        if "start" in data and "end" in data and data["end"] <= data["start"]:
            raise ValidationError(END_AFTER_START, "end")
        if "start" in data and "end" in data and data["end"] - data["start"] < MIN_CALLOUT:
            raise ValidationError(_l("A call-out lasts at least %(minutes)s minutes.",
                                     minutes=MIN_CALLOUT.seconds // 60), "end")

    @validates_schema(skip_on_field_errors=False)
    def somewhere(self, data, **kwargs):
        missing = [key for key in ("lat", "lon") if key not in data]
        if "station_id" not in data and missing:
            raise ValidationError({key: [_l("Give a station or a position.")] for key in missing})


class CallOutWidenIn(Schema):
    """Call more people for an open call-out; the next wave goes at once."""

    radius_m = fields.Integer(validate=validate.Range(min=100, max=MAX_RADIUS_M), metadata={
        "description": "a wider radius (it cannot shrink)"})
    skills_required = fields.Boolean(metadata={"description": "false: drop the skills as a requirement"})


class InviteSchema(Schema):
    volunteer_id = fields.Integer()
    volunteer_name = fields.Function(lambda i: i.volunteer.name)
    rank = fields.Integer()
    distance_m = fields.Integer()
    status = fields.Enum(InviteStatus)
    wave = fields.Integer()
    outside_hours = fields.Boolean(metadata={"description": "called outside their usual weekly times"})
    over_weekly_hours = fields.Boolean(metadata={"description": "called beyond their weekly hours"})


class CallOutSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    status = fields.Enum(CallOutStatus)
    place = fields.String(attribute="place_text")
    radius_m = fields.Integer()
    skills_required = fields.Boolean()
    team_id = fields.Integer(allow_none=True)
    team_only = fields.Boolean()
    accepted = fields.Integer()
    wave = fields.Integer(metadata={"description": "waves of invitations sent so far"})
    next_wave_at = fields.DateTime(allow_none=True, metadata={"description": "when the next wave goes if too few accept"})
    reach = fields.Dict(metadata={"description": "at the last wave: eligible, uncalled, and people left out by cause "
                                                 "(on_leave, busy, lacks_skill, beyond_radius), wider_radius_m"})
    short = fields.Function(shortfall, metadata={
        "description": "places that even everyone still to answer or to be called could not fill"})
    demand = fields.Nested(DemandSchema)
    invites = fields.List(fields.Nested(InviteSchema))


class CallOutAnswerIn(Schema):
    accept = fields.Boolean(required=True)


class SwapIn(Schema):
    to_volunteer_id = Id(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=200))


class SwapSchema(Schema):
    id = fields.Integer()
    assignment = fields.Nested(AssignmentSchema)
    to_volunteer_id = fields.Integer()
    to_volunteer_name = fields.Function(lambda s: s.to_volunteer.name)
    status = fields.Enum(SwapStatus)
    note = fields.String()


class DecisionIn(Schema):
    approve = fields.Boolean(required=True)


class FeedSchema(Schema):
    url = fields.String(metadata={"description": "secret iCalendar URL; shown once, rotate to revoke"})


class ServedIn(Schema):
    served = fields.Boolean(required=True, metadata={"description": "true: the duty was done (earns points once)"})


class AttendanceIn(Schema):
    checked_in_at = LocalDateTime(required=True, allow_none=True, metadata={"description": "签到, China time; null clears"})
    checked_out_at = LocalDateTime(required=True, allow_none=True, metadata={
        "description": "签退, China time; null clears. With both, the duty is served for the time between them"})


class CheckInIn(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={
        "description": "the station's check-in code, as its QR code's URL carries it"})


class StationCodeSchema(Schema):
    station_id = fields.Integer()
    code = fields.String()
    url = fields.String(metadata={"description": "the URL a volunteer's phone opens when scanning"})
    valid_seconds = fields.Integer(metadata={"description": "at least this long from now"})


class TeamQuery(Schema):
    community_id = Id()


class TeamIn(Schema):
    community_id = Id(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    leader_id = Id(allow_none=True, load_default=None)
    member_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=500))


class TeamSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    name = fields.String()
    leader_id = fields.Integer(allow_none=True)
    leader_name = fields.Function(lambda t: t.leader.name if t.leader else None)
    member_ids = fields.Function(lambda t: [v.id for v in t.members])


class TeamAnswersSchema(Schema):
    team = fields.Nested(TeamSchema)
    callouts = fields.List(fields.Nested(CallOutSchema))
    duties = fields.List(fields.Nested(AssignmentSchema))
