"""Local stand-ins for the providers, on 127.0.0.1 only: each checks a request the way the real one does and
answers in its documented shapes. The channels reach them through their URL settings."""
import json
import re
import socket
import threading
import time
import uuid
from collections import deque

import pytest
from aiosmtpd.controller import Controller
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from volunteer_app.accounts.models import Role
from volunteer_app.notifications import tc3

SECRET_ID, SECRET_KEY = "AKIDtestonly0000000000000000000000", "test-secret-key-never-used-for-real"
APP_ID, SIGN_NAME = "1400000001", "家门口"
AUTHORIZATION = re.compile(r"TC3-HMAC-SHA256 Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/sms/tc3_request, "
                           r"SignedHeaders=content-type;host, Signature=(?P<signature>[0-9a-f]{64})$")


class LoopbackServer:
    """A WSGI app served on 127.0.0.1 in a thread."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class FakeTencentSms:
    """SendSms and PullSmsSendStatus as Tencent Cloud answers them: the TC3 signature and common headers are
    checked first (AuthFailure.* otherwise), then the body. SendSms gives each number a SendStatus whose Code is
    ``Ok`` or the next queued error code, and a SerialNo (``sent`` keeps them); PullSmsSendStatus hands out the
    queued delivery reports (``report``) in the documented shape, each once, at most ``Limit`` a call."""

    ACTIONS = ("SendSms", "PullSmsSendStatus")

    def __init__(self):
        self.received, self.codes, self.sent, self.reports, self.pulls = [], deque(), [], deque(), 0

    def report(self, serial_no: str, delivered: bool = True, description: str | None = None,
               received_at: int | None = None) -> None:
        """Queue the operator's receipt for a sent message (``DELIVRD`` when delivered)."""
        number = next(sent["PhoneNumber"] for sent in self.sent if sent["SerialNo"] == serial_no)
        self.reports.append({
            "UserReceiveTime": received_at or int(time.time()), "CountryCode": "86",
            "SubscriberNumber": number.removeprefix("+86"), "PhoneNumber": number, "SerialNo": serial_no,
            "ReportStatus": "SUCCESS" if delivered else "FAIL",
            "Description": description or ("DELIVRD" if delivered else "UNDELIV"), "SessionContext": ""})

    def pull(self, data: dict) -> dict:
        limit = data.get("Limit")
        if data.get("SmsSdkAppId") != APP_ID or not isinstance(limit, int) or not 1 <= limit <= 100:
            return self.error("InvalidParameterValue", "SmsSdkAppId, Limit (1 to 100)")
        self.pulls += 1
        handed = [self.reports.popleft() for _ in range(min(limit, len(self.reports)))]
        return {"Response": {"PullSmsSendStatusSet": handed, "RequestId": str(uuid.uuid4())}}

    def error(self, code: str, message: str) -> dict:
        return {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": str(uuid.uuid4())}}

    def answer(self, request: Request) -> dict:
        body = request.get_data()
        headers = request.headers
        if headers.get("X-TC-Action") not in self.ACTIONS or headers.get("X-TC-Version") != "2021-01-11":
            return self.error("InvalidAction", "unknown action or version")
        if not headers.get("X-TC-Region") or headers.get("Content-Type") != tc3.CONTENT_TYPE:
            return self.error("MissingParameter", "X-TC-Region and Content-Type are required")
        timestamp = int(headers.get("X-TC-Timestamp", "0"))
        if abs(time.time() - timestamp) > 300:
            return self.error("AuthFailure.SignatureExpire", "signature expired")
        match = AUTHORIZATION.match(headers.get("Authorization", ""))
        if match is None or match["id"] != SECRET_ID:
            return self.error("AuthFailure.SecretIdNotFound", "unknown SecretId")
        to_sign = tc3.string_to_sign(timestamp, "sms", tc3.canonical_request(headers["Host"], body,
                                                                              headers["Content-Type"]))
        if match["date"] != tc3.utc_date(timestamp) or \
                match["signature"] != tc3.signature(SECRET_KEY, timestamp, "sms", to_sign):
            return self.error("AuthFailure.SignatureFailure", "signature mismatch")
        data = json.loads(body)
        if headers["X-TC-Action"] == "PullSmsSendStatus":
            return self.pull(data)
        if data.get("SmsSdkAppId") != APP_ID or data.get("SignName") != SIGN_NAME or not data.get("TemplateId") \
                or not isinstance(data.get("TemplateParamSet"), list):
            return self.error("InvalidParameterValue", "SmsSdkAppId, SignName, TemplateId, TemplateParamSet")
        self.received.append(data)
        code = self.codes.popleft() if self.codes else "Ok"
        statuses = [{"SerialNo": f"2433:{uuid.uuid4().int % 10 ** 28:028d}", "PhoneNumber": number, "Fee": 1,
                     "SessionContext": "", "Code": code, "Message": "send success" if code == "Ok" else code,
                     "IsoCode": "CN"} for number in data.get("PhoneNumberSet", [])]
        self.sent += [status for status in statuses if code == "Ok"]
        return {"Response": {"SendStatusSet": statuses, "RequestId": str(uuid.uuid4())}}

    def __call__(self, environ, start_response):
        reply = self.answer(Request(environ))
        return Response(json.dumps(reply), content_type="application/json")(environ, start_response)


class FakeWeComRobot:
    """The group robot webhook: a known ``key``, a text or markdown body as documented; errcode answers."""

    def __init__(self):
        self.received, self.keys, self.errcodes = [], {"good-key"}, deque()

    def answer(self, request: Request) -> dict:
        if request.path != "/cgi-bin/webhook/send" or request.args.get("key") not in self.keys:
            return {"errcode": 93000, "errmsg": "invalid webhook url"}
        try:
            data = json.loads(request.get_data())
        except ValueError:
            return {"errcode": 40001, "errmsg": "invalid json"}
        kind = data.get("msgtype")
        content = (data.get(kind) or {}).get("content") if kind in ("text", "markdown") else None
        if not content:
            return {"errcode": 40008, "errmsg": "invalid message type"}
        if self.errcodes:
            code = self.errcodes.popleft()
            return {"errcode": code, "errmsg": "api freq out of limit" if code == 45009 else "error"}
        self.received.append(data)
        return {"errcode": 0, "errmsg": "ok"}

    def __call__(self, environ, start_response):
        reply = self.answer(Request(environ))
        return Response(json.dumps(reply), content_type="application/json")(environ, start_response)


@pytest.fixture()
def tencent(app_ctx, monkeypatch):
    fake = FakeTencentSms()
    server = LoopbackServer(fake)
    for key, value in {"TENCENT_SMS_ENDPOINT": server.url, "TENCENT_SMS_SECRET_ID": SECRET_ID,
                       "TENCENT_SMS_SECRET_KEY": SECRET_KEY, "TENCENT_SMS_SDK_APP_ID": APP_ID,
                       "TENCENT_SMS_SIGN_NAME": SIGN_NAME,
                       "SMS_TEMPLATES": {"callout": "2000001", "assigned": "2000002"}}.items():
        monkeypatch.setitem(app_ctx.config, key, value)
    yield fake
    server.close()


@pytest.fixture()
def wecom(app_ctx, monkeypatch):
    fake = FakeWeComRobot()
    server = LoopbackServer(fake)
    fake.prefix = f"{server.url}/cgi-bin/webhook/send?key="
    monkeypatch.setitem(app_ctx.config, "WECOM_WEBHOOK_PREFIX", fake.prefix)
    yield fake
    server.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def channels(app_ctx, monkeypatch):
    """Turn channels on for this test; delivery runs when the test calls it, not in a background thread."""
    monkeypatch.setitem(app_ctx.config, "NOTIFY_IN_BACKGROUND", False)

    def turn_on(*names):
        monkeypatch.setitem(app_ctx.config, "NOTIFY_CHANNELS", list(names))
    return turn_on


@pytest.fixture()
def make_person(make_volunteer, make_user):
    """A volunteer with a login, a phone and (optionally) their own choice of channels."""
    def make(grid=None, phone=None, chosen=None, **fields):
        volunteer = make_volunteer(grid=grid, phone=phone)
        return make_user(role=Role.volunteer, volunteer_id=volunteer.id,
                         notify_channels=None if chosen is None else ",".join(chosen), **fields)
    return make


class Mailbox:
    """What the local SMTP server accepted; a @nowhere.invalid address is refused as a real server would."""

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
