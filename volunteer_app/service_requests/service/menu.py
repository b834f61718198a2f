"""A community's service menu, and the opening hours of where each service happens:
they are the business clock of a request's deadlines and the frame an event must fit."""
from datetime import datetime

from sqlalchemy import func, select

from ...accounts.scoping import current_scope
from ...errors import Conflict, InvalidInput
from ...extensions import db
from ...people.service import skills_by_code
from ...places.models import Community, Station
from ...places.service import parent_in_scope
from ...resources import ResourceService
from ..deadlines import OFFICE_HOURS, BusinessClock, OpeningHours
from ..models import ServiceEvent, ServiceRequest, ServiceType
from .common import can_read, readable, require_staff_in


class ServiceTypeService(ResourceService):
    """A community's service menu: public to its residents, changed by its coordinators."""

    model, what = ServiceType, "service type"
    order_by = (ServiceType.community_id, ServiceType.code)

    def base_query(self):
        return select(ServiceType).where(readable(ServiceType.community_id))

    def visible(self, obj) -> bool:
        return can_read(obj.community_id)

    def filtered(self, args):
        statement = super().filtered(args)
        for key in ("community_id", "location", "active"):
            if args.get(key) is not None:
                statement = statement.where(getattr(ServiceType, key) == args[key])
        if args.get("q"):
            statement = statement.where(ServiceType.name.contains(args["q"]))
        return statement

    def create(self, data: dict) -> ServiceType:
        parent_in_scope(Community, data["community_id"], "community_id")
        return self.apply(ServiceType(community_id=data["community_id"]), data)

    def update(self, obj: ServiceType, data: dict) -> ServiceType:
        require_staff_in(obj.community_id, what="this menu")
        if data.get("community_id", obj.community_id) != obj.community_id:
            raise InvalidInput("A service type stays in its community",
                               {"community_id": ["cannot move to another community; create it there"]})
        return self.apply(obj, data)

    def delete(self, obj: ServiceType) -> None:
        require_staff_in(obj.community_id, what="this menu")
        used = db.session.scalar(select(func.count()).select_from(ServiceEvent).where(
            ServiceEvent.service_type_id == obj.id)) or db.session.scalar(select(func.count()).select_from(
                ServiceRequest).where(ServiceRequest.service_type_id == obj.id))
        if used:
            raise Conflict(f"service type {obj.code} has events or requests",
                           {"id": ["in use: set active to false instead"]})
        super().delete(obj)

    def apply(self, service_type: ServiceType, data: dict) -> ServiceType:
        """Validate everything first, then change: a refused write leaves no trace."""
        code = data.get("code", service_type.code)
        if "code" in data:
            existing = db.session.scalar(select(ServiceType).where(
                ServiceType.community_id == service_type.community_id, ServiceType.code == code))
            if existing is not None and existing.id != service_type.id:
                raise Conflict(f"service type {code} already exists in this community",
                               {"code": [f"already used by id {existing.id}"]}, existing={"id": existing.id})
        if "skills" in data:
            data["skills"] = [s.code for s in skills_by_code(data["skills"])]
        if data.get("station_id") is not None:
            station = db.session.get(Station, data["station_id"])
            if station is None or station.community_id != service_type.community_id:
                raise InvalidInput("Unknown station",
                                   {"station_id": [f"no station {data['station_id']} in this community"]})
        for key, value in data.items():
            setattr(service_type, key, value)
        db.session.add(service_type)
        db.session.flush()
        return service_type


service_types = ServiceTypeService()


def type_for(service_type_id: int, staff_only: bool = False) -> ServiceType:
    """An offered service type the caller can see (422 naming the field otherwise)."""
    service_type = db.session.get(ServiceType, service_type_id)
    if service_type is None or not can_read(service_type.community_id) or (
            staff_only and not current_scope().allows(service_type.community_id)):
        raise InvalidInput(f"Unknown service type {service_type_id}",
                           {"service_type_id": [f"no service type {service_type_id} on your community's menu"]})
    if not service_type.active:
        raise InvalidInput("Service no longer offered", {"service_type_id": [f"{service_type.name} is not offered now"]})
    return service_type


def clock_for(service_type: ServiceType) -> BusinessClock:
    """Deadlines run on the opening hours of where the service happens (office hours if nowhere)."""
    station = service_type.station
    return BusinessClock(OpeningHours.of_station(station) if station is not None else OFFICE_HOURS)


def _opening_problem(station: Station, starts_at: datetime, ends_at: datetime) -> str | None:
    """Why the event does not fit the station's opening hours, or None when it does."""
    if not station.opening_hours:
        return None  # the station states no hours: nothing to hold the event to
    clock = BusinessClock(OpeningHours.of_station(station))
    if clock.within_opening(starts_at, ends_at):
        return None
    spans = clock.open_spans(starts_at.date())
    if not spans:
        status = clock.status_of(starts_at.date())
        why = f" ({status.holiday_name})" if status.holiday_name else ""
        return f"{station.name} is closed on {starts_at:%Y-%m-%d}{why}"
    hours = ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in spans)
    return f"outside the opening hours of {station.name} on {starts_at:%Y-%m-%d}: {hours}"
