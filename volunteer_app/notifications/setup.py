"""Wires the notifications domain into the app: its channels, pages, menu entries and to-do items."""
from flask import Flask, current_app, has_app_context, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from ..accounts.models import Role
from ..accounts.policy import Actor
from ..extensions import db
from ..todo import TodoItem, register_provider
from .mail import SmtpMail
from .models import OutboxMessage
from .sender import deliver_soon
from .service import UNROUTED, configured_channels, register_channel, undelivered
from .sms import TencentSms
from .wecom import WeComGroupRobot

CHANNELS = (TencentSms(), WeComGroupRobot(), SmtpMail())


def check_settings(app: Flask) -> None:
    """Fail at start-up, not at the first message, when ``NOTIFY_CHANNELS`` names a channel that cannot work."""
    known = {channel.name: channel for channel in CHANNELS}
    problems = []
    for name in app.config["NOTIFY_CHANNELS"]:
        if name not in known:
            problems.append(f"unknown channel {name!r} (known: {', '.join(known)})")
        elif missing := known[name].missing_settings(app.config):
            problems.append(f"channel {name!r} needs {', '.join(missing)}")
    if problems:
        raise RuntimeError("NOTIFY_CHANNELS: " + "; ".join(problems))


def notifications_todo(actor: Actor) -> list[TodoItem]:
    """Messages that reached nobody, and (for the admin, once) that no outside channel is configured."""
    items = []
    if actor.role == Role.admin and not configured_channels():
        items.append(TodoItem("no-channels", 1, gettext(
            "No SMS, WeCom or e-mail sender is configured: messages stay in the inbox."),
            url_for("notify_pages.outbox")))
    failed = db.session.scalar(select(func.count()).select_from(undelivered(actor).subquery()))
    items.append(TodoItem("undelivered", failed, ngettext(
        "%(num)s message could not be delivered", "%(num)s messages could not be delivered", failed),
        url_for("notify_pages.outbox", status="undelivered"), urgent=True))
    return items


@event.listens_for(Session, "after_flush")
def _note_new_messages(session, _context) -> None:
    """New messages for the outbox (unrouted ones, group posts) wake the sender once committed."""
    if any(isinstance(row, OutboxMessage) and (row.channel == UNROUTED or row.user_id is None) for row in session.new):
        session.info["outbox_new"] = True


@event.listens_for(Session, "after_commit")
def _wake_sender(session) -> None:
    if session.info.pop("outbox_new", False) and has_app_context() and configured_channels():
        deliver_soon(current_app._get_current_object())


@event.listens_for(Session, "after_rollback")
def _forget_new_messages(session) -> None:
    session.info.pop("outbox_new", None)


def init_app(app: Flask) -> None:
    from ..views import STAFF, register_nav
    from .views import bp, unread_count

    for channel in CHANNELS:
        register_channel(channel)
    check_settings(app)
    app.register_blueprint(bp)
    register_provider(app, notifications_todo)
    everyone = {Role.admin, Role.coordinator, Role.volunteer, Role.resident}
    register_nav(app, "notify_pages.inbox", _l("Inbox"), everyone, order=90, active_prefix="notify_pages.inbox",
                 badge=unread_count)
    register_nav(app, "notify_pages.outbox", _l("Outgoing messages"), STAFF, order=91,
                 active_prefix="notify_pages.outbox")
    register_nav(app, "notify_pages.group_webhooks", _l("WeCom groups"), STAFF, order=92,
                 active_prefix="notify_pages.group_webhook")
