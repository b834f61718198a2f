"""The reads of a phone's normal day through a real server: gunicorn on PostgreSQL, all on 127.0.0.1.

Loads the demo district into a fresh database, gives its volunteer (volunteer1) and resident
(resident1) ``--items`` of everything they read (tests/support/everyday.py: duties, dispatched
requests, bookings half waiting in line, an event's slots, menu entries, earnings), starts gunicorn,
and keeps ``--clients`` clients (threads, one keep-alive connection each) reading one path at a
time for ``--seconds``: my week, my dispatched requests, my points and statement, my bookings, my
requests, the service menu, an event's slots, and /healthz. Prints req/s, the ratio to a bare Flask
endpoint (no database, no auth) on the same server in the same run (measured before and after the
reads; the ratio uses their mean), and p50/p99 latency. The target of issue 14, printed, not
asserted: every read at ≥ 40 % of bare with p99 < 100 ms at 50 clients.

    python bench/read_paths.py [--quick] [--clients 50] [--seconds 6] [--items 10] [--baseline DIR]

``--baseline DIR`` measures the same reads, on the same database in the same run, served by the code
of another checkout (e.g. ``git archive <commit> | tar -x -C DIR``) to compare before and after: both
servers run side by side and each path is read from one right after the other.
Uses ``BENCH_DATABASE_URL`` (default a fresh ``jmk_read_bench`` database on 127.0.0.1). The two
cores this runs on may be shared: compare ratios to bare from the same run, not raw req/s.
"""
import argparse
import http.client
import os
import statistics
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.booking_rush import BARE_PATH, free_port, fresh_database, start_server  # noqa: E402
from tests.support.everyday import Everyday  # noqa: E402
from volunteer_app import create_app  # noqa: E402
from volunteer_app.accounts.models import User  # noqa: E402
from volunteer_app.accounts.service import create_token  # noqa: E402
from volunteer_app.clock import now_local  # noqa: E402
from volunteer_app.demo import seed as seed_demo  # noqa: E402
from volunteer_app.extensions import db  # noqa: E402
from volunteer_app.people.models import Resident  # noqa: E402
from volunteer_app.places.models import Station, StationType  # noqa: E402
from volunteer_app.service_requests.models import ServiceType  # noqa: E402

TARGET_RATIO, TARGET_P99_MS = 0.40, 100.0


def seed(items: int) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """The demo district plus ``items`` of each everyday thing; the readers' tokens and the reads."""
    today = now_local().date()
    seed_demo(password="bench-password", today=today)
    users = {name: db.session.scalar(select(User).where(User.username == f"{name}1"))
             for name in ("volunteer", "resident")}
    resident = db.session.get(Resident, users["resident"].resident_id)
    station = db.session.scalar(select(Station).where(Station.community_id == resident.community_id,
                                                      Station.station_type == StationType.party_center))
    menu = db.session.scalars(select(ServiceType.id).where(ServiceType.community_id == resident.community_id)
                              .order_by(ServiceType.id).limit(2)).all()
    year, week, _ = today.isocalendar()
    monday = datetime.combine(today - timedelta(days=today.weekday()), datetime.min.time())
    everyday = Everyday(users["volunteer"].volunteer_id, resident.id, users["resident"].id, resident.community_id,
                        resident.grid_id, (station.id, station.lat, station.lon), tuple(menu),
                        f"{year}-W{week:02d}", monday)
    everyday.grow_to(items)
    tokens = {name: create_token(user, "bench")[0] for name, user in users.items()}
    reads = everyday.reads()
    db.session.commit()
    return tokens, reads


def load(port: int, path: str, headers: dict, clients: int, seconds: float, timeout: float) -> dict:
    """``clients`` clients read ``path`` back to back for ``seconds``; statuses, req/s and latencies."""
    barrier = threading.Barrier(clients + 1)
    results: list[list[tuple[int | str, float]]] = [[] for _ in range(clients)]
    stop = [0.0]

    def client(mine: list) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        barrier.wait()
        while time.perf_counter() < stop[0]:
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                status: int | str = response.status
                if response.will_close:
                    connection.close()
            except OSError as exc:  # refused, reset or timed out: counted, and a new connection
                status = type(exc).__name__
                connection.close()
            mine.append((status, time.perf_counter() - started))
        connection.close()

    threads = [threading.Thread(target=client, args=(mine,), daemon=True) for mine in results]
    for thread in threads:
        thread.start()
    stop[0] = time.perf_counter() + seconds
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=seconds + timeout + 5)
    wall = time.perf_counter() - started
    done = [result for mine in results for result in mine]
    latencies = sorted(seconds for _, seconds in done)
    return {
        "statuses": Counter(status for status, _ in done),
        "rps": len(done) / wall,
        "p50": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else float("nan"),
    }


