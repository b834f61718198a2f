"""Dates, weeks and months at the edge of the calendar (year 9999, year 0) answer 422 naming the field,
not the 500 of an overflowing date (issue 14)."""
from datetime import date

import pytest

from volunteer_app.clock import IsoWeek, OutsideYearsServed

from volunteer_app.accounts.models import Role
from volunteer_app.points.models import Partner, PartnerKind
from volunteer_app.extensions import db

from tests.support.pages import logged_in, post


@pytest.fixture()
def office(make_grid, make_volunteer, make_user, api_as):
    grid = make_grid()
    volunteer = make_volunteer(grid=grid)
    coordinator = make_user(role=Role.coordinator, communities=[grid.community], volunteer_id=volunteer.id)
    partner = Partner(community_id=grid.community_id, name="红心物业", kind=PartnerKind.property_company)
    db.session.add(partner)
    db.session.commit()
    return {"api": api_as(coordinator), "user": coordinator, "community_id": grid.community_id,
            "partner_id": partner.id}


def test_every_week_with_a_day_in_the_years_served_is_one():
    assert IsoWeek("1999-W52").sunday == date(2000, 1, 2) and IsoWeek.of(date(2000, 1, 1)) == "1999-W52"
    assert IsoWeek("2099-W53").monday == date(2099, 12, 28)
    assert IsoWeek("2026-W50") < IsoWeek("2026-W51") and IsoWeek("2026-W53").shifted(1) == "2027-W01"
    for text in ("1999-W51", "2100-W01", "9999-W52", "0000-W01"):
        with pytest.raises(OutsideYearsServed):
            IsoWeek(text)
    with pytest.raises(ValueError):
        IsoWeek("2025-W53")


EDGES = ["9999-W52", "0001-W01", "1999-W51", "2100-W01"]


@pytest.mark.parametrize("path", ["/my/assignments", "/my/service-requests"])
@pytest.mark.parametrize("week", EDGES)
def test_my_week_lists_refuse_a_week_outside_the_years_served(office, path, week):
    response = office["api"].get(path, query_string={"week": week})
    assert response.status_code == 422, response.data[:300]
    assert "query.week" in response.json["errors"]


@pytest.mark.parametrize("week", EDGES)
def test_service_request_tasks_refuse_a_week_outside_the_years_served(office, week):
    response = office["api"].get("/service-requests/tasks",
                                 query_string={"community_id": office["community_id"], "week": week})
    assert response.status_code == 422, response.data[:300]
    assert "query.week" in response.json["errors"]


@pytest.mark.parametrize("week", EDGES + ["2025-W53", "2026-W00", "2026-W5"])
def test_planning_refuses_a_week_outside_the_years_served(office, week):
    response = office["api"].post("/roster/plan", json={"community_id": office["community_id"], "week": week})
    assert response.status_code == 422, response.data[:300]
    assert list(response.json["errors"]) == ["week"]


def test_holidays_refuse_dates_outside_the_years_served(office):
    response = office["api"].get("/holidays", query_string={"start": "9999-01-01", "end": "9999-12-31"})
    assert response.status_code == 422, response.data[:300]
    assert {"query.start", "query.end"} <= set(response.json["errors"])
    assert office["api"].get("/holidays", query_string={"start": "2026-01-01", "end": "2026-01-31"}).status_code == 200


@pytest.mark.parametrize("months", [{"from_month": "0000-01"}, {"to_month": "9999-12"}, {"from_month": "1999-12"}])
def test_partner_settlement_refuses_months_outside_the_years_served(office, months):
    response = office["api"].get(f"/points/partners/{office['partner_id']}/settlement", query_string=months)
    assert response.status_code == 422, response.data[:300]
    assert set(response.json["errors"]) == {f"query.{name}" for name in months}


def test_pages_answer_a_week_outside_the_years_served_in_words(app, office):
    client = logged_in(app, office["user"].username)
    assert client.get("/my/week/9999-W52").status_code == 404
    page = post(client, "/roster/plan", {"community_id": office["community_id"], "week": "9999-W52"}, "/roster/plan")
    assert page.status_code == 422
    partner = client.get(f"/points/partners/{office['partner_id']}", query_string={"from_month": "0000-01"})
    assert partner.status_code == 422
