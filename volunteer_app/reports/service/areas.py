"""What a report covers: the records the actor manages (whole communities and single grids),
within one community when one is chosen."""
from dataclasses import dataclass

from sqlalchemy import and_, select

from ...accounts import policy
from ...accounts.policy import Actor
from ...extensions import db
from ...places.models import Community, Grid


@dataclass(frozen=True)
class Area:
    """The actor's managed records, in ``community_id`` only when it is set; ``whole_communities``
    leaves out single grids (the ranking compares whole communities)."""

    actor: Actor
    community_id: int | None = None
    whole_communities: bool = False

    def clause(self, community_column, grid_column):
        """SQL condition on a query's community and grid columns."""
        grid = None if self.whole_communities else grid_column
        managed = policy.where(self.actor, "reports.count", None, community_column, grid)
        return managed if self.community_id is None else and_(managed, community_column == self.community_id)


def area_for(actor: Actor, community_id: int | None = None) -> Area:
    """The actor's scope (coordinators: theirs; admins: everything), narrowed to one community if asked:
    one they see (404 otherwise). A coordinator of single grids counts only those grids, even of a
    community they pick."""
    if community_id is None:
        policy.require(actor, "reports.read")
    else:
        policy.get(actor, "reports.read", Community, community_id)
    return Area(actor, community_id)


def communities_of(area: Area) -> list[Community]:
    """The whole communities the area covers."""
    statement = select(Community).where(area.clause(Community.id, None)).order_by(Community.code)
    return db.session.scalars(statement).all()


def grids_of(area: Area) -> list[Grid]:
    statement = select(Grid).where(area.clause(Grid.community_id, Grid.id))
    return db.session.scalars(statement.order_by(Grid.community_id, Grid.code)).all()
