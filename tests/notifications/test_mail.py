"""E-mail through a local SMTP server (aiosmtpd) on 127.0.0.1."""
from volunteer_app.extensions import db
from volunteer_app.notifications import service
from volunteer_app.notifications.models import OutboxMessage


def test_a_partner_gets_the_message_by_mail(smtp, channels, make_user):
    channels("email")
    partner = make_user(username="partner", email="orders@wuye.example.cn")
    service.notify([partner], service.Note("redemption", "积分兑换待处理", "请确认订单。", "/points/orders/7"))
    db.session.commit()
    assert service.deliver_pending() == 1
    [(sender, recipients, content)] = smtp.messages
    assert (sender, recipients) == ("jmk@example.cn", ["orders@wuye.example.cn"])
    assert "请确认订单。" in content and "https://jmk.example.cn/points/orders/7" in content
    assert db.session.query(OutboxMessage).one().status == "sent"


def test_a_refused_address_fails_without_retries(smtp, channels, make_user):
    channels("email")
    service.notify([make_user(email="someone@nowhere.invalid")], service.Note("reminder", "明天值守"))
    db.session.commit()
    assert service.deliver_pending() == 0
    message = db.session.query(OutboxMessage).one()
    assert (message.status, message.attempts) == ("failed", 1) and "refused" in message.last_error
