"""A failed or lost plan job says why and leaves the previous draft as it was."""
from datetime import timedelta

from volunteer_app.accounts.policy import Actor
from volunteer_app.extensions import db
from volunteer_app.models_base import utcnow
from volunteer_app.roster import service
from volunteer_app.roster.models import DraftAssignment, JobStatus, PlanJob

from tests.support.roster import WEEK


def test_a_failing_solve_marks_the_job_failed_and_keeps_the_draft(district, monkeypatch):
    api = district["coordinator"]
    first = api.post("/roster/plan", json={"community_id": district["community_id"], "week": WEEK}).json
    week_id = first["week_id"]
    before = sorted((d.demand_id, d.volunteer_id) for d in db.session.query(DraftAssignment).filter_by(week_id=week_id))
    assert before

    def broken_solver(*args, **kwargs):
        raise MemoryError("solver ran out of memory")

    monkeypatch.setattr("solver.solve_dict", broken_solver)
    failed = api.post(f"/roster/weeks/{week_id}/resolve").json
    job = api.get(f"/roster/jobs/{failed['id']}").json
    assert job["status"] == "failed" and "out of memory" in job["error"]
    db.session.expire_all()
    after = sorted((d.demand_id, d.volunteer_id) for d in db.session.query(DraftAssignment).filter_by(week_id=week_id))
    assert after == before


def test_a_job_whose_worker_died_is_reported_failed(district, app_ctx):
    system = Actor.system()
    job = service.request_plan(system, service.week_for(system, district["community_id"], WEEK))
    db.session.commit()
    assert district["coordinator"].post(
        "/roster/plan", json={"community_id": district["community_id"], "week": WEEK}).status_code == 409
    limit = app_ctx.config["ROSTER_TIME_LIMIT_S"] + app_ctx.config["ROSTER_JOB_GRACE_S"]
    job.created_at = utcnow() - timedelta(seconds=limit + 1)
    job.status = JobStatus.running
    db.session.commit()
    seen = district["coordinator"].get(f"/roster/jobs/{job.id}").json
    assert seen["status"] == "failed" and "worker lost" in seen["error"]
    db.session.expire_all()
    assert db.session.get(PlanJob, job.id).status == JobStatus.failed
    assert district["coordinator"].post(
        "/roster/plan", json={"community_id": district["community_id"], "week": WEEK}).status_code == 202
