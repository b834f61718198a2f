"""Emergency call-outs, swaps, the iCalendar feed and the printable workbook."""
import io

from icalendar import Calendar
from openpyxl import load_workbook

from sqlalchemy import select

from volunteer_app.accounts.models import AuditLog
from volunteer_app.extensions import db
from volunteer_app.roster.models import CallOut, CallOutStatus

from tests.support.concurrency import run_together
from tests.support.roster import WEEK


def planned_and_published(district):
    api = district["coordinator"]
    job = api.post("/roster/plan", json={"community_id": district["community_id"], "week": WEEK}).json
    week = api.get(f"/roster/weeks/{job['week_id']}").json
    api.post(f"/roster/weeks/{week['id']}/publish", json={"version": week["version"]})
    return week["id"]


def callout_payload(district, needed=2, start="2026-12-03T18:30", end="2026-12-03T19:30"):
    station = district["station"]
    return {"community_id": district["community_id"], "title": "积水清理", "lat": station.lat, "lon": station.lon,
            "needed": needed, "start": start, "end": end}


def test_callout_ranks_available_volunteers_and_first_accepters_fill_it(district):
    week_id = planned_and_published(district)
    api = district["coordinator"]
    created = api.post("/roster/callouts", json=callout_payload(district))
    assert created.status_code == 201, created.json
    invites = created.json["invites"]
    assert invites, "someone must be free on a Thursday evening"
    assert [i["rank"] for i in invites] == sorted(i["rank"] for i in invites)
    assert [i["distance_m"] for i in invites] == sorted(i["distance_m"] for i in invites)
    by_id = dict(zip(district["volunteer_ids"], district["volunteer_apis"]))
    answers = [by_id[i["volunteer_id"]].post(f"/my/callouts/{created.json['id']}/answer", json={"accept": True}).json
               for i in invites]
    assert [a["status"] for a in answers][:2] == ["accepted", "accepted"]
    assert all(a["status"] == "too_late" for a in answers[2:])
    callout = api.get(f"/roster/callouts/{created.json['id']}").json
    assert callout["status"] == "filled"
    live = api.get(f"/roster/weeks/{week_id}").json["live"]
    on_it = {a["volunteer_id"] for a in live if a["demand_id"] == callout["demand"]["id"]}
    assert on_it == {invites[0]["volunteer_id"], invites[1]["volunteer_id"]}
    assert all(a["status"] == "confirmed" for a in live if a["demand_id"] == callout["demand"]["id"])


def test_callout_rush_accepts_exactly_the_number_needed(district):
    planned_and_published(district)
    created = district["coordinator"].post("/roster/callouts", json=callout_payload(district, needed=2)).json
    by_id = dict(zip(district["volunteer_ids"], district["volunteer_apis"]))
    invited = [by_id[i["volunteer_id"]] for i in created["invites"]]
    assert len(invited) >= 3
    responses = run_together([
        lambda api=api: api.post(f"/my/callouts/{created['id']}/answer", json={"accept": True}) for api in invited])
    assert all(r.status_code == 200 for r in responses), [r.json for r in responses]
    statuses = sorted(r.json["status"] for r in responses)
    assert statuses.count("accepted") == 2 and statuses.count("too_late") == len(invited) - 2, statuses
    db.session.expire_all()
    assert db.session.get(CallOut, created["id"]).status == CallOutStatus.filled


def test_uninvited_volunteer_cannot_answer_and_bad_input_is_422(district):
    planned_and_published(district)
    api = district["coordinator"]
    bad = api.post("/roster/callouts", json={**callout_payload(district), "end": "2026-12-03T18:00"})
    assert bad.status_code == 422 and "end" in bad.json["errors"]
    unknown_skill = api.post("/roster/callouts", json={**callout_payload(district), "skills": ["juggling"]})
    assert unknown_skill.status_code == 422 and "skills" in unknown_skill.json["errors"]
    created = api.post("/roster/callouts", json={**callout_payload(district), "skills": ["nursing"]}).json
    invited = {i["volunteer_id"] for i in created["invites"]}
    assert invited <= {district["volunteer_ids"][0]}  # only volunteer 0 is a nurse
    outsider = next(a for v, a in zip(district["volunteer_ids"], district["volunteer_apis"]) if v not in invited)
    assert outsider.post(f"/my/callouts/{created['id']}/answer", json={"accept": True}).status_code == 404


