"""How long a certificate's PDF takes to draw, by the number of service records it lists, and the register
workbook by its number of certificates (the median of ``--repeat`` runs). The baseline printed first is
the same certificate's facts written as JSON, what the API answers for it.

    python bench/certificates_bench.py [--repeat 5]

Needs no database: the certificates are built in memory from facts like those issuing freezes.
"""
import argparse
import json
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from volunteer_app import create_app  # noqa: E402
from volunteer_app.certificates import documents  # noqa: E402
from volunteer_app.certificates.models import CertificateState  # noqa: E402

START = date(2026, 1, 1)


def certificate(number: int, records: int):
    facts = {
        "number": f"WB-{number:06d}", "issued_on": "2026-12-03", "replaces": None, "note": "",
        "volunteer": {"name": "张伟", "id_type": "resident_id_card", "id_number": "1101**********002X",
                      "number": "V000001"},
        "period": {"start": START.isoformat(), "end": "2026-11-30"}, "total_minutes": 90 * records,
        "total_hours": f"{1.5 * records:.1f}",
        "records": [{"date": (START + timedelta(days=i % 330)).isoformat(), "content": "敬老院陪护", "minutes": 90,
                     "hours": "1.5"} for i in range(records)],
        "issuer": {"name": "维北社区居民委员会", "person_in_charge": "李主任", "contact": "010-88886666"},
        "handler": "王网格员",
    }
    return SimpleNamespace(facts=facts, number=facts["number"], issued_on=date(2026, 12, 3), period_start=START,
                           period_end=date(2026, 11, 30), state=CertificateState.issued, revoked_at=None,
                           revoke_reason="", replaced_by=None)


def median_ms(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "bench", "SERVER_NAME": "bench.local"})
    with app.test_request_context():
        for records in (10, 100, 1000):
            one = certificate(1, records)
            baseline = median_ms(lambda: json.dumps(one.facts, ensure_ascii=False), args.repeat)
            pdf = median_ms(lambda: documents.certificate_pdf(one), args.repeat)
            size = len(documents.certificate_pdf(one))
            print(f"{records:>5} records: facts as JSON {baseline:8.2f} ms | PDF {pdf:8.1f} ms, {size / 1024:.0f} KiB")
        for count in (100, 1000):
            many = [certificate(n, 20) for n in range(1, count + 1)]
            book = median_ms(lambda: documents.register_workbook(many), args.repeat)
            print(f"register of {count:>5} certificates: {book:8.1f} ms")


if __name__ == "__main__":
    main()
