"""What part of the place hierarchy a user coordinates: the communities and grids the access policy
(policy.py) measures a record's reach against."""
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from .models import Role, User


@dataclass(frozen=True)
class Scope:
    everything: bool
    communities: frozenset[int]  # whole communities
    grids: frozenset[int]  # single grids
    grid_communities: frozenset[int]  # communities that hold those grids (visible, not writable)

    @classmethod
    def for_user(cls, user: User) -> "Scope":
        if user.role == Role.admin:
            return cls(True, frozenset(), frozenset(), frozenset())
        communities = frozenset(s.community_id for s in user.scopes if s.community_id)
        grids = frozenset(s.grid_id for s in user.scopes if s.grid_id)
        grid_table = db.metadata.tables["grids"]  # by name: places stand on accounts, not the other way
        parents = frozenset(db.session.scalars(
            select(grid_table.c.community_id).where(grid_table.c.id.in_(grids)))) if grids else frozenset()
        return cls(False, communities, grids, parents)

    @property
    def visible_communities(self) -> frozenset[int]:
        return self.communities | self.grid_communities

    def allows(self, community_id: int | None, grid_id: int | None = None) -> bool:
        if self.everything:
            return True
        return community_id in self.communities or (grid_id is not None and grid_id in self.grids)
