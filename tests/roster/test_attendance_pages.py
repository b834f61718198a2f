"""The attendance and team pages through the test client: the station's QR code, the scan's landing page,
the coordinator's attendance sheet, teams, and 到场 on an event's booking list."""
import re
from datetime import datetime, timedelta

from sqlalchemy import select

from volunteer_app.clock import CHINA_TIME
from volunteer_app.extensions import db
from volunteer_app.roster.models import Assignment, Demand, Team

from tests.roster.test_urgent_and_exports import planned_and_published
from tests.support.pages import csrf_token, logged_in, post, text_of


def duty_now(district) -> tuple[int, int]:
    """A call-out at the station starting five minutes ago, accepted: (its volunteer's index, call-out id)."""
    start = datetime.now(CHINA_TIME).replace(tzinfo=None, second=0, microsecond=0) - timedelta(minutes=5)
    callout = district["coordinator"].post("/roster/callouts", json={
        "community_id": district["community_id"], "title": "应急值守", "station_id": district["station"].id,
        "needed": 1, "radius_m": 20000, "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")}).json
    index = district["volunteer_ids"].index(callout["invites"][0]["volunteer_id"])
    assert district["volunteer_apis"][index].post(f"/my/callouts/{callout['id']}/answer",
                                                  json={"accept": True}).status_code == 200
    return index, callout["id"]


def test_the_station_shows_a_qr_code_whose_url_checks_the_volunteer_in_and_out(district, app_ctx):
    station = district["station"]
    coord = logged_in(app_ctx, "coord")
    shown = text_of(coord.get(f"/roster/stations/{station.id}/check-in-code"))
    assert "<svg" in shown and 'http-equiv="refresh"' in shown
    url = re.search(r'class="muted small qr-url no-print">([^<]+)<', shown).group(1).replace("&amp;", "&")
    assert f"/checkin/{station.id}?c=w" in url
    printed = text_of(coord.get(f"/roster/stations/{station.id}/check-in-code/print"))
    assert "<svg" in printed and f"/checkin/{station.id}?c=p" in printed and "refresh" not in printed

    index, _ = duty_now(district)
    phone = logged_in(app_ctx, f"vol{index}")
    path = url.split("://", 1)[1].split("/", 1)[1]
    landing = phone.get("/" + path)
    assert landing.status_code == 200 and "现在签到" in text_of(landing)
    done = phone.post(f"/checkin/{station.id}", data={"c": path.split("c=")[1],
                                                      "csrf_token": csrf_token(phone, "/" + path)})
    assert done.status_code == 302
    page = text_of(phone.get(done.headers["Location"]))
    assert "已于" in page and "签到" in page
    assert "现在签退" in text_of(phone.get("/" + path))

    bad = phone.get(f"/checkin/{station.id}?c=w1.0000")
    assert bad.status_code == 422 and "这不是本站点的签到码" in text_of(bad) and "现在签退" not in text_of(bad)
    other = logged_in(app_ctx, f"vol{(index + 1) % 5}")
    assert "您此时在本站点没有值守" in text_of(other.get("/" + path))
    assert other.get(f"/roster/stations/{station.id}/check-in-code").status_code == 403


def test_the_coordinator_ticks_times_on_the_attendance_sheet(district, app_ctx):
    week_id = planned_and_published(district)
    assignment = db.session.scalars(select(Assignment).join(Demand).where(
        Assignment.week_id == week_id, Demand.start == datetime(2026, 12, 1, 18, 0))).first()
    coord = logged_in(app_ctx, "coord")
    sheet = f"/roster/weeks/{week_id}/attendance"
    assert f'id="a{assignment.id}"' in text_of(coord.get(sheet))
    saved = post(coord, f"/roster/assignments/{assignment.id}/attendance",
                 {"checked_in_at": "18:10", "checked_out_at": "19:40"}, sheet)
    assert saved.status_code == 302
    assert "已服务 90 分钟" in text_of(coord.get(sheet))
    wrong = post(coord, f"/roster/assignments/{assignment.id}/attendance",
                 {"checked_in_at": "19:00", "checked_out_at": "18:00"}, sheet)
    assert wrong.status_code == 422 and "签退时间须晚于签到时间" in text_of(wrong)
    link = re.search(r'href="([^"]+attendance\.xlsx)"', text_of(coord.get(sheet))).group(1)
    assert link == f"/api/v1/roster/weeks/{week_id}/attendance.xlsx" and coord.get(link).status_code == 200


def test_teams_are_made_on_their_pages_and_the_leader_reads_the_answers(district, app_ctx):
    ids = district["volunteer_ids"]
    coord = logged_in(app_ctx, "coord")
    created = post(coord, "/teams", {"community_id": str(district["community_id"]), "name": "应急队"}, "/teams")
    assert created.status_code == 302
    team = db.session.scalar(select(Team).where(Team.name == "应急队"))
    saved = post(coord, f"/teams/{team.id}", {"name": "应急队", "leader_id": str(ids[1]),
                                              "member_ids": [str(ids[1]), str(ids[2])]}, f"/teams/{team.id}")
    assert saved.status_code == 302
    db.session.expire_all()
    assert sorted(v.id for v in db.session.get(Team, team.id).members) == sorted([ids[1], ids[2]])
    assert "应急队" in text_of(coord.get("/roster/callouts"))  # the call-out form offers the team
    leader = logged_in(app_ctx, "vol1")
    assert "我的队伍" in text_of(leader.get("/my/week"))
    mine = text_of(leader.get("/my/teams"))
    assert "应急队" in mine and f'data-team="{team.id}"' in mine
    assert "没有担任队长" in text_of(logged_in(app_ctx, "vol2").get("/my/teams"))
