"""Notify users: an inbox row for each, and a message for every configured channel.

A channel is anything with ``name`` and ``deliver(message)``; SMS or WeChat
senders plug in through ``register_channel``. The outbox table is always
written first, so a message survives a sender that is down or not configured.
"""
from dataclasses import dataclass
from typing import Protocol

from flask import current_app
from sqlalchemy import select

from ..accounts.models import Role, User
from ..extensions import db
from ..models_base import utcnow
from .models import Notification, OutboxMessage


class Channel(Protocol):
    name: str

    def deliver(self, message: OutboxMessage, user: User) -> None:
        """Send the message; raise to leave it pending for a retry."""


_channels: dict[str, Channel] = {}


def register_channel(channel: Channel) -> None:
    _channels[channel.name] = channel


@dataclass
class Note:
    kind: str
    title: str
    body: str = ""
    link: str = ""


def notify(users: list[User], note: Note, dedupe: str | None = None) -> list[Notification]:
    """Inbox rows plus one outbox message per user; ``dedupe`` makes repeats no-ops (e.g. reminders)."""
    rows = []
    for user in {u.id: u for u in users if u is not None}.values():
        key = f"{dedupe}:{user.id}" if dedupe else None
        if key and db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
            continue
        rows.append(Notification(user_id=user.id, kind=note.kind, title=note.title, body=note.body, link=note.link))
        db.session.add(OutboxMessage(user_id=user.id, recipient=user.username, subject=note.title, body=note.body,
                                     dedupe_key=key))
    db.session.add_all(rows)
    db.session.flush()
    return rows


def deliver_pending(limit: int = 200) -> int:
    """Hand pending outbox messages to the configured channels (run by a periodic job)."""
    names = current_app.config.get("NOTIFY_CHANNELS", [])
    channels = [_channels[n] for n in names if n in _channels]
    if not channels:
        return 0
    sent = 0
    pending = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending")
                                 .order_by(OutboxMessage.id).limit(limit)).all()
    for message in pending:
        user = db.session.get(User, message.user_id) if message.user_id else None
        message.attempts += 1
        try:
            for channel in channels:
                channel.deliver(message, user)
        except Exception as exc:  # a sender's failure must not lose the message
            current_app.logger.warning("delivery of message %s failed: %s", message.id, exc)
            message.status = "failed" if message.attempts >= 5 else "pending"
            continue
        message.status, message.sent_at, message.channel = "sent", utcnow(), ",".join(c.name for c in channels)
        sent += 1
    db.session.flush()
    return sent


def users_of_volunteers(volunteer_ids) -> list[User]:
    if not volunteer_ids:
        return []
    return list(db.session.scalars(select(User).where(User.volunteer_id.in_(list(volunteer_ids)))))


def coordinators_of(community_id: int) -> list[User]:
    from ..accounts.models import CoordinatorScope
    from ..places.models import Grid

    return list(db.session.scalars(
        select(User).join(CoordinatorScope).where(
            User.role == Role.coordinator,
            (CoordinatorScope.community_id == community_id)
            | CoordinatorScope.grid_id.in_(select(Grid.id).where(Grid.community_id == community_id)))
        .distinct()))


def inbox(user: User, unread_only: bool = False):
    statement = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())
    if unread_only:
        statement = statement.where(Notification.read_at.is_(None))
    return statement


def mark_read(user: User, notification_ids: list[int]) -> int:
    rows = db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.id.in_(notification_ids), Notification.read_at.is_(None))).all()
    for row in rows:
        row.read_at = utcnow()
    db.session.flush()
    return len(rows)
