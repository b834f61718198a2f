"""Dispatch (urgent at once by ranking, timed ones as roster tasks), ratings with
follow-ups, and the micro-wish board."""
from volunteer_app.accounts.policy import Actor
from volunteer_app.extensions import db
from volunteer_app.service_requests import service

from tests.support.concurrency import run_together
from tests.support.services import WEEK, file, move

ZH = {"Accept-Language": "zh-CN"}


def test_urgent_request_goes_at_once_to_the_nearest_able_volunteer(town):
    coordinator = town["coordinator"]
    near, far = town["volunteers"]
    first = file(town["resident_apis"][0], town, urgent=True, preferred_windows=[]).json
    assert first["priority"] == 10
    candidates = coordinator.get(f"/service-requests/{first['id']}/candidates").json
    assert [c["volunteer_id"] for c in candidates] == [near.id, far.id]
    accepted = move(coordinator, first["id"], "accepted").json
    assert accepted["state"] == "dispatched" and accepted["volunteer_id"] == near.id
    assert accepted["scheduled_start"] == "2026-11-30T09:00"
    assert accepted["history"][-1]["details"]["chosen_by"] == "ranking"
    assert accepted["history"][-1]["reason"] == "Urgent: dispatched to the nearest free volunteer"
    history = coordinator.get(f"/service-requests/{first['id']}/transitions", headers=ZH).json
    assert history[-1]["reason"] == "紧急工单：派给最近的可用志愿者"
    inbox = town["volunteer_apis"][0].get("/notifications").json["items"]
    chinese = town["volunteer_apis"][0].get("/notifications", headers=ZH).json["items"]
    assert inbox[0]["title"].startswith("New task: ") and chinese[0]["title"].startswith("新的服务任务：")
    # The nearest is busy with the first one now: the second urgent request goes to the other.
    second = file(town["resident_apis"][1], town, urgent=True, preferred_windows=[]).json
    assert move(coordinator, second["id"], "accepted").json["volunteer_id"] == far.id


def test_urgent_request_nobody_can_take_waits_and_coordinators_hear(town, make_skill, make_service_type):
    make_skill(code="electric", name_zh="电工", name_en="Electrician")
    wiring = make_service_type(town["community"].id, code="wiring", name="线路维修", skills=["electric"])
    request = file(town["resident_apis"][0], town, service_type_id=wiring.id, urgent=True, preferred_windows=[]).json
    accepted = move(town["coordinator"], request["id"], "accepted").json
    assert accepted["state"] == "accepted"
    titles = [n["title"] for n in town["coordinator"].get("/notifications", headers=ZH).json["items"]]
    assert f"紧急工单暂无可派志愿者：线路维修 #{request['id']}" in titles
    titles = [n["title"] for n in town["coordinator"].get("/notifications").json["items"]]
    assert f"Urgent request, no volunteer free: 线路维修 #{request['id']}" in titles
    nobody = move(town["coordinator"], request["id"], "dispatched")
    assert nobody.status_code == 409 and nobody.json["error"] == "no_volunteer_available"
    assert "volunteer_id" in nobody.json["errors"]


def test_timed_requests_become_roster_tasks_and_planned_ones_are_dispatched(town):
    coordinator = town["coordinator"]
    timed = file(town["resident_apis"][1], town).json
    move(coordinator, timed["id"], "accepted")
    week = {"community_id": town["community"].id, "week": WEEK}
    tasks = coordinator.get("/service-requests/tasks", query_string=week).json
    assert tasks["pinned"] == []
    assert tasks["demands"] == [{
        "id": f"r{timed['id']}", "kind": "task", "start": "2026-12-01T14:00", "end": "2026-12-01T15:00",
        "location": {"lat": town["building"].lat, "lon": town["building"].lon}, "required_skills": ["repair"],
        "count": 1, "priority": 7}]  # a 低保 resident: ahead of ordinary requests
    assert service.tasks_for_week(town["community"].id, "2026-W50") == []
    near = town["volunteers"][0]
    assert service.dispatch_planned(Actor.system(), {timed["id"]: near.id}) == 1
    db.session.commit()
    assert service.task_pairs_for_week(town["community"].id, WEEK) == [
        {"demand": f"r{timed['id']}", "volunteer": f"v{near.id}"}]
    mine = town["volunteer_apis"][0].get("/my/service-requests", query_string={"week": WEEK}).json
    assert [(r["id"], r["state"]) for r in mine] == [(timed["id"], "dispatched")]


def test_volunteer_hands_back_and_coordinators_dispatch_again(town):
    coordinator, near_api = town["coordinator"], town["volunteer_apis"][0]
    request = file(town["resident_apis"][0], town).json
    move(coordinator, request["id"], "accepted")
    move(coordinator, request["id"], "dispatched", volunteer_id=town["volunteers"][0].id)
    no_reason = move(near_api, request["id"], "accepted")
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    back = move(near_api, request["id"], "accepted", reason="临时出差")
    assert back.status_code == 200 and back.json["volunteer_id"] is None
    assert near_api.get(f"/service-requests/{request['id']}").status_code == 404  # no longer theirs
    again = move(coordinator, request["id"], "dispatched", volunteer_id=town["volunteers"][1].id,
                 start="2026-12-01T15:00")
    assert again.json["scheduled_start"] == "2026-12-01T15:00" and again.json["scheduled_end"] == "2026-12-01T16:00"


