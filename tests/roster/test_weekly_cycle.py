"""Plan → review → publish → confirm / decline → repair, through the API."""
from datetime import datetime

from solver.check import check
from volunteer_app.extensions import db
from volunteer_app.notifications.models import Notification
from volunteer_app.roster.models import Demand, HolidayRule, RosterVersion

from tests.support.roster import NATIONAL_DAY_WEEK, WEEK, plan


def test_plan_fills_what_it_can_and_explains_the_rest(district):
    api = district["coordinator"]
    job = plan(api, district["community_id"])
    week = api.get(f"/roster/weeks/{job['week_id']}").json
    assert len(week["demands"]) == 4
    assert job["summary"]["scores"]["coverage"] == 3 * 2 * 3  # 3 evenings × 2 people × priority 3
    assert len(week["draft"]) == 6
    [unfilled] = week["draft_unfilled"]
    legal = next(d for d in week["demands"] if d["skills"] == ["legal"])
    assert unfilled["demand_id"] == legal["id"] and unfilled["missing"] == 1
    assert any("legal" in reason for reason in unfilled["reasons"])
    assert week["status"] == "draft" and week["live"] == []


def test_exported_problem_and_solution_pass_the_checker(district):
    api = district["coordinator"]
    job = plan(api, district["community_id"])
    problem = api.get(f"/roster/weeks/{job['week_id']}/problem").json
    week = api.get(f"/roster/weeks/{job['week_id']}").json
    solution = {"format": "roster-solution/1", "status": job["summary"]["status"],
                "assignments": [{"demand": f"d{p['demand_id']}", "volunteer": f"v{p['volunteer_id']}"}
                                for p in week["draft"]],
                "unfilled": [{"demand": f"d{u['demand_id']}", "missing": u["missing"], "reasons": u["reasons"]}
                             for u in week["draft_unfilled"]],
                "scores": {k: job["summary"]["scores"][k] for k in ("coverage", "changes", "unwanted", "fairness", "travel_m")},
                "bound": job["summary"]["bound"], "solve_seconds": 0.1}
    report = check(problem, solution)
    assert report.ok, report.violations


def test_publish_confirm_decline_and_repair_keeps_the_others(district):
    api = district["coordinator"]
    job = plan(api, district["community_id"])
    week_id = job["week_id"]
    week = api.get(f"/roster/weeks/{week_id}").json
    published = api.post(f"/roster/weeks/{week_id}/publish", json={"version": week["version"]})
    assert published.status_code == 201 and published.json["number"] == 1
    assert len(published.json["added"]) == 6

    by_volunteer = {}
    for index, vapi in enumerate(district["volunteer_apis"]):
        by_volunteer[index] = vapi.get(f"/my/assignments?week={WEEK}").json
    assert sum(len(a) for a in by_volunteer.values()) == 6
    keen = next(i for i, a in by_volunteer.items() if a)
    first = by_volunteer[keen][0]
    confirmed = district["volunteer_apis"][keen].post(f"/my/assignments/{first['id']}/answer",
                                                     json={"version": first["version"], "confirm": True})
    assert confirmed.status_code == 200 and confirmed.json["assignment"]["status"] == "confirmed"

    decliner = next(i for i, a in by_volunteer.items() if a and i != keen)
    declined_one = by_volunteer[decliner][0]
    no_reason = district["volunteer_apis"][decliner].post(f"/my/assignments/{declined_one['id']}/answer",
                                                         json={"version": declined_one["version"], "confirm": False})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    answer = district["volunteer_apis"][decliner].post(
        f"/my/assignments/{declined_one['id']}/answer",
        json={"version": declined_one["version"], "confirm": False, "reason": "家里有事"})
    assert answer.status_code == 200, answer.json
    assert answer.json["assignment"]["status"] == "declined"
    repair = api.get(f"/roster/jobs/{answer.json['replan_job_id']}").json
    assert repair["status"] == "succeeded", repair

    versions = api.get(f"/roster/weeks/{week_id}/versions").json
    assert [v["number"] for v in versions] == [2, 1]
    latest = versions[0]
    declined_pair = [declined_one["demand_id"], district["volunteer_ids"][decliner]]
    assert latest["removed"] == [declined_pair]
    assert len(latest["added"]) == 1 and latest["added"][0][0] == declined_one["demand_id"]
    assert latest["added"][0][1] != district["volunteer_ids"][decliner]
    before = {tuple(p) for p in versions[1]["assignments"]}
    after = {tuple(p) for p in latest["assignments"]}
    assert before - after == {tuple(declined_pair)}  # everyone else keeps their place
    confirmed_pair = (first["demand_id"], district["volunteer_ids"][keen])
    assert confirmed_pair in after
    assert db.session.query(Notification).filter_by(kind="declined").count() == 1
    assert latest["note"] == "Re-planned automatically after a decline"  # the app's note, in the reader's words
    chinese = api.get(f"/roster/weeks/{week_id}/versions", headers={"Accept-Language": "zh-CN"}).json
    assert chinese[0]["note"] == "有志愿者不能参加,系统自动重排"
    told = db.session.query(Notification).filter_by(kind="declined").one()
    duty = db.session.get(Demand, declined_one["demand_id"]).title
    assert told.title == f"志愿者{decliner} 不能参加 {duty}" and told.shown_title.endswith(f" cannot come to {duty}")


