"""API shapes of the reports: the period argument, figures, ranking rows, the 双报到 units.

Rates are fractions from 0 to 1 (four decimals), ``null`` when nothing was
there to divide by; hours have one decimal.
"""
from marshmallow import Schema, ValidationError, fields, validate

from ..errors import InvalidInput
from ..service_requests.models import RequestState
from ..validation import Id
from . import service


class PeriodField(fields.String):
    """``2026-W48`` (ISO week) or ``2026-11`` (month), loaded as a ``service.Period``."""

    def __init__(self, **kwargs):
        metadata = {"description": "an ISO week (2026-W48) or a month (2026-11), China time",
                    "pattern": r"^\d{4}-(W\d{2}|\d{2})$", "example": "2026-W48"}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return service.parse_period(text)
        except InvalidInput as error:
            raise ValidationError(error.errors["period"]) from None


def rate(description: str):
    return fields.Float(allow_none=True, metadata={"description": description + "; 0–1, null when undefined"})


class PeriodArgs(Schema):
    period = PeriodField(required=True)


class DashboardArgs(PeriodArgs):
    community_id = Id(metadata={"description": "only this community (default: every community in your scope)"})


class PartyUnitArgs(DashboardArgs):
    unit = fields.String(validate=validate.Length(min=1, max=128),
                         metadata={"description": "only this work unit (单位), as the party reports name it"})


class PeriodSchema(Schema):
    label = fields.String()
    kind = fields.String(metadata={"enum": ["week", "month"]})
    first = fields.Date(metadata={"description": "first day"})
    last = fields.Date(metadata={"description": "last day"})


class RequestFiguresSchema(Schema):
    """The request figures: all that the ranking needs."""

    by_state = fields.Dict(keys=fields.String(), values=fields.Integer(), attribute="states", metadata={
        "description": "requests filed in the period by their state now: "
                       + ", ".join(state.value for state in RequestState)})
    filed = fields.Integer(metadata={"description": "requests filed in the period"})
    cancelled = fields.Integer()
    completed = fields.Integer(metadata={"description": "of those, now resolved or rated"})
    completion_rate = rate("办结率: completed / (filed − cancelled)")
    resolved_on_time = fields.Integer(metadata={"description": "completed ones resolved by their deadline"})
    on_time_rate = rate("resolved_on_time / completed")
    ratings = fields.Integer()
    mean_rating = fields.Float(allow_none=True, metadata={"description": "满意度: mean rating 1–5"})
    overdue_now = fields.Integer(metadata={"description": "open requests past their step's deadline now"})


class FiguresSchema(RequestFiguresSchema):
    hours = fields.Float(metadata={"description": "volunteer hours served (service logs)"})
    volunteers_served = fields.Integer()
    places_needed = fields.Integer(metadata={"description": "duty places (head count) in published weeks"})
    places_filled = fields.Integer()
    fill_rate = rate("places_filled / places_needed")
    places_served = fields.Integer(metadata={"description": "assignments marked served"})
    places_checked_in = fields.Integer(metadata={"description": "assignments with a check-in recorded (签到)"})
    bookings_booked = fields.Integer()
    bookings_attended = fields.Integer(metadata={"description": "booked places ticked as attended (到场)"})
    attendance_rate = rate("bookings_attended / bookings_booked")
    bookings_waitlisted = fields.Integer()
    bookings_cancelled = fields.Integer()
    points_issued = fields.Integer(metadata={"description": "points posted for service done in the period"})
    points_reversed = fields.Integer(metadata={"description": "of those, reversed since"})
    points_redeemed = fields.Integer(metadata={"description": "points of orders fulfilled in the period"})
    redemptions_fulfilled = fields.Integer()


class AreaFiguresSchema(Schema):
    community_id = fields.Integer()
    grid_id = fields.Integer(allow_none=True)
    name = fields.String()
    figures = fields.Nested(FiguresSchema)


class WeekHoursSchema(Schema):
    week = fields.String()
    hours = fields.Float()


class TopVolunteerSchema(Schema):
    rank = fields.Integer()
    volunteer_id = fields.Integer()
    name = fields.String()
    community_id = fields.Integer()
    hours = fields.Float()
    services = fields.Integer(metadata={"description": "service records (duties, requests) in the period"})


class DashboardSchema(Schema):
    period = fields.Nested(PeriodSchema)
    community_id = fields.Integer(allow_none=True)
    totals = fields.Nested(FiguresSchema)
    communities = fields.List(fields.Nested(AreaFiguresSchema))
    grids = fields.List(fields.Nested(AreaFiguresSchema))
    hours_by_week = fields.List(fields.Nested(WeekHoursSchema), metadata={
        "description": f"the {service.TREND_WEEKS} ISO weeks up to the period's last day"})
    top_volunteers = fields.List(fields.Nested(TopVolunteerSchema), metadata={
        "description": "most hours in the period, only volunteers who agreed to be named (show_in_rankings)"})
    generated_at = fields.DateTime(metadata={"description": "China local time"})


class RankingRowSchema(Schema):
    rank = fields.Integer(metadata={"description": "equal figures share a rank"})
    community_id = fields.Integer()
    name = fields.String()
    figures = fields.Nested(RequestFiguresSchema)


class RankingSchema(Schema):
    period = fields.Nested(PeriodSchema)
    rows = fields.List(fields.Nested(RankingRowSchema), metadata={
        "description": "by completion rate, then mean rating, then on-time rate (highest first)"})


class PartyMemberSchema(Schema):
    volunteer_id = fields.Integer()
    name = fields.String()
    community_id = fields.Integer()
    community_name = fields.String()
    party_organization = fields.String()
    claimed_posts = fields.Integer()
    yearly_target_hours = fields.Integer()
    hours = fields.Float(metadata={"description": "hours served in the period"})
    year_hours = fields.Float(metadata={"description": "hours from 1 January to the end of the period"})
    posts_due = fields.Integer(metadata={"description": "duties at their claimed posts in the period"})
    posts_kept = fields.Integer(metadata={"description": "of those, served by them"})
    requests_resolved = fields.Integer()
    ratings = fields.Integer()
    mean_rating = fields.Float(allow_none=True)


class PartyUnitSchema(Schema):
    work_unit = fields.String()
    party_organizations = fields.List(fields.String())
    member_count = fields.Integer()
    hours = fields.Float()
    posts_due = fields.Integer()
    posts_kept = fields.Integer()
    requests_resolved = fields.Integer()
    ratings = fields.Integer()
    mean_rating = fields.Float(allow_none=True)
    members = fields.List(fields.Nested(PartyMemberSchema))


class PartyUnitsSchema(Schema):
    period = fields.Nested(PeriodSchema)
    units = fields.List(fields.Nested(PartyUnitSchema))
