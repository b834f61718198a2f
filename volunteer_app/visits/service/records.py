"""Visits and the needs they raise: recording a visit to a household or a building, and passing a
need on as a request (工单) or a wish (微心愿) in one step, linked back to the visit."""
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ...accounts import policy
from ...accounts.policy import Actor
from ...errors import Conflict, InvalidInput, NotFound
from ...extensions import db
from ...people.models import Resident
from ...places.models import Building
from ...resources import ResourceService
from ...service_requests import service as services
from ...service_requests.models import ServiceType
from ..models import Visit, VisitNeed
from . import common

MAX_NEEDS = 20  # per visit: more is a meeting's minutes, not a visit's
#: A phone's clock may run a little ahead of the server's.
CLOCK_SLACK = timedelta(minutes=10)


def visit_time(moment: datetime | None) -> datetime:
    """When the visit happened: now unless given; never in the future."""
    if moment is None:
        return common.current_minute()
    if moment > common.now() + CLOCK_SLACK:
        later = _l("A visit cannot be recorded before it happens.")
        raise InvalidInput(later, {"visited_at": [later]}, code="visit_in_future")
    return moment


class VisitService(ResourceService):
    """The 民情日志: who visited which household or building, when, why, what they found, what was asked."""

    model, what = Visit, "visit"
    read_action, write_action = "visits.read", "visits.record"
    order_by = (Visit.visited_at.desc(), Visit.id.desc())

    def query(self, actor: Actor):
        policy.require(actor, self.read_action)  # volunteers and residents: 403, not an empty list
        return super().query(actor)

    def get(self, actor: Actor, record_id) -> Visit:
        policy.require(actor, self.read_action)
        return super().get(actor, record_id)

    def filtered(self, actor: Actor, args: dict):
        statement = super().filtered(actor, args)
        for key in ("community_id", "grid_id", "building_id", "resident_id", "kind", "visitor_id"):
            if args.get(key) is not None:
                statement = statement.where(getattr(Visit, key) == args[key])
        if args.get("month") is not None:
            start, end = common.month_span(args["month"])
            statement = statement.where(Visit.visited_at >= start, Visit.visited_at < end)
        if args.get("q"):
            named = select(Resident.id).where(Resident.name.contains(args["q"]))
            statement = statement.where(or_(Visit.resident_id.in_(named), Visit.findings.contains(args["q"])))
        if args.get("with_needs"):
            statement = statement.where(Visit.id.in_(select(VisitNeed.visit_id)))
        return statement

    def build(self, actor: Actor, data: dict) -> Visit:
        visit = Visit(visitor_id=actor.id)
        self.place(actor, visit, data.pop("resident_id", None), data.pop("building_id", None))
        visit.visited_at = visit_time(data.pop("visited_at", None))
        visit.needs = [VisitNeed(**need) for need in data.pop("needs", [])]
        for key, value in data.items():
            setattr(visit, key, value)
        db.session.add(visit)
        db.session.flush()
        return visit

    @staticmethod
    def place(actor: Actor, visit: Visit, resident_id: int | None, building_id: int | None) -> None:
        """A household (its building, grid and community) or a building of the actor's grids."""
        if resident_id is not None:
            resident = policy.parent(actor, Resident, resident_id, "resident_id", "visits.record")
            if building_id not in (None, resident.building_id):
                elsewhere = _l("This household lives in another building.")
                raise InvalidInput(elsewhere, {"building_id": [elsewhere]}, code="other_building")
            visit.resident_id, building_id = resident.id, resident.building_id
        elif building_id is None:
            which = _l("Choose the household or the building visited.")
            raise InvalidInput(which, {"resident_id": [which]}, code="place_required")
        building = policy.parent(actor, Building, building_id, "building_id", "visits.record")
        visit.building_id, visit.grid_id, visit.community_id = building.id, building.grid_id, building.community_id

    def change(self, actor: Actor, visit: Visit, data: dict) -> Visit:
        """Corrections of when, what kind and what was found; the place and the needs stay."""
        if "visited_at" in data:
            visit.visited_at = visit_time(data.pop("visited_at"))
        for key, value in data.items():
            setattr(visit, key, value)
        db.session.flush()
        return visit

    def remove(self, actor: Actor, visit: Visit) -> None:
        if any(need.request_id or need.wish_id for need in visit.needs):
            kept = _l("Needs of this visit were passed on as requests or wishes: the visit stays in the log.")
            raise Conflict(kept, {}, code="needs_passed_on")
        super().remove(actor, visit)


