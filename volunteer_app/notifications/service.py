"""Notify users: an inbox row for each, and outbox messages that channels deliver with retries.

A channel is anything with ``name``, ``address(user, message)`` (where this
person is reached on it, or None) and ``deliver(message, user)``; the SMS,
企业微信 and e-mail senders plug in through ``register_channel`` and the
setting ``NOTIFY_CHANNELS`` turns them on. The outbox table is always written
first, so a message survives a sender that is down or not configured.

``notify`` writes one unrouted row (channel ``outbox``) per person; delivery
routes it to that person's channels, one row each (so a rate limit on one
never holds back another), then sends the rows that are due. A failure is
retried with exponential backoff; after ``NOTIFY_MAX_ATTEMPTS`` the row is
failed and shows on the coordinators' to-do list unless the person got the
message some other way.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import aliased

from ..accounts import policy
from ..accounts.models import Role, User
from ..accounts.policy import Actor
from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..models_base import as_utc, utcnow
from ..pii import mask_phone
from ..stored_words import as_data, in_chinese
from .models import GroupWebhook, Notification, OutboxMessage

UNROUTED = "outbox"
#: Channels a person chooses on their profile; any other registered channel reaches everyone.
CHOOSABLE = ("sms", "wecom", "email")
#: What a person gets before choosing: the group robot posts in a shared group, so it is opt-in.
DEFAULT_CHOICE = ("sms", "email")
#: Kinds that go by SMS whatever the person chose, when SMS is configured.
URGENT_KINDS = frozenset({"callout"})
RETRY_CAP = timedelta(hours=6)


class Channel(Protocol):
    name: str

    def address(self, user: User, message: OutboxMessage) -> str | None:
        """Where ``user`` gets ``message`` on this channel, or None when they cannot."""

    def deliver(self, message: OutboxMessage, user: User | None) -> None:
        """Send the message; raise ``RetryLater``, ``Undeliverable`` or any error to leave it for a retry."""


class RetryLater(Exception):
    """A rate limit: the message waits ``seconds`` without counting as a failed attempt."""

    def __init__(self, reason: str, seconds: float):
        super().__init__(reason)
        self.seconds = seconds


class Undeliverable(Exception):
    """Retrying cannot help (a wrong number, a revoked webhook key): the row fails now."""


_channels: dict[str, Channel] = {}


def register_channel(channel: Channel) -> None:
    _channels[channel.name] = channel


def configured_channels() -> list[Channel]:
    """The registered channels ``NOTIFY_CHANNELS`` names whose own settings are complete, in that order."""
    chosen = [_channels[name] for name in current_app.config.get("NOTIFY_CHANNELS", []) if name in _channels]
    return [c for c in chosen if not getattr(c, "missing_settings", lambda _config: [])(current_app.config)]


@dataclass
class Note:
    """A message: its title and body are lazy texts (``_l("… %(week)s", week=…)``), stored as words at their
    source so the inbox shows them in the reader's language; outside channels get them in Chinese."""

    kind: str
    title: object
    body: object = ""
    link: str = ""
    #: The SMS template's parameters, in its order (SMS in China sends approved templates only); default: the title.
    params: list[str] = field(default_factory=list)

    @property
    def words(self) -> dict:
        return {"title": as_data(self.title), "body": as_data(self.body)}

    def in_chinese(self) -> tuple[str, str, list[str]]:
        """Title, body and SMS parameters as outside channels send them: in the community's language,
        whoever triggered the message."""
        return in_chinese(self.title), in_chinese(self.body), [in_chinese(p) for p in self.params]


def notify(users: list[User], note: Note, dedupe: str | None = None) -> list[Notification]:
    """Inbox rows plus one outbox message per user; ``dedupe`` makes repeats no-ops (e.g. reminders)."""
    rows = []
    title, body, params = note.in_chinese()
    for user in {u.id: u for u in users if u is not None}.values():
        key = f"{dedupe}:{user.id}" if dedupe else None
        if key and db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
            continue
        row = Notification(user_id=user.id, kind=note.kind, title=title, body=body, link=note.link, words=note.words)
        db.session.add(row)
        db.session.flush()
        rows.append(row)
        db.session.add(OutboxMessage(user_id=user.id, notification_id=row.id, recipient=user.username,
                                     kind=note.kind, subject=title, body=body, link=note.link,
                                     params=params, dedupe_key=key))
    db.session.flush()
    return rows


