"""Requests (工单) through the closed loop: one transition table, a history row per move,
deadlines on the station's clock, idempotent filing and one winner among concurrent moves."""
from datetime import datetime, timedelta

from sqlalchemy import func, select

from volunteer_app.extensions import db
from volunteer_app.notifications.models import Notification
from volunteer_app.service_requests import service
from volunteer_app.service_requests.models import RequestEvent, ServiceRequest

from tests.support.concurrency import run_together
from tests.support.services import NOW, file, move


def test_the_closed_loop_from_filing_to_rating(town):
    resident, coordinator = town["resident_apis"][0], town["coordinator"]
    near_api = town["volunteer_apis"][0]
    filed = file(resident, town, key="phone-1")
    assert filed.status_code == 201, filed.json
    request = filed.json
    assert request["state"] == "submitted" and request["due_step"] == "accept"
    assert request["due_at"] == "2026-11-30T09:10" and request["price_points"] == 20
    assert request["next_states"] == ["accepted", "rejected", "cancelled"]

    accepted = move(coordinator, request["id"], "accepted")
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["deadlines"]["dispatch"] == "2026-11-30T09:30"
    assert accepted.json["deadlines"]["resolve"] == "2026-12-01T17:30"  # same day as the preferred window
    dispatched = move(coordinator, request["id"], "dispatched", volunteer_id=town["volunteers"][0].id)
    assert dispatched.status_code == 200, dispatched.json
    assert (dispatched.json["scheduled_start"], dispatched.json["scheduled_end"]) == ("2026-12-01T14:00",
                                                                                      "2026-12-01T15:00")
    week = near_api.get("/my/service-requests", query_string={"week": "2026-W49"}).json
    assert [r["id"] for r in week] == [request["id"]]
    assert town["volunteer_apis"][1].get(f"/service-requests/{request['id']}").status_code == 404

    assert move(near_api, request["id"], "in_progress").status_code == 200
    no_note = move(near_api, request["id"], "resolved")
    assert no_note.status_code == 422 and "note" in no_note.json["errors"]
    resolved = move(near_api, request["id"], "resolved", note="疏通了下水管")
    assert resolved.status_code == 200 and resolved.json["resolution_note"] == "疏通了下水管"
    rated = move(resident, request["id"], "rated", rating=5, comment="很及时")
    assert rated.status_code == 200 and rated.json["state"] == "rated" and rated.json["due_at"] is None

    history = resident.get(f"/service-requests/{request['id']}/transitions").json
    assert [(h["from_state"], h["to_state"]) for h in history] == [
        (None, "submitted"), ("submitted", "accepted"), ("accepted", "dispatched"), ("dispatched", "in_progress"),
        ("in_progress", "resolved"), ("resolved", "rated")]
    assert history[4]["reason"] == "疏通了下水管" and all(h["actor_id"] for h in history)
    assert history[2]["details"]["volunteer_id"] == town["volunteers"][0].id
    reopened = move(coordinator, request["id"], "accepted")
    assert reopened.status_code == 409 and "to" in reopened.json["errors"] and reopened.json["allowed"] == []
    titles = [n["title"] for n in resident.get("/notifications", headers={"Accept-Language": "zh-CN"}).json["items"]]
    assert any(t.startswith("工单已受理：") for t in titles) and any(t.startswith("工单已办结：") for t in titles)
    titles = [n["title"] for n in resident.get("/notifications").json["items"]]
    assert any(t.startswith("Request accepted: ") for t in titles) and any(t.startswith("Request done: ") for t in titles)


def test_illegal_moves_are_409_wrong_people_403_missing_reasons_422(town):
    resident, coordinator = town["resident_apis"][0], town["coordinator"]
    request = file(resident, town).json
    skipped = move(coordinator, request["id"], "resolved", note="x")
    assert skipped.status_code == 409 and skipped.json["allowed"] == ["accepted", "rejected", "cancelled"]
    assert move(resident, request["id"], "accepted").status_code == 403
    no_reason = move(coordinator, request["id"], "rejected")
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    stale = move(coordinator, request["id"], "accepted", version=request["version"] + 5)
    assert stale.status_code == 409 and "version" in stale.json["errors"]
    assert move(resident, request["id"], "cancelled", reason="已自行解决").json["state"] == "cancelled"
    assert move(coordinator, request["id"], "accepted").status_code == 409
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(RequestEvent)) == 2  # refused moves leave no trace


def test_residents_see_only_their_own_requests(town, make_community, make_user, api_as):
    mine = file(town["resident_apis"][0], town).json
    other = town["resident_apis"][1]
    assert other.get(f"/service-requests/{mine['id']}").status_code == 404
    assert move(other, mine["id"], "cancelled").status_code == 404
    assert other.get("/service-requests").json["total"] == 0
    assert town["coordinator"].get("/service-requests").json["total"] == 1
    outsider = api_as(make_user(communities=[make_community()]))
    assert outsider.get(f"/service-requests/{mine['id']}").status_code == 404


