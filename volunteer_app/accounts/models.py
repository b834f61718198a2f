"""Users, their scopes, API tokens, one-time logins (SMS codes, QR links) and the audit log."""
import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import Audited, TimestampMixin, VersionedMixin, utcnow


class Role(str, enum.Enum):
    admin = "admin"
    coordinator = "coordinator"  # 网格员 / 社区工作者, scoped to communities or grids
    volunteer = "volunteer"
    resident = "resident"


class User(UserMixin, Audited, VersionedMixin, db.Model):
    __tablename__ = "users"
    audit_exclude = Audited.audit_exclude | {"last_login_at", "session_generation"}

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16))
    can_view_pii: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id", ondelete="SET NULL", use_alter=True))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL", use_alter=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The outside channels this person wants messages on, comma-separated ("sms,wecom,email"; "" for the inbox
    # only); None: not chosen yet. Text, not JSON: PostgreSQL cannot compare JSON, and users are selected DISTINCT.
    notify_channels: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))  # for the email channel (partners, work units)
    #: A staff account's mobile, for SMS (staff have no volunteer or resident record, where everyone else's is).
    phone: Mapped[str | None] = mapped_column(String(11))
    # Part of every session's user id (get_id): raising it on logout or a password change ends every session
    # and remember cookie issued before, including copies of the cookie kept elsewhere (service.end_sessions).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    scopes: Mapped[list["CoordinatorScope"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What a session keeps (Flask-Login's alternative id): the user and the generation of their sessions."""
        return f"{self.id}:{self.session_generation}"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin


class CoordinatorScope(db.Model):
    """One community or one grid a coordinator may see and change."""

    __tablename__ = "coordinator_scopes"
    __table_args__ = (
        CheckConstraint("(community_id IS NULL) <> (grid_id IS NULL)", name="one_place"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="CASCADE"))

    user: Mapped[User] = relationship(back_populates="scopes")


class ApiToken(TimestampMixin, db.Model):
    """Bearer token for integrations; only a SHA-256 of the secret is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class LoginCode(db.Model):
    """The one-time code last sent to a mobile number, to log in with it (residents and volunteers).

    Only an HMAC of the code is kept (accounts/login_codes.py). A number has one row at a time: a new code
    replaces the old. Numbers no account has get a row too, that no code matches, so the resend wait
    answers alike for every number and the login page never tells who is registered.
    """

    __tablename__ = "login_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), unique=True)
    salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Development mode only (embedded, no SMS): the plain code, for the admins' page of pending codes.
    shown_code: Mapped[str | None] = mapped_column(String(6))


class LoginLink(Audited, VersionedMixin, db.Model):
    """A single-use login a coordinator hands a resident or volunteer as a QR code; a SHA-256 of the
    secret is kept. Its creation and its use are in the audit log; the version guards the single use."""

    __tablename__ = "login_links"
    audit_exclude = Audited.audit_exclude | {"token_hash"}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(Integer)  # the coordinator's user id
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class AuditLog(db.Model):
    """Who created, changed or deleted which record, when, and what changed."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(8))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