def webhook_for(community_id: int, grid_id: int | None = None) -> GroupWebhook | None:
    """The grid's group robot if it has one, else the community's."""
    candidates = db.session.scalars(select(GroupWebhook).where(
        GroupWebhook.community_id == community_id,
        or_(GroupWebhook.grid_id.is_(None), GroupWebhook.grid_id == grid_id))).all()
    return min(candidates, key=lambda hook: hook.grid_id is None, default=None)


def post_to_group(community_id: int, grid_id: int | None, note: Note) -> OutboxMessage | None:
    """Queue a message to the 企业微信 group of a grid (or its community); None when there is no group robot."""
    hook = webhook_for(community_id, grid_id)
    if hook is None:
        return None
    title, body, params = note.in_chinese()
    message = OutboxMessage(channel="wecom", recipient=str(hook.id), community_id=community_id, grid_id=grid_id,
                            kind=note.kind, subject=title, body=body, link=note.link,
                            params=params)
    db.session.add(message)
    db.session.flush()
    return message


# --- routing -----------------------------------------------------------------------------------

def place_of(user: User) -> tuple[int | None, int | None]:
    """The community and grid of the person's volunteer or resident record."""
    from ..people.models import Resident, Volunteer

    for model, record_id in ((Volunteer, user.volunteer_id), (Resident, user.resident_id)):
        record = db.session.get(model, record_id) if record_id else None
        if record is not None:
            return record.community_id, record.grid_id
    return None, None


def phone_of(user: User) -> str | None:
    """The mobile on the person's volunteer or resident record; a staff account's own (staff have no record)."""
    from ..people.models import Resident, Volunteer

    for model, record_id in ((Volunteer, user.volunteer_id), (Resident, user.resident_id)):
        record = db.session.get(model, record_id) if record_id else None
        if record is not None and record.phone:
            return record.phone
    return user.phone


def chosen_channels(user: User) -> tuple[str, ...]:
    if user.notify_channels is None:
        return DEFAULT_CHOICE
    return tuple(name for name in user.notify_channels.split(",") if name)


def channels_for(user: User, message: OutboxMessage) -> list[tuple[Channel, str]]:
    """(channel, address) pairs this message goes to: the person's choice, and SMS for urgent kinds."""
    chosen = chosen_channels(user)
    pairs = []
    for channel in configured_channels():
        wanted = channel.name not in CHOOSABLE or channel.name in chosen or (
            channel.name == "sms" and message.kind in URGENT_KINDS)
        locate = getattr(channel, "address", None)  # a channel without addresses reaches everyone by username
        address = (locate(user, message) if locate else user.username) if wanted else None
        if address:
            pairs.append((channel, address))
    return pairs


def route(message: OutboxMessage, user: User | None) -> None:
    """Turn an unrouted row into one row per channel (the row itself becomes the first)."""
    pairs = channels_for(user, message) if user is not None else []
    if not pairs:
        message.status = "inbox"
        return
    community_id, grid_id = place_of(user)
    rows = [message]
    for channel, address in pairs[1:]:
        copy = OutboxMessage(user_id=message.user_id, notification_id=message.notification_id, kind=message.kind,
                             subject=message.subject, body=message.body, link=message.link, params=message.params)
        db.session.add(copy)
        rows.append(copy)
    for row, (channel, address) in zip(rows, pairs):
        row.channel, row.recipient, row.community_id, row.grid_id = channel.name, address, community_id, grid_id


# --- delivery ----------------------------------------------------------------------------------

