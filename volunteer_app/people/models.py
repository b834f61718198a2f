"""Volunteers, in-office party members' reports (双报到), residents and the skill catalogue."""
import enum
from datetime import date, time

from sqlalchemy import (
    Boolean, Column, Date, Enum, Float, ForeignKey, Integer, String, Table, Time, UniqueConstraint, false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import Audited, VersionedMixin


class Skill(Audited, VersionedMixin, db.Model):
    """A catalogue entry (理发 haircut, 义诊 clinic …); ``code`` is what the solver matches."""

    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(32))
    name_en: Mapped[str] = mapped_column(String(64))


volunteer_skills = Table(
    "volunteer_skills",
    db.metadata,
    Column("volunteer_id", ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True),
    Column("skill_id", ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True),
)


class VolunteerStatus(str, enum.Enum):
    active = "active"
    paused = "paused"
    left = "left"


class HolidayMode(str, enum.Enum):
    """How a volunteer's weekly pattern reads on a public holiday."""

    rest_day = "rest_day"  # like a weekend day: their rest-day slots apply
    off = "off"  # not available on public holidays


class DaySelector(str, enum.Enum):
    """Which days a weekly availability slot applies to.

    ``workdays`` / ``rest_days`` follow the official calendar, so "weekday
    evenings" also covers a 调休 make-up Saturday; a named weekday applies only
    when that day is an ordinary day of its kind (not a holiday, not 调休).
    """

    workdays = "workdays"
    rest_days = "rest_days"
    mon = "mon"
    tue = "tue"
    wed = "wed"
    thu = "thu"
    fri = "fri"
    sat = "sat"
    sun = "sun"


class Volunteer(Audited, VersionedMixin, db.Model):  # 志愿者
    __tablename__ = "volunteers"
    __table_args__ = (UniqueConstraint("community_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(11))
    id_number: Mapped[str | None] = mapped_column(String(18))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    max_hours_per_week: Mapped[int] = mapped_column(Integer, default=8)
    max_distance_m: Mapped[int] = mapped_column(Integer, default=2000)
    status: Mapped[VolunteerStatus] = mapped_column(
        Enum(VolunteerStatus, native_enum=False, length=8), default=VolunteerStatus.active, index=True
    )
    holiday_mode: Mapped[HolidayMode] = mapped_column(
        Enum(HolidayMode, native_enum=False, length=10), default=HolidayMode.rest_day
    )
    is_party_member: Mapped[bool] = mapped_column(Boolean, default=False)
    # Opt-in consent to be named in published rankings (top volunteers); off unless they say so.
    show_in_rankings: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    joined_on: Mapped[date] = mapped_column(Date)

    skills: Mapped[list[Skill]] = relationship(secondary=volunteer_skills, lazy="selectin", order_by=Skill.code)
    availability: Mapped[list["AvailabilitySlot"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="AvailabilitySlot.id"
    )
    exceptions: Mapped[list["AvailabilityException"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="AvailabilityException.on_date"
    )
    party_report: Mapped["PartyMemberReport | None"] = relationship(back_populates="volunteer", uselist=False)


class AvailabilitySlot(db.Model):
    """One line of a volunteer's weekly pattern, e.g. workdays 18:00–21:00."""

    __tablename__ = "availability_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"), index=True)
    days: Mapped[DaySelector] = mapped_column(Enum(DaySelector, native_enum=False, length=10))
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)


class AvailabilityException(db.Model):
    """A dated change to the pattern: away that day (or part of it), or extra time."""

    __tablename__ = "availability_exceptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"), index=True)
    on_date: Mapped[date] = mapped_column(Date)
    available: Mapped[bool] = mapped_column(Boolean)
    # Both empty: the whole day.
    start: Mapped[time | None] = mapped_column(Time)
    end: Mapped[time | None] = mapped_column(Time)
    note: Mapped[str] = mapped_column(String(128), default="")


class PartyMemberReport(Audited, VersionedMixin, db.Model):  # 在职党员双报到
    """An in-office party member reporting to the community where they live."""

    __tablename__ = "party_member_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"), unique=True)
    work_unit: Mapped[str] = mapped_column(String(128))  # 单位
    party_organization: Mapped[str] = mapped_column(String(128))  # 单位党组织
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    reported_on: Mapped[date] = mapped_column(Date)
    yearly_target_hours: Mapped[int] = mapped_column(Integer, default=20)

    volunteer: Mapped[Volunteer] = relationship(back_populates="party_report")
    claimed_posts: Mapped[list["ClaimedPost"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ClaimedPost.id"
    )


class ClaimedPost(db.Model):  # 认领服务岗位
    __tablename__ = "claimed_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("party_member_reports.id", ondelete="CASCADE"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)


class ServiceLog(Audited, VersionedMixin, db.Model):
    """Minutes a volunteer served on a day; the source of hours targets and fairness history."""

    __tablename__ = "service_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"), index=True)
    served_on: Mapped[date] = mapped_column(Date, index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(128), default="")
    # Set when the hours come from a served roster assignment: recorded once, removed with the mark.
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id", ondelete="SET NULL"), unique=True)
    # Set when the hours come from a resolved request (工单): recorded once, when it is resolved.
    request_id: Mapped[int | None] = mapped_column(ForeignKey("service_requests.id", ondelete="SET NULL"), unique=True)

    volunteer: Mapped[Volunteer] = relationship()


class PriorityGroup(str, enum.Enum):  # 重点人群
    low_income = "low_income"  # 低保
    disabled = "disabled"  # 残疾
    elderly_alone = "elderly_alone"  # 独居老人
    childless_elderly = "childless_elderly"  # 孤寡
    hardship = "hardship"  # 困难


class Resident(Audited, VersionedMixin, db.Model):  # 居民
    __tablename__ = "residents"
    __table_args__ = (UniqueConstraint("community_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(11))
    id_number: Mapped[str | None] = mapped_column(String(18))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    household: Mapped[str] = mapped_column(String(32), default="")  # 单元/门牌, e.g. 2单元301
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(String(256), default="")

    priority_groups: Mapped[list["ResidentPriorityGroup"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ResidentPriorityGroup.group"
    )


class ResidentPriorityGroup(db.Model):
    __tablename__ = "resident_priority_groups"

    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True)
    group: Mapped[PriorityGroup] = mapped_column(Enum(PriorityGroup, native_enum=False, length=20), primary_key=True)
