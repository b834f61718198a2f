"""The last-places rush through a real server: gunicorn on PostgreSQL, all on 127.0.0.1.

Seeds one community with an event of ``--places`` places (one slot: everyone
wants the same one) and ``--clients`` residents with their own API tokens,
starts gunicorn, then fires every booking at once and prints bookings made
(must equal the places), errors by status, requests per second and p50/p99
latency — and the same figures, in the same run on the same server, for a
bare Flask endpoint (no database, no auth) as the ceiling.

    python bench/booking_rush.py [--clients 1000] [--places 50] [--workers 4] [--threads 4]

Uses ``BENCH_DATABASE_URL`` (default a fresh ``jmk_booking_bench`` database on
127.0.0.1); the server listens on 127.0.0.1 only. Exits 1 if more or fewer
places were booked than exist. Bounded: at most 5,000 clients, each request
times out after ``--timeout`` seconds, and the whole run after ``--time-limit``.
"""
import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from volunteer_app import create_app  # noqa: E402
from volunteer_app.accounts.models import Role, User  # noqa: E402
from volunteer_app.accounts.service import create_token  # noqa: E402
from volunteer_app.extensions import db  # noqa: E402
from volunteer_app.people.models import Resident  # noqa: E402
from volunteer_app.places.models import Building, Community, Grid, Station, StationType, Subdistrict  # noqa: E402
from volunteer_app.service_requests.models import (  # noqa: E402
    Booking, BookingStatus, ServiceEvent, ServiceSlot, ServiceType,
)
from volunteer_app.validation import CHINA_TIME  # noqa: E402

MAX_CLIENTS = 5000
BARE_PATH = "/bench/bare"


def bench_app():
    """The app gunicorn serves here: the real one, plus one bare endpoint as the ceiling."""
    app = create_app()

    @app.get(BARE_PATH)
    def bare():
        return "ok"

    return app


def fresh_database(url: str) -> None:
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1]
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()