def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: base, 2×base, 4×base …, at most six hours."""
    base = timedelta(seconds=current_app.config.get("NOTIFY_RETRY_BASE_S", 60))
    return min(base * 2 ** (attempts - 1), RETRY_CAP)


def _due(now: datetime):
    statement = select(OutboxMessage).where(
        OutboxMessage.status == "pending",
        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
    if db.engine.dialect.name == "postgresql":  # two workers never send the same row
        statement = statement.with_for_update(skip_locked=True)
    return statement


def deliver_pending(limit: int = 200) -> int:
    """Route new messages and send those due through their channels; answers how many were sent."""
    channels = {channel.name: channel for channel in configured_channels()}
    if not channels:
        return 0
    now = utcnow()
    unrouted = db.session.scalars(_due(now).where(OutboxMessage.channel == UNROUTED)
                                  .order_by(OutboxMessage.id).limit(limit)).all()
    for message in unrouted:
        route(message, db.session.get(User, message.user_id) if message.user_id else None)
    db.session.flush()
    sent = 0
    due = db.session.scalars(_due(now).where(OutboxMessage.channel.in_(list(channels)))
                             .order_by(OutboxMessage.id).limit(limit)).all()
    for message in due:
        user = db.session.get(User, message.user_id) if message.user_id else None
        sent += attempt(channels[message.channel], message, user)
    db.session.flush()
    return sent


def attempt(channel: Channel, message: OutboxMessage, user: User | None) -> int:
    """One try of one row; answers 1 when it was delivered."""
    try:
        channel.deliver(message, user)
    except RetryLater as later:
        message.next_attempt_at = utcnow() + timedelta(seconds=later.seconds)
        message.last_error = str(later)[:300]
        return 0
    except Undeliverable as exc:
        message.attempts += 1
        message.status, message.last_error, message.next_attempt_at = "failed", str(exc)[:300], None
        return 0
    except Exception as exc:  # a sender's failure must not lose the message
        current_app.logger.warning("delivery of message %s by %s failed: %s", message.id, channel.name, exc)
        message.attempts += 1
        message.last_error = f"{exc.__class__.__name__}: {exc}"[:300]
        if message.attempts >= current_app.config.get("NOTIFY_MAX_ATTEMPTS", 6):
            message.status, message.next_attempt_at = "failed", None
        else:
            message.next_attempt_at = utcnow() + backoff(message.attempts)
        return 0
    message.attempts += 1
    message.status, message.delivered_at, message.last_error, message.next_attempt_at = "sent", utcnow(), "", None
    return 1


def sms_channel_for(kind: str) -> Channel | None:
    """The SMS channel when it is configured with an approved template for messages of ``kind``."""
    if kind not in current_app.config.get("SMS_TEMPLATES", {}):
        return None
    return next((channel for channel in configured_channels() if channel.name == "sms"), None)


def send_sms_now(user: User, phone: str, note: Note) -> bool:
    """Send one SMS within this request, ahead of the outbox's queue and its per-number pacing, and never to the
    inbox: a login code, which the person waits for at the login page and which is worth nothing minutes later.
    Answers whether the provider took it. A sent message stays in the outbox with its parameters blanked (they
    hold the secret), so staff see it went and the limits per number count it; a failure is logged, not
    retried: the person asks for a new code."""
    channel = sms_channel_for(note.kind)
    if channel is None:
        return False
    title, body, params = note.in_chinese()
    community_id, grid_id = place_of(user)
    message = OutboxMessage(channel=channel.name, user_id=user.id, recipient=f"+86{phone}", kind=note.kind,
                            subject=title, body=body, params=params, community_id=community_id, grid_id=grid_id)
    try:
        channel.send(message)
    except Exception as exc:  # the provider's refusal or silence: the login page answers alike either way
        current_app.logger.warning("%s SMS to %s failed: %s", note.kind, mask_phone(phone), exc)
        return False
    message.params = ["*" * len(param) for param in params]
    message.status, message.attempts, message.delivered_at = "sent", 1, utcnow()
    db.session.add(message)
    db.session.flush()
    return True


def sent_since(channel: str, recipient: str, since: datetime) -> list[datetime]:
    """When this recipient was last sent messages on ``channel`` (the rate limits count these), oldest first."""
    return [as_utc(at) for at in db.session.scalars(select(OutboxMessage.delivered_at).where(
        OutboxMessage.channel == channel, OutboxMessage.recipient == recipient,
        OutboxMessage.status == "sent", OutboxMessage.delivered_at >= since).order_by(OutboxMessage.delivered_at))]


def seconds_until_due() -> float | None:
    """How long until the next message a configured channel can send is due (0: now); None when none waits."""
    names = [UNROUTED, *(channel.name for channel in configured_channels())]
    row = db.session.execute(select(OutboxMessage.next_attempt_at).where(
        OutboxMessage.status == "pending", OutboxMessage.channel.in_(names))
        .order_by(OutboxMessage.next_attempt_at.is_not(None), OutboxMessage.next_attempt_at).limit(1)).first()
    if row is None:
        return None
    return max((as_utc(row[0]) - utcnow()).total_seconds(), 0.0) if row[0] is not None else 0.0


def undelivered(actor: Actor):
    """Failed rows the person did not get any other way (no sibling sent, inbox copy unread), within the actor's reach."""
    sibling = aliased(OutboxMessage)
    return select(OutboxMessage).where(
        OutboxMessage.status == "failed", policy.where(actor, "outbox.read", OutboxMessage),
        ~exists().where(sibling.notification_id == OutboxMessage.notification_id, sibling.status == "sent"),
        ~exists().where(and_(Notification.id == OutboxMessage.notification_id, Notification.read_at.is_not(None))),
    )


