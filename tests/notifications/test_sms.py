"""SMS through a local stand-in for Tencent Cloud SMS that checks the TC3 signature and headers as Tencent does."""
from datetime import timedelta

from volunteer_app.extensions import db
from volunteer_app.models_base import utcnow
from volunteer_app.notifications import service
from volunteer_app.notifications.models import OutboxMessage


def rows(channel="sms"):
    return db.session.query(OutboxMessage).filter_by(channel=channel).order_by(OutboxMessage.id).all()


def test_a_duty_goes_out_as_a_signed_template_message(tencent, channels, make_person):
    channels("sms")
    person = make_person(phone="13900000001")
    service.notify([person], service.Note("assigned", "新的值守安排", params=["12月7日", "红色驿站"]))
    db.session.commit()
    assert service.deliver_pending() == 1
    db.session.commit()
    assert tencent.received == [{"PhoneNumberSet": ["+8613900000001"], "SmsSdkAppId": "1400000001",
                                 "SignName": "家门口", "TemplateId": "2000002", "TemplateParamSet": ["12月7日", "红色驿站"]}]
    [message] = rows()
    assert (message.status, message.attempts, message.recipient) == ("sent", 1, "+8613900000001")
    assert message.delivered_at is not None and message.last_error == ""


def test_a_kind_without_a_template_stays_in_the_inbox(tencent, channels, make_person):
    channels("sms")
    service.notify([make_person()], service.Note("wish", "微心愿已被认领"))
    db.session.commit()
    assert service.deliver_pending() == 0
    assert db.session.query(OutboxMessage).one().status == "inbox"
    assert tencent.received == []


def test_a_call_out_goes_by_sms_even_to_someone_who_chose_only_the_inbox(tencent, channels, make_person):
    channels("sms")
    quiet = make_person(chosen=[])
    service.notify([quiet], service.Note("assigned", "新的值守安排"))
    service.notify([quiet], service.Note("callout", "紧急召集：防汛"))
    db.session.commit()
    assert service.deliver_pending() == 1
    assert [m["TemplateId"] for m in tencent.received] == ["2000001"]
    assert [m["TemplateParamSet"] for m in tencent.received] == [["紧急召集：防汛"]]  # the title by default


def test_one_message_a_minute_per_number_the_next_waits(tencent, channels, make_person):
    channels("sms")
    person = make_person()
    for n in range(3):
        service.notify([person], service.Note("assigned", f"安排 {n}"))
    db.session.commit()
    assert service.deliver_pending() == 1
    sent, *waiting = rows()
    assert sent.status == "sent" and len(tencent.received) == 1
    for message in waiting:
        assert message.status == "pending" and message.attempts == 0  # a limit is not a failure
        wait = (service.as_utc(message.next_attempt_at) - utcnow()).total_seconds()
        assert 0 < wait <= 60 and "per-minute" in message.last_error
    sent.delivered_at = utcnow() - timedelta(minutes=2)  # a minute has passed
    for message in waiting:
        message.next_attempt_at = None
    assert service.deliver_pending() == 1


def test_the_daily_limit_holds_the_rest_until_midnight_china_time(tencent, channels, make_person):
    channels("sms")
    person = make_person()
    service.notify([person], service.Note("assigned", "一"))
    db.session.commit()
    tencent.codes.append("LimitExceeded.PhoneNumberDailyLimit")
    assert service.deliver_pending() == 0
    [message] = rows()
    assert message.status == "pending" and message.attempts == 0
    assert message.last_error.startswith("LimitExceeded.PhoneNumberDailyLimit")
    assert timedelta(0) < service.as_utc(message.next_attempt_at) - utcnow() <= timedelta(days=1)


def test_a_wrong_number_fails_at_once_and_a_bad_signature_is_retried(tencent, channels, make_person, app_ctx,
                                                                     monkeypatch):
    channels("sms")
    first, second = make_person(), make_person()
    service.notify([first], service.Note("assigned", "一"))
    db.session.commit()
    tencent.codes.append("InvalidParameterValue.IncorrectPhoneNumber")
    service.deliver_pending()
    [wrong] = rows()
    assert (wrong.status, wrong.attempts) == ("failed", 1) and "IncorrectPhoneNumber" in wrong.last_error

    monkeypatch.setitem(app_ctx.config, "TENCENT_SMS_SECRET_KEY", "not-the-key")
    service.notify([second], service.Note("assigned", "二"))
    db.session.commit()
    service.deliver_pending()
    retried = rows()[-1]
    assert (retried.status, retried.attempts) == ("pending", 1)
    assert "AuthFailure.SignatureFailure" in retried.last_error and retried.next_attempt_at is not None
