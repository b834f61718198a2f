"""A call-out too short to reach, or in a year the app does not serve, is the caller's 422 naming the field."""
import pytest

from volunteer_app.roster.models import CallOut
from volunteer_app.extensions import db


@pytest.mark.parametrize("start, end", [("2026-12-03T18:30:00", "2026-12-03T18:30:30"),
                                        ("0002-01-01T10:00:00", "0002-01-01T12:00:00")])
def test_a_callout_too_short_or_out_of_the_years_served_is_422(district, start, end):
    station = district["station"]
    response = district["coordinator"].post("/roster/callouts", json={
        "community_id": district["community_id"], "title": "积水清理", "lat": station.lat, "lon": station.lon,
        "needed": 1, "start": start, "end": end})
    assert response.status_code == 422, response.json
    assert response.json["error"] == "invalid_input" and set(response.json["errors"]) & {"start", "end"}
    assert db.session.query(CallOut).count() == 0  # nothing half-written