def outbox_in_scope(actor: Actor, status: str | None = None):
    """Routed and group messages within the actor's reach, newest first; ``undelivered``: see :func:`undelivered`."""
    policy.require(actor, "outbox.read")
    if status == "undelivered":
        return undelivered(actor).order_by(OutboxMessage.id.desc())
    statement = select(OutboxMessage).where(OutboxMessage.channel != UNROUTED,
                                            policy.where(actor, "outbox.read", OutboxMessage))
    if status:
        statement = statement.where(OutboxMessage.status == status)
    return statement.order_by(OutboxMessage.id.desc())


def get_message(actor: Actor, message_id: int) -> OutboxMessage:
    message = policy.get(actor, "outbox.read", OutboxMessage, message_id)
    if message.channel == UNROUTED:
        raise NotFound(policy.NOT_FOUND)
    return message


#: ``choose_channels(phone=KEEP)``: the call does not change the number.
KEEP = object()


def choose_channels(actor: Actor, channels: list[str], email: str | None, phone: str | None | object = KEEP) -> None:
    """The person's own choice; e-mail needs an address to go to. Staff give their own mobile for SMS here
    (``phone``, None to remove it); everyone else's number is on their record, which staff keep."""
    policy.require(actor, "channels.choose_own")
    if "email" in channels and not (email or "").strip():
        needed = _l("Give an e-mail address to get messages by e-mail.")
        raise InvalidInput(needed, {"email": [needed]}, code="email_required")
    if phone is not KEEP and not actor.is_staff:
        on_record = _l("Your number is on your volunteer or resident record: ask your coordinator to change it.")
        raise InvalidInput(on_record, {"phone": [on_record]}, code="phone_on_record")
    user = actor.user
    user.notify_channels = ",".join(name for name in CHOOSABLE if name in channels)
    user.email = (email or "").strip() or None
    if phone is not KEEP:
        user.phone = phone
    db.session.flush()


def retry(actor: Actor, message_id: int) -> OutboxMessage:
    """A coordinator's "try again" (after fixing a number or a webhook): a fresh row of attempts."""
    message = get_message(actor, message_id)
    policy.require(actor, "outbox.retry", message)
    if message.status != "failed":
        only_failed = _l("Only a failed message can be sent again.")
        raise Conflict(only_failed, {"status": [only_failed]}, code="not_failed")
    message.status, message.attempts, message.next_attempt_at, message.last_error = "pending", 0, None, ""
    message.serial_no, message.receipt, message.receipt_text, message.receipt_at = None, None, "", None
    return message


# --- who is told ----------------------------------------------------------------------------

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


def inbox(actor: Actor, unread_only: bool = False):
    """The actor's own notifications, newest first."""
    statement = select(Notification).where(Notification.user_id == actor.id).order_by(Notification.id.desc())
    if unread_only:
        statement = statement.where(Notification.read_at.is_(None))
    return statement


def mark_read(actor: Actor, notification_ids: list[int]) -> int:
    rows = db.session.scalars(select(Notification).where(
        Notification.user_id == actor.id, Notification.id.in_(notification_ids), Notification.read_at.is_(None))).all()
    for row in rows:
        row.read_at = utcnow()
    db.session.flush()
    return len(rows)
