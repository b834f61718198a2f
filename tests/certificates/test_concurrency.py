"""Coordinators issuing at the same instant: every certificate gets its own number, the numbers follow on
without a gap (the issuer's counter is raised by one atomic UPDATE, which PostgreSQL serialises by its row
lock). SQLite has one writer at a time and proves nothing here."""
import pytest
from sqlalchemy import select

from tests.support.certificates import PERIOD
from tests.support.concurrency import run_together
from volunteer_app.accounts.policy import Actor
from volunteer_app.certificates import service
from volunteer_app.certificates.models import Certificate, CertificateIssuer
from volunteer_app.extensions import db

AT_ONCE = 8


@pytest.mark.postgres_only
def test_certificates_issued_at_once_get_distinct_numbers_in_sequence(area, api_as, is_postgres):
    if not is_postgres:
        pytest.skip("needs PostgreSQL's concurrent writers")
    volunteer = Actor.of(db.session.merge(area.users["volunteer"]))
    applications = []
    for day in range(AT_ONCE):  # one application per period, as one volunteer may hold several
        applied = service.apply(volunteer, {"period_start": PERIOD[0].replace(day=1 + day), "period_end": PERIOD[1]})
        applications.append((applied.id, applied.version))
    db.session.commit()
    coordinator = api_as(area.users["coordinator"])
    responses = run_together([lambda i=i, v=v: coordinator.post(f"/certificates/{i}/issue", json={"version": v})
                              for i, v in applications])
    assert [r.status_code for r in responses] == [200] * AT_ONCE, [r.json for r in responses if r.status_code != 200]
    db.session.expire_all()
    numbers = sorted(db.session.scalars(select(Certificate.number)))
    assert numbers == [f"WB-{n:06d}" for n in range(1, AT_ONCE + 1)]
    assert db.session.scalar(select(CertificateIssuer.last_sequence)) == AT_ONCE
