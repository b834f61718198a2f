"""SMS through Tencent Cloud SMS (API 3.0, action SendSms, version 2021-01-11), signed with TC3-HMAC-SHA256.

SMS in China may only carry approved templates: ``SMS_TEMPLATES`` maps a
message kind to its template id, and a kind without a template does not go
by SMS. The template's parameters are the Note's ``params`` (default: the
title). Each number gets at most ``SMS_PER_MINUTE`` messages a minute and
``SMS_PER_DAY`` a day (China time); more wait, they are not dropped.
A sent message keeps the provider's ``SerialNo``; the delivery receipts the
operators report (PullSmsSendStatus, same API and signature) say whether the
phone got it.
"""
import json
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from ..accounts.models import User
from ..clock import CHINA_TIME
from ..extensions import db
from ..models_base import utcnow
from . import tc3
from .http import ProviderError, post_json
from .models import OutboxMessage
from .service import RetryLater, Undeliverable, configured_channels, phone_of, sent_since

SEND, PULL, VERSION, SERVICE = "SendSms", "PullSmsSendStatus", "2021-01-11", "sms"
PULL_LIMIT = 100  # reports per PullSmsSendStatus call, the API's maximum
RECEIPTS_JOB = "notifications.sms_receipts"
REQUIRED = ("TENCENT_SMS_SECRET_ID", "TENCENT_SMS_SECRET_KEY", "TENCENT_SMS_SDK_APP_ID", "TENCENT_SMS_SIGN_NAME")
#: Provider codes that no retry can fix (wrong number, unapproved template or signature, bad parameters).
HOPELESS = ("InvalidParameterValue.IncorrectPhoneNumber", "FailedOperation.PhoneNumberInBlacklist",
            "FailedOperation.TemplateIncorrectOrUnapproved", "FailedOperation.SignatureIncorrectOrUnapproved",
            "InvalidParameterValue.TemplateParameterFormatError",
            "InvalidParameterValue.TemplateParameterLengthLimit", "FailedOperation.MissingTemplateToModify",
            "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber")


def seconds_to_china_midnight(now: datetime) -> float:
    local = now.astimezone(CHINA_TIME)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - local).total_seconds()


def provider_wait(code: str, now: datetime) -> float | None:
    """How long the provider's own per-number limits ask us to wait, or None when ``code`` is not one."""
    if code == "LimitExceeded.PhoneNumberThirtySecondLimit":
        return 30
    if code == "LimitExceeded.PhoneNumberOneHourLimit":
        return 3600
    if code in ("LimitExceeded.PhoneNumberDailyLimit", "LimitExceeded.PhoneNumberSameContentDailyLimit"):
        return seconds_to_china_midnight(now)
    return None


class TencentSms:
    name = "sms"

    def missing_settings(self, config) -> list[str]:
        return [key for key in REQUIRED if not config.get(key)]

    def address(self, user: User, message: OutboxMessage) -> str | None:
        """+86 and the person's mobile, when their kind of message has a template."""
        if str(message.kind) not in current_app.config.get("SMS_TEMPLATES", {}):
            return None
        phone = phone_of(user)
        return f"+86{phone}" if phone else None

    def check_limits(self, number: str, now: datetime) -> None:
        config = current_app.config
        last_minute = sent_since(self.name, number, now - timedelta(minutes=1))
        if len(last_minute) >= config.get("SMS_PER_MINUTE", 1):
            raise RetryLater(f"{number}: per-minute limit", (last_minute[0] + timedelta(minutes=1) - now).total_seconds())
        midnight = now - timedelta(seconds=86400 - seconds_to_china_midnight(now))
        if len(sent_since(self.name, number, midnight)) >= config.get("SMS_PER_DAY", 10):
            raise RetryLater(f"{number}: daily limit", seconds_to_china_midnight(now))

    def deliver(self, message: OutboxMessage, user: User | None) -> None:
        self.check_limits(message.recipient, utcnow())
        self.send(message)

    def send(self, message: OutboxMessage) -> None:
        """One SendSms call for the message, whatever our own pacing says (the provider's limits still hold);
        the provider's ``SerialNo`` is kept for its delivery receipt."""
        config = current_app.config
        now = utcnow()
        template = config.get("SMS_TEMPLATES", {}).get(message.kind)
        if not template:
            raise Undeliverable(f"no SMS template for kind {message.kind!r}")
        response = call(SEND, {
            "PhoneNumberSet": [message.recipient],
            "SmsSdkAppId": str(config["TENCENT_SMS_SDK_APP_ID"]),
            "SignName": config["TENCENT_SMS_SIGN_NAME"],
            "TemplateId": str(template),
            "TemplateParamSet": [str(p) for p in (message.params or [message.subject])],
        })
        error = response.get("Error")
        status = (response.get("SendStatusSet") or [{}])[0]
        code = error["Code"] if error else status.get("Code", "")
        if code == "Ok":
            message.serial_no = status.get("SerialNo") or None
            return
        text = f"{code}: {(error or status).get('Message', '')}"
        wait = provider_wait(code, now)
        if wait is not None:
            raise RetryLater(text, wait)
        if code in HOPELESS:
            raise Undeliverable(text)
        raise ProviderError(text or "no send status in the reply")


