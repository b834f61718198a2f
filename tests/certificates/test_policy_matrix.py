"""Every entry point of certificates, with each role, at home and in another community: a volunteer applies
for and reads their own; a community's coordinators (and admins) decide, issue, revoke and correct, set the
issuer and keep the register; grid workers (no community of their own) and residents reach none."""
from datetime import date

import pytest

from tests.support.policy_matrix import Entry, check_entry
from volunteer_app.accounts.policy import Actor
from volunteer_app.certificates import service
from volunteer_app.certificates.models import Certificate, CertificateIssuer, CertificateState
from volunteer_app.extensions import db
from volunteer_app.models_base import utcnow
from volunteer_app.people.models import ServiceLog

COORDINATORS = frozenset({"admin", "coordinator"})
VOLUNTEER = frozenset({"volunteer"})
PERIOD = {"period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30)}


def certificate(place, state=CertificateState.applied) -> Certificate:
    """An application of the place's volunteer, who served in the period; its community has an issuer."""
    community = place.community
    db.session.add(ServiceLog(volunteer_id=place.volunteer.id, served_on=date(2026, 11, 5), minutes=60,
                              description="值守"))
    db.session.add(CertificateIssuer(community_id=community.id, name=community.name + "居委会", person_in_charge="李",
                                     contact="010-1", prefix=f"P{community.id}"))
    record = Certificate(community_id=community.id, volunteer_id=place.volunteer.id, applied_at=utcnow(),
                         state=state, **PERIOD)
    db.session.add(record)
    db.session.flush()
    return record


def issued(place) -> Certificate:
    record = certificate(place)
    service.issue(Actor.system(), record.id, {"version": record.version})
    return record


def decision(call):
    def entry(world, actor, place):
        record = certificate(place)
        return call(actor, record.id, {"version": record.version, "reason": "理由"})
    return entry


def on_issued(call):
    def entry(world, actor, place):
        record = issued(place)
        return call(actor, record.id, {"version": record.version, "reason": "理由"})
    return entry


ISSUER = {"name": "居委会", "person_in_charge": "李", "contact": "1", "prefix": "ZZ"}

ENTRIES = [
    Entry("apply", lambda w, a, p: service.apply(a, {"volunteer_id": p.volunteer.id, **PERIOD}), COORDINATORS,
          own=VOLUNTEER),
    Entry("list", lambda w, a, p: service.certificates(a, {"page": 1, "per_page": 5}),
          COORDINATORS | {"grid_worker", "volunteer"}, placeless=True),
    Entry("get", lambda w, a, p: service.certificate(a, certificate(p).id), COORDINATORS, own=VOLUNTEER),
    Entry("printable", lambda w, a, p: service.printable(a, issued(p).id), COORDINATORS, own=VOLUNTEER),
    Entry("preview", lambda w, a, p: service.preview(a, certificate(p).id), COORDINATORS),
    Entry("accept", decision(service.accept), COORDINATORS),
    Entry("reject", decision(service.reject), COORDINATORS),
    Entry("issue", decision(service.issue), COORDINATORS),
    Entry("revoke", on_issued(service.revoke), COORDINATORS),
    Entry("correct", on_issued(service.correct), COORDINATORS),
    Entry("register", lambda w, a, p: service.register(a, p.community.id), COORDINATORS),
    Entry("issuer", lambda w, a, p: service.issuer(a, p.community.id), COORDINATORS),
    Entry("set_issuer", lambda w, a, p: service.set_issuer(a, p.community.id, ISSUER), COORDINATORS),
]


@pytest.mark.parametrize("entry", ENTRIES, ids=str)
def test_entry(world, entry):
    check_entry(world, entry)