visits = VisitService()


def visit_target(actor: Actor, resident_id: int | None, building_id: int | None) -> tuple[Resident | None, Building]:
    """The household (and its building) or the building a visit is about to be recorded for (404 beyond reach)."""
    if resident_id is not None:
        resident = policy.get(actor, "visits.record", Resident, resident_id)
        return resident, db.session.get(Building, resident.building_id)
    if building_id is None:
        raise NotFound(policy.NOT_FOUND)
    return None, policy.get(actor, "visits.record", Building, building_id)


def add_need(actor: Actor, visit_id: int, data: dict) -> VisitNeed:
    """A need noted after the visit was recorded (the resident called back, the worker remembered)."""
    visit = policy.get(actor, "visits.record", Visit, visit_id)
    if len(visit.needs) >= MAX_NEEDS:
        full = _l("A visit notes at most %(count)s needs.", count=MAX_NEEDS)
        raise InvalidInput(full, {"description": [full]}, code="too_many_needs")
    need = VisitNeed(description=data["description"], solved_on_spot=data.get("solved_on_spot", False))
    visit.needs.append(need)
    db.session.flush()
    return need


def _need_to_pass_on(actor: Actor, visit_id: int, need_id: int) -> tuple[Visit, VisitNeed]:
    """The visit's need, locked, still to be passed on (409 when it was, or was solved on the spot)."""
    visit = policy.get(actor, "visits.record", Visit, visit_id)
    need = db.session.scalar(select(VisitNeed).where(VisitNeed.id == need_id, VisitNeed.visit_id == visit.id)
                             .with_for_update().execution_options(populate_existing=True))
    if need is None:
        raise NotFound(_l("Need No. %(id)s is not one of this visit's.", id=need_id))
    if need.request_id is not None or need.wish_id is not None:
        raise Conflict(_l("This need was already passed on."), {}, code="already_passed_on",
                       existing={"request_id": need.request_id, "wish_id": need.wish_id})
    if need.solved_on_spot:
        raise Conflict(_l("This need was solved on the spot."), {}, code="solved_on_spot")
    return visit, need


def file_need_as_request(actor: Actor, visit_id: int, need_id: int, data: dict) -> VisitNeed:
    """File the need as a request for the household (or the building) visited; the need keeps its number."""
    visit, need = _need_to_pass_on(actor, visit_id, need_id)
    filing = {"service_type_id": data["service_type_id"], "description": data.get("description") or need.description,
              "urgent": data.get("urgent", False)}
    if visit.resident_id is not None:
        filing.update(resident_id=visit.resident_id, address=visit.resident.household)
    else:
        filing["building_id"] = visit.building_id
    filed, _replayed = services.file_request(actor, filing, f"visit-need-{need.id}")
    need.request = filed
    db.session.flush()
    return need


def post_need_as_wish(actor: Actor, visit_id: int, need_id: int, data: dict) -> VisitNeed:
    """Post the need on the wish board for the household visited."""
    visit, need = _need_to_pass_on(actor, visit_id, need_id)
    if visit.resident_id is None:
        whose = _l("A wish is a household's: this visit was to a building.")
        raise InvalidInput(whose, {"title": [whose]}, code="wish_needs_household")
    need.wish = services.post_wish(actor, {"title": data["title"], "resident_id": visit.resident_id,
                                           "description": data.get("description") or need.description})
    db.session.flush()
    return need


def menu_for(actor: Actor, visit: Visit) -> list[ServiceType]:
    """The services a need of this visit can be filed as: its community's menu."""
    policy.require(actor, "visits.record", visit)
    return db.session.scalars(select(ServiceType).where(
        ServiceType.community_id == visit.community_id, ServiceType.active.is_(True)).order_by(ServiceType.name)).all()