def test_bad_input_names_the_field(town, make_community, make_service_type):
    resident = town["resident_apis"][0]
    too_long = file(resident, town, description="长" * 501)
    assert too_long.status_code == 422 and "description" in too_long.json["errors"]
    unknown = file(resident, town, service_type_id=123_456)
    assert unknown.status_code == 422 and unknown.json["error"] == "unknown_service_type"
    assert "service_type_id" in unknown.json["errors"]
    elsewhere = make_service_type(make_community().id, code="elsewhere")
    foreign = file(resident, town, service_type_id=elsewhere.id)
    assert foreign.status_code == 422 and foreign.json["error"] == "unknown_service_type"
    assert "service_type_id" in foreign.json["errors"]
    past = file(resident, town, preferred_windows=[{"start": "2026-11-29T10:00", "end": "2026-11-29T12:00"}])
    assert past.status_code == 422 and past.json["error"] == "window_in_past" and "preferred_windows" in past.json["errors"]
    short = file(resident, town, preferred_windows=[{"start": "2026-12-01T10:00", "end": "2026-12-01T10:30"}])
    assert short.status_code == 422 and short.json["error"] == "window_too_short"
    assert "preferred_windows" in short.json["errors"]
    closed = file(resident, town, service_type_id=town["clinic"].id,  # at the station, which closes at 17:30
                  preferred_windows=[{"start": "2026-12-01T17:25", "end": "2026-12-01T18:30"}])
    assert closed.status_code == 422 and closed.json["error"] == "outside_opening_hours"
    assert "preferred_windows" in closed.json["errors"]
    bad_key = file(resident, town, key="no spaces allowed")
    assert bad_key.status_code == 422
    needs_place = file(town["grid_worker"], town)
    assert needs_place.status_code == 422 and needs_place.json["error"] == "building_required"
    assert "building_id" in needs_place.json["errors"]
    assert db.session.scalar(select(func.count()).select_from(ServiceRequest)) == 0


def test_a_retried_filing_returns_the_first_request(town):
    resident = town["resident_apis"][0]
    first = file(resident, town, key="k-1")
    retry = file(resident, town, key="k-1")
    assert retry.status_code == 200 and retry.json["id"] == first.json["id"]
    different = file(resident, town, key="k-1", description="另一件事")
    assert different.status_code == 409 and different.json["error"] == "idempotency_key_reused"
    assert "Idempotency-Key" in different.json["errors"]
    other_filer = file(town["resident_apis"][1], town, key="k-1")  # keys are per filer
    assert other_filer.status_code == 201 and other_filer.json["id"] != first.json["id"]
    racing = run_together([lambda: file(resident, town, key="k-2") for _ in range(4)])
    assert sorted(r.status_code for r in racing) in ([200, 200, 200, 201],), [r.json for r in racing]
    assert len({r.json["id"] for r in racing}) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ServiceRequest)) == 3


def test_overdue_requests_are_listed_flagged_and_late_moves_marked(town, clock):
    resident, coordinator = town["resident_apis"][0], town["coordinator"]
    request = file(resident, town).json
    assert coordinator.get("/service-requests/overdue").json["total"] == 0
    clock.set(NOW + timedelta(minutes=25))
    overdue = coordinator.get("/service-requests/overdue").json
    assert [r["id"] for r in overdue["items"]] == [request["id"]] and overdue["items"][0]["overdue"]
    assert resident.get("/service-requests/overdue").status_code == 403
    assert service.flag_overdue() == 2  # coordinator and grid worker, once each
    assert service.flag_overdue() == 0
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "overdue")) == 2
    late = move(coordinator, request["id"], "accepted")
    assert late.json["history"][-1]["late"] is True and not late.json["overdue"]
    assert coordinator.get("/service-requests/overdue").json["total"] == 0


def test_accept_clock_waits_for_opening_time(town, clock):
    clock.set(datetime(2026, 12, 4, 20, 0))  # Friday evening: the station reopens Saturday 09:00
    request = file(town["resident_apis"][0], town, preferred_windows=[]).json
    assert request["due_at"] == "2026-12-05T09:10"


def test_escalation_to_a_department_has_its_own_deadline(town):
    coordinator = town["coordinator"]
    request = file(town["resident_apis"][0], town).json
    move(coordinator, request["id"], "accepted")
    missing = move(coordinator, request["id"], "escalated")
    assert missing.status_code == 422 and set(missing.json["errors"]) == {"department", "department_due_at"}
    past = move(coordinator, request["id"], "escalated", department="街道城管科", department_due_at="2026-11-29T12:00")
    assert past.status_code == 422 and "department_due_at" in past.json["errors"]
    escalated = move(coordinator, request["id"], "escalated", department="街道城管科",
                     department_due_at="2026-12-03T17:00", reason="涉及公共管网")
    assert escalated.json["state"] == "escalated" and escalated.json["due_step"] == "department"
    assert escalated.json["due_at"] == "2026-12-03T17:00"
    done = move(coordinator, request["id"], "resolved", note="城管科已更换管道")
    assert done.json["state"] == "resolved" and done.json["due_step"] == "rate"


def test_two_workers_accepting_at_once_one_wins(town):
    coordinator, grid_worker = town["coordinator"], town["grid_worker"]
    for round_number in range(3):
        request = file(town["resident_apis"][0], town).json
        responses = run_together([lambda api=api: move(api, request["id"], "accepted")
                                  for api in (coordinator, grid_worker)])
        assert sorted(r.status_code for r in responses) == [200, 409], [r.json for r in responses]
        db.session.expire_all()
        accepts = db.session.scalar(select(func.count()).select_from(RequestEvent).where(
            RequestEvent.request_id == request["id"], RequestEvent.to_state == "accepted"))
        assert accepts == 1
