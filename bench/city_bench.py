"""City-scale planning through real Celery workers on the local Redis.

Seeds N communities (default 50, 300 volunteers each, 3 stations with evening
and weekend duty), then plans one week for every community — one job per
community, as ``flask roster plan`` does — with 1 and then 2 worker processes,
and prints per-community and total wall times.

    python bench/city_bench.py [--communities 50] [--volunteers 300] [--workers 1 2]

Uses PostgreSQL (``BENCH_DATABASE_URL``, default a fresh ``jmk_bench`` database
on 127.0.0.1) and Redis (``BENCH_REDIS_URL``, default db 13), both on loopback.
"""
import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date, time as clock_time
from pathlib import Path

import redis
from sqlalchemy import create_engine, delete, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from volunteer_app import create_app, jobs  # noqa: E402
from volunteer_app.accounts.scoping import use_system_scope  # noqa: E402
from volunteer_app.extensions import db  # noqa: E402
from volunteer_app.people.models import AvailabilitySlot, DaySelector, Skill, Volunteer  # noqa: E402
from volunteer_app.places.models import Community, Grid, Station, StationType, Subdistrict  # noqa: E402
from volunteer_app.roster import service  # noqa: E402
from volunteer_app.roster.models import JobStatus, PlanJob, RosterWeek, ShiftTemplate  # noqa: E402

WEEK = "2026-W49"
SKILLS = ("first_aid", "haircut", "clinic", "repair", "legal")


def fresh_database(url: str) -> None:
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1]
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()


def seed(communities: int, volunteers: int, rng: random.Random) -> None:
    """Bulk-built records (the registry's rules are tested elsewhere; this measures planning)."""
    skills = [Skill(code=c, name_zh=c, name_en=c) for c in SKILLS]
    subdistrict = Subdistrict(code="city", name="市区")
    db.session.add_all(skills + [subdistrict])
    db.session.flush()
    for n in range(communities):
        lat, lon = 43.80 + rng.random() * 0.2, 125.20 + rng.random() * 0.3
        community = Community(code=f"c{n:03d}", name=f"社区{n:03d}", subdistrict_id=subdistrict.id, lat=lat, lon=lon)
        db.session.add(community)
        db.session.flush()
        grids = [Grid(code=f"c{n:03d}g{g}", name=f"网格{g}", community_id=community.id,
                      lat=lat + rng.uniform(-0.01, 0.01), lon=lon + rng.uniform(-0.01, 0.01)) for g in range(4)]
        db.session.add_all(grids)
        db.session.flush()
        stations = [Station(code=f"c{n:03d}s{s}", name=f"驿站{s}", station_type=StationType.red_post,
                            community_id=community.id, lat=grids[s].lat, lon=grids[s].lon, address="",
                            opening_hours=[], closures=[]) for s in range(3)]
        db.session.add_all(stations)
        db.session.flush()
        for station in stations:
            for weekday in range(7):
                bands = [("18:00", "20:00")] if weekday < 5 else [("09:00", "12:00"), ("14:00", "17:00")]
                for start, end in bands:
                    db.session.add(ShiftTemplate(
                        station_id=station.id, community_id=community.id, weekday=weekday,
                        start=clock_time.fromisoformat(start), end=clock_time.fromisoformat(end),
                        needed=rng.choice((1, 2, 2, 3)), priority=rng.randint(2, 6),
                        skills=[rng.choice(SKILLS)] if rng.random() < 0.2 else []))
        for v in range(volunteers):
            grid = rng.choice(grids)
            kind = rng.random()
            slots = ([(DaySelector.workdays, "18:00", "21:00"), (DaySelector.rest_days, "09:00", "17:00")]
                     if kind < 0.3 else [(DaySelector.workdays, "08:30", "17:30")] if kind < 0.7
                     else [(DaySelector.rest_days, "08:00", "18:00")])
            volunteer = Volunteer(
                name=f"志愿者{v}", phone=f"13{n:03d}{v:06d}", community_id=community.id, grid_id=grid.id,
                lat=grid.lat + rng.uniform(-0.004, 0.004), lon=grid.lon + rng.uniform(-0.004, 0.004),
                max_hours_per_week=rng.choice((4, 6, 8)), max_distance_m=rng.choice((1500, 2500, 4000)),
                joined_on=date(2026, 1, 1))
            volunteer.skills = rng.sample(skills, k=rng.choice((0, 1, 1, 2)))
            volunteer.availability = [AvailabilitySlot(days=d, start=clock_time.fromisoformat(s),
                                                       end=clock_time.fromisoformat(e)) for d, s, e in slots]
            db.session.add(volunteer)
        db.session.commit()


