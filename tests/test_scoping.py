"""A coordinator sees and changes only records inside their scope; others answer 404."""
from datetime import date

import pytest

from volunteer_app.accounts.models import Role
from volunteer_app.extensions import db
from volunteer_app.people.models import PartyMemberReport, ServiceLog
from volunteer_app.places.models import Community, Grid


@pytest.fixture()
def two_communities(make_grid, make_building, make_station, make_volunteer, make_resident):
    """Community A (in scope) and B (outside), each with one record of every kind."""
    def world(grid):
        community = db.session.get(Community, grid.community_id)
        building = make_building(grid=grid)
        station = make_station(community=community)
        volunteer = make_volunteer(grid=grid)
        resident = make_resident(building=building)
        report = PartyMemberReport(volunteer_id=volunteer.id, work_unit="市卫健委", party_organization="机关党委",
                                   community_id=community.id, reported_on=date(2026, 3, 1))
        log = ServiceLog(volunteer_id=volunteer.id, served_on=date(2026, 3, 2), minutes=60)
        db.session.add_all([report, log])
        db.session.commit()
        return {
            "communities": community.id, "grids": grid.id, "buildings": building.id, "stations": station.id,
            "volunteers": volunteer.id, "residents": resident.id, "party-reports": report.id,
            "service-logs": log.id, "subdistricts": community.subdistrict_id,
        }
    return world(make_grid()), world(make_grid())


ENDPOINTS = ["subdistricts", "communities", "grids", "buildings", "stations", "volunteers", "residents",
             "party-reports", "service-logs"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_out_of_scope_ids_answer_404(endpoint, two_communities, make_user, api_as):
    inside, outside = two_communities
    api = api_as(make_user(communities=[db.session.get(Community, inside["communities"])]))
    assert api.get(f"/{endpoint}/{inside[endpoint]}").status_code == 200
    hidden = outside[endpoint]
    for response in (api.get(f"/{endpoint}/{hidden}"),
                     api.patch(f"/{endpoint}/{hidden}", json={"version": 1}),
                     api.delete(f"/{endpoint}/{hidden}")):
        assert response.status_code == 404, (endpoint, response.json)
    unknown = api.get(f"/{endpoint}/999999")
    assert unknown.status_code == 404 and unknown.json["message"].replace("999999", str(hidden)) == \
        api.get(f"/{endpoint}/{hidden}").json["message"]  # same answer: existence is not leaked
    listed = {item["id"] for item in api.get(f"/{endpoint}?per_page=200").json["items"]}
    assert inside[endpoint] in listed and hidden not in listed


@pytest.mark.parametrize("endpoint,payload", [
    ("grids", lambda o: {"code": "GX", "name": "x", "community_id": o["communities"], "lat": 43.9, "lon": 125.3}),
    ("buildings", lambda o: {"code": "BX", "name": "x", "grid_id": o["grids"], "lat": 43.9, "lon": 125.3}),
    ("stations", lambda o: {"code": "SX", "name": "x", "station_type": "red_post", "community_id": o["communities"],
                            "lat": 43.9, "lon": 125.3}),
    ("volunteers", lambda o: {"name": "x", "phone": "13700000000", "community_id": o["communities"], "grid_id": o["grids"]}),
    ("residents", lambda o: {"name": "x", "phone": "13700000000", "building_id": o["buildings"]}),
    ("service-logs", lambda o: {"volunteer_id": o["volunteers"], "served_on": "2026-01-01", "minutes": 30}),
])
def test_cannot_create_under_an_out_of_scope_parent(endpoint, payload, two_communities, make_user, api_as):
    inside, outside = two_communities
    api = api_as(make_user(communities=[db.session.get(Community, inside["communities"])]))
    response = api.post(f"/{endpoint}", json=payload(outside))
    assert response.status_code == 422, response.json
    assert response.json["errors"]
    assert api.post(f"/{endpoint}", json=payload(inside)).status_code == 201


def test_grid_scoped_coordinator_sees_only_their_grid(make_grid, make_volunteer, make_user, api_as):
    mine = make_grid()
    neighbour = make_grid(community=db.session.get(Community, mine.community_id))
    own = make_volunteer(grid=mine)
    other = make_volunteer(grid=neighbour)
    api = api_as(make_user(grids=[db.session.get(Grid, mine.id)]))
    ids = {v["id"] for v in api.get("/volunteers").json["items"]}
    assert ids == {own.id}
    assert api.get(f"/volunteers/{other.id}").status_code == 404
    # The community is visible (read-only) so the coordinator can find their way.
    assert api.get(f"/communities/{mine.community_id}").status_code == 200


def test_coordinators_cannot_change_communities_or_users(make_community, make_user, api_as):
    community = make_community()
    api = api_as(make_user(communities=[community]))
    assert api.patch(f"/communities/{community.id}", json={"version": 1, "name": "x"}).status_code == 403
    assert api.get("/users").status_code == 403
    assert api.post("/skills", json={"code": "x", "name_zh": "x", "name_en": "x"}).status_code == 403


@pytest.mark.parametrize("role", [Role.volunteer, Role.resident])
def test_volunteers_and_residents_see_no_registry(role, make_volunteer, make_user, api_as):
    make_volunteer()
    api = api_as(make_user(role=role))
    assert api.get("/volunteers").json["total"] == 0
    assert api.post("/volunteers", json={}).status_code in (403, 422)
    assert api.get("/me").json["role"] == role.value
