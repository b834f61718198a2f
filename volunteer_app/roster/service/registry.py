"""Duty templates and single demands: the registry part of the roster, edited one by one."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...accounts import policy
from ...accounts.policy import Actor
from ...errors import InvalidInput
from ...extensions import db
from ...people.service import skills_by_code
from ...places.models import Station
from ...resources import ResourceService
from ..models import Demand, RosterWeek, ShiftTemplate
from ..problem import week_bounds
from .weeks import END_AFTER_START


class TemplateService(ResourceService):
    model, what = ShiftTemplate, "shift template"

    def filtered(self, actor: Actor, args):
        statement = super().filtered(actor, args)
        for key in ("community_id", "station_id"):
            if args.get(key):
                statement = statement.where(getattr(ShiftTemplate, key) == args[key])
        return statement

    def build(self, actor: Actor, data: dict) -> ShiftTemplate:
        return self.change(actor, ShiftTemplate(), data)

    def change(self, actor: Actor, template: ShiftTemplate, data: dict) -> ShiftTemplate:
        if "station_id" in data:
            station = policy.parent(actor, Station, data["station_id"], "station_id")
            data["community_id"] = station.community_id
        if "skills" in data:
            data["skills"] = [s.code for s in skills_by_code(data["skills"])]
        for key, value in data.items():
            setattr(template, key, value)
        if template.end <= template.start:
            raise InvalidInput(END_AFTER_START, {"end": [END_AFTER_START]}, code="end_before_start")
        db.session.add(template)
        db.session.flush()
        return template


class DemandService(ResourceService):
    """A week's shifts and tasks, edited one by one; scoped through their week."""

    model, what = Demand, "demand"
    order_by = (Demand.start, Demand.id)

    def query(self, actor: Actor):
        return select(Demand).join(RosterWeek).where(policy.where(actor, self.read_action, RosterWeek))

    def visible(self, actor: Actor, obj) -> bool:
        return policy.may(actor, self.read_action, obj.week)

    def require_writer(self, actor: Actor, obj=None) -> None:
        policy.require(actor, self.write_action, obj.week if obj is not None else None)

    def filtered(self, actor: Actor, args):
        statement = super().filtered(actor, args)
        if args.get("week_id"):
            statement = statement.where(Demand.week_id == args["week_id"])
        return statement

    def build(self, actor: Actor, data: dict) -> Demand:
        week = policy.parent(actor, RosterWeek, data.pop("week_id"), "week_id")
        return self.change(actor, Demand(week_id=week.id, week=week), data)

    def change(self, actor: Actor, demand: Demand, data: dict) -> Demand:
        week = demand.week
        if data.get("station_id") is not None:
            station = policy.parent(actor, Station, data["station_id"], "station_id")
            if station.community_id != week.community_id:
                raise InvalidInput(_l("This station is in another community."),
                                   {"station_id": [_l("Not a station of this community.")]}, code="station_elsewhere")
            data.setdefault("lat", station.lat)
            data.setdefault("lon", station.lon)
        if "skills" in data:
            data["skills"] = [s.code for s in skills_by_code(data["skills"])]
        for key, value in data.items():
            setattr(demand, key, value)
        monday, sunday = week_bounds(week.week)
        if demand.lat is None or demand.lon is None:
            raise InvalidInput(_l("Where does it happen?"), {"station_id": [_l("Give a station or a position.")]},
                               code="no_place")
        if not (monday <= demand.start.date() <= sunday):
            outside = _l("The duty must fall in %(week)s.", week=week.week)
            raise InvalidInput(outside, {"start": [outside]}, code="outside_week")
        if demand.end <= demand.start:
            raise InvalidInput(END_AFTER_START, {"end": [END_AFTER_START]}, code="end_before_start")
        db.session.add(demand)
        db.session.flush()
        return demand


templates = TemplateService()
demands = DemandService()