def test_low_rating_opens_a_follow_up_and_grid_worker_may_rate_after_a_call(town):
    coordinator, grid_worker = town["coordinator"], town["grid_worker"]
    ids = []
    for rating, api in ((2, town["resident_apis"][0]), (4, grid_worker)):
        request = file(town["resident_apis"][0], town).json
        move(coordinator, request["id"], "accepted")
        move(coordinator, request["id"], "dispatched", volunteer_id=town["volunteers"][0].id)
        move(coordinator, request["id"], "in_progress")
        move(coordinator, request["id"], "resolved", note="已处理")
        rated = move(api, request["id"], "rated", rating=rating, comment="来得太晚" if rating < 3 else "回访满意")
        assert rated.status_code == 200, rated.json
        ids.append(rated.json)
    assert ids[1]["history"][-1]["details"]["by"] == "phone follow-up"
    follow_ups = coordinator.get("/follow-ups").json["items"]
    assert [(f["request_id"], f["status"]) for f in follow_ups] == [(ids[0]["id"], "open")]
    assert "来得太晚" in follow_ups[0]["reason"]
    assert town["resident_apis"][0].get("/follow-ups").status_code == 403
    closed = coordinator.post(f"/follow-ups/{follow_ups[0]['id']}/close", json={"note": "已电话致歉，下次优先安排"})
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    assert coordinator.post(f"/follow-ups/{follow_ups[0]['id']}/close", json={"note": "x"}).status_code == 409
    out_of_range = move(town["resident_apis"][0], ids[0]["id"], "rated", rating=6)
    assert out_of_range.status_code == 422 and "rating" in out_of_range.json["errors"]


def test_wish_is_claimed_once_fulfilled_and_confirmed(town):
    resident, coordinator = town["resident_apis"][0], town["coordinator"]
    near_api, far_api = town["volunteer_apis"]
    wish = resident.post("/wishes", json={"title": "想要一本大字版《红楼梦》", "description": "眼睛不好"})
    assert wish.status_code == 201, wish.json
    board = near_api.get("/wishes").json["items"]
    assert [w["id"] for w in board] == [wish.json["id"]] and board[0]["resident_name"] == "李*"
    assert resident.get(f"/wishes/{wish.json['id']}").json["resident_name"] == "李秀英"
    assert move_wish(resident, wish.json["id"], "claimed").status_code == 403
    claims = run_together([lambda api=api: move_wish(api, wish.json["id"], "claimed") for api in (near_api, far_api)])
    assert sorted(r.status_code for r in claims) == [200, 409], [r.json for r in claims]
    winner = near_api if claims[0].status_code == 200 else far_api
    loser = far_api if winner is near_api else near_api
    assert move_wish(loser, wish.json["id"], "fulfilled").status_code == 403
    assert move_wish(winner, wish.json["id"], "fulfilled", note="已送到家").json["state"] == "fulfilled"
    assert resident.get("/notifications", headers=ZH).json["items"][0]["title"] == "微心愿已实现：想要一本大字版《红楼梦》"
    assert resident.get("/notifications").json["items"][0]["title"] == "Wish fulfilled: 想要一本大字版《红楼梦》"
    assert move_wish(resident, wish.json["id"], "confirmed").json["state"] == "confirmed"
    assert move_wish(coordinator, wish.json["id"], "withdrawn").status_code == 409
    assert winner.get("/notifications", headers=ZH).json["items"][0]["title"].startswith("居民已确认：")
    assert winner.get("/notifications").json["items"][0]["body"] == "Thank you for your help!"
    assert near_api.get("/wishes", query_string={"mine": True}).json["total"] == (1 if winner is near_api else 0)


def move_wish(api, wish_id, to, **fields):
    return api.post(f"/wishes/{wish_id}/transitions", json={"to": to, **fields})


def test_the_weekly_plan_takes_requests_and_publishing_dispatches_them(town):
    """A resident's accepted request is a task in the week's roster problem; publishing dispatches it."""
    coordinator = town["coordinator"]
    timed = file(town["resident_apis"][1], town).json
    move(coordinator, timed["id"], "accepted")
    job = coordinator.post("/roster/plan", json={"community_id": town["community"].id, "week": WEEK}).json
    assert coordinator.get(f"/roster/jobs/{job['id']}").json["status"] == "succeeded"
    problem = coordinator.get(f"/roster/weeks/{job['week_id']}/problem").json
    assert f"r{timed['id']}" in {d["id"] for d in problem["demands"]}
    week = coordinator.get(f"/roster/weeks/{job['week_id']}").json
    assert coordinator.post(f"/roster/weeks/{week['id']}/publish", json={"version": week["version"]}).status_code == 201
    after = coordinator.get(f"/service-requests/{timed['id']}").json
    assert after["state"] == "dispatched" and after["volunteer_id"] in {v.id for v in town["volunteers"]}
    replanned = coordinator.get(f"/roster/weeks/{job['week_id']}/problem").json
    assert {"demand": f"r{timed['id']}", "volunteer": f"v{after['volunteer_id']}"} in replanned["pinned"]
