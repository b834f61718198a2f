"""Delivery as people and coordinators see it: backoff then failure, failures on the to-do list of the
coordinators in scope, the admin told once that nothing leaves the inbox, each person's choice of channels,
the outbox page, the in-process sender of embedded mode, and the migration."""
import re
import time
from datetime import timedelta

from tests.support.pages import logged_in, post, text_of
from volunteer_app.accounts.models import Role
from volunteer_app.accounts.policy import Actor
from volunteer_app.extensions import db
from volunteer_app.models_base import utcnow
from volunteer_app.notifications import service
from volunteer_app.notifications.models import OutboxMessage


def todo_kinds(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-kind="([^"]+)"><a href="([^"]+)"', html))


def test_backoff_doubles_then_the_message_fails_and_is_flagged_in_scope(tencent, channels, make_grid, make_person,
                                                                          make_user, app_ctx, monkeypatch):
    channels("sms")
    monkeypatch.setitem(app_ctx.config, "TENCENT_SMS_SECRET_KEY", "wrong")  # every try is refused
    monkeypatch.setitem(app_ctx.config, "NOTIFY_MAX_ATTEMPTS", 3)
    grid, elsewhere = make_grid(), make_grid()
    coordinator = make_user(communities=[grid.community], username="coord")
    make_user(communities=[elsewhere.community], username="other")
    service.notify([make_person(grid=grid)], service.Note("assigned", "新的值守安排"))
    db.session.commit()
    waits = []
    for _ in range(3):
        service.deliver_pending()
        message = db.session.query(OutboxMessage).one()
        if message.next_attempt_at is not None:
            waits.append(round((service.as_utc(message.next_attempt_at) - utcnow()).total_seconds() / 60))
            message.next_attempt_at = utcnow()
    assert waits == [1, 2]  # one minute, then two
    assert (message.status, message.attempts) == ("failed", 3) and "SignatureFailure" in message.last_error
    db.session.commit()

    home = text_of(logged_in(app_ctx, "coord").get("/"))
    assert todo_kinds(home)["undelivered"] == "/outbox?status=undelivered"
    assert "1 message could not be delivered" in home or "1 条消息未能送达" in home
    assert "undelivered" not in todo_kinds(text_of(logged_in(app_ctx, "other").get("/")))

    page = text_of(logged_in(app_ctx, "coord").get("/outbox?status=undelivered"))
    assert "SignatureFailure" in page and "139" in page and "+86 139" in page
    client = logged_in(app_ctx, "coord")
    post(client, f"/outbox/{message.id}/retry", {}, "/outbox?status=failed")
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("pending", 0)
    assert coordinator.id  # the coordinator of the person's community saw and retried it


def test_a_message_read_in_the_inbox_or_sent_elsewhere_is_not_flagged(channels, make_person, make_user):
    coordinator = make_user(role=Role.admin)
    person = make_person()
    [note] = service.notify([person], service.Note("assigned", "一"))
    first = db.session.query(OutboxMessage).one()
    first.channel, first.status = "sms", "failed"
    db.session.add(OutboxMessage(channel="email", user_id=person.id, notification_id=note.id, subject="一",
                                 status="sent"))
    db.session.commit()
    assert db.session.scalars(service.undelivered(Actor.of(coordinator))).all() == []
    db.session.query(OutboxMessage).filter_by(channel="email").delete()
    assert db.session.scalars(service.undelivered(Actor.of(coordinator))).all() == [first]
    service.mark_read(Actor.of(person), [note.id])
    assert db.session.scalars(service.undelivered(Actor.of(coordinator))).all() == []


def test_the_admin_is_told_once_that_messages_stay_in_the_inbox(channels, make_user, app_ctx, tencent):
    make_user(role=Role.admin, username="admin")
    make_user(username="coord")
    assert "no-channels" in todo_kinds(text_of(logged_in(app_ctx, "admin").get("/")))
    assert "no-channels" not in todo_kinds(text_of(logged_in(app_ctx, "coord").get("/")))
    channels("sms")
    assert "no-channels" not in todo_kinds(text_of(logged_in(app_ctx, "admin").get("/")))


def test_each_person_chooses_their_channels_on_the_profile(tencent, channels, make_person, app_ctx, api_as):
    channels("sms", "email")  # e-mail is named but has no SMTP server: not configured, so not offered as working
    person = make_person(username="vol")
    client = logged_in(app_ctx, "vol")
    page = text_of(client.get("/me"))
    assert 'value="sms" checked' in page and 'value="wecom">' in page  # the default: SMS (and mail, given an address)
    assert page.count("(not set up here yet)") + page.count("（本站尚未开通）") == 2
    response = post(client, "/me/channels", {"channels": ["email"], "email": ""}, "/me")
    assert response.status_code == 302
    db.session.refresh(person)
    assert person.notify_channels is None  # e-mail without an address is refused
    post(client, "/me/channels", {"channels": ["email"], "email": "zhang@example.cn"}, "/me")
    db.session.refresh(person)
    assert (person.notify_channels, person.email) == ("email", "zhang@example.cn")
    api = api_as(person)
    assert api.get("/me/notify-channels").json == {"channels": ["email"], "email": "zhang@example.cn",
                                                   "phone": service.phone_of(person), "configured": ["sms"]}
    assert api.put("/me/notify-channels", json={"channels": ["fax"]}).status_code == 422
    assert api.put("/me/notify-channels", json={"channels": []}).json["channels"] == []
    service.notify([person], service.Note("assigned", "新的值守安排"))
    db.session.commit()
    service.deliver_pending()
    assert db.session.query(OutboxMessage).one().status == "inbox" and tencent.received == []


def test_embedded_mode_delivers_in_a_thread_after_the_commit(tencent, make_person, app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "NOTIFY_CHANNELS", ["sms"])
    monkeypatch.setitem(app_ctx.config, "NOTIFY_IN_BACKGROUND", True)
    monkeypatch.setitem(app_ctx.config, "REDIS_URL", None)
    monkeypatch.delitem(app_ctx.extensions, "delivery_wake", raising=False)
    person = make_person()
    service.notify([person], service.Note("callout", "紧急召集"))
    db.session.commit()  # wakes the sender
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh look at what the sender committed
        if db.session.query(OutboxMessage).one().status == "sent":
            break
        time.sleep(0.05)
    assert db.session.query(OutboxMessage).one().status == "sent"
    assert [m["TemplateId"] for m in tencent.received] == ["2000001"]


def test_old_outbox_rows_keep_their_delivery_time_through_the_migration(app_ctx, tmp_path):
    """Migration e5a8c3f14b27: sent_at becomes delivered_at; old rows get empty kinds and parameters."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import create_engine, text

    from volunteer_app import create_app

    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="d7f3b2a91c08")
        plain = create_engine(url)
        with plain.begin() as connection:
            connection.execute(text(
                "INSERT INTO outbox_messages (id, channel, user_id, recipient, subject, body, status, attempts, "
                "created_at, sent_at) VALUES (1, 'sms', 1, 'vol', '明天值守', '', 'sent', 1, '2026-12-01 08:00:00', "
                "'2026-12-01 08:00:05')"))
        plain.dispose()
        upgrade()
        with db.engine.connect() as connection:
            row = connection.execute(text("SELECT delivered_at, kind, params, last_error FROM outbox_messages")).one()
        assert (str(row[0])[:19], row[1], row[2], row[3]) == ("2026-12-01 08:00:05", "", "[]", "")
        downgrade(revision="d7f3b2a91c08")
        with db.engine.connect() as connection:
            assert str(connection.execute(text("SELECT sent_at FROM outbox_messages")).scalar())[:19] == \
                "2026-12-01 08:00:05"
        db.engine.dispose()


def test_a_rate_limit_wait_is_no_failure_even_after_many_waits(wecom, channels, make_community):
    """Queue, never drop: waiting on the per-minute limit never uses up attempts."""
    from volunteer_app.notifications.models import GroupWebhook

    channels("wecom")
    community = make_community()
    db.session.add(GroupWebhook(community_id=community.id, url=wecom.prefix + "good-key"))
    db.session.commit()
    for n in range(25):
        service.post_to_group(community.id, None, service.Note("callout", f"{n}"))
    for _ in range(10):
        service.deliver_pending()
        for message in db.session.query(OutboxMessage).filter_by(status="pending"):
            message.next_attempt_at = utcnow() - timedelta(seconds=1)
    waiting = db.session.query(OutboxMessage).filter_by(status="pending").all()
    assert len(waiting) == 5 and all(m.attempts == 0 for m in waiting)
