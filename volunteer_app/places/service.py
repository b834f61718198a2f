"""Rules of the place hierarchy: codes are unique, children live in their parent's scope."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ..accounts.scoping import current_scope
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


def parent_in_scope(model, record_id: int | None, field: str):
    """Resolve a parent id from input; unknown or out-of-scope ids name the field (422)."""
    obj = db.session.get(model, record_id) if record_id is not None else None
    if obj is None or not current_scope().allows(obj.community_id, getattr(obj, "grid_id", None)):
        raise out_of_scope(field)
    return obj


def out_of_scope(field: str) -> InvalidInput:
    """An id in ``field`` that is unknown or outside the caller's scope (we never tell which)."""
    return InvalidInput(_l("Not found among the records you manage."),
                        {field: [_l("Not found among the records you manage.")]}, code="out_of_scope")


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

    def create(self, data: dict):
        return self.apply(self.model(), self.resolve(data))

    def update(self, obj, data: dict):
        return self.apply(obj, self.resolve(data))

    def resolve(self, data: dict) -> dict:
        """Check parent references; subclasses fill derived columns."""
        return data

    def filtered(self, args: dict):
        return search(super().filtered(args), self.model, args.get("q"))


class SubdistrictService(PlaceService):
    model, what, writers = Subdistrict, "subdistrict", ()

    def base_query(self):
        scope = current_scope()
        if scope.everything:
            return select(Subdistrict)
        return select(Subdistrict).where(
            Subdistrict.id.in_(select(Community.subdistrict_id).where(Community.id.in_(scope.visible_communities)))
        )

    def visible(self, obj) -> bool:
        scope = current_scope()
        return scope.everything or any(c.id in scope.visible_communities for c in obj.communities)

    def delete(self, obj) -> None:
        if obj.communities:
            raise Conflict(_l("This subdistrict still has communities."), {"id": [_l("It still has communities.")]},
                           code="has_children")
        super().delete(obj)


class CommunityService(PlaceService):
    model, what, writers = Community, "community", ()

    def base_query(self):
        scope = current_scope()
        statement = select(Community)
        return statement if scope.everything else statement.where(Community.id.in_(scope.visible_communities))

    def visible(self, obj) -> bool:
        scope = current_scope()
        return scope.everything or obj.id in scope.visible_communities

    def filtered(self, args):
        statement = super().filtered(args)
        if args.get("subdistrict_id"):
            statement = statement.where(Community.subdistrict_id == args["subdistrict_id"])
        return statement

    def resolve(self, data):
        if "subdistrict_id" in data and db.session.get(Subdistrict, data["subdistrict_id"]) is None:
            raise out_of_scope("subdistrict_id")
        return data

    def delete(self, obj) -> None:
        if obj.grids:
            raise Conflict(_l("This community still has grids."), {"id": [_l("It still has grids.")]},
                           code="has_children")
        super().delete(obj)


class GridService(PlaceService):
    model, what = Grid, "grid"

    def base_query(self):
        return select(Grid).where(current_scope().clause(Grid))

    def filtered(self, args):
        statement = super().filtered(args)
        if args.get("community_id"):
            statement = statement.where(Grid.community_id == args["community_id"])
        return statement

    def resolve(self, data):
        if "community_id" in data:
            community = db.session.get(Community, data["community_id"])
            if community is None or not current_scope().allows(community.id):
                raise out_of_scope("community_id")
        return data

    def delete(self, obj) -> None:
        if db.session.scalar(select(Building.id).where(Building.grid_id == obj.id).limit(1)) is not None:
            raise Conflict(_l("This grid still has buildings."), {"id": [_l("It still has buildings.")]},
                           code="has_children")
        super().delete(obj)


class BuildingService(PlaceService):
    model, what = Building, "building"

    def filtered(self, args):
        statement = super().filtered(args)
        for key in ("community_id", "grid_id"):
            if args.get(key):
                statement = statement.where(getattr(Building, key) == args[key])
        return statement

    def resolve(self, data):
        if "grid_id" in data:
            grid = parent_in_scope(Grid, data["grid_id"], "grid_id")
            data["community_id"] = grid.community_id
        return data


class StationService(PlaceService):
    model, what = Station, "station"

    def filtered(self, args):
        statement = super().filtered(args)
        for key in ("community_id", "grid_id", "station_type"):
            if args.get(key):
                statement = statement.where(getattr(Station, key) == args[key])
        return statement

    def resolve(self, data):
        if "community_id" in data:
            community = db.session.get(Community, data["community_id"])
            if community is None or not current_scope().allows(community.id):
                raise out_of_scope("community_id")
        if data.get("grid_id") is not None:
            grid = parent_in_scope(Grid, data["grid_id"], "grid_id")
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
