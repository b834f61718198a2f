"""The certificate's rules: its hours are the attended records of the period, it is frozen once issued,
numbered in sequence per issuer, corrected by a new number, and verified only with its signature."""
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.support.certificates import ID_NUMBER, PERIOD
from volunteer_app.accounts.policy import Actor
from volunteer_app.certificates import service
from volunteer_app.certificates.models import CertificateIssuer, CertificateState
from volunteer_app.errors import Conflict, InvalidInput
from volunteer_app.extensions import db
from volunteer_app.people.models import ServiceLog


def actors(area) -> tuple[Actor, Actor]:
    return (Actor.of(db.session.merge(area.users["volunteer"])), Actor.of(db.session.merge(area.users["coordinator"])))


def issued(area, period=PERIOD, note=""):
    volunteer, coordinator = actors(area)
    applied = service.apply(volunteer, {"period_start": period[0], "period_end": period[1], "purpose": "升学"})
    record = service.issue(coordinator, applied.id, {"version": applied.version, "note": note})
    db.session.commit()
    return record


def test_the_hours_are_the_attended_records_of_the_period_not_the_plans(area):
    record = issued(area)
    facts = record.facts
    attended = db.session.scalar(select(func.sum(ServiceLog.minutes)).where(
        ServiceLog.volunteer_id == area.volunteer.id, ServiceLog.served_on.between(*PERIOD)))
    assert facts["total_minutes"] == attended == 120 + 90 + 45
    assert facts["total_hours"] == "4.2"
    assert [(r["date"], r["content"], r["minutes"]) for r in facts["records"]] == [
        ("2026-10-10", "敬老院陪护", 120), ("2026-11-02", "社区补录:垃圾分类宣传", 45), ("2026-11-20", "晚间值守", 90)]
    assert all(r["content"] not in ("只排了班", "期前服务") for r in facts["records"])


def test_an_issued_certificate_carries_every_fact_with_the_id_number_masked(area):
    record = issued(area, note="特此证明")
    facts = record.facts
    assert record.state == CertificateState.issued and record.number == "WB-000001" and record.sequence == 1
    assert facts["volunteer"] == {"name": "张伟", "id_type": "resident_id_card", "id_number": "1101**********002X",
                                  "number": f"V{area.volunteer.id:06d}"}
    assert ID_NUMBER not in str(facts)
    assert facts["issuer"] == {"name": "维北社区居民委员会", "person_in_charge": "李主任", "contact": "010-88886666"}
    assert facts["handler"] == "测试用户" and facts["note"] == "特此证明" and facts["number"] == "WB-000001"
    assert facts["period"] == {"start": "2026-10-01", "end": "2026-11-30"}


def test_issued_facts_never_change_and_a_correction_issues_the_next_number(area):
    record = issued(area)
    frozen = dict(record.facts)
    area_volunteer = db.session.merge(area.volunteer)
    area_volunteer.name = "张伟伟"
    db.session.add(ServiceLog(volunteer_id=area_volunteer.id, served_on=date(2026, 11, 29), minutes=60,
                              description="补录"))
    db.session.commit()
    db.session.expire_all()
    assert service.certificate(actors(area)[1], record.id).facts == frozen
    _volunteer, coordinator = actors(area)
    replacement = service.correct(coordinator, record.id, {"version": record.version, "reason": "漏记一次服务"})
    db.session.commit()
    old = service.certificate(coordinator, record.id)
    assert old.state == CertificateState.revoked and old.facts == frozen and old.replaced_by.number == "WB-000002"
    assert replacement.number == "WB-000002" and replacement.facts["replaces"] == "WB-000001"
    assert replacement.facts["total_minutes"] == frozen["total_minutes"] + 60
    assert replacement.facts["volunteer"]["name"] == "张伟伟"
    with pytest.raises(Conflict) as refused:
        service.revoke(coordinator, record.id, {"version": old.version, "reason": "再撤"})
    assert refused.value.code == "wrong_state"