def test_swap_needs_approval_and_a_colleague_who_can_take_it(district):
    week_id = planned_and_published(district)
    api = district["coordinator"]
    live = api.get(f"/roster/weeks/{week_id}").json["live"]
    assignment = live[0]
    owner = district["volunteer_ids"].index(assignment["volunteer_id"])
    busy_same_time = {a["volunteer_id"] for a in live if a["demand_id"] == assignment["demand_id"]}
    free = next(v for v in district["volunteer_ids"] if v not in busy_same_time)
    owner_api = district["volunteer_apis"][owner]
    swap = owner_api.post(f"/my/assignments/{assignment['id']}/swap", json={"to_volunteer_id": free, "note": "出差"})
    assert swap.status_code == 201 and swap.json["status"] == "requested"
    assert api.get(f"/roster/weeks/{week_id}/swaps").json[0]["id"] == swap.json["id"]
    approved = api.post(f"/roster/swaps/{swap.json['id']}/decision", json={"approve": True})
    assert approved.status_code == 200, approved.json
    after = {(a["demand_id"], a["volunteer_id"]) for a in api.get(f"/roster/weeks/{week_id}").json["live"]
             if a["status"] in ("assigned", "confirmed")}
    assert (assignment["demand_id"], free) in after and (assignment["demand_id"], assignment["volunteer_id"]) not in after
    assert api.post(f"/roster/swaps/{swap.json['id']}/decision", json={"approve": True}).status_code == 409
    versions = api.get(f"/roster/weeks/{week_id}/versions").json
    assert versions[0]["removed"] == [[assignment["demand_id"], assignment["volunteer_id"]]]


def test_calendar_feed_is_secret_and_valid(district, client):
    planned_and_published(district)
    index, api = next((i, a) for i, a in enumerate(district["volunteer_apis"])
                      if a.get(f"/my/assignments?week={WEEK}").json)
    mine = api.get(f"/my/assignments?week={WEEK}").json
    url = api.post("/my/calendar-feed").json["url"]
    path = url.split("localhost", 1)[1]
    with client.get(path) as response:
        assert response.status_code == 200 and response.mimetype == "text/calendar"
        calendar = Calendar.from_ical(response.get_data())
    events = [c for c in calendar.walk("VEVENT")]
    assert len(events) == len(mine)
    assert {e["uid"] for e in events} == {f"assignment-{a['id']}@jiamenkou" for a in mine}
    assert str(events[0]["dtstart"].dt.tzinfo) == "Asia/Shanghai"
    rotated = api.post("/my/calendar-feed").json["url"]
    assert client.get(path).status_code == 404 and rotated != url
    assert client.get("/calendar/not-a-token.ics").status_code == 404


