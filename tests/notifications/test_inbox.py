"""The inbox, and the outbox that keeps messages until a channel has sent them."""
from volunteer_app.extensions import db
from volunteer_app.models_base import utcnow
from volunteer_app.notifications import service
from volunteer_app.notifications.models import OutboxMessage


class Recorder:
    name = "recorder"

    def __init__(self, fail=False):
        self.sent, self.fail = [], fail

    def deliver(self, message, user):
        if self.fail:
            raise ConnectionError("SMS gateway down")
        self.sent.append((user.username, message.subject))


def test_outbox_keeps_messages_until_a_channel_delivers(app_ctx, make_user, monkeypatch):
    user = make_user(username="vol")
    service.notify([user], service.Note("assigned", "新的值守安排"))
    db.session.commit()
    assert service.deliver_pending() == 0  # no channel configured: the message waits
    assert db.session.query(OutboxMessage).one().status == "pending"

    broken = Recorder(fail=True)
    service.register_channel(broken)
    monkeypatch.setitem(app_ctx.config, "NOTIFY_CHANNELS", ["recorder"])
    assert service.deliver_pending() == 0
    message = db.session.query(OutboxMessage).one()
    assert message.status == "pending" and message.attempts == 1
    assert message.channel == "recorder" and "SMS gateway down" in message.last_error
    waited = (service.as_utc(message.next_attempt_at) - utcnow()).total_seconds()
    assert 50 < waited <= 60  # backs off before the next try

    working = Recorder()
    service.register_channel(working)
    assert service.deliver_pending() == 0  # not due yet
    message.next_attempt_at = utcnow()
    assert service.deliver_pending() == 1
    assert working.sent == [("vol", "新的值守安排")]
    assert db.session.query(OutboxMessage).one().status == "sent"


def test_inbox_api_lists_and_marks_read(make_user, api_as):
    user = make_user()
    other = make_user()
    service.notify([user, other], service.Note("reminder", "明天值守"))
    db.session.commit()
    api = api_as(user)
    page = api.get("/notifications?unread=true").json
    assert page["total"] == 1
    mine = page["items"][0]["id"]
    theirs = db.session.query(service.Notification).filter_by(user_id=other.id).one().id
    assert api.post("/notifications/read", json={"ids": [mine, theirs]}).json == {"marked": 1}
    assert api.get("/notifications?unread=true").json["total"] == 0


def test_a_message_is_kept_as_words_and_read_in_each_readers_language(make_user, api_as):
    """The same notification reads in Chinese on the phone's channels and in the inbox of a Chinese reader,
    in English for an English client; its state label (a nested lazy text) follows the language too."""
    from flask_babel import lazy_gettext as _l

    from volunteer_app.labels import label

    user = make_user()
    title = _l("The duty must fall in %(week)s.", week="2026-W49")
    body = _l("Your role may not do this.")
    service.notify([user], service.Note("changed", title, body, params=[label("status", "paused")]))
    db.session.commit()
    outbox = db.session.query(OutboxMessage).one()
    assert outbox.subject == "岗位时间必须在 2026-W49 内。" and outbox.params == ["暂停"]
    api = api_as(user)
    english = api.get("/notifications", headers={"Accept-Language": "en"}).json["items"][0]
    chinese = api.get("/notifications", headers={"Accept-Language": "zh-CN"}).json["items"][0]
    assert english["title"] == "The duty must fall in 2026-W49." and english["body"] == "Your role may not do this."
    assert chinese["title"] == outbox.subject and chinese["body"] != english["body"]
