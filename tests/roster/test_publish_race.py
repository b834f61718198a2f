"""Two coordinators publishing the same week at once cannot make two current versions."""
from volunteer_app.extensions import db
from volunteer_app.roster.models import RosterVersion, RosterWeek

from tests.support.concurrency import run_together
from tests.support.roster import WEEK


def test_simultaneous_publishes_make_exactly_one_version(district, make_user, api_as):
    first = district["coordinator"]
    second = api_as(make_user(communities=[district["community"]]))
    job = first.post("/roster/plan", json={"community_id": district["community_id"], "week": WEEK}).json
    week_id = job["week_id"]
    for round_number in range(3):
        version = first.get(f"/roster/weeks/{week_id}").json["version"]
        responses = run_together([
            lambda api=api: api.post(f"/roster/weeks/{week_id}/publish", json={"version": version})
            for api in (first, second)
        ])
        assert sorted(r.status_code for r in responses) == [201, 409], [r.json for r in responses]
    db.session.expire_all()
    numbers = [v.number for v in db.session.query(RosterVersion).filter_by(week_id=week_id)]
    assert sorted(numbers) == [1, 2, 3]
    assert db.session.get(RosterWeek, week_id).published_version == 3
