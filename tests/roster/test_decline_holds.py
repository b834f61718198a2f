"""A decline is a fact no later step undoes: not the repair, not the next publish,
not a re-solve or a hand edit; only the coordinator's recorded re-ask brings the
volunteer back, and then they must confirm again."""
from sqlalchemy import select

from volunteer_app.accounts.models import AuditLog, User
from volunteer_app.extensions import db
from volunteer_app.notifications.models import Notification

from tests.support.roster import WEEK, plan


def pinned_twice_published_and_declined(district):
    """The reported sequence: pin one volunteer to two duties, publish, she declines one, the repair publishes."""
    api, me = district["coordinator"], district["volunteer_ids"][1]
    week_id = plan(api, district["community_id"])["week_id"]
    week = api.get(f"/roster/weeks/{week_id}").json
    evenings = [d["id"] for d in week["demands"] if d["title"] == "晚间值守"][:2]
    for demand_id in evenings:
        pinned = api.post(f"/roster/weeks/{week_id}/rules", json={"demand_id": demand_id, "volunteer_id": me,
                                                                  "kind": "pinned"})
        assert pinned.status_code == 200, pinned.json
    week = api.get(f"/roster/weeks/{week_id}").json
    assert api.post(f"/roster/weeks/{week_id}/publish", json={"version": week["version"]}).status_code == 201
    mine = district["volunteer_apis"][1].get(f"/my/assignments?week={WEEK}").json
    declined = next(a for a in mine if a["demand_id"] == evenings[0])
    answer = district["volunteer_apis"][1].post(f"/my/assignments/{declined['id']}/answer", json={
        "version": declined["version"], "confirm": False, "reason": "要去医院"})
    assert answer.status_code == 200, answer.json
    assert api.get(f"/roster/jobs/{answer.json['replan_job_id']}").json["status"] == "succeeded"
    return week_id, evenings[0], me


def test_the_decliner_leaves_the_draft_and_the_next_publish_keeps_her_off(district):
    api = district["coordinator"]
    week_id, demand_id, me = pinned_twice_published_and_declined(district)
    week = api.get(f"/roster/weeks/{week_id}").json
    assert week["published_version"] == 2
    on_duty = [p["volunteer_id"] for p in week["draft"] if p["demand_id"] == demand_id]
    assert me not in on_duty and len(on_duty) <= 2  # never 3/2
    live = {(a["demand_id"], a["volunteer_id"]): a for a in week["live"]}
    standing = {pair for pair, a in live.items() if a["status"] in ("assigned", "confirmed")}
    assert {(p["demand_id"], p["volunteer_id"]) for p in week["draft"]} == standing
    assert week["changes_to_publish"] == 0

    told_before = db.session.scalar(select(db.func.count()).select_from(Notification)
                                    .where(Notification.kind == "assigned"))
    again = api.post(f"/roster/weeks/{week_id}/publish", json={"version": week["version"]})
    assert again.status_code == 201 and again.json["added"] == [] and again.json["removed"] == []
    row = api.get(f"/roster/weeks/{week_id}").json["live"]
    mine = next(a for a in row if (a["demand_id"], a["volunteer_id"]) == (demand_id, me))
    assert mine["status"] == "declined" and mine["reason"] == "要去医院"
    assert db.session.scalar(select(db.func.count()).select_from(Notification)
                             .where(Notification.kind == "assigned")) == told_before


def test_no_edit_or_resolve_brings_the_decliner_back(district):
    api = district["coordinator"]
    week_id, demand_id, me = pinned_twice_published_and_declined(district)
    pair = {"demand_id": demand_id, "volunteer_id": me}
    for kind in ("pinned", "clear", "forbidden"):
        refused = api.post(f"/roster/weeks/{week_id}/rules", json={**pair, "kind": kind})
        assert refused.status_code == 409 and "volunteer_id" in refused.json["errors"], refused.json
    drafted = next(p["volunteer_id"] for p in api.get(f"/roster/weeks/{week_id}").json["draft"]
                   if p["demand_id"] == demand_id)
    moved = api.post(f"/roster/weeks/{week_id}/move", json={"demand_id": demand_id, "from_volunteer_id": drafted,
                                                           "to_volunteer_id": me})
    assert moved.status_code == 409, moved.json
    job = api.post(f"/roster/weeks/{week_id}/resolve")
    assert api.get(f"/roster/jobs/{job.json['id']}").json["status"] == "succeeded"
    draft = {(p["demand_id"], p["volunteer_id"]) for p in api.get(f"/roster/weeks/{week_id}").json["draft"]}
    assert (demand_id, me) not in draft


