"""SMS configured for login codes, through the loopback stand-in for Tencent Cloud SMS."""
import pytest

from tests.notifications.conftest import tencent  # noqa: F401  (the fixture this one stands on)

LOGIN_TEMPLATE = "2000009"


@pytest.fixture()
def login_sms(tencent, app_ctx, monkeypatch):  # noqa: F811
    """The SMS channel on, with an approved template for login codes; outbox delivery only when a test asks."""
    monkeypatch.setitem(app_ctx.config, "NOTIFY_CHANNELS", ["sms"])
    monkeypatch.setitem(app_ctx.config, "NOTIFY_IN_BACKGROUND", False)
    monkeypatch.setitem(app_ctx.config, "SMS_TEMPLATES", {**app_ctx.config["SMS_TEMPLATES"],
                                                           "login_code": LOGIN_TEMPLATE})
    return tencent


def sent_codes(fake) -> list[str]:
    """The login codes the stand-in received, in order."""
    return [message["TemplateParamSet"][0] for message in fake.received if message["TemplateId"] == LOGIN_TEMPLATE]
