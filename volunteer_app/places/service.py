"""Rules of the place hierarchy: codes are unique, children live in their parent's scope."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ..accounts import policy
from ..accounts.policy import Actor
from ..errors import Conflict, InvalidInput
from ..extensions import db
from ..resources import ResourceService
from .models import Building, Community, Grid, Station, Subdistrict


def ensure_unique_code(model, code: str, exclude_id: int | None = None) -> None:
    existing = db.session.scalar(select(model).where(model.code == code))
    if existing is not None and existing.id != exclude_id:
        raise Conflict(
            _l("The code %(code)s is already in use.", code=code),
            {"code": [_l("Already used by record No. %(id)s.", id=existing.id)]},
            code="duplicate_code", existing={"id": existing.id, "code": existing.code, "name": existing.name},
        )


def search(statement, model, text: str | None):
    if text:
        pattern = f"%{text}%"
        statement = statement.where(or_(model.code.ilike(pattern), model.name.ilike(pattern)))
    return statement


class PlaceService(ResourceService):
    """Code-keyed places: shared uniqueness and field copying."""

    def apply(self, obj, data: dict):
        if "code" in data and data["code"] != obj.code:
            ensure_unique_code(self.model, data["code"], obj.id)
        for key, value in data.items():
            setattr(obj, key, value)
        db.session.add(obj)
        db.session.flush()
        return obj

    def build(self, actor: Actor, data: dict):
        return self.apply(self.model(), self.resolve(actor, data))

    def change(self, actor: Actor, obj, data: dict):
        return self.apply(obj, self.resolve(actor, data))

    def resolve(self, actor: Actor, data: dict) -> dict:
        """Check parent references; subclasses fill derived columns."""
        return data

    def filtered(self, actor: Actor, args: dict):
        return search(super().filtered(actor, args), self.model, args.get("q"))


class SubdistrictService(PlaceService):
    """A subdistrict is seen by whoever sees one of its communities; only admins change the map's top."""

    model, what = Subdistrict, "subdistrict"
    read_action, write_action = "places.read", "places.write_top"

    def query(self, actor: Actor):
        return select(Subdistrict).where(Subdistrict.id.in_(
            select(Community.subdistrict_id).where(policy.where(actor, self.read_action, Community))))

    def visible(self, actor: Actor, obj) -> bool:
        return any(policy.may(actor, self.read_action, community) for community in obj.communities)

    def remove(self, actor: Actor, obj) -> None:
        if obj.communities:
            raise Conflict(_l("This subdistrict still has communities."), {"id": [_l("It still has communities.")]},
                           code="has_children")
        super().remove(actor, obj)


class CommunityService(PlaceService):
    model, what = Community, "community"
    read_action, write_action = "places.read", "places.write_top"

    def filtered(self, actor: Actor, args):
        statement = super().filtered(actor, args)
        if args.get("subdistrict_id"):
            statement = statement.where(Community.subdistrict_id == args["subdistrict_id"])
        return statement

    def resolve(self, actor: Actor, data):
        if "subdistrict_id" in data and db.session.get(Subdistrict, data["subdistrict_id"]) is None:
            raise policy.out_of_reach("subdistrict_id")
        return data

    def remove(self, actor: Actor, obj) -> None:
        if obj.grids:
            raise Conflict(_l("This community still has grids."), {"id": [_l("It still has grids.")]},
                           code="has_children")
        super().remove(actor, obj)


class GridService(PlaceService):
    model, what = Grid, "grid"

    def filtered(self, actor: Actor, args):
        statement = super().filtered(actor, args)
        if args.get("community_id"):
            statement = statement.where(Grid.community_id == args["community_id"])
        return statement

    def resolve(self, actor: Actor, data):
        if "community_id" in data:
            policy.parent(actor, Community, data["community_id"], "community_id")
        return data

    def remove(self, actor: Actor, obj) -> None:
        if db.session.scalar(select(Building.id).where(Building.grid_id == obj.id).limit(1)) is not None:
            raise Conflict(_l("This grid still has buildings."), {"id": [_l("It still has buildings.")]},
                           code="has_children")
        super().remove(actor, obj)


class BuildingService(PlaceService):
    model, what = Building, "building"

    def filtered(self, actor: Actor, args):
        statement = super().filtered(actor, args)
        for key in ("community_id", "grid_id"):
            if args.get(key):
                statement = statement.where(getattr(Building, key) == args[key])
        return statement

    def resolve(self, actor: Actor, data):
        if "grid_id" in data:
            grid = policy.parent(actor, Grid, data["grid_id"], "grid_id")
            data["community_id"] = grid.community_id
        return data


class StationService(PlaceService):
    model, what = Station, "station"

    def filtered(self, actor: Actor, args):
        statement = super().filtered(actor, args)
        for key in ("community_id", "grid_id", "station_type"):
            if args.get(key):
                statement = statement.where(getattr(Station, key) == args[key])
        return statement

    def resolve(self, actor: Actor, data):
        if "community_id" in data:
            policy.parent(actor, Community, data["community_id"], "community_id")
        if data.get("grid_id") is not None:
            grid = policy.parent(actor, Grid, data["grid_id"], "grid_id")
            community_id = data.get("community_id")
            if community_id is not None and grid.community_id != community_id:
                raise InvalidInput(_l("The grid is in another community."),
                                   {"grid_id": [_l("Not in the station's community.")]}, code="other_community")
        if "closures" in data:
            data["closures"] = sorted({d.isoformat() for d in data["closures"]})
        return data


subdistricts = SubdistrictService()
communities = CommunityService()
grids = GridService()
buildings = BuildingService()
stations = StationService()
