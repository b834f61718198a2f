"""The volunteer register (台账) import through the API: a workbook of ``--rows`` rows.

Seeds one community with four grids, a building in each and two skills, writes
an .xlsx as a coordinator would (plain openpyxl, not the app's own writer),
then uploads it to ``/api/v1/import/volunteers`` as an administrator: first as
a dry run (every row checked, nothing kept), then for real. Prints the seconds
and rows per second of each — and, in the same run, of the floor every import
pays (openpyxl reading the workbook's rows), with the ratio to it.

    python bench/import_bench.py [--rows 5000]

Uses a fresh SQLite file in a temporary folder, or ``BENCH_DATABASE_URL``
(PostgreSQL, dropped and created afresh). Exits 1 if the import refused a row
or kept another number of volunteers. Bounded: at most 50,000 rows.
"""
import argparse
import io
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import openpyxl
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench")  # else create_app writes one into instance/

from volunteer_app import create_app  # noqa: E402
from volunteer_app.accounts.models import Role, User  # noqa: E402
from volunteer_app.accounts.service import create_token  # noqa: E402
from volunteer_app.extensions import db  # noqa: E402
from volunteer_app.people.models import Skill, Volunteer  # noqa: E402
from volunteer_app.people.transfer import VOLUNTEERS  # noqa: E402
from volunteer_app.places.models import Building, Community, Grid, Subdistrict  # noqa: E402

MAX_ROWS = 50_000
GRIDS = 4


def seed() -> str:
    """Community ``bench`` with grids bench-g0..3 and a building bench-gN-b in each; an admin's token."""
    subdistrict = Subdistrict(code="bench", name="测试街道")
    db.session.add(subdistrict)
    db.session.flush()
    community = Community(code="bench", name="测试社区", subdistrict_id=subdistrict.id, lat=43.88, lon=125.32)
    db.session.add(community)
    db.session.flush()
    for n in range(GRIDS):
        grid = Grid(code=f"bench-g{n}", name=f"第{n + 1}网格", community_id=community.id, lat=43.88 + n / 1000,
                    lon=125.32)
        db.session.add(grid)
        db.session.flush()
        db.session.add(Building(code=f"{grid.code}-b", name="1号楼", grid_id=grid.id, community_id=community.id,
                                lat=grid.lat + 0.001, lon=grid.lon + 0.001))
    db.session.add_all([Skill(code="haircut", name_zh="理发", name_en="Haircut"),
                        Skill(code="blood_pressure", name_zh="测血压", name_en="Blood pressure check")])
    admin = User(username="bench-admin", display_name="管理员", role=Role.admin, can_view_pii=True)
    db.session.add(admin)
    db.session.flush()
    token = create_token(admin, "bench")[0]
    db.session.commit()
    return token


def workbook(rows: int) -> bytes:
    """``rows`` volunteers with distinct phones, spread over the grids, in the template's columns."""
    headers = [column.header for column in VOLUNTEERS.columns]
    book = openpyxl.Workbook()
    book.active.append(headers)
    for n in range(rows):
        grid = f"bench-g{n % GRIDS}"
        row = {"姓名": "王建国", "手机号": f"139{n:08d}", "社区编码": "bench", "网格编码": grid, "楼栋编码": f"{grid}-b",
               "技能": "理发、blood_pressure", "可服务时间": "工作日 18:00-21:00; 周六 09:00-12:00", "每周最多小时": 6,
               "最远距离(米)": 1500, "状态": "在册", "是否党员": "是", "加入日期": date(2024, 3, 1)}
        book.active.append([row.get(header) for header in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, token: str, data: bytes, dry_run: bool) -> tuple[float, int, dict]:
    started = time.perf_counter()
    response = client.post("/api/v1/import/volunteers", headers={"Authorization": f"Bearer {token}"},
                           content_type="multipart/form-data",
                           data={"file": (io.BytesIO(data), "台账.xlsx"), "dry_run": "true" if dry_run else "false"})
    return time.perf_counter() - started, response.status_code, response.json


def read_rows(data: bytes) -> float:
    """The floor: openpyxl reading every row's values, nothing else."""
    started = time.perf_counter()
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    for _ in book.worksheets[0].iter_rows(values_only=True):
        pass
    book.close()
    return time.perf_counter() - started


def line(label: str, seconds: float, rows: int, floor: float) -> str:
    return f"{label:<34} {seconds:>8.2f} {rows / seconds:>10.0f} {seconds / floor:>9.1f}×"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    if not 1 <= args.rows <= MAX_ROWS:
        raise SystemExit(f"--rows must be 1..{MAX_ROWS}")
    with tempfile.TemporaryDirectory(prefix="import-bench-") as folder:
        database_url = os.environ.get("BENCH_DATABASE_URL")
        if database_url:
            from bench.booking_rush import fresh_database

            fresh_database(database_url)
        else:
            database_url = f"sqlite:///{folder}/bench.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": "memory://"})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            token = seed()
            data = workbook(args.rows)
            print(f"{args.rows} rows, {len(data) / 1024:.0f} KB of .xlsx, on {db.engine.dialect.name}")
            floor = read_rows(data)
            app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})  # warm up, not measured
            checked, checked_status, checked_body = upload(app.test_client(), token, data, dry_run=True)
            imported, status, body = upload(app.test_client(), token, data, dry_run=False)
            kept = db.session.scalar(select(func.count()).select_from(Volunteer))
            db.session.remove()
            db.engine.dispose()
    print(f"\n{'':<34} {'seconds':>8} {'rows/s':>10} {'× floor':>10}")
    print(line("import through the API", imported, args.rows, floor))
    print(line("dry run through the API", checked, args.rows, floor))
    print(line("floor: openpyxl reads the rows", floor, args.rows, floor))
    verdict = "OK" if checked_status == status == 200 and kept == args.rows else "WRONG"
    print(f"\nvolunteers kept: {kept} of {args.rows} (dry run {checked_status}, import {status}) {verdict}")
    if verdict != "OK":
        print((checked_body if checked_status != 200 else body).get("errors", {}).get("rows", [])[:3])
    sys.exit(0 if verdict == "OK" else 1)


if __name__ == "__main__":
    main()
