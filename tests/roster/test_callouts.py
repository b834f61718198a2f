"""Emergency call-outs (平急结合): who is called, in which order, in waves, and what the coordinator
is told when too few can be.

The two reproductions of issue 10 run on the demo district (seeded once for them, first in this
module); the other tests on the small ``district`` of tests/support/roster.py.
"""
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from tests.support.concurrency import run_together
from tests.support.database import empty_all_tables
from tests.support.factories import ApiClient
from tests.support.pages import PASSWORD, logged_in, post, text_of
from volunteer_app import demo
from volunteer_app.accounts.models import Role, User
from volunteer_app.accounts.service import create_token
from volunteer_app.extensions import db
from volunteer_app.models_base import utcnow
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.people.availability import windows_for
from volunteer_app.people.models import (
    AvailabilityException,
    ClaimedPost,
    PartyMemberReport,
    Volunteer,
    VolunteerStatus,
)
from volunteer_app.places.models import Community, Grid, Station
from volunteer_app.roster.models import (
    Assignment,
    AssignmentStatus,
    CallOut,
    CallOutStatus,
    Demand,
    DemandKind,
    RosterWeek,
)
from volunteer_app.roster.service import ACTIVE

THURSDAY, SUNDAY = date(2026, 12, 3), date(2026, 12, 6)  # both in tests.support.roster.WEEK


def newest_callout() -> CallOut:
    db.session.expire_all()
    return db.session.scalar(select(CallOut).order_by(CallOut.id.desc()))


def callout_form(community_id, station_id="", **changes) -> dict:
    return {"title": "积水排查", "community_id": community_id, "needed": "2", "station_id": station_id,
            "place": "", "lat": "", "lon": "", "radius_m": "", "start_in": "0", "start_at": "2026-12-03T18:30",
            "duration": "60", **changes}


# --- issue 10 on the demo district ----------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_district(app):
    with app.app_context():
        empty_all_tables()
        demo.seed(password=PASSWORD, today=THURSDAY)
        db.session.commit()
        yield
        db.session.remove()


@pytest.fixture()
def xinghua(demo_district, app):
    """兴华社区 of the demo, with its coordinator on the pages and on the API."""
    community = db.session.scalar(select(Community).where(Community.code == "xinghua"))
    user = db.session.scalar(select(User).where(User.username == "coord-xinghua"))
    token, _ = create_token(user, "test")
    db.session.commit()
    yield {"community": community, "pages": logged_in(app, "coord-xinghua"), "api": ApiClient(app, token)}
    db.session.rollback()


def test_a_weekday_afternoon_callout_reaches_people_outside_their_usual_hours(xinghua):
    """立即 on a weekday afternoon, 3 wanted, no skill: it answered "已召集 0 位志愿者", blaming skills."""
    community, pages = xinghua["community"], xinghua["pages"]
    centre = db.session.scalar(select(Station).where(Station.code == "xinghua-center"))
    sent = post(pages, "/roster/callouts", callout_form(community.id, centre.id, needed="3",
                                                        start_at="2026-12-03T16:00", duration="120"), "/roster/callouts")
    assert sent.status_code == 302
    html = text_of(pages.get(sent.headers["Location"]))
    callout = newest_callout()
    invites = callout.invites
    assert len(invites) >= 3 and f"已召集 {len(invites)} 位志愿者" in html and "alert-warning" not in html
    # Nobody's weekly pattern covers Thursday 16:00-18:00: all are called, and told so.
    assert all(i.outside_hours for i in invites) and "不在平时的服务时间" in html
    assert [i.distance_m for i in invites] == sorted(i.distance_m for i in invites)
    assert callout.reach["eligible"] >= 90  # every active volunteer of the community is in reach
    assert centre.name in html and f"{centre.lat:.5f}" not in html  # the place by its name