def test_numbers_are_sequential_per_issuer(area, make_community, make_grid, make_volunteer, make_user):
    first, second = issued(area), issued(area, period=(date(2026, 11, 1), date(2026, 11, 30)))
    other = make_community(name="永安社区")
    volunteer = make_volunteer(make_grid(other), name="王芳")
    db.session.add(ServiceLog(volunteer_id=volunteer.id, served_on=date(2026, 11, 3), minutes=30, description="值守"))
    db.session.add(CertificateIssuer(community_id=other.id, name="永安社区居委会", person_in_charge="赵",
                                     contact="010-1", prefix="YA"))
    db.session.commit()
    coordinator = Actor.of(make_user(communities=[other]))
    applied = service.apply(coordinator, {"volunteer_id": volunteer.id, "period_start": PERIOD[0],
                                          "period_end": PERIOD[1]})
    elsewhere = service.issue(coordinator, applied.id, {"version": applied.version})
    assert (first.number, second.number, elsewhere.number) == ("WB-000001", "WB-000002", "YA-000001")


def test_the_signature_verifies_the_number_and_a_tampered_number_fails(area):
    first, second = issued(area), issued(area, period=(date(2026, 11, 1), date(2026, 11, 30)))
    good = service.verify(first.number, service.signature(first.number))
    assert good is not None and not good.revoked and good.facts == first.facts
    assert service.verify("WB-000002", service.signature(first.number)) is None  # the number changed by hand
    assert service.verify(first.number, "") is None and service.verify(first.number, "0" * 20) is None
    assert service.verify("WB-000009", service.signature("WB-000009")) is None  # signed, but never issued
    assert service.verify(second.number, service.signature(second.number)).facts["number"] == "WB-000002"


def test_revocation_shows_on_verification(area):
    record = issued(area)
    _volunteer, coordinator = actors(area)
    service.revoke(coordinator, record.id, {"version": record.version, "reason": "信息有误"})
    db.session.commit()
    shown = service.verify(record.number, service.signature(record.number))
    assert shown.revoked and shown.revoked_on is not None and shown.replaced_by is None


def test_refusals(area):
    volunteer, coordinator = actors(area)
    for period, code in (((date(2026, 11, 30), date(2026, 11, 1)), "period_reversed"),
                         ((date(2026, 11, 1), date(2099, 1, 1)), "period_in_future"),
                         ((date(2020, 1, 1), date(2026, 11, 1)), "period_too_long")):
        with pytest.raises(InvalidInput) as refused:
            service.apply(volunteer, {"period_start": period[0], "period_end": period[1]})
        assert refused.value.code == code
    applied = service.apply(volunteer, {"period_start": PERIOD[0], "period_end": PERIOD[1]})
    with pytest.raises(Conflict) as twice:
        service.apply(volunteer, {"period_start": PERIOD[0], "period_end": PERIOD[1]})
    assert twice.value.code == "already_applied"
    empty = service.apply(volunteer, {"period_start": date(2026, 1, 1), "period_end": date(2026, 1, 31)})
    with pytest.raises(InvalidInput) as nothing:
        service.issue(coordinator, empty.id, {"version": empty.version})
    assert nothing.value.code == "nothing_served"
    rejected = service.reject(coordinator, empty.id, {"version": empty.version, "reason": "无服务记录"})
    assert rejected.state == CertificateState.rejected and rejected.number is None
    db.session.delete(db.session.get(CertificateIssuer, area.issuer.id))
    db.session.flush()
    with pytest.raises(InvalidInput) as unset:
        service.issue(coordinator, applied.id, {"version": applied.version})
    assert unset.value.code == "issuer_not_set"
    with pytest.raises(Conflict) as not_issued:
        service.printable(volunteer, applied.id)
    assert not_issued.value.code == "not_issued"


def test_a_prefix_is_one_issuers_and_fixed_once_numbers_were_given(area, make_community):
    _volunteer, coordinator = actors(area)
    issued(area)
    facts = {"name": "维北社区居委会", "person_in_charge": "李", "contact": "1", "prefix": "WX"}
    with pytest.raises(Conflict) as fixed:
        service.set_issuer(coordinator, area.community.id, facts)
    assert fixed.value.code == "prefix_in_use"
    db.session.rollback()
    other = make_community(name="永安社区")
    admin = Actor.system()
    with pytest.raises(Conflict) as taken:
        service.set_issuer(admin, other.id, {**facts, "prefix": "WB"})
    assert taken.value.code == "prefix_taken"
    assert service.set_issuer(admin, other.id, {**facts, "prefix": "YA"}).last_sequence == 0


def test_the_model_refuses_to_rewrite_an_issued_certificate(area):
    record = issued(area)
    for key, value in (("facts", {}), ("number", "WB-000009"), ("sequence", 9), ("issued_on", date(2026, 1, 1))):
        with pytest.raises(ValueError, match="frozen once issued"):
            setattr(record, key, value)
    assert db.session.get(type(record), record.id).number == "WB-000001"