def test_a_recorded_reask_brings_her_back_to_confirm_again(district):
    api = district["coordinator"]
    week_id, demand_id, me = pinned_twice_published_and_declined(district)
    reasked = api.post(f"/roster/weeks/{week_id}/reask", json={"demand_id": demand_id, "volunteer_id": me})
    assert reasked.status_code == 200, reasked.json
    week = reasked.json
    assert (demand_id, me) in {(p["demand_id"], p["volunteer_id"]) for p in week["draft"]}
    assert week["changes_to_publish"] >= 1
    trail = db.session.scalars(select(AuditLog).where(AuditLog.entity == "pair_rules")
                               .order_by(AuditLog.id.desc()).limit(2)).all()
    coordinator_id = db.session.scalar(select(User.id).where(User.username == "coord"))
    assert [(a.action, a.changes.get("kind")) for a in reversed(trail)] == [("delete", "declined"), ("create", "pinned")]
    assert all(a.user_id == coordinator_id for a in trail)  # the coordinator, on record
    published = api.post(f"/roster/weeks/{week_id}/publish", json={"version": week["version"]})
    assert published.status_code == 201 and [demand_id, me] in published.json["added"]
    mine = district["volunteer_apis"][1].get(f"/my/assignments?week={WEEK}").json
    assert next(a for a in mine if a["demand_id"] == demand_id)["status"] == "assigned"
    twice = api.post(f"/roster/weeks/{week_id}/reask", json={"demand_id": demand_id, "volunteer_id": me})
    assert twice.status_code == 422 and "volunteer_id" in twice.json["errors"]


def test_a_week_never_published_has_nothing_published_to_change(district):
    api = district["coordinator"]
    week_id = plan(api, district["community_id"])["week_id"]
    week = api.get(f"/roster/weeks/{week_id}").json
    assert week["changes_to_publish"] == len(week["draft"])
    api.post(f"/roster/weeks/{week_id}/publish", json={"version": week["version"]})
    assert api.get(f"/roster/weeks/{week_id}").json["changes_to_publish"] == 0


def test_the_repair_moves_no_one_but_the_decliner(district):
    """The repair job runs solver.repair: one hole, at most one new person, everyone else where they were."""
    api = district["coordinator"]
    week_id = plan(api, district["community_id"])["week_id"]
    week = api.get(f"/roster/weeks/{week_id}").json
    assert api.post(f"/roster/weeks/{week_id}/publish", json={"version": week["version"]}).status_code == 201
    before = {(a["demand_id"], a["volunteer_id"]) for a in api.get(f"/roster/weeks/{week_id}").json["live"]}
    me = district["volunteer_ids"][1]
    mine = district["volunteer_apis"][1].get(f"/my/assignments?week={WEEK}").json
    assert mine, "the plan gave this volunteer a duty to decline"
    declined = mine[0]
    answer = district["volunteer_apis"][1].post(f"/my/assignments/{declined['id']}/answer", json={
        "version": declined["version"], "confirm": False, "reason": "出差"})
    job = api.get(f"/roster/jobs/{answer.json['replan_job_id']}").json
    assert job["status"] == "succeeded", job
    live = api.get(f"/roster/weeks/{week_id}").json["live"]
    standing = {(a["demand_id"], a["volunteer_id"]) for a in live if a["status"] in ("assigned", "confirmed")}
    kept = before - {(declined["demand_id"], me)}
    assert kept <= standing  # nobody else lost a duty
    added = standing - kept
    assert len(added) <= 1 and all(demand_id == declined["demand_id"] and volunteer_id != me
                                   for demand_id, volunteer_id in added)
