"""After a registry form saves, the list it lands on shows the saved record first, marked,
even when the list holds more than a page of records before it."""
import re
from datetime import date

import pytest

from tests.support.pages import logged_in, post, text_of
from volunteer_app.accounts.models import Role
from volunteer_app.extensions import db
from volunteer_app.people.models import PartyMemberReport
from volunteer_app.places.models import Community

FILLERS = 21  # one more than a page


@pytest.fixture()
def grid(make_grid, make_user):
    grid = make_grid(name="第一网格")
    make_user(role=Role.coordinator, communities=[db.session.get(Community, grid.community_id)], username="wang")
    return grid


def volunteers(grid, make):
    for i in range(FILLERS):
        make["volunteer"](grid=grid, name=f"甲{i:02d}")
    return "/volunteers/new", {
        "name": "新来的", "phone": "13912345678", "community_id": grid.community_id, "grid_id": grid.id,
        "max_hours_per_week": "6", "max_distance_m": "1500", "status": "active", "holiday_mode": "rest_day"}


def residents(grid, make):
    building = make["building"](grid=grid)
    for i in range(FILLERS):
        make["resident"](building=building, name=f"甲{i:02d}")
    return "/residents/new", {"name": "新来的", "phone": "13912345678", "building_id": building.id}


def stations(grid, make):
    community = db.session.get(Community, grid.community_id)
    for i in range(FILLERS):
        make["station"](community=community, code=f"A{i:02d}", name=f"甲{i:02d}")
    return "/stations/new", {"code": "ZZ-1", "name": "新来的", "station_type": "red_post",
                             "community_id": grid.community_id, "lat": "43.88", "lon": "125.32"}


def party_reports(grid, make):
    for i in range(FILLERS):
        db.session.add(PartyMemberReport(volunteer_id=make["volunteer"](grid=grid, name=f"甲{i:02d}").id,
                                         work_unit="单位", party_organization="党支部",
                                         community_id=grid.community_id, reported_on=date(2026, 1, 1)))
    db.session.commit()
    newcomer = make["volunteer"](grid=grid, name="新来的")
    return "/party-reports/new", {"volunteer_id": newcomer.id, "community_id": grid.community_id,
                                  "work_unit": "市税务局", "party_organization": "机关党委", "reported_on": "2026-02-01"}


@pytest.mark.parametrize("registry", [volunteers, residents, stations, party_reports], ids=lambda r: r.__name__)
def test_the_list_after_a_save_starts_with_the_saved_record(registry, grid, app_ctx, make_volunteer, make_building,
                                                            make_resident, make_station):
    make = {"volunteer": make_volunteer, "building": make_building, "resident": make_resident,
            "station": make_station}
    path, form = registry(grid, make)
    client = logged_in(app_ctx, "wang")
    saved = post(client, path, form, path)
    assert saved.status_code == 302, text_of(saved)[:3000]
    listing = text_of(client.get(saved.headers["Location"]))
    assert "已保存" in listing
    rows = re.findall(r"<tr( class=\"row-saved\")?>\s*<td[^>]*>(?:<a [^>]*>)?([^<]*)<", listing.split("<tbody>")[1])
    assert rows[0] == (' class="row-saved"', "新来的")
    assert [name for marked, name in rows if marked] == ["新来的"]
