"""SMS through Tencent Cloud SMS (API 3.0, action SendSms, version 2021-01-11), signed with TC3-HMAC-SHA256.

SMS in China may only carry approved templates: ``SMS_TEMPLATES`` maps a
message kind to its template id, and a kind without a template does not go
by SMS. The template's parameters are the Note's ``params`` (default: the
title). Each number gets at most ``SMS_PER_MINUTE`` messages a minute and
``SMS_PER_DAY`` a day (China time); more wait, they are not dropped.
"""
import json
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app

from ..accounts.models import User
from ..clock import CHINA_TIME
from ..models_base import utcnow
from . import tc3
from .http import ProviderError, post_json
from .models import OutboxMessage
from .service import RetryLater, Undeliverable, phone_of, sent_since

ACTION, VERSION, SERVICE = "SendSms", "2021-01-11", "sms"
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
        """One SendSms call for the message, whatever our own pacing says (the provider's limits still hold)."""
        config = current_app.config
        now = utcnow()
        template = config.get("SMS_TEMPLATES", {}).get(message.kind)
        if not template:
            raise Undeliverable(f"no SMS template for kind {message.kind!r}")
        body = json.dumps({
            "PhoneNumberSet": [message.recipient],
            "SmsSdkAppId": str(config["TENCENT_SMS_SDK_APP_ID"]),
            "SignName": config["TENCENT_SMS_SIGN_NAME"],
            "TemplateId": str(template),
            "TemplateParamSet": [str(p) for p in (message.params or [message.subject])],
        }, ensure_ascii=False).encode("utf-8")
        endpoint = config.get("TENCENT_SMS_ENDPOINT", "https://sms.tencentcloudapi.com")
        host = urlsplit(endpoint).netloc
        timestamp = int(time.time())
        reply = post_json(endpoint, body, {
            "Content-Type": tc3.CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": ACTION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": VERSION,
            "X-TC-Region": config.get("TENCENT_SMS_REGION", "ap-guangzhou"),
            "Authorization": tc3.authorization(config["TENCENT_SMS_SECRET_ID"], config["TENCENT_SMS_SECRET_KEY"],
                                               SERVICE, host, body, timestamp),
        })
        response = reply.get("Response") or {}
        error = response.get("Error")
        status = (response.get("SendStatusSet") or [{}])[0]
        code = error["Code"] if error else status.get("Code", "")
        if code == "Ok":
            return
        text = f"{code}: {(error or status).get('Message', '')}"
        wait = provider_wait(code, now)
        if wait is not None:
            raise RetryLater(text, wait)
        if code in HOPELESS:
            raise Undeliverable(text)
        raise ProviderError(text or "no send status in the reply")
