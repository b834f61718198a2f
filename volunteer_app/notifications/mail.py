"""E-mail through an SMTP server, for partners and work units that read mail (standard library only)."""
import smtplib
from email.message import EmailMessage

from flask import current_app

from ..accounts.models import User
from .models import OutboxMessage
from .service import Undeliverable
from .wecom import full_link

REQUIRED = ("SMTP_HOST", "SMTP_FROM")


class SmtpMail:
    name = "email"

    def missing_settings(self, config) -> list[str]:
        return [key for key in REQUIRED if not config.get(key)]

    def address(self, user: User, message: OutboxMessage) -> str | None:
        return user.email or None

    def deliver(self, message: OutboxMessage, user: User | None) -> None:
        config = current_app.config
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = config["SMTP_FROM"], message.recipient, message.subject
        mail.set_content("\n\n".join(part for part in (message.body, full_link(message.link)) if part)
                         or message.subject)
        with smtplib.SMTP(config["SMTP_HOST"], config.get("SMTP_PORT", 587),
                          timeout=config.get("NOTIFY_HTTP_TIMEOUT_S", 10)) as server:
            if config.get("SMTP_STARTTLS", True):
                server.starttls()
            if config.get("SMTP_USER"):
                server.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
            try:
                server.send_message(mail)
            except smtplib.SMTPRecipientsRefused as exc:
                raise Undeliverable(f"the mail server refused {message.recipient}") from exc
