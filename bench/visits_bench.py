"""Visit figures at city scale: 走访覆盖率, overdue priority-group visits and the 台账 on PostgreSQL.

Seeds ``--communities`` communities (4 grids each) of ``--residents`` households, a third of them in a
priority group, with three months of visits (a few each, some raising needs), then prints how long the
city's month report, one coordinator's and one grid worker's, the overdue count (the to-do list's),
the first page of the overdue list and of the households checklist, and one community's month of the
台账 take (the median of ``--repeat`` runs).

    python bench/visits_bench.py [--communities 50] [--residents 2000] [--repeat 5]

Uses ``BENCH_DATABASE_URL`` (default a fresh ``jmk_visits_bench`` database on 127.0.0.1).
"""
import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from volunteer_app import create_app  # noqa: E402
from volunteer_app.accounts.models import CoordinatorScope, Role, User  # noqa: E402
from volunteer_app.accounts.policy import Actor  # noqa: E402
from volunteer_app.extensions import db  # noqa: E402
from volunteer_app.people.models import PriorityGroup, Resident, ResidentPriorityGroup  # noqa: E402
from volunteer_app.places.models import Building, Community, Grid, Subdistrict  # noqa: E402
from volunteer_app.visits import exports, service  # noqa: E402
from volunteer_app.visits.models import Visit, VisitFrequency, VisitKind, VisitNeed  # noqa: E402

TODAY = date(2026, 11, 30)
GRIDS, BUILDINGS = 4, 5  # per community, per grid


def fresh_database() -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS jmk_visits_bench"))
        connection.execute(text("CREATE DATABASE jmk_visits_bench"))
    admin.dispose()
    return "postgresql+psycopg://postgres@127.0.0.1:5432/jmk_visits_bench"


def seed(communities: int, residents: int, rng: random.Random) -> dict:
    now = datetime.now()
    district = Subdistrict(code="SD", name="南关街道")
    db.session.add(district)
    db.session.flush()
    people, groups, visits, needs = [], [], [], []
    first_community = first_grid = None
    for c in range(communities):
        community = Community(code=f"C{c}", name=f"社区{c}", subdistrict_id=district.id)
        db.session.add(community)
        db.session.flush()
        grids = [Grid(code=f"C{c}G{g}", name=f"第{g + 1}网格", community_id=community.id, lat=43.88, lon=125.32)
                 for g in range(GRIDS)]
        db.session.add_all(grids)
        db.session.flush()
        buildings = [Building(code=f"{grid.code}B{b}", name=f"{b + 1}号楼", grid_id=grid.id,
                              community_id=community.id, lat=43.88, lon=125.32)
                     for grid in grids for b in range(BUILDINGS)]
        db.session.add_all(buildings)
        db.session.flush()
        first_community, first_grid = first_community or community, first_grid or grids[0]
        for n in range(residents):
            building = buildings[n % len(buildings)]
            people.append({"name": f"居民{c}-{n}", "phone": f"13{c:03d}{n:06d}"[:11], "community_id": community.id,
                           "grid_id": building.grid_id, "building_id": building.id, "household": f"{n}",
                           "notes": "", "version": 1, "created_at": now, "updated_at": now})
    db.session.execute(insert(Resident), people)
    rows = db.session.execute(select(Resident.id, Resident.community_id, Resident.grid_id, Resident.building_id))
    for resident_id, community_id, grid_id, building_id in rows:
        priority = rng.random() < 0.33
        if priority:
            groups.append({"resident_id": resident_id, "group": rng.choice(list(PriorityGroup))})
        for _ in range(rng.randint(2, 5) if priority else rng.randint(0, 3)):
            visits.append({"community_id": community_id, "grid_id": grid_id, "building_id": building_id,
                           "resident_id": resident_id, "visited_at": datetime.combine(
                               TODAY - timedelta(days=rng.randint(0, 90)), datetime.min.time()).replace(hour=10),
                           "kind": VisitKind.key_group if priority else VisitKind.routine, "findings": "良好",
                           "version": 1, "created_at": now, "updated_at": now})
    db.session.execute(insert(ResidentPriorityGroup), groups)
    db.session.execute(insert(Visit), visits)
    for visit_id in db.session.scalars(select(Visit.id)):
        if rng.random() < 0.1:
            needs.append({"visit_id": visit_id, "description": "楼道灯不亮", "solved_on_spot": rng.random() < 0.4,
                          "created_at": now, "updated_at": now})
    if needs:
        db.session.execute(insert(VisitNeed), needs)
    db.session.add(VisitFrequency(community_id=first_community.id, group=PriorityGroup.disabled, every_days=14))
    users = {"admin": User(username="admin", display_name="管理员", role=Role.admin, password_hash="x"),
             "coordinator": User(username="coord", display_name="社区", role=Role.coordinator, password_hash="x"),
             "grid_worker": User(username="grid", display_name="网格员", role=Role.coordinator, password_hash="x")}
    users["coordinator"].scopes = [CoordinatorScope(community_id=first_community.id)]
    users["grid_worker"].scopes = [CoordinatorScope(grid_id=first_grid.id)]
    db.session.add_all(users.values())
    db.session.commit()
    return {"users": users, "community_id": first_community.id, "visits": len(visits), "needs": len(needs),
            "residents": len(people), "priority": len(groups)}


def timed(repeat: int, call) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
        db.session.rollback()
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--communities", type=int, default=50)
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database()})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        started = time.perf_counter()
        seeded = seed(args.communities, args.residents, random.Random(13))
        print(f"seeded {seeded['residents']:,} households ({seeded['priority']:,} in a priority group), "
              f"{seeded['visits']:,} visits, {seeded['needs']:,} needs in {time.perf_counter() - started:.0f} s")
        db.session.execute(text("ANALYZE"))
        actors = {name: Actor.of(db.session.merge(user)) for name, user in seeded["users"].items()}
        page = {"page": 1, "per_page": 20}
        november = (date(2026, 11, 1), date(2026, 12, 1))
        for name, actor in actors.items():
            report = service.report(actor, *november, today=TODAY)["totals"]
            print(f"{name:12} coverage {report.coverage:.1%} of {report.households:,} households, "
                  f"{report.key_group_overdue:,} overdue")
            print(f"  report {timed(args.repeat, lambda: service.report(actor, *november, today=TODAY)):8.1f} ms"
                  f"  overdue count {timed(args.repeat, lambda: service.overdue_count(actor, TODAY)):7.1f} ms"
                  f"  overdue page {timed(args.repeat, lambda: service.overdue(actor, page, TODAY)):7.1f} ms"
                  f"  households page {timed(args.repeat, lambda: service.households(actor, page)):7.1f} ms")
        ledger = {"community_id": seeded["community_id"], "month": date(2026, 11, 1)}
        size = len(exports.ledger_workbook(actors["coordinator"], ledger))
        print(f"one community's November 台账: {size / 1024:.0f} KiB in "
              f"{timed(args.repeat, lambda: exports.ledger_workbook(actors['coordinator'], ledger)):.0f} ms")


if __name__ == "__main__":
    main()
