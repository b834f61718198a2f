"""A real Celery worker on the real Redis plans a week (the city-scale path)."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from volunteer_app import jobs
from volunteer_app.extensions import db
from volunteer_app.roster.models import JobStatus, PlanJob

from tests.support.roster import WEEK

#: A database of its own for each engine's run, so the SQLite and PostgreSQL suites can run side by side
#: without one's worker taking (or one's flush dropping) the other's jobs.
REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/{}".format(
    15 if os.environ.get("TEST_DATABASE_URL") else 14)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def redis_queue(app, monkeypatch):
    """Point the job queue at Redis for one test, then back to in-process jobs."""
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.extensions, "celery", app.extensions["celery"])  # put back afterwards
    jobs.init_app(app)
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture()
def worker(redis_queue, database_url, tmp_path):
    log_path = tmp_path / "worker.log"
    log = open(log_path, "w")  # a file, not a pipe: a chatty worker must never block on a full pipe
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_queue, "SECRET_KEY": "worker-test",
           "ROSTER_SOLVER_WORKERS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "volunteer_app.worker", "worker", "--concurrency", "1",
         "--pool", "solo", "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log_path = log_path
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def wait_for(job_id: int, worker: subprocess.Popen, timeout: float = 120) -> PlanJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        job = db.session.get(PlanJob, job_id)
        if job.status in (JobStatus.succeeded, JobStatus.failed):
            return job
        db.session.commit()
        if worker.poll() is not None:
            raise AssertionError(f"worker exited {worker.returncode}: {worker.log_path.read_text()[-3000:]}")
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} still {job.status} after {timeout} s; worker said: "
                         f"{worker.log_path.read_text()[-3000:]}")


def test_worker_process_plans_a_week_through_redis(district, worker):
    api = district["coordinator"]
    queued = api.post("/roster/plan", json={"community_id": district["community_id"], "week": WEEK})
    assert queued.status_code == 202
    assert queued.json["status"] == "queued"  # not run in the web process
    job = wait_for(queued.json["id"], worker)
    assert job.status == JobStatus.succeeded, job.error
    assert job.summary["scores"]["coverage"] == 18
    week = api.get(f"/roster/weeks/{job.week_id}").json
    assert len(week["draft"]) == 6
