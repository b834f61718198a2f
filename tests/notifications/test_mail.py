"""E-mail through a local SMTP server (aiosmtpd) on 127.0.0.1."""
import pytest
from aiosmtpd.controller import Controller

from tests.notifications.conftest import free_port
from volunteer_app.extensions import db
from volunteer_app.notifications import service
from volunteer_app.notifications.models import OutboxMessage


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@nowhere.invalid"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content.decode("utf-8")))
        return "250 Message accepted"


@pytest.fixture()
def smtp(app_ctx, monkeypatch):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": controller.port, "SMTP_FROM": "jmk@example.cn",
                       "SMTP_STARTTLS": False, "PUBLIC_BASE_URL": "https://jmk.example.cn"}.items():
        monkeypatch.setitem(app_ctx.config, key, value)
    yield mailbox
    controller.stop()


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