def test_the_volunteer_at_the_place_is_called_first_whatever_posts_they_claimed(xinghua):
    """A Sunday call-out at a first-aider's home invited people 343 m and 469 m away instead of them:
    their claimed posts (认领服务岗位) were counted as duties that filled their week."""
    community = xinghua["community"]
    start, end = datetime(2026, 12, 6, 14), datetime(2026, 12, 6, 16)

    def claimed_minutes(volunteer):
        return sum((datetime.combine(SUNDAY, p.end) - datetime.combine(SUNDAY, p.start)).seconds // 60
                   for p in volunteer.party_report.claimed_posts)

    first_aiders = [v for v in db.session.scalars(select(Volunteer).where(
        Volunteer.community_id == community.id, Volunteer.status == VolunteerStatus.active)).all()
        if "first_aid" in {s.code for s in v.skills} and v.party_report is not None
        and any(s <= start and end <= e for s, e in windows_for(v, SUNDAY, SUNDAY))
        and claimed_minutes(v) + 120 > v.max_hours_per_week * 60]
    assert first_aiders, "the demo has a free first-aider whose claimed posts would seem to fill their week"
    home = first_aiders[0]
    created = xinghua["api"].post("/roster/callouts", json={
        "community_id": community.id, "title": "老人摔倒", "lat": home.lat, "lon": home.lon, "place": "平治街12号",
        "skills": ["first_aid"], "needed": 2, "start": "2026-12-06T14:00", "end": "2026-12-06T16:00"})
    assert created.status_code == 201, created.json
    first = created.json["invites"][0]
    assert (first["volunteer_id"], first["distance_m"], first["outside_hours"]) == (home.id, 0, False)
    assert created.json["place"] == "平治街12号"


# --- the small district -------------------------------------------------------------------------------

def spread_out(district, extra=0, make_volunteer=None, make_user=None) -> list[int]:
    """The district's volunteers (and ``extra`` more, with logins) 100 m apart going north: ids nearest first."""
    volunteers = list(district["volunteers"])
    grid = db.session.get(Grid, volunteers[0].grid_id)
    for _ in range(extra):
        number = len(volunteers)
        volunteers.append(make_volunteer(grid=grid, name=f"志愿者{number}", max_hours_per_week=4))
        make_user(role=Role.volunteer, volunteer_id=volunteers[-1].id, username=f"vol{number}")
    station = district["station"]
    for step, volunteer in enumerate(volunteers):
        volunteer.lat, volunteer.lon = station.lat + step * 0.0009, station.lon
    db.session.commit()
    return [v.id for v in volunteers]


def api_of(district, app, volunteer_id) -> ApiClient:
    user = db.session.scalar(select(User).where(User.volunteer_id == volunteer_id))
    token, _ = create_token(user, "test")
    db.session.commit()
    return ApiClient(app, token)


def callout_json(district, needed=1, **changes) -> dict:
    station = district["station"]
    return {"community_id": district["community_id"], "title": "积水清理", "lat": station.lat, "lon": station.lon,
            "needed": needed, "start": "2026-12-03T18:30", "end": "2026-12-03T19:30", **changes}