def test_answers_are_only_for_ones_own_and_current_assignments(district):
    api = district["coordinator"]
    job = plan(api, district["community_id"])
    week = api.get(f"/roster/weeks/{job['week_id']}").json
    api.post(f"/roster/weeks/{job['week_id']}/publish", json={"version": week["version"]})
    mine = None
    for index, vapi in enumerate(district["volunteer_apis"]):
        items = vapi.get(f"/my/assignments?week={WEEK}").json
        if items:
            mine, owner = items[0], index
            break
    stranger = district["volunteer_apis"][(owner + 1) % 5]
    assert stranger.post(f"/my/assignments/{mine['id']}/answer",
                         json={"version": mine["version"], "confirm": True}).status_code == 404
    owner_api = district["volunteer_apis"][owner]
    assert owner_api.post(f"/my/assignments/{mine['id']}/answer",
                          json={"version": mine["version"], "confirm": True}).status_code == 200
    stale = owner_api.post(f"/my/assignments/{mine['id']}/answer",
                           json={"version": mine["version"], "confirm": False, "reason": "x"})
    assert stale.status_code == 409


def test_republishing_asks_for_a_new_version_and_stale_publish_is_409(district):
    api = district["coordinator"]
    job = plan(api, district["community_id"])
    week_id = job["week_id"]
    version = api.get(f"/roster/weeks/{week_id}").json["version"]
    assert api.post(f"/roster/weeks/{week_id}/publish", json={"version": version}).status_code == 201
    assert api.post(f"/roster/weeks/{week_id}/publish", json={"version": version}).status_code == 409
    plan(api, district["community_id"])  # planning a published week makes a new draft, not a new live roster
    assert db.session.query(RosterVersion).count() == 1
    current = api.get(f"/roster/weeks/{week_id}").json
    assert len(current["live"]) == 6
    second = api.post(f"/roster/weeks/{week_id}/publish", json={"version": current["version"], "note": "v2"})
    assert second.status_code == 201 and second.json["number"] == 2


def test_pin_forbid_move_and_resolve(district):
    api = district["coordinator"]
    job = plan(api, district["community_id"])
    week_id = job["week_id"]
    week = api.get(f"/roster/weeks/{week_id}").json
    legal = next(d for d in week["demands"] if d["skills"] == ["legal"])
    refused = api.post(f"/roster/weeks/{week_id}/rules",
                       json={"demand_id": legal["id"], "volunteer_id": district["volunteer_ids"][1], "kind": "pinned"})
    assert refused.status_code == 422 and refused.json["error"] == "pin_refused"
    assert "Legal advice" in " ".join(refused.json["errors"]["volunteer_id"])  # the skill lacking, by its name
    pair = week["draft"][0]
    undrafted = next(v for v in district["volunteer_ids"]
                     if (pair["demand_id"], v) not in {(p["demand_id"], p["volunteer_id"]) for p in week["draft"]})
    moved = api.post(f"/roster/weeks/{week_id}/move", json={
        "demand_id": pair["demand_id"], "from_volunteer_id": pair["volunteer_id"], "to_volunteer_id": undrafted})
    assert moved.status_code == 200, moved.json
    drafted = {(p["demand_id"], p["volunteer_id"]) for p in moved.json["draft"]}
    assert (pair["demand_id"], undrafted) in drafted and (pair["demand_id"], pair["volunteer_id"]) not in drafted
    job = api.post(f"/roster/weeks/{week_id}/resolve")
    assert api.get(f"/roster/jobs/{job.json['id']}").json["status"] == "succeeded"
    after = {(p["demand_id"], p["volunteer_id"]) for p in api.get(f"/roster/weeks/{week_id}").json["draft"]}
    assert (pair["demand_id"], undrafted) in after and (pair["demand_id"], pair["volunteer_id"]) not in after
    assert len(after ^ drafted) == 0  # re-solving a full, valid draft changes nothing


def test_holiday_rules_when_generating_shifts(district, make_template, app_ctx):
    from volunteer_app.accounts.policy import Actor
    from volunteer_app.roster.service import week_for

    station = district["station"]
    make_template(station, weekday=3, start="09:00", end="11:00", needed=3, holiday_rule=HolidayRule.rota,
                  holiday_needed=1, title="节日轮值")
    station.closed_on_holidays = False
    db.session.commit()
    week = week_for(Actor.system(), station.community_id, NATIONAL_DAY_WEEK)
    db.session.commit()
    thursday = [d for d in week.demands if d.start.date() == datetime(2026, 10, 1).date()]
    assert [(d.title, d.needed) for d in thursday] == [("节日轮值", 1)]  # closed template skipped, rota shrinks
    count = db.session.query(Demand).filter_by(week_id=week.id).count()
    assert week_for(Actor.system(), station.community_id, NATIONAL_DAY_WEEK).id == week.id  # shifts are generated once
    assert db.session.query(Demand).filter_by(week_id=week.id).count() == count


def test_coordinator_of_another_community_cannot_see_the_week(district, make_community, make_user, api_as):
    job = plan(district["coordinator"], district["community_id"])
    outsider = api_as(make_user(communities=[make_community()]))
    assert outsider.get(f"/roster/weeks/{job['week_id']}").status_code == 404
    assert outsider.get(f"/roster/jobs/{job['id']}").status_code == 404
    assert outsider.post("/roster/plan", json={"community_id": district["community_id"], "week": WEEK}).status_code == 404
