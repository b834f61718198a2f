"""The place hierarchy every record hangs on, and the stations where duty happens."""
import enum

from sqlalchemy import JSON, Boolean, Enum, Float, ForeignKey, String
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import Audited, VersionedMixin


class Subdistrict(Audited, VersionedMixin, db.Model):  # 街道
    __tablename__ = "subdistricts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))

    communities: Mapped[list["Community"]] = relationship(back_populates="subdistrict")


class Community(Audited, VersionedMixin, db.Model):  # 社区
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    subdistrict_id: Mapped[int] = mapped_column(ForeignKey("subdistricts.id"), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)

    subdistrict: Mapped[Subdistrict] = relationship(back_populates="communities")
    grids: Mapped[list["Grid"]] = relationship(back_populates="community")

    @hybrid_property
    def community_id(self) -> int:
        """A community is its own place: the access policy reaches it like any community's record."""
        return self.id


class Grid(Audited, VersionedMixin, db.Model):  # 网格
    __tablename__ = "grids"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)

    community: Mapped[Community] = relationship(back_populates="grids")

    @hybrid_property
    def grid_id(self) -> int:
        """A grid is in its own grid: lets scope clauses and checks treat grids like the records in them."""
        return self.id


class Building(Audited, VersionedMixin, db.Model):  # 楼栋
    __tablename__ = "buildings"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"), index=True)
    # Kept beside grid_id so scoping is one indexed comparison, not a join.
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)

    grid: Mapped[Grid] = relationship()


class StationType(str, enum.Enum):
    party_center = "party_center"  # 党群服务中心
    grid_station = "grid_station"  # 网格党群服务站
    red_post = "red_post"  # 红色驿站
    volunteer_market = "volunteer_market"  # 志愿服务超市


class Station(Audited, VersionedMixin, db.Model):  # 党群服务站 / 红色驿站
    """Where duty shifts happen.

    ``opening_hours`` is a list of ``{"weekday": 0..6, "start": "HH:MM", "end": "HH:MM"}``;
    ``closed_on_holidays`` closes it on public holidays (调休 working days open
    as weekdays); ``closures`` lists extra closed dates (ISO strings).
    """

    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    station_type: Mapped[StationType] = mapped_column(Enum(StationType, native_enum=False, length=24))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), index=True)
    address: Mapped[str] = mapped_column(String(128), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    opening_hours: Mapped[list] = mapped_column(JSON, default=list)
    closed_on_holidays: Mapped[bool] = mapped_column(Boolean, default=True)
    closures: Mapped[list] = mapped_column(JSON, default=list)

    community: Mapped[Community] = relationship()
    grid: Mapped[Grid | None] = relationship()