def call(action: str, payload: dict) -> dict:
    """One signed Tencent Cloud SMS API call (TC3-HMAC-SHA256); the reply's ``Response``."""
    config = current_app.config
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    endpoint = config.get("TENCENT_SMS_ENDPOINT", "https://sms.tencentcloudapi.com")
    host = urlsplit(endpoint).netloc
    timestamp = int(time.time())
    reply = post_json(endpoint, body, {
        "Content-Type": tc3.CONTENT_TYPE,
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Version": VERSION,
        "X-TC-Region": config.get("TENCENT_SMS_REGION", "ap-guangzhou"),
        "Authorization": tc3.authorization(config["TENCENT_SMS_SECRET_ID"], config["TENCENT_SMS_SECRET_KEY"],
                                           SERVICE, host, body, timestamp),
    })
    return reply.get("Response") or {}


# --- delivery receipts -------------------------------------------------------------------------

def pull_receipts(pages: int = 10) -> int:
    """Pull the delivery receipts Tencent holds (each report is handed out once, at most 100 a call) and record
    them on the SMS they name; answers how many matched one. A failed receipt fails the message, so it is
    listed with the other failures unless the person got it another way. Runs as the periodic job
    ``notifications.sms_receipts`` when ``TENCENT_SMS_PULL_STATUS`` is on (the API must be opened for the
    account first)."""
    config = current_app.config
    if not config.get("TENCENT_SMS_PULL_STATUS") or "sms" not in {c.name for c in configured_channels()}:
        return 0
    matched = 0
    for _ in range(pages):
        response = call(PULL, {"SmsSdkAppId": str(config["TENCENT_SMS_SDK_APP_ID"]), "Limit": PULL_LIMIT})
        if response.get("Error"):
            raise ProviderError(f"{response['Error'].get('Code')}: {response['Error'].get('Message', '')}")
        reports = response.get("PullSmsSendStatusSet") or []
        matched += record_receipts(reports)
        if len(reports) < PULL_LIMIT:
            break
    return matched


def record_receipts(reports: list[dict]) -> int:
    """Each report (``SerialNo``, ``ReportStatus`` SUCCESS | FAIL, ``Description``: the operator's status, and
    ``UserReceiveTime`` in Unix seconds) on its outbox row; answers how many rows it found."""
    by_serial = {str(report.get("SerialNo")): report for report in reports if report.get("SerialNo")}
    rows = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.channel == "sms", OutboxMessage.serial_no.in_(list(by_serial)))).all() if by_serial else []
    for row in rows:
        report = by_serial[row.serial_no]
        text = str(report.get("Description") or "")[:200]
        received = report.get("UserReceiveTime")
        row.receipt_at = datetime.fromtimestamp(int(received), timezone.utc) if received else None
        row.receipt_text = text
        if report.get("ReportStatus") == "SUCCESS":
            row.receipt = "delivered"
        else:
            row.receipt = "failed"
            row.status, row.next_attempt_at = "failed", None
            row.last_error = f"operator receipt: {text or report.get('ReportStatus', '')}"[:300]
    db.session.flush()
    return len(rows)