def make_overdue(callout_id: int) -> None:
    """As if the wave time had passed."""
    db.session.execute(update(CallOut).where(CallOut.id == callout_id)
                       .values(next_wave_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()


def invited(callout_id: int) -> list[tuple[int, int]]:
    db.session.expire_all()
    return [(i.volunteer_id, i.wave) for i in db.session.get(CallOut, callout_id).invites]


def test_the_next_wave_goes_after_the_wave_time_not_before_and_never_once_filled_or_closed(
        district, make_volunteer, make_user, app_ctx):
    nearest_first = spread_out(district, extra=3, make_volunteer=make_volunteer, make_user=make_user)
    api = district["coordinator"]
    created = api.post("/roster/callouts", json=callout_json(district, needed=1)).json
    assert [(i["volunteer_id"], i["wave"]) for i in created["invites"]] == [(v, 1) for v in nearest_first[:3]]
    assert created["wave"] == 1 and created["next_wave_at"]
    waves = app_ctx.test_cli_runner()

    assert waves.invoke(args=["roster", "callout-waves"]).exit_code == 0
    assert len(invited(created["id"])) == 3  # not before the wave time

    make_overdue(created["id"])
    assert waves.invoke(args=["roster", "callout-waves"]).exit_code == 0
    assert invited(created["id"]) == [(v, 1) for v in nearest_first[:3]] + [(v, 2) for v in nearest_first[3:6]]
    assert waves.invoke(args=["roster", "callout-waves"]).exit_code == 0
    assert len(invited(created["id"])) == 6  # the next wave has its own wave time

    # Without the periodic job (embedded mode) a look at the call-out sends a wave that is due.
    make_overdue(created["id"])
    assert api.get(f"/roster/callouts/{created['id']}").json["wave"] == 3
    assert invited(created["id"])[6:] == [(v, 3) for v in nearest_first[6:]]

    filled = api.post("/roster/callouts", json=callout_json(district, needed=1, start="2026-12-02T18:30",
                                                            end="2026-12-02T19:30")).json
    winner = filled["invites"][0]["volunteer_id"]
    assert api_of(district, app_ctx, winner).post(f"/my/callouts/{filled['id']}/answer",
                                                  json={"accept": True}).json["status"] == "accepted"
    closed = api.post("/roster/callouts", json=callout_json(district, needed=1, start="2026-12-01T18:30",
                                                            end="2026-12-01T19:30")).json
    assert api.delete(f"/roster/callouts/{closed['id']}").json["status"] == "closed"
    for callout_id in (filled["id"], closed["id"]):
        make_overdue(callout_id)
        assert waves.invoke(args=["roster", "callout-waves"]).exit_code == 0
        api.get(f"/roster/callouts/{callout_id}")
        assert len(invited(callout_id)) == 3, "no wave once filled or closed"


def test_when_a_whole_wave_says_no_the_next_goes_at_once(district, make_volunteer, make_user, app_ctx):
    nearest_first = spread_out(district, extra=1, make_volunteer=make_volunteer, make_user=make_user)
    created = district["coordinator"].post("/roster/callouts", json=callout_json(district, needed=1)).json
    first_wave = [i["volunteer_id"] for i in created["invites"]]
    for volunteer_id in first_wave[:2]:
        api_of(district, app_ctx, volunteer_id).post(f"/my/callouts/{created['id']}/answer", json={"accept": False})
    assert len(invited(created["id"])) == 3  # one still might come
    api_of(district, app_ctx, first_wave[2]).post(f"/my/callouts/{created['id']}/answer", json={"accept": False})
    assert invited(created["id"])[3:] == [(v, 2) for v in nearest_first[3:6]]


def test_exactly_the_number_needed_win_a_rush_across_waves(district, make_volunteer, make_user, app_ctx):
    nearest_first = spread_out(district, extra=5, make_volunteer=make_volunteer, make_user=make_user)
    api = district["coordinator"]
    created = api.post("/roster/callouts", json=callout_json(district, needed=2)).json
    make_overdue(created["id"])
    assert api.get(f"/roster/callouts/{created['id']}").json["wave"] == 2
    everyone = invited(created["id"])
    assert [v for v, _ in everyone] == nearest_first and {w for _, w in everyone} == {1, 2}
    make_overdue(created["id"])  # the coordinator's page, looking for a next wave, races the answers
    volunteers = [api_of(district, app_ctx, v) for v in nearest_first]
    responses = run_together(
        [lambda a=a: a.post(f"/my/callouts/{created['id']}/answer", json={"accept": True}) for a in volunteers]
        + [lambda: api.get(f"/roster/callouts/{created['id']}") for _ in range(2)])
    assert all(r.status_code == 200 for r in responses), [r.json for r in responses]
    statuses = sorted(r.json["status"] for r in responses[:len(volunteers)])
    assert statuses.count("accepted") == 2 and statuses.count("too_late") == len(volunteers) - 2, statuses
    db.session.expire_all()
    callout = db.session.get(CallOut, created["id"])
    assert callout.status == CallOutStatus.filled and callout.accepted == 2 and callout.next_wave_at is None
    on_it = db.session.scalars(select(Assignment.volunteer_id).where(
        Assignment.demand_id == callout.demand_id, Assignment.status.in_(ACTIVE))).all()
    assert len(on_it) == 2 and len(invited(created["id"])) == len(nearest_first)


def busy_with_duty(volunteer, start: datetime, end: datetime) -> None:
    """A published duty of ``volunteer`` in WEEK (not a call-out)."""
    week = RosterWeek(community_id=volunteer.community_id, week="2026-W49")
    demand = Demand(week=week, kind=DemandKind.shift, title="晚间值守", start=start, end=end, needed=1,
                    skills=[], lat=volunteer.lat, lon=volunteer.lon)
    db.session.add_all([week, demand])
    db.session.flush()
    db.session.add(Assignment(week_id=week.id, demand_id=demand.id, volunteer_id=volunteer.id,
                              status=AssignmentStatus.assigned))


def test_too_few_in_reach_is_a_warning_naming_why_with_buttons_to_widen(district, app_ctx):
    v = district["volunteers"]
    nursing = v[0].skills[0]
    db.session.add(AvailabilityException(volunteer_id=v[0].id, on_date=THURSDAY, available=False, note="出差"))
    busy_with_duty(v[1], datetime(2026, 12, 3, 18), datetime(2026, 12, 3, 20))
    v[2].skills = [nursing]
    v[2].lat += 0.045  # 5 km north
    report = PartyMemberReport(volunteer_id=v[3].id, work_unit="南关区教育局", party_organization="南关区教育局机关党支部",
                               community_id=v[3].community_id, reported_on=date(2025, 3, 1))
    report.claimed_posts.append(ClaimedPost(station_id=district["station"].id, weekday=3,
                                            start=datetime(2026, 1, 1, 18).time(), end=datetime(2026, 1, 1, 21).time()))
    db.session.add(report)
    db.session.commit()
    coord = logged_in(app_ctx, "coord")
    sent = post(coord, "/roster/callouts", {**callout_form(district["community_id"], district["station"].id),
                                            "skills": "nursing", "skills_required": "y"}, "/roster/callouts")
    assert sent.status_code == 302
    page = sent.headers["Location"]
    html = text_of(coord.get(page))
    assert "alert-success" not in html and "alert-warning" in html
    assert "只召集到 0 位志愿者，需要 2 位" in html
    for cause in ("请假：1 人", "正在其他值守：1 人", "超出召集范围：1 人", "缺少所需技能：2 人"):
        assert cause in html, cause
    assert newest_callout().reach == {"eligible": 0, "uncalled": 0, "on_leave": 1, "busy": 1, "lacks_skill": 2,
                                      "beyond_radius": 1, "wider_radius_m": 5500}

    widen = re.search(r'action="([^"]+/widen)".*?name="radius_m" value="(\d+)"', html, re.DOTALL)
    assert widen and widen.group(2) == "5500" and "扩大范围到 5.5 km" in html
    assert post(coord, widen.group(1), {"radius_m": widen.group(2)}, page).status_code == 302
    assert {i.volunteer_id for i in newest_callout().invites} == {v[2].id}

    html = text_of(coord.get(page))
    assert "缺少所需技能：2 人" in html and "不限技能再召集" in html
    assert post(coord, widen.group(1), {"skills_required": "false"}, page).status_code == 302
    # The party member's claimed post at that hour is no duty: they are called like anyone.
    callout = newest_callout()
    assert {i.volunteer_id for i in callout.invites} == {v[2].id, v[3].id, v[4].id}
    assert callout.reach["eligible"] == 3 and not callout.skills_required


def test_the_place_is_the_station_or_the_address_given(district, app_ctx):
    api = district["coordinator"]
    anywhere = {k: v for k, v in callout_json(district).items() if k not in ("lat", "lon")}
    at_station = api.post("/roster/callouts", json={**anywhere, "station_id": district["station"].id})
    assert at_station.status_code == 201, at_station.json
    assert at_station.json["place"] == "红色驿站" and at_station.json["demand"]["station_id"] == district["station"].id
    typed = api.post("/roster/callouts", json=callout_json(district, place="永吉路8号院", radius_m=500)).json
    assert (typed["place"], typed["radius_m"]) == ("永吉路8号院", 500)
    nameless = api.post("/roster/callouts", json=callout_json(district)).json
    assert nameless["place"] == "near 红色驿站"  # API clients that send only coordinates; named in the reader's words
    chinese = api.get(f"/roster/callouts/{nameless['id']}", headers={"Accept-Language": "zh-CN"}).json
    assert chinese["place"] == "红色驿站附近"
    invited = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "callout")).all()
    assert "红色驿站附近，" in invited[-1].body  # outside channels read Chinese
    nowhere = api.post("/roster/callouts", json=anywhere)
    assert nowhere.status_code == 422 and {"lat", "lon"} <= set(nowhere.json["errors"])