def test_week_workbook_has_a_sheet_per_station_and_masks_phones(district):
    week_id = planned_and_published(district)
    with district["coordinator"].get(f"/roster/weeks/{week_id}/export.xlsx") as response:
        assert response.status_code == 200
        workbook = load_workbook(io.BytesIO(response.get_data()))
    assert workbook.sheetnames == ["红色驿站", "服务任务"]
    sheet = workbook["红色驿站"]
    assert [c.value for c in sheet[2]] == ["日期", "星期", "时间", "岗位", "需要人数", "志愿者", "电话", "状态"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert len(rows) == 7  # 3 evenings × 2 people, plus the unfilled legal shift
    assert any(r[5] == "（空缺）" for r in rows)
    assert all("****" in r[6] for r in rows if r[6])
    assert sheet.page_setup.orientation == "landscape"


def test_week_workbook_with_full_numbers_is_audited_like_a_full_export(district, make_user, api_as):
    """Issue 11: an account allowed to see personal information gets the volunteers' numbers in full, and the
    audit log says so (as for a 台账 export with full numbers); one without it gets them masked, unaudited."""
    week_id = planned_and_published(district)
    masked = district["coordinator"].get(f"/roster/weeks/{week_id}/export.xlsx")
    assert masked.status_code == 200 and masked.headers["Cache-Control"] == "no-store"
    assert db.session.scalars(select(AuditLog).where(AuditLog.action == "reveal")).all() == []

    officer = make_user(communities=[district["community"]], pii=True, username="pii-officer")
    with api_as(officer).get(f"/roster/weeks/{week_id}/export.xlsx") as response:
        sheet = load_workbook(io.BytesIO(response.get_data()))["红色驿站"]
    phones = {row[6].value for row in sheet.iter_rows(min_row=3) if row[6].value}
    assert phones and phones <= {v.phone for v in district["volunteers"]}
    [row] = db.session.scalars(select(AuditLog).where(AuditLog.action == "reveal")).all()
    on_duty = {r[5].value for sheet in load_workbook(io.BytesIO(masked.get_data())) for r in sheet.iter_rows(min_row=3)}
    assert (row.user_id, row.entity, row.entity_id) == (officer.id, "volunteers", str(district["community_id"]))
    assert row.changes == {"revealed": "phone", "purpose": "export", "community_id": district["community_id"],
                           "rows": len(on_duty - {"（空缺）"}), "format": "xlsx", "page": f"roster_weeks:{week_id}"}


def test_week_workbook_writes_a_name_like_a_formula_as_text(district):
    """Issue 14: a volunteer named like a formula is text in the printed roster."""
    week_id = planned_and_published(district)
    for volunteer in district["volunteers"]:
        volunteer.name = "=1+1"
    db.session.commit()
    with district["coordinator"].get(f"/roster/weeks/{week_id}/export.xlsx") as response:
        sheet = load_workbook(io.BytesIO(response.get_data()))["红色驿站"]
    names = [row[5] for row in sheet.iter_rows(min_row=3) if row[5].value == "=1+1"]
    assert names and all(cell.data_type == "s" and cell.quotePrefix for cell in names)


def test_cli_plan_and_export_problem(district, app_ctx):
    from solver import problem_from_dict

    runner = app_ctx.test_cli_runner()
    code = district["community"].code
    result = runner.invoke(args=["roster", "plan", "--week", WEEK, "--community", code, "--publish"])
    assert result.exit_code == 0, result.output
    line = next(row for row in result.output.splitlines() if row.startswith(code))
    assert line.split()[2] == "18"  # coverage
    exported = runner.invoke(args=["roster", "export-problem", "--week", WEEK, "--community", code])
    assert exported.exit_code == 0, exported.output
    import json

    problem = problem_from_dict(json.loads(exported.stdout))
    assert len(problem.demands) == 4 and len(problem.previous) == 6  # the published roster is the plan to keep
    bad = runner.invoke(args=["roster", "plan", "--week", "2026-W99"])
    assert bad.exit_code == 1 and "ISO week" in bad.output and "Traceback" not in bad.output


def test_reminders_go_once_to_everyone_serving_tomorrow(district):
    from datetime import date

    from volunteer_app.notifications.models import Notification, OutboxMessage
    from volunteer_app.roster.service import send_reminders

    week_id = planned_and_published(district)
    live = district["coordinator"].get(f"/roster/weeks/{week_id}").json["live"]
    tuesday = [a for a in live if a["start"].startswith("2026-12-01")]
    assert send_reminders(date(2026, 11, 30)) == len(tuesday) == 2
    assert send_reminders(date(2026, 11, 30)) == 0  # already reminded
    db.session.commit()
    assert db.session.query(Notification).filter_by(kind="reminder").count() == 2
    assert db.session.query(OutboxMessage).filter(OutboxMessage.dedupe_key.like("reminder:%")).count() == 2


def test_marking_served_records_hours_and_points_once(district):
    from datetime import date

    import pytest

    from volunteer_app.errors import InvalidInput
    from volunteer_app.people.models import ServiceLog
    from volunteer_app.points.models import Earning
    from volunteer_app.accounts.policy import Actor
    from volunteer_app.roster.service import mark_served

    week_id = planned_and_published(district)
    api = district["coordinator"]
    assignment = api.get(f"/roster/weeks/{week_id}").json["live"][0]
    volunteer_api = district["volunteer_apis"][0]
    assert volunteer_api.post(f"/roster/assignments/{assignment['id']}/served", json={"served": True}).status_code == 403
    with pytest.raises(InvalidInput):  # the duty has not happened yet
        mark_served(Actor.system(), assignment["id"], True, date(2026, 11, 29))
    mark_served(Actor.system(), assignment["id"], True, date(2026, 12, 7))
    mark_served(Actor.system(), assignment["id"], True, date(2026, 12, 7))  # twice: still once
    db.session.commit()
    logs = db.session.query(ServiceLog).filter_by(assignment_id=assignment["id"]).all()
    assert len(logs) == 1 and logs[0].minutes == 120
    assert db.session.query(Earning).count() == 1
    balance = district["volunteer_apis"][district["volunteer_ids"].index(assignment["volunteer_id"])] \
        .get("/points/my-account").json["balance"]
    assert balance > 0
    mark_served(Actor.system(), assignment["id"], False, date(2026, 12, 7))
    db.session.commit()
    assert db.session.query(ServiceLog).filter_by(assignment_id=assignment["id"]).count() == 0
    after = district["volunteer_apis"][district["volunteer_ids"].index(assignment["volunteer_id"])] \
        .get("/points/my-account").json["balance"]
    assert after == 0
