"""Weekly duty rosters: templates, a week's demands, draft and published assignments."""
import enum
from datetime import datetime, time

from sqlalchemy import (
    JSON, Boolean, Column, DateTime, Enum, Float, ForeignKey, Integer, String, Table, Text, Time, UniqueConstraint,
    false, true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from ..extensions import db
from ..models_base import Audited, TimestampMixin, VersionedMixin, utcnow
from ..stored_words import Worded


class HolidayRule(str, enum.Enum):
    closed = "closed"  # no shift on public holidays
    open = "open"  # as on any day
    rota = "rota"  # holiday rota: ``holiday_needed`` people instead of ``needed``


class ShiftTemplate(Audited, VersionedMixin, db.Model):  # 轮流值守 / 延时错时服务
    """A recurring duty at a station; a week's shifts are generated from these."""

    __tablename__ = "shift_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    title: Mapped[str] = mapped_column(String(64), default="")
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)
    needed: Mapped[int] = mapped_column(Integer, default=1)
    skills: Mapped[list] = mapped_column(JSON, default=list)
    priority: Mapped[int] = mapped_column(Integer, default=3)
    holiday_rule: Mapped[HolidayRule] = mapped_column(Enum(HolidayRule, native_enum=False, length=8),
                                                      default=HolidayRule.closed)
    holiday_needed: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    station = relationship("Station")


class WeekStatus(str, enum.Enum):
    draft = "draft"  # never published
    published = "published"


