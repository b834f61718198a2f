"""What a report covers: whole communities and single grids of the caller's scope."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import false, or_, select, true

from ...accounts.scoping import current_scope
from ...errors import NotFound
from ...extensions import db
from ...places.models import Community, Grid


@dataclass(frozen=True)
class Area:
    """Whole communities (``None``: every community) and single grids elsewhere."""

    communities: frozenset[int] | None
    grids: frozenset[int] = frozenset()

    def clause(self, community_column, grid_column):
        """SQL condition on a query's community and grid columns."""
        if self.communities is None:
            return true()
        conditions = []
        if self.communities:
            conditions.append(community_column.in_(self.communities))
        if self.grids:
            conditions.append(grid_column.in_(self.grids))
        return or_(*conditions) if conditions else false()


def area_for(community_id: int | None = None) -> Area:
    """The caller's scope (coordinators: theirs; admins: everything), narrowed to one community if asked.

    A coordinator of single grids sees only those grids, even of a community they pick.
    """
    scope = current_scope()
    if community_id is None:
        return Area(None) if scope.everything else Area(scope.communities, scope.grids)
    community = db.session.get(Community, community_id)
    if community is None or not (scope.everything or community_id in scope.visible_communities):
        raise NotFound(_l("Not found among the records you manage."))
    if scope.allows(community_id):
        return Area(frozenset({community_id}))
    grids = db.session.scalars(select(Grid.id).where(Grid.community_id == community_id, Grid.id.in_(scope.grids)))
    return Area(frozenset(), frozenset(grids))


def communities_of(area: Area) -> list[Community]:
    statement = select(Community).order_by(Community.code)
    if area.communities is not None:
        statement = statement.where(Community.id.in_(area.communities))
    return db.session.scalars(statement).all()


def grids_of(area: Area) -> list[Grid]:
    statement = select(Grid).where(area.clause(Grid.community_id, Grid.id))
    return db.session.scalars(statement.order_by(Grid.community_id, Grid.code)).all()
