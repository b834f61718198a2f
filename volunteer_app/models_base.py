"""Column helpers shared by every domain's models."""
from datetime import datetime, timezone

from sqlalchemy import DateTime, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored moment as an aware UTC value (SQLite hands back naive values, stored in UTC)."""
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class VersionedMixin(TimestampMixin):
    """Optimistic locking: a stale write fails instead of silently dropping another's edit.

    Clients send back the ``version`` they read; the service compares it, and
    SQLAlchemy's version counter guards the race between compare and write.
    """

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.version}


class Audited:
    """Marker: inserts, updates and deletes of this model are written to the audit log."""

    audit_exclude: frozenset[str] = frozenset({"created_at", "updated_at", "version", "password_hash"})