class RosterWeek(Audited, VersionedMixin, db.Model):
    """One community's ISO week. ``version`` guards publishing against a race."""

    __tablename__ = "roster_weeks"
    __table_args__ = (UniqueConstraint("community_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    week: Mapped[str] = mapped_column(String(8))  # 2026-W49
    status: Mapped[WeekStatus] = mapped_column(Enum(WeekStatus, native_enum=False, length=10),
                                               default=WeekStatus.draft)
    published_version: Mapped[int] = mapped_column(Integer, default=0)
    draft_unfilled: Mapped[list] = mapped_column(JSON, default=list)
    draft_scores: Mapped[dict] = mapped_column(JSON, default=dict)
    draft_requests: Mapped[dict] = mapped_column(JSON, default=dict)  # {request id: volunteer id}, dispatched at publish

    demands: Mapped[list["Demand"]] = relationship(back_populates="week", order_by="Demand.start",
                                                   cascade="all, delete-orphan")


class DemandKind(str, enum.Enum):
    shift = "shift"
    task = "task"


class Demand(Audited, VersionedMixin, db.Model):
    """A shift at a station or a task for a resident, in one week."""

    __tablename__ = "roster_demands"

    id: Mapped[int] = mapped_column(primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("roster_weeks.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DemandKind] = mapped_column(Enum(DemandKind, native_enum=False, length=8), default=DemandKind.shift)
    title: Mapped[str] = mapped_column(String(64), default="")
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("shift_templates.id", ondelete="SET NULL"))
    start: Mapped[datetime] = mapped_column(DateTime)
    end: Mapped[datetime] = mapped_column(DateTime)
    needed: Mapped[int] = mapped_column(Integer, default=1)
    skills: Mapped[list] = mapped_column(JSON, default=list)
    priority: Mapped[int] = mapped_column(Integer, default=3)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)

    week: Mapped[RosterWeek] = relationship(back_populates="demands")
    station = relationship("Station")


class DraftAssignment(db.Model):
    """The plan being reviewed; replaced wholesale by each solve, edited by hand."""

    __tablename__ = "draft_assignments"
    __table_args__ = (UniqueConstraint("demand_id", "volunteer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("roster_weeks.id", ondelete="CASCADE"), index=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("roster_demands.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))


class AssignmentStatus(str, enum.Enum):
    assigned = "assigned"  # published, waiting for the volunteer
    confirmed = "confirmed"
    declined = "declined"
    removed = "removed"  # taken out by a later version or a swap


class Assignment(VersionedMixin, db.Model):
    """A published assignment that volunteers see and answer."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("roster_weeks.id", ondelete="CASCADE"), index=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("roster_demands.id", ondelete="CASCADE"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"), index=True)
    status: Mapped[AssignmentStatus] = mapped_column(Enum(AssignmentStatus, native_enum=False, length=10),
                                                     default=AssignmentStatus.assigned, index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set by the coordinator afterwards (考勤): the duty was done. Earns points and service hours.
    served_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # 签到 / 签退: China time, like the duty's (a scan of the station's code, or the coordinator's tick).
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime)
    checked_out_at: Mapped[datetime | None] = mapped_column(DateTime)

    demand: Mapped[Demand] = relationship()
    volunteer = relationship("Volunteer")


class PairRuleKind(str, enum.Enum):
    pinned = "pinned"
    forbidden = "forbidden"  # the coordinator's ban
    declined = "declined"  # the volunteer's own "no": only a recorded re-ask lifts it


#: Rules that keep a volunteer off a duty in every solve, edit and publish of the week.
BARRING = (PairRuleKind.forbidden, PairRuleKind.declined)


class PairRule(Audited, TimestampMixin, db.Model):
    """A coordinator's pin or ban, or a volunteer's decline (with their reason); audited, so a re-ask is on record."""

    __tablename__ = "pair_rules"
    __table_args__ = (UniqueConstraint("demand_id", "volunteer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("roster_weeks.id", ondelete="CASCADE"), index=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("roster_demands.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    kind: Mapped[PairRuleKind] = mapped_column(Enum(PairRuleKind, native_enum=False, length=10))
    reason: Mapped[str] = mapped_column(String(200), default="")


class RosterVersion(db.Model):
    """An immutable snapshot of a published week, with what changed since the last."""

    __tablename__ = "roster_versions"
    __table_args__ = (UniqueConstraint("week_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("roster_weeks.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200), default="")
    note_words: Mapped[dict | None] = mapped_column(JSON)
    note_text = Worded("note")  # the coordinator's, or the app's (re-planned after a decline, a swap approved)
    assignments: Mapped[list] = mapped_column(JSON, default=list)  # [[demand_id, volunteer_id], ...]
    added: Mapped[list] = mapped_column(JSON, default=list)
    removed: Mapped[list] = mapped_column(JSON, default=list)


class JobStatus(str, enum.Enum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class PlanJob(db.Model):
    """A background solve of one week; its progress is what the page polls."""

    __tablename__ = "plan_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("roster_weeks.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16), default="plan")  # plan | resolve | repair
    status: Mapped[JobStatus] = mapped_column(Enum(JobStatus, native_enum=False, length=10), default=JobStatus.queued)
    stage: Mapped[str] = mapped_column(String(32), default="")
    best_coverage: Mapped[int | None] = mapped_column(Integer)
    elapsed_s: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    requested_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    week: Mapped[RosterWeek] = relationship()


class SwapStatus(str, enum.Enum):
    requested = "requested"
    approved = "approved"
    rejected = "rejected"
    cancelled = "cancelled"


class SwapRequest(TimestampMixin, db.Model):
    """A volunteer hands an assignment to a colleague; the coordinator approves."""

    __tablename__ = "swap_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    to_volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    status: Mapped[SwapStatus] = mapped_column(Enum(SwapStatus, native_enum=False, length=10),
                                               default=SwapStatus.requested)
    note: Mapped[str] = mapped_column(String(200), default="")
    decided_by_id: Mapped[int | None] = mapped_column(Integer)

    assignment: Mapped[Assignment] = relationship()
    to_volunteer = relationship("Volunteer")


class CallOutStatus(str, enum.Enum):
    open = "open"
    filled = "filled"
    closed = "closed"


class CallOut(TimestampMixin, db.Model):  # 平急结合
    """An urgent demand called out in waves to the nearest volunteers in reach; first to accept are assigned."""

    __tablename__ = "callouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("roster_demands.id", ondelete="CASCADE"), unique=True)
    status: Mapped[CallOutStatus] = mapped_column(Enum(CallOutStatus, native_enum=False, length=8),
                                                  default=CallOutStatus.open)
    # Places taken so far; raised only by a guarded UPDATE, so a rush of "yes" never over-fills.
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    # Where, as people name it: the station chosen or the address typed (never coordinates).
    place: Mapped[str] = mapped_column(String(128), default="", server_default="")
    place_words: Mapped[dict | None] = mapped_column(JSON)
    place_text = Worded("place")  # "near <station>" when the app names it
    radius_m: Mapped[int] = mapped_column(Integer, default=3000, server_default="3000")
    # False: the demand's skills only rank people, nobody is left out for lacking them.
    skills_required: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Waves of invitations sent (call-outs from before waves had sent their one).
    wave: Mapped[int] = mapped_column(Integer, default=0, server_default="1")
    # When the next wave goes out if too few have accepted; None once filled or closed.
    next_wave_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Who could be called at the last wave: {"eligible", "uncalled", "on_leave", "busy", "lacks_skill",
    # "beyond_radius", "wider_radius_m"} (see urgent.Reach.summary).
    reach: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")

    # A team called first (``team_only``: only its members are called).
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    team_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    demand: Mapped[Demand] = relationship()
    team = relationship("Team")
    invites: Mapped[list["CallOutInvite"]] = relationship(back_populates="callout", order_by="CallOutInvite.rank",
                                                          cascade="all, delete-orphan")


class InviteStatus(str, enum.Enum):
    invited = "invited"
    accepted = "accepted"
    declined = "declined"
    too_late = "too_late"  # answered yes after the call-out was filled


class CallOutInvite(db.Model):
    __tablename__ = "callout_invites"
    __table_args__ = (UniqueConstraint("callout_id", "volunteer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    callout_id: Mapped[int] = mapped_column(ForeignKey("callouts.id", ondelete="CASCADE"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    distance_m: Mapped[int] = mapped_column(Integer)
    status: Mapped[InviteStatus] = mapped_column(Enum(InviteStatus, native_enum=False, length=10),
                                                 default=InviteStatus.invited)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    wave: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Called although outside their usual weekly times / over their weekly hours (ranked lower for it).
    outside_hours: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    over_weekly_hours: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    callout: Mapped[CallOut] = relationship(back_populates="invites")
    volunteer = relationship("Volunteer")


class CalendarFeed(TimestampMixin, db.Model):
    """A volunteer's secret iCalendar URL; only a hash of the token is kept."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)


team_members = Table(
    "team_members", db.metadata,
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("volunteer_id", ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Team(Audited, TimestampMixin, db.Model):  # 应急队, 义诊队 …
    """A named group of a community's volunteers with a leader, whom a call-out can ask for."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id", ondelete="SET NULL"), index=True)
    # The policy's own-record reach (``teams.lead``) reads ``volunteer_id``: a team is its leader's own.
    volunteer_id = synonym("leader_id")

    leader = relationship("Volunteer", foreign_keys=[leader_id])
    members = relationship("Volunteer", secondary=team_members, order_by="Volunteer.name")