def seed(clients: int, places: int) -> tuple[int, list[str]]:
    """One event slot with ``places`` places tomorrow, and ``clients`` residents with tokens."""
    subdistrict = Subdistrict(code="bench", name="测试街道")
    db.session.add(subdistrict)
    db.session.flush()
    community = Community(code="bench", name="测试社区", subdistrict_id=subdistrict.id, lat=43.88, lon=125.32)
    db.session.add(community)
    db.session.flush()
    grid = Grid(code="bench-g", name="第一网格", community_id=community.id, lat=43.88, lon=125.32)
    db.session.add(grid)
    db.session.flush()
    building = Building(code="bench-b", name="1号楼", grid_id=grid.id, community_id=community.id, lat=43.881, lon=125.321)
    station = Station(code="bench-s", name="党群服务站", station_type=StationType.party_center, community_id=community.id,
                      lat=43.88, lon=125.32, closed_on_holidays=False, closures=[],
                      opening_hours=[{"weekday": d, "start": "08:00", "end": "20:00"} for d in range(7)])
    db.session.add_all([building, station])
    db.session.flush()
    clinic = ServiceType(community_id=community.id, code="clinic", name="义诊", station_id=station.id, time_limits={})
    db.session.add(clinic)
    db.session.flush()
    start = datetime.combine(datetime.now(CHINA_TIME).date() + timedelta(days=1), datetime.min.time()).replace(hour=10)
    event = ServiceEvent(community_id=community.id, service_type_id=clinic.id, station_id=station.id, title="义诊",
                         starts_at=start, ends_at=start + timedelta(minutes=30), slot_minutes=30,
                         capacity_per_slot=places)
    event.slots = [ServiceSlot(starts_at=start, ends_at=start + timedelta(minutes=30), capacity=places, booked=0)]
    db.session.add(event)
    residents = [Resident(name=f"居民{i}", phone=f"13{i:09d}", community_id=community.id, grid_id=grid.id,
                          building_id=building.id) for i in range(clients)]
    db.session.add_all(residents)
    db.session.flush()
    users = [User(username=f"r{i}", display_name=r.name, role=Role.resident, resident_id=r.id)
             for i, r in enumerate(residents)]
    db.session.add_all(users)
    db.session.flush()
    tokens = [create_token(user, "bench")[0] for user in users]
    db.session.commit()
    return event.slots[0].id, tokens


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, database_url: str, workers: int, threads: int, timeout: int,
                 code: Path = ROOT) -> subprocess.Popen:
    """gunicorn serving ``bench_app`` of the checkout ``code`` (another one than this to compare versions)."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench", "REDIS_URL": ""}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--threads", str(threads), "--worker-class", "gthread", "--backlog", "4096", "--timeout", str(timeout),
         "--preload",  # the app is built once before forking: every worker is ready when the rush starts
         "--log-level", "warning", "bench.booking_rush:bench_app()"],
        cwd=code, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", BARE_PATH)
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start within 30 s")


def rush(port: int, calls: list[tuple[str, str, bytes | None, dict]], timeout: float, limit: float) -> dict:
    """Fire all calls at the same instant, one connection each; statuses and latencies."""
    results: list[tuple[int | str, float] | None] = [None] * len(calls)
    barrier = threading.Barrier(len(calls) + 1)

    def client(index: int, method: str, path: str, body: bytes | None, headers: dict) -> None:
        barrier.wait()
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            status: int | str = response.status
            connection.close()
        except OSError as exc:  # refused, reset or timed out: counted, never fatal
            status = type(exc).__name__
        results[index] = (status, time.perf_counter() - started)

    threads = [threading.Thread(target=client, args=(i, *call), daemon=True) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=max(0.0, limit - (time.perf_counter() - started)))
    wall = time.perf_counter() - started
    done = [r for r in results if r is not None]
    latencies = sorted(seconds for _, seconds in done)
    return {
        "statuses": Counter(status for status, _ in done) + Counter({"unfinished": len(calls) - len(done)}),
        "wall": wall,
        "rps": len(done) / wall if wall else 0.0,
        "p50": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else float("nan"),
    }


def line(label: str, outcome: dict, ok: int) -> str:
    errors = ", ".join(f"{status}×{n}" for status, n in sorted(outcome["statuses"].items(), key=str)
                       if status != ok and n) or "-"
    return (f"{label:<22} {outcome['statuses'][ok]:>6} {errors:<24} {outcome['rps']:>8.0f} "
            f"{outcome['p50']:>8.1f} {outcome['p99']:>8.1f} {outcome['wall']:>7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--places", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds for the whole run")
    args = parser.parse_args()
    if not 1 <= args.clients <= MAX_CLIENTS or not 1 <= args.places <= 500:
        raise SystemExit(f"--clients must be 1..{MAX_CLIENTS} and --places 1..500")
    run_started = time.monotonic()
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/jmk_booking_bench")
    fresh_database(database_url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        slot_id, tokens = seed(args.clients, args.places)
        event_id = db.session.get(ServiceSlot, slot_id).event_id
    print(f"seeded {args.clients} residents and a slot of {args.places} places "
          f"in {time.monotonic() - run_started:.1f} s")
    port = free_port()
    server = start_server(port, database_url, args.workers, args.threads, int(args.timeout))
    try:
        # Warm up (not measured): every worker thread opens its database connection.
        rush(port, [("GET", f"/api/v1/service-events/{event_id}/slots", None, {"Authorization": f"Bearer {token}"})
                    for token in tokens[:4 * args.workers * args.threads]], args.timeout, 60)
        left = args.time_limit - (time.monotonic() - run_started)
        body = json.dumps({"slot_id": slot_id}).encode()
        booking = rush(port, [("POST", "/api/v1/bookings", body, {
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"}) for token in tokens],
            args.timeout, left / 2)
        left = args.time_limit - (time.monotonic() - run_started)
        bare = rush(port, [("GET", BARE_PATH, None, {})] * args.clients, args.timeout, left)
    finally:
        server.terminate()
        server.wait(timeout=30)
    with app.app_context():
        made = db.session.scalar(select(func.count()).select_from(Booking).where(
            Booking.slot_id == slot_id, Booking.status == BookingStatus.booked))
        counter = db.session.get(ServiceSlot, slot_id).booked
        db.engine.dispose()
    print(f"\ngunicorn {args.workers} workers × {args.threads} threads on 127.0.0.1, PostgreSQL; "
          f"{args.clients} concurrent clients\n")
    print(f"{'':<22} {'ok':>6} {'errors by status':<24} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'wall s':>7}")
    print(line("book the last places", booking, 201))
    print(line("bare Flask endpoint", bare, 200))
    verdict = "OK" if made == counter == args.places else "WRONG"
    print(f"\nbookings made: {made} (slot counter {counter}, capacity {args.places}) {verdict}")
    sys.exit(0 if verdict == "OK" else 1)


if __name__ == "__main__":
    main()
