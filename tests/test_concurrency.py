"""Concurrent edits of one record: the stale writer gets 409, no edit is silently lost."""
from tests.support.concurrency import run_together
from volunteer_app.extensions import db
from volunteer_app.people.models import Volunteer


def test_two_coordinators_edit_one_volunteer_at_once(make_volunteer, admin_api):
    volunteer_id = make_volunteer(max_hours_per_week=8).id
    rounds = 5
    for round_number in range(rounds):
        db.session.expire_all()
        version = db.session.get(Volunteer, volunteer_id).version
        db.session.commit()
        responses = run_together([
            lambda h=hours: admin_api.patch(f"/volunteers/{volunteer_id}", json={"version": version, "max_hours_per_week": h})
            for hours in (10, 20)
        ])
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 409], [(r.json["version"], r.json["max_hours_per_week"]) if r.status_code == 200 else r.json for r in responses]
        winner = next(r for r in responses if r.status_code == 200).json["max_hours_per_week"]
        db.session.expire_all()
        stored = db.session.get(Volunteer, volunteer_id)
        assert stored.max_hours_per_week == winner and stored.version == version + 1
