"""API shapes of visits, their needs, the overdue list, the frequencies and the figures."""
import re
from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates

from ..people.models import PriorityGroup
from ..resources import PageArgs
from ..validation import YEARS_SERVED, Id, LocalDateTime
from ..validation import lazy_gettext as _l
from .models import VisitKind
from .service import MAX_NEEDS

MINUTE = "%Y-%m-%dT%H:%M"
MONTH_HELP = _l("Enter a month such as 2026-11.")
MAX_EVERY_DAYS = 366


class Month(fields.Field):
    """``2026-11`` on the wire, the month's first day in Python."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{value:%Y-%m}"

    def _deserialize(self, value, attr, data, **kwargs):
        match = re.fullmatch(r"(\d{4})-(\d{2})", str(value).strip(), re.ASCII)
        if not match or int(match.group(1)) not in YEARS_SERVED or not 1 <= int(match.group(2)) <= 12:
            raise ValidationError(MONTH_HELP)
        return date(int(match.group(1)), int(match.group(2)), 1)


class NeedIn(Schema):
    description = fields.String(required=True, validate=validate.Length(min=1, max=500))
    solved_on_spot = fields.Boolean(load_default=False)


class NeedSchema(Schema):
    id = fields.Integer()
    visit_id = fields.Integer()
    description = fields.String()
    solved_on_spot = fields.Boolean()
    request_id = fields.Integer(allow_none=True, metadata={"description": "the request (工单) it was filed as"})
    wish_id = fields.Integer(allow_none=True, metadata={"description": "the wish (微心愿) it was posted as"})
    outcome = fields.String(metadata={"description": "open, solved (on the spot), in_progress, resolved or dropped"})


class VisitIn(Schema):
    resident_id = Id(metadata={"description": "the household visited (a resident of the register)"})
    building_id = Id(metadata={"description": "the building, for a visit to no one household; "
                                              "defaults to the household's"})
    visited_at = LocalDateTime(metadata={"description": "China local time; default now"})
    kind = fields.Enum(VisitKind, load_default=VisitKind.routine)
    findings = fields.String(load_default="", validate=validate.Length(max=2000), metadata={"description": "发现情况"})
    needs = fields.List(fields.Nested(NeedIn), load_default=list, validate=validate.Length(max=MAX_NEEDS),
                        metadata={"description": "needs raised (诉求)"})


class VisitPatch(Schema):
    version = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1),
                             metadata={"description": "version you read; 409 if stale"})
    visited_at = LocalDateTime()
    kind = fields.Enum(VisitKind)
    findings = fields.String(validate=validate.Length(max=2000))


class VisitSchema(Schema):
    id = fields.Integer()
    version = fields.Integer()
    community_id = fields.Integer()
    grid_id = fields.Integer()
    building_id = fields.Integer()
    resident_id = fields.Integer(allow_none=True)
    resident_name = fields.Function(lambda v: v.resident.name if v.resident else None)
    visitor_id = fields.Integer(allow_none=True)
    visitor_name = fields.Function(lambda v: v.visitor.display_name if v.visitor else None)
    visited_at = fields.DateTime(format=MINUTE)
    kind = fields.Enum(VisitKind)
    findings = fields.String()
    needs = fields.List(fields.Nested(NeedSchema))


class VisitQuery(PageArgs):
    q = fields.String(validate=validate.Length(max=32), metadata={"description": "household name or findings contain"})
    community_id = Id()
    grid_id = Id()
    building_id = Id()
    resident_id = Id()
    visitor_id = Id()
    kind = fields.Enum(VisitKind)
    month = Month(metadata={"description": "visited in this month, e.g. 2026-11"})
    with_needs = fields.Boolean(metadata={"description": "only visits that raised a need"})


class LedgerArgs(Schema):
    community_id = Id()
    grid_id = Id()
    kind = fields.Enum(VisitKind)
    month = Month(metadata={"description": "visited in this month, e.g. 2026-11; default every month"})


class RequestFromNeedIn(Schema):
    service_type_id = Id(required=True, metadata={"description": "a service of the visited community's menu"})
    description = fields.String(validate=validate.Length(min=1, max=500),
                                metadata={"description": "default: the need as noted"})
    urgent = fields.Boolean(load_default=False)


class WishFromNeedIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=64))
    description = fields.String(validate=validate.Length(min=1, max=500),
                                metadata={"description": "default: the need as noted"})


class OverdueQuery(PageArgs):
    community_id = Id()
    grid_id = Id()


class DueVisitSchema(Schema):
    resident_id = fields.Function(lambda d: d.resident.id)
    resident_name = fields.Function(lambda d: d.resident.name)
    community_id = fields.Function(lambda d: d.resident.community_id)
    grid_id = fields.Function(lambda d: d.resident.grid_id)
    building_id = fields.Function(lambda d: d.resident.building_id)
    household = fields.Function(lambda d: d.resident.household)
    priority_groups = fields.Function(lambda d: [member.group.value for member in d.resident.priority_groups])
    every_days = fields.Integer()
    last_visited_at = fields.DateTime(format=MINUTE, allow_none=True)
    due_on = fields.Date(allow_none=True, metadata={"description": "empty: never visited, due now"})
    days_overdue = fields.Integer(allow_none=True)


class HouseholdQuery(PageArgs):
    q = fields.String(validate=validate.Length(max=32), metadata={"description": "name or door number contains"})
    community_id = Id()
    grid_id = Id()
    building_id = Id()
    unvisited_in = Month(metadata={"description": "only households not visited in this month, e.g. 2026-11"})


class HouseholdSchema(Schema):
    resident_id = fields.Function(lambda h: h.resident.id)
    resident_name = fields.Function(lambda h: h.resident.name)
    community_id = fields.Function(lambda h: h.resident.community_id)
    grid_id = fields.Function(lambda h: h.resident.grid_id)
    building_id = fields.Function(lambda h: h.resident.building_id)
    household = fields.Function(lambda h: h.resident.household)
    priority_groups = fields.Function(lambda h: [member.group.value for member in h.resident.priority_groups])
    last_visited_at = fields.DateTime(format=MINUTE, allow_none=True)


class FrequencyIn(Schema):
    group = fields.Enum(PriorityGroup, required=True)
    every_days = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_EVERY_DAYS))


class FrequenciesIn(Schema):
    frequencies = fields.List(fields.Nested(FrequencyIn), required=True,
                              validate=validate.Length(min=1, max=len(PriorityGroup)))

    @validates("frequencies")
    def each_group_once(self, rows, **kwargs):
        groups = [row.get("group") for row in rows if row.get("group") is not None]
        if len(set(groups)) != len(groups):
            raise ValidationError(_l("Name each priority group once."))


class FrequencySchema(Schema):
    group = fields.Enum(PriorityGroup)
    every_days = fields.Integer()
    is_default = fields.Boolean()


class FrequenciesSchema(Schema):
    community_id = fields.Integer()
    frequencies = fields.List(fields.Nested(FrequencySchema))


class VisitReportArgs(Schema):
    month = Month(metadata={"description": "e.g. 2026-11; default this month"})
    community_id = Id(metadata={"description": "one community you see; default all of yours"})


class VisitFiguresSchema(Schema):
    households = fields.Integer(metadata={"description": "residents of the register (each has a building)"})
    households_visited = fields.Integer(metadata={"description": "of them, visited at least once in the month"})
    coverage = fields.Float(allow_none=True, metadata={"description": "走访覆盖率 = households_visited / households"})
    visits = fields.Integer()
    key_group_residents = fields.Integer()
    key_group_overdue = fields.Integer(metadata={"description": "priority-group residents overdue now"})
    needs_raised = fields.Integer()
    needs_solved_on_spot = fields.Integer()
    needs_to_requests = fields.Integer()
    needs_to_wishes = fields.Integer()
    needs_resolved = fields.Integer()
    resolution_rate = fields.Float(allow_none=True)


class VisitAreaSchema(Schema):
    community_id = fields.Integer()
    grid_id = fields.Integer(allow_none=True)
    name = fields.String()
    figures = fields.Nested(VisitFiguresSchema)


class VisitReportSchema(Schema):
    month = Month(attribute="first")
    community_id = fields.Integer(allow_none=True)
    totals = fields.Nested(VisitFiguresSchema)
    communities = fields.List(fields.Nested(VisitAreaSchema))
    grids = fields.List(fields.Nested(VisitAreaSchema))
