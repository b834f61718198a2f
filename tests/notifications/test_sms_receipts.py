"""SMS delivery receipts (issue 11): a sent SMS keeps Tencent's SerialNo, the periodic job pulls the operators'
reports (PullSmsSendStatus, signed like SendSms) from the local stand-in, and each outbox row shows whether
the phone got it; a failed receipt is a failed delivery, on the to-do list like any other."""
import pytest
from sqlalchemy import select

from tests.notifications.test_delivery import todo_kinds
from tests.support.pages import logged_in, post, text_of
from volunteer_app.extensions import db
from volunteer_app.models_base import as_utc
from volunteer_app.notifications import service, sms
from volunteer_app.notifications.http import ProviderError
from volunteer_app.notifications.models import OutboxMessage


@pytest.fixture()
def receipts(tencent, channels, app_ctx, monkeypatch):
    """SMS on, with receipts pulled."""
    channels("sms")
    monkeypatch.setitem(app_ctx.config, "TENCENT_SMS_PULL_STATUS", True)
    return tencent


def sent_to(make_person, *numbers, grid=None) -> list[OutboxMessage]:
    """An assigned-duty SMS delivered to each number; the outbox rows, in order."""
    for number in numbers:
        service.notify([make_person(grid=grid, phone=number)], service.Note("assigned", f"新的值守安排 {number}"))
    db.session.commit()
    assert service.deliver_pending() == len(numbers)
    db.session.commit()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms")
                              .order_by(OutboxMessage.id)).all()


def pull(app_ctx) -> int:
    """The periodic job as registered with the queue (beat runs it every two minutes), then its commit."""
    job = app_ctx.extensions["job_kinds"][sms.RECEIPTS_JOB]
    assert job.every_s == 120
    matched = job.function()
    db.session.commit()
    return matched


def test_receipts_say_which_messages_reached_the_phone(receipts, make_person, make_grid, make_user, app_ctx, api_as):
    grid = make_grid()
    coordinator = make_user(communities=[grid.community], username="coord")
    reached, lost = sent_to(make_person, "13900000001", "13900000002", grid=grid)
    assert [m.serial_no for m in (reached, lost)] == [s["SerialNo"] for s in receipts.sent]
    assert reached.receipt is None and "undelivered" not in todo_kinds(text_of(logged_in(app_ctx, "coord").get("/")))

    receipts.report(reached.serial_no, received_at=1764820800)
    receipts.report(lost.serial_no, delivered=False, description="MK:0005")
    assert pull(app_ctx) == 2
    db.session.expire_all()
    assert (reached.status, reached.receipt, reached.receipt_text) == ("sent", "delivered", "DELIVRD")
    assert as_utc(reached.receipt_at).timestamp() == 1764820800
    assert (lost.status, lost.receipt, lost.receipt_text) == ("failed", "failed", "MK:0005")
    assert "MK:0005" in lost.last_error and lost.delivered_at is not None  # it left; the phone did not get it

    client = logged_in(app_ctx, "coord")
    assert todo_kinds(text_of(client.get("/")))["undelivered"] == "/outbox?status=undelivered"
    page = text_of(client.get("/outbox"))
    assert 'data-receipt="delivered"' in page and "已送达手机" in page and "(DELIVRD)" in page
    assert 'data-receipt="failed"' in page and "未送达手机" in page and "(MK:0005)" in page
    listed = {m["id"]: m for m in api_as(coordinator).get("/outbox").json["items"]}
    assert {key: listed[lost.id][key] for key in ("status", "serial_no", "receipt", "receipt_text")} == {
        "status": "failed", "serial_no": lost.serial_no, "receipt": "failed", "receipt_text": "MK:0005"}
    assert listed[reached.id]["receipt"] == "delivered" and listed[reached.id]["receipt_at"]

    post(client, f"/outbox/{lost.id}/retry", {}, "/outbox?status=failed")  # sent again: a new receipt to wait for
    db.session.refresh(lost)
    assert (lost.status, lost.serial_no, lost.receipt, lost.receipt_text) == ("pending", None, None, "")


def test_each_report_is_pulled_once_a_hundred_at_a_time(receipts, make_person, app_ctx):
    [message] = sent_to(make_person, "13900000003")
    for _ in range(150):  # the operator reports one message many times over: two calls hand them all out
        receipts.report(message.serial_no)
    assert pull(app_ctx) == 2 and receipts.pulls == 2 and not receipts.reports
    assert pull(app_ctx) == 0 and receipts.pulls == 3
    db.session.refresh(message)
    assert message.receipt == "delivered"


def test_a_report_for_a_message_we_do_not_know_changes_nothing(receipts, make_person, app_ctx):
    [message] = sent_to(make_person, "13900000004")
    receipts.sent.append({"SerialNo": "2433:0", "PhoneNumber": "+8613900000009"})  # sent by another system
    receipts.report("2433:0", delivered=False)
    assert pull(app_ctx) == 0
    db.session.refresh(message)
    assert (message.status, message.receipt) == ("sent", None)


def test_receipts_are_not_pulled_unless_turned_on_and_a_refusal_is_an_error(receipts, make_person, app_ctx,
                                                                            monkeypatch):
    [message] = sent_to(make_person, "13900000005")
    receipts.report(message.serial_no)
    monkeypatch.setitem(app_ctx.config, "TENCENT_SMS_PULL_STATUS", False)  # the API is opened per account
    assert pull(app_ctx) == 0 and receipts.pulls == 0
    monkeypatch.setitem(app_ctx.config, "TENCENT_SMS_PULL_STATUS", True)
    monkeypatch.setitem(app_ctx.config, "TENCENT_SMS_SECRET_KEY", "wrong")
    with pytest.raises(ProviderError, match="SignatureFailure"):
        pull(app_ctx)
    assert len(receipts.reports) == 1  # still held for the next pull


def test_a_login_code_keeps_its_serial_number_too(receipts, make_volunteer, make_user, app_ctx, monkeypatch):
    from volunteer_app.accounts.models import Role
    from volunteer_app.portal import phone_login

    monkeypatch.setitem(app_ctx.config, "SMS_TEMPLATES", {**app_ctx.config["SMS_TEMPLATES"], "login_code": "2000009"})
    make_user(role=Role.volunteer, volunteer_id=make_volunteer(phone="13900000006").id)
    phone_login.send_code("13900000006")
    db.session.commit()
    message = db.session.scalars(select(OutboxMessage)).one()
    receipts.report(message.serial_no)
    assert pull(app_ctx) == 1
