"""Volunteer service-record certificates (志愿服务记录证明) and who issues them in each community.

A certificate is applied for, accepted, then issued (or rejected); once issued its facts are a frozen
snapshot (``facts``) that neither later service records nor edits of the volunteer change. A correction
issues a new number and revokes the old one, which points at its replacement.
"""
import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from ..models_base import Audited, VersionedMixin


class CertificateIssuer(Audited, VersionedMixin, db.Model):  # 出具单位
    """The organisation that issues a community's certificates, and the counter of their numbers."""

    __tablename__ = "certificate_issuers"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), unique=True)
    name: Mapped[str] = mapped_column(String(100))  # 出具单位, e.g. 维北社区居民委员会
    person_in_charge: Mapped[str] = mapped_column(String(32))  # 负责人
    contact: Mapped[str] = mapped_column(String(64))  # 联系电话
    prefix: Mapped[str] = mapped_column(String(16), unique=True)  # of its numbers: 维北 → WB-000001
    # The last sequence number handed out; raised by one atomic UPDATE per certificate.
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)


class CertificateState(str, enum.Enum):
    applied = "applied"  # the volunteer asked (申请)
    accepted = "accepted"  # the coordinator took it up (受理)
    issued = "issued"  # 出具: numbered, its facts frozen
    rejected = "rejected"  # 不予出具, with the reason
    revoked = "revoked"  # 已撤销 (a correction revokes the certificate it replaces)


class Certificate(Audited, VersionedMixin, db.Model):  # 志愿服务记录证明
    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("community_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    # A volunteer leaving the register leaves their certificates: the facts are in ``facts``.
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id", ondelete="SET NULL"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # inclusive
    purpose: Mapped[str] = mapped_column(String(100), default="")  # 用途, as the volunteer wrote it
    state: Mapped[CertificateState] = mapped_column(Enum(CertificateState, native_enum=False, length=10),
                                                    default=CertificateState.applied, index=True)
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rejection_reason: Mapped[str] = mapped_column(String(200), default="")
    sequence: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    issued_on: Mapped[date | None] = mapped_column(Date)
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What the certificate says, frozen when issued (names, masked ID, records, issuer): never rewritten.
    facts: Mapped[dict | None] = mapped_column(JSON)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str] = mapped_column(String(200), default="")
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="SET NULL"))

    volunteer = relationship("Volunteer", lazy="selectin")
    replaced_by: Mapped["Certificate | None"] = relationship(remote_side=[id], lazy="selectin")

    @validates("sequence", "number", "issued_on", "facts")
    def _frozen_once_issued(self, key, value):
        """What an issued certificate says is never rewritten: a correction is a new certificate."""
        if getattr(self, key) is not None:
            raise ValueError(f"certificate {self.number}: {key} is frozen once issued")
        return value
