"""A small community with stations, templates and volunteers, ready to plan; planning a week through the API."""
from datetime import time

import pytest

from volunteer_app.accounts.models import Role
from volunteer_app.extensions import db
from volunteer_app.people.models import DaySelector
from volunteer_app.places.models import Community
from volunteer_app.roster.models import HolidayRule, ShiftTemplate

WEEK = "2026-W49"  # Monday 2026-11-30, no holidays
NATIONAL_DAY_WEEK = "2026-W40"  # Thursday 2026-10-01 is National Day


@pytest.fixture()
def make_template(app_ctx):
    def make(station, weekday=0, start="18:00", end="20:00", needed=1, skills=(), priority=3,
             holiday_rule=HolidayRule.closed, holiday_needed=None, title=""):
        template = ShiftTemplate(station_id=station.id, community_id=station.community_id, weekday=weekday,
                                 start=time.fromisoformat(start), end=time.fromisoformat(end), needed=needed,
                                 skills=list(skills), priority=priority, holiday_rule=holiday_rule,
                                 holiday_needed=holiday_needed, title=title)
        db.session.add(template)
        db.session.commit()
        return template
    return make


@pytest.fixture()
def district(make_grid, make_station, make_template, make_volunteer, make_skill, make_user, api_as):
    """Four evening shifts (one needing a scarce skill nobody has), five volunteers."""
    grid = make_grid()
    community = db.session.get(Community, grid.community_id)
    station = make_station(community=community, name="红色驿站")
    nursing = make_skill(code="nursing", name_zh="护理", name_en="Nursing")
    make_skill(code="legal", name_zh="法律咨询", name_en="Legal advice")
    for weekday in range(3):
        make_template(station, weekday=weekday, needed=2, title="晚间值守")
    make_template(station, weekday=3, needed=1, skills=["legal"], title="法律咨询", priority=8)
    volunteers = [make_volunteer(grid=grid, name=f"志愿者{i}", skills=[nursing] if i == 0 else [],
                                 slots=[(DaySelector.workdays, "17:00", "21:00")], max_hours_per_week=4)
                  for i in range(5)]
    coordinator = make_user(communities=[community], username="coord")
    volunteer_users = [make_user(role=Role.volunteer, volunteer_id=v.id, username=f"vol{i}")
                       for i, v in enumerate(volunteers)]
    return {
        "community": community, "station": station, "volunteers": volunteers,
        "coordinator": api_as(coordinator), "volunteer_apis": [api_as(u) for u in volunteer_users],
        "volunteer_ids": [v.id for v in volunteers], "community_id": community.id,
    }


def plan(api, community_id, week=WEEK):
    """Plan ``week`` through the API (the job runs eagerly in tests); the finished job."""
    job = api.post("/roster/plan", json={"community_id": community_id, "week": week})
    assert job.status_code == 202, job.json
    done = api.get(f"/roster/jobs/{job.json['id']}").json
    assert done["status"] == "succeeded", done
    return done
