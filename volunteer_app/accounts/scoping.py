"""What part of the place hierarchy a user may see and change.

Out-of-scope ids answer 404 like unknown ones: we never confirm that a
record exists elsewhere.
"""
from dataclasses import dataclass

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, or_, select, true

from ..errors import NotFound
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

    def clause(self, model):
        """SQL condition selecting the rows of ``model`` inside this scope."""
        if self.everything:
            return true()
        conditions = []
        if self.communities:
            conditions.append(model.community_id.in_(self.communities))
        grid_col = getattr(model, "grid_id", None)
        if self.grids and grid_col is not None:
            conditions.append(grid_col.in_(self.grids))
        return or_(*conditions) if conditions else false()

    def allows(self, community_id: int | None, grid_id: int | None = None) -> bool:
        if self.everything:
            return True
        return community_id in self.communities or (grid_id is not None and grid_id in self.grids)

    def require(self, community_id: int | None, grid_id: int | None = None) -> None:
        if not self.allows(community_id, grid_id):
            raise NotFound(_l("Not found among the records you manage."))


def use_system_scope() -> None:
    """Operations commands (CLI, jobs) act for the whole installation."""
    g.scope = Scope(True, frozenset(), frozenset(), frozenset())


def current_scope() -> Scope:
    """The scope of the user of this request, computed once per request."""
    scope = getattr(g, "scope", None)
    if scope is None:
        from flask_login import current_user

        scope = g.scope = Scope.for_user(current_user)
    return scope