def measure(ports: dict[str, int], reads: dict, tokens: dict, args) -> dict[str, dict[str, dict]]:
    """Bare first, every read, bare again (the ceiling drifts while other work shares the cores); each path
    on every server back to back, so the versions compared meet the same conditions."""
    paths = {"bare Flask endpoint": (BARE_PATH, {}), "/healthz": ("/healthz", {})}
    paths.update({name: ("/api/v1" + path, {"Authorization": f"Bearer {tokens[who]}"})
                  for name, (who, path) in reads.items()})
    for port in ports.values():  # warm up, unmeasured: each worker thread opens its connection
        for path, headers in paths.values():
            load(port, path, headers, args.clients, 0.5, args.timeout)
    outcomes: dict[str, dict[str, dict]] = {label: {} for label in ports}
    for name, (path, headers) in [*paths.items(), ("bare Flask endpoint, again", paths["bare Flask endpoint"])]:
        for label, port in ports.items():
            outcomes[label][name] = load(port, path, headers, args.clients, args.seconds, args.timeout)
    return outcomes


def report(title: str, outcomes: dict[str, dict]) -> None:
    bare = statistics.mean(outcomes[name]["rps"] for name in ("bare Flask endpoint", "bare Flask endpoint, again"))
    print(f"\n{title}\nbare ceiling {bare:.0f} req/s (mean of the two bare runs)\n")
    print(f"{'':<28} {'ok':>7} {'errors':<16} {'req/s':>7} {'÷ bare':>7} {'p50 ms':>7} {'p99 ms':>7}  target")
    for name, outcome in outcomes.items():
        errors = ", ".join(f"{status}×{n}" for status, n in sorted(outcome["statuses"].items(), key=str)
                           if status != 200) or "-"
        ratio = outcome["rps"] / bare
        met = "" if name.startswith("bare") else (
            "met" if ratio >= TARGET_RATIO and outcome["p99"] < TARGET_P99_MS else "missed")
        print(f"{name:<28} {outcome['statuses'][200]:>7} {errors:<16} {outcome['rps']:>7.0f} {ratio:>7.3f} "
              f"{outcome['p50']:>7.1f} {outcome['p99']:>7.1f}  {met}")


def serve_and_measure(codes: dict[str, Path], database_url: str, reads: dict, tokens: dict, args) -> dict:
    """One gunicorn per checkout in ``codes`` (idle while another is measured); the outcomes by label."""
    servers, ports = [], {}
    try:
        for label, code in codes.items():
            ports[label] = free_port()
            servers.append(start_server(ports[label], database_url, args.workers, args.threads, int(args.timeout),
                                        code))
        return measure(ports, reads, tokens, args)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=6.0, help="per path")
    parser.add_argument("--items", type=int, default=10, help="duties, requests, bookings … of each reader")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--baseline", type=Path, help="a checkout whose code to measure too, in the same run")
    parser.add_argument("--quick", action="store_true", help="2 seconds a path")
    args = parser.parse_args()
    if args.quick:
        args.seconds = 2.0
    if not 1 <= args.clients <= 500 or not 1 <= args.items <= 200 or not 0.5 <= args.seconds <= 60:
        raise SystemExit("--clients must be 1..500, --items 1..200 and --seconds 0.5..60")
    if args.baseline is not None and not (args.baseline / "volunteer_app").is_dir():
        raise SystemExit(f"--baseline {args.baseline} is not a checkout of this app")
    started = time.monotonic()
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/jmk_read_bench")
    fresh_database(database_url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        tokens, reads = seed(args.items)
        db.engine.dispose()
    print(f"demo district and {args.items} items of each read seeded in {time.monotonic() - started:.1f} s")
    setting = (f"gunicorn {args.workers} workers × {args.threads} threads on 127.0.0.1, PostgreSQL; "
               f"{args.clients} clients, {args.seconds:g} s a path")
    codes = {f"baseline code of {args.baseline}": args.baseline.resolve()} if args.baseline else {}
    outcomes = serve_and_measure({**codes, "this code": ROOT}, database_url, reads, tokens, args)
    for label, measured in outcomes.items():
        report(f"{setting}; {label}", measured)
    print(f"\ntarget: every read ≥ {TARGET_RATIO:.0%} of bare req/s with p99 < {TARGET_P99_MS:.0f} ms")


if __name__ == "__main__":
    main()
