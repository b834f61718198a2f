"""Visits (走访) and the log of what they found (民情日志): each visit to a household or a building,
the needs it raised, and how often each priority group is to be visited, per community.

Visit times are naive China local time, like requests' and rosters': "visited this month" and
"overdue since Tuesday" are local notions.
"""
import enum
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import Audited, TimestampMixin, VersionedMixin
from ..people.models import PriorityGroup
from ..service_requests.models import RequestState, ServiceRequest, Wish, WishState

#: Where a need ends up resolved: its request done, its wish come true.
RESOLVED_REQUESTS = (RequestState.resolved, RequestState.rated)
DROPPED_REQUESTS = (RequestState.rejected, RequestState.cancelled)
RESOLVED_WISHES = (WishState.fulfilled, WishState.confirmed)


class VisitKind(str, enum.Enum):
    routine = "routine"  # 日常走访: every household of the grid, on a cycle
    key_group = "key_group"  # 重点人群关爱: a priority-group resident's regular visit
    after_request = "after_request"  # 工单回访: after a request was handled
    night = "night"  # 夜访: in the evening, when working households are in


class Visit(Audited, VersionedMixin, db.Model):  # 走访记录
    """One visit to a household (a resident with a building) or to a building as a whole.

    ``community_id``, ``grid_id`` and ``building_id`` are the place visited (a household's own),
    kept on the row so scoping and the figures per grid need no join.
    """

    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_resident_visited_at", "resident_id", "visited_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    # Empty for a building's visit (楼道, 夜间巡查); a household deleted from the register leaves its visits.
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    visitor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    visited_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    kind: Mapped[VisitKind] = mapped_column(Enum(VisitKind, native_enum=False, length=16), default=VisitKind.routine)
    findings: Mapped[str] = mapped_column(Text, default="")  # 发现情况

    # Loaded with the visits of a list or an export in one query each, not one per visit.
    resident = relationship("Resident", lazy="selectin")
    building = relationship("Building", lazy="selectin")
    visitor = relationship("User", lazy="selectin")
    needs: Mapped[list["VisitNeed"]] = relationship(back_populates="visit", order_by="VisitNeed.id",
                                                    cascade="all, delete-orphan", lazy="selectin")


class VisitNeed(Audited, TimestampMixin, db.Model):  # 诉求
    """A need a visit raised: solved on the spot, or turned into a request (工单) or a wish (微心愿)."""

    __tablename__ = "visit_needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(String(500))
    solved_on_spot: Mapped[bool] = mapped_column(Boolean, default=False)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("service_requests.id", ondelete="SET NULL"), unique=True)
    wish_id: Mapped[int | None] = mapped_column(ForeignKey("wishes.id", ondelete="SET NULL"), unique=True)

    visit: Mapped[Visit] = relationship(back_populates="needs")
    request: Mapped[ServiceRequest | None] = relationship(lazy="selectin")
    wish: Mapped[Wish | None] = relationship(lazy="selectin")

    @property
    def outcome(self) -> str:
        """open, solved (on the spot), in_progress, resolved or dropped (a request refused or withdrawn, a
        wish withdrawn): the ``need_outcome`` label's code."""
        if self.solved_on_spot:
            return "solved"
        if self.request is not None:
            state = self.request.state
            return "resolved" if state in RESOLVED_REQUESTS else "dropped" if state in DROPPED_REQUESTS \
                else "in_progress"
        if self.wish is not None:
            state = self.wish.state
            return "resolved" if state in RESOLVED_WISHES else "dropped" if state == WishState.withdrawn \
                else "in_progress"
        return "open"


class VisitFrequency(Audited, VersionedMixin, db.Model):  # 走访频次
    """A community's own interval for a priority group; a group without a row keeps the default."""

    __tablename__ = "visit_frequencies"
    __table_args__ = (UniqueConstraint("community_id", "group"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    group: Mapped[PriorityGroup] = mapped_column(Enum(PriorityGroup, native_enum=False, length=20))
    every_days: Mapped[int] = mapped_column(Integer)
