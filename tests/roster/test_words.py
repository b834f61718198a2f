"""The roster's words come from their source: refusals are written where the rule is, and the solver's
reasons, dropped pins and failed plans are kept as codes and worded for each reader (no translating back)."""
from sqlalchemy import select

from volunteer_app.extensions import db
from volunteer_app.people.models import Volunteer
from volunteer_app.roster.models import Demand, RosterWeek

from tests.support.pages import logged_in, post, text_of
from tests.support.roster import plan

ZH = {"Accept-Language": "zh-CN"}


def _legal_duty(week_id: int) -> Demand:
    demand = db.session.scalar(select(Demand).where(Demand.week_id == week_id, Demand.title == "法律咨询"))
    db.session.rollback()
    return demand


def test_a_refused_pin_is_worded_at_its_source_for_each_reader(district, app_ctx):
    api = district["coordinator"]
    week_id = plan(api, district["community_id"])["week_id"]
    pin = {"demand_id": _legal_duty(week_id).id, "volunteer_id": district["volunteer_ids"][1], "kind": "pinned"}

    english = api.post(f"/roster/weeks/{week_id}/rules", json=pin)
    chinese = api.post(f"/roster/weeks/{week_id}/rules", json=pin, headers=ZH)
    assert english.status_code == chinese.status_code == 422
    assert english.json["error"] == chinese.json["error"] == "pin_refused"
    assert english.json["message"] == "志愿者1 cannot be pinned to this duty."
    assert english.json["errors"] == {"volunteer_id": ["志愿者1 lacks Legal advice."]}
    assert chinese.json["message"] == "不能把 志愿者1 固定在这个岗位。"
    assert chinese.json["errors"] == {"volunteer_id": ["志愿者1缺少技能:法律咨询。"]}

    coord = logged_in(app_ctx, "coord")
    page = f"/roster/weeks/{week_id}"
    refused = post(coord, f"/roster/weeks/{week_id}/rules", {**pin, "kind": "pinned"}, page)
    assert refused.status_code == 422 and "志愿者1缺少技能:法律咨询。" in text_of(refused)


def test_the_solvers_reasons_are_kept_as_codes_and_worded_in_the_readers_language(district, app_ctx):
    api = district["coordinator"]
    week_id = plan(api, district["community_id"])["week_id"]
    [unfilled] = api.get(f"/roster/weeks/{week_id}").json["draft_unfilled"]
    assert unfilled["reasons"] == ["no volunteer has skill legal"]  # English, for programs
    assert unfilled["reason_codes"] == [{"code": "no_skill", "params": {"skills": ["legal"]}}]

    coord = logged_in(app_ctx, "coord")
    assert "没有志愿者具备法律咨询。" in text_of(coord.get(f"/roster/weeks/{week_id}"))
    coord.get("/lang/en")
    assert "No volunteer has Legal advice." in text_of(coord.get(f"/roster/weeks/{week_id}"))


def test_a_dropped_pin_is_a_warning_worded_from_its_code(district, app_ctx):
    api = district["coordinator"]
    week_id = plan(api, district["community_id"])["week_id"]
    week = api.get(f"/roster/weeks/{week_id}").json
    pair = {key: week["draft"][0][key] for key in ("demand_id", "volunteer_id")}
    assert api.post(f"/roster/weeks/{week_id}/rules", json={**pair, "kind": "pinned"}).status_code == 200
    volunteer = db.session.get(Volunteer, pair["volunteer_id"])
    volunteer.max_hours_per_week = 1  # the two-hour duty no longer fits: the pin must go
    db.session.commit()
    assert api.post(f"/roster/weeks/{week_id}/resolve").status_code == 202

    scores = db.session.get(RosterWeek, week_id).draft_scores
    [warning] = scores["warning_codes"]
    assert warning["code"] == "pin_dropped" and warning["params"]["broken"][0]["code"] == "over_load"
    assert scores["warnings"][0].startswith(f"pin of volunteer {volunteer.id} on demand {pair['demand_id']} dropped")
    db.session.rollback()
    html = text_of(logged_in(app_ctx, "coord").get(f"/roster/weeks/{week_id}"))
    assert f"已取消 {volunteer.name} 在 " in html and f"{volunteer.name} 会超出每周服务时长或岗位数上限。" in html


def test_a_plan_whose_pins_clash_fails_in_words_from_its_code(district, app_ctx):
    api = district["coordinator"]
    week_id = plan(api, district["community_id"])["week_id"]
    week = api.get(f"/roster/weeks/{week_id}").json
    evening = next(d for d in week["demands"] if d["needed"] == 2)
    for volunteer_id in district["volunteer_ids"][:3]:  # three pinned on a duty for two
        pin = {"demand_id": evening["id"], "volunteer_id": volunteer_id, "kind": "pinned"}
        assert api.post(f"/roster/weeks/{week_id}/rules", json=pin).status_code == 200, volunteer_id
    job = api.post(f"/roster/weeks/{week_id}/resolve").json
    failed = api.get(f"/roster/jobs/{job['id']}").json
    assert failed["status"] == "failed" and failed["error"].startswith("The pinned assignments cannot all hold")
    assert failed["summary"]["failure"]["code"] == "pins_clash"
    assert failed["summary"]["failure"]["params"]["reasons"][0]["params"]["rule"] == 6

    html = text_of(logged_in(app_ctx, "coord").get(f"/roster/jobs/{job['id']}"))
    assert "排班失败" in html and "这些固定安排无法同时成立" in html and "违反了“所需人数”规则" in html
    assert "周一 18:00 晚间值守" in html  # the duty by its name


def test_the_week_api_answers_a_bad_week_in_the_clients_language(district):
    api = district["coordinator"]
    body = {"community_id": district["community_id"], "week": "2026-W99"}
    english = api.post("/roster/plan", json=body)
    chinese = api.post("/roster/plan", json=body, headers=ZH)
    assert english.status_code == chinese.status_code == 422
    assert english.json["error"] == chinese.json["error"] == "invalid_input"  # the schema's, as for "2026-W5"
    assert english.json["errors"]["week"] == ["Enter an ISO week such as 2026-W49."]
    assert chinese.json["errors"]["week"] == ["请按周填写,如 2026-W49。"]
