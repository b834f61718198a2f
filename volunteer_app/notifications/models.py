"""In-app inbox, the outbox of messages for outside channels (SMS, 企业微信, email), and group webhooks."""
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import TimestampMixin, utcnow
from ..stored_words import shown


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # assigned, changed, declined, reminder, callout …
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Title and body as words at their source (stored_words), shown in the reader's language; ``title`` and
    #: ``body`` keep them in Chinese, as they went to outside channels.
    words: Mapped[dict | None] = mapped_column(JSON)

    @property
    def shown_title(self) -> str:
        return shown(self.words["title"]) if self.words else self.title

    @property
    def shown_body(self) -> str:
        return shown(self.words["body"]) if self.words else self.body


class OutboxMessage(db.Model):
    """One message for one channel and recipient; nothing is lost without a sender.

    ``notify`` writes a row on channel ``outbox`` (not yet routed) per person;
    delivery routes it to the channels that person gets, one row each, so a
    rate limit or failure of one channel never holds back another.
    ``status``: pending | sent | failed | inbox (routed to no outside channel: the inbox copy is all).
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),
                      Index("ix_outbox_recipient_sent", "channel", "recipient", "delivered_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), default="outbox", index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="SET NULL"),
                                                        index=True)
    # Where the message belongs, for the coordinators' to-do list of failures (group messages and routed rows).
    community_id: Mapped[int | None] = mapped_column(Integer, index=True)
    grid_id: Mapped[int | None] = mapped_column(Integer)
    recipient: Mapped[str] = mapped_column(String(254), default="")  # phone, e-mail, webhook id, username
    kind: Mapped[str] = mapped_column(String(24), default="")
    subject: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(200), default="")
    params: Mapped[list] = mapped_column(JSON, default=list)  # SMS template parameters
    status: Mapped[str] = mapped_column(String(8), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The provider's id of a sent SMS (Tencent's ``SerialNo``), which its delivery receipt names.
    serial_no: Mapped[str | None] = mapped_column(String(64), index=True)
    #: The delivery receipt: None (none yet, or a channel without receipts) | delivered | failed; the operator's
    #: text (``DELIVRD``, an error code …) and when the phone got it.
    receipt: Mapped[str | None] = mapped_column(String(9))
    receipt_text: Mapped[str] = mapped_column(String(200), default="", server_default="")
    receipt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GroupWebhook(TimestampMixin, db.Model):
    """The 企业微信 group robot of a community (``grid_id`` empty) or of one of its grids.

    The URL holds the robot's key, a secret: the API shows only its end.
    ``broken_at`` is set when WeCom says the key is invalid; saving a new URL clears it.
    """

    __tablename__ = "group_webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(300))
    label: Mapped[str] = mapped_column(String(64), default="")
    broken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(String(200), default="")