def start_workers(count: int, database_url: str, redis_url: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": "bench",
           "ROSTER_SOLVER_WORKERS": "1", "ROSTER_TIME_LIMIT_S": os.environ.get("ROSTER_TIME_LIMIT_S", "10")}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "volunteer_app.worker", "worker", "--concurrency", str(count),
         "--pool", "prefork", "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def plan_all(worker_count: int, database_url: str, redis_url: str) -> tuple[float, list[tuple[str, float, int, int]]]:
    db.session.execute(delete(RosterWeek))
    db.session.commit()
    workers = start_workers(worker_count, database_url, redis_url)
    try:
        time.sleep(6)  # let the workers import the solver before the clock starts
        started = time.monotonic()
        queued = []
        for community in db.session.scalars(select(Community).order_by(Community.code)):
            job = service.request_plan(service.week_for(community.id, WEEK), None)
            db.session.commit()
            queued.append((community.code, job.id))
        for _, job_id in queued:
            jobs.enqueue(service.PLAN_JOB, job_id)
        while True:
            db.session.expire_all()
            pending = db.session.scalar(select(db.func.count()).select_from(PlanJob).where(
                PlanJob.status.in_([JobStatus.queued, JobStatus.running])))
            db.session.commit()
            if not pending:
                break
            time.sleep(0.5)
        wall = time.monotonic() - started
    finally:
        workers.terminate()
        workers.wait(timeout=30)
    rows = []
    for code, job_id in queued:
        job = db.session.get(PlanJob, job_id)
        coverage = job.summary.get("scores", {}).get("coverage", 0) if job.status == JobStatus.succeeded else -1
        bound = job.summary.get("bound", {}).get("coverage", 0) if job.status == JobStatus.succeeded else -1
        rows.append((code, job.elapsed_s, coverage, bound))
    return wall, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--communities", type=int, default=50)
    parser.add_argument("--volunteers", type=int, default=300)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/jmk_bench")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    fresh_database(database_url)
    redis.Redis.from_url(redis_url).flushdb()
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        use_system_scope()
        started = time.monotonic()
        seed(args.communities, args.volunteers, random.Random(7))
        print(f"seeded {args.communities} communities × {args.volunteers} volunteers in {time.monotonic() - started:.1f} s")
        results = {}
        for count in args.workers:
            results[count] = plan_all(count, database_url, redis_url)
        print()
        header = f"{'community':<10}" + "".join(f" {'w=' + str(c) + ' s':>9} {'cov':>6} {'bound':>6}" for c in args.workers)
        print(header)
        codes = [r[0] for r in results[args.workers[0]][1]]
        for i, code in enumerate(codes):
            line = f"{code:<10}"
            for count in args.workers:
                _, seconds, coverage, bound = results[count][1][i]
                line += f" {seconds:>9.2f} {coverage:>6} {bound:>6}"
            print(line)
        print()
        base = results[args.workers[0]][0]
        for count in args.workers:
            wall, rows = results[count]
            per_job = statistics.median(r[1] for r in rows)
            failed = sum(1 for r in rows if r[2] < 0)
            print(f"workers={count}: total wall {wall:.1f} s, median per community {per_job:.2f} s, "
                  f"failed {failed}, speed-up vs workers={args.workers[0]}: {base / wall:.2f}×")


if __name__ == "__main__":
    main()
