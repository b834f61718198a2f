"""A community's service menu, and the opening hours of where each service happens:
they are the business clock of a request's deadlines and the frame an event must fit."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ...accounts import policy
from ...accounts.policy import Actor
from ...errors import Conflict, InvalidInput
from ...extensions import db
from ...people.service import skills_by_code
from ...places.models import Community, Station
from ...resources import ResourceService
from ..deadlines import OFFICE_HOURS, BusinessClock, OpeningHours
from ..models import ServiceEvent, ServiceRequest, ServiceType


class ServiceTypeService(ResourceService):
    """A community's service menu: public to its residents, changed by its coordinators."""

    model, what = ServiceType, "service type"
    order_by = (ServiceType.community_id, ServiceType.code)

    read_action, write_action = "service_menu.read", "service_menu.write"

    def filtered(self, actor: Actor, args):
        statement = super().filtered(actor, args)
        for key in ("community_id", "location", "active"):
            if args.get(key) is not None:
                statement = statement.where(getattr(ServiceType, key) == args[key])
        if args.get("q"):
            statement = statement.where(ServiceType.name.contains(args["q"]))
        return statement

    def build(self, actor: Actor, data: dict) -> ServiceType:
        policy.parent(actor, Community, data["community_id"], "community_id", self.write_action)
        return self.apply(ServiceType(community_id=data["community_id"]), data)

    def change(self, actor: Actor, obj: ServiceType, data: dict) -> ServiceType:
        if data.get("community_id", obj.community_id) != obj.community_id:
            stays = _l("A service stays in its community: create it in the other community instead.")
            raise InvalidInput(stays, {"community_id": [stays]}, code="community_fixed")
        return self.apply(obj, data)

    def remove(self, actor: Actor, obj: ServiceType) -> None:
        used = db.session.scalar(select(func.count()).select_from(ServiceEvent).where(
            ServiceEvent.service_type_id == obj.id)) or db.session.scalar(select(func.count()).select_from(
                ServiceRequest).where(ServiceRequest.service_type_id == obj.id))
        if used:
            in_use = _l("This service has events or requests: stop offering it instead of deleting it.")
            raise Conflict(in_use, {"id": [in_use]}, code="service_type_in_use")
        super().remove(actor, obj)

    def apply(self, service_type: ServiceType, data: dict) -> ServiceType:
        """Validate everything first, then change: a refused write leaves no trace."""
        code = data.get("code", service_type.code)
        if "code" in data:
            existing = db.session.scalar(select(ServiceType).where(
                ServiceType.community_id == service_type.community_id, ServiceType.code == code))
            if existing is not None and existing.id != service_type.id:
                raise Conflict(_l("The code %(code)s is already used in this community.", code=code),
                               {"code": [_l("Already used by record No. %(id)s.", id=existing.id)]},
                               code="duplicate_code", existing={"id": existing.id})
        if "skills" in data:
            data["skills"] = [s.code for s in skills_by_code(data["skills"])]
        if data.get("station_id") is not None:
            station = db.session.get(Station, data["station_id"])
            if station is None or station.community_id != service_type.community_id:
                raise unknown_station()
        for key, value in data.items():
            setattr(service_type, key, value)
        db.session.add(service_type)
        db.session.flush()
        return service_type


service_types = ServiceTypeService()


def type_for(actor: Actor, service_type_id: int, action: str = "service_menu.read") -> ServiceType:
    """An offered service type ``action`` reaches for the actor (422 naming the field otherwise)."""
    service_type = db.session.get(ServiceType, service_type_id)
    if service_type is None or not policy.may(actor, action, service_type):
        unknown = _l("Not on your community's menu.")
        raise InvalidInput(unknown, {"service_type_id": [unknown]}, code="unknown_service_type")
    if not service_type.active:
        gone = _l("%(name)s is not offered now.", name=service_type.name)
        raise InvalidInput(gone, {"service_type_id": [gone]}, code="service_not_offered")
    return service_type


def clock_for(service_type: ServiceType) -> BusinessClock:
    """Deadlines run on the opening hours of where the service happens (office hours if nowhere)."""
    station = service_type.station
    return BusinessClock(OpeningHours.of_station(station) if station is not None else OFFICE_HOURS)


def unknown_station() -> InvalidInput:
    unknown = _l("This station is not in the service's community.")
    return InvalidInput(unknown, {"station_id": [unknown]}, code="unknown_station")


def _opening_problem(station: Station, starts_at: datetime, ends_at: datetime, window: int | None = None):
    """Why the time does not fit the station's opening hours (a lazy text; of the resident's
    ``window``-th preferred time if given), or None when it does."""
    if not station.opening_hours:
        return None  # the station states no hours: nothing to hold the event to
    clock = BusinessClock(OpeningHours.of_station(station))
    if clock.within_opening(starts_at, ends_at):
        return None
    spans = clock.open_spans(starts_at.date())
    day = f"{starts_at:%Y-%m-%d}"
    if not spans:
        holiday = clock.status_of(starts_at.date()).holiday_name
        day = f"{day} ({holiday})" if holiday else day
        if window:
            return _l("Time %(n)s: %(station)s is closed on %(day)s.", n=window, station=station.name, day=day)
        return _l("%(station)s is closed on %(day)s.", station=station.name, day=day)
    hours = ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in spans)
    if window:
        return _l("Time %(n)s is outside the opening hours of %(station)s on %(day)s (%(hours)s).", n=window,
                  station=station.name, day=day, hours=hours)
    return _l("Outside the opening hours of %(station)s on %(day)s (%(hours)s).", station=station.name, day=day,
              hours=hours)
