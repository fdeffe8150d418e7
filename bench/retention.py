#!/usr/bin/env python3
"""Retention figures on PostgreSQL, part of ``make bench``.

    uv run python bench/retention.py [--rows 1000000] [--batch 5000]

Generates ``--rows`` unconverted booking requests past their expiry (spread over 20
clinics, SQL ``generate_series``), then times ``praksis.privacy.retention.sweep`` deleting
them — batches of ``--batch`` claimed with ``FOR UPDATE SKIP LOCKED``, one evidence row
per batch and clinic — beside one raw ``DELETE`` of the same rows generated afresh. Prints
rows/s for both and merges them into var/bench.json under "retention".
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CLINICS = 20


def _with_postgres():
    spec = importlib.util.spec_from_file_location(
        "with_postgres", ROOT / "scripts/with_postgres.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _generate(cursor, clinic_ids: list[int], rows: int) -> None:
    """``rows`` expired, unconverted booking requests, round-robin over the clinics."""
    cursor.execute(
        """
        INSERT INTO booking_bookingrequest
            (clinic_id, first_name, last_name, email, phone, preferred_weekdays,
             preferred_time, source, message, status, decline_reason, created_at, expires_at)
        SELECT (%s::bigint[])[1 + g %% %s], 'Förnamn' || g, 'Efternamn' || g,
               'p' || g || '@example.com', '+4670' || lpad(g::text, 7, '0'), '[]',
               'any', '', '', 'open', '',
               now() - interval '60 days', now() - interval '30 days'
        FROM generate_series(1, %s) AS g
        """,
        [clinic_ids, len(clinic_ids), rows],
    )
    cursor.execute("ANALYZE booking_bookingrequest")


def child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from praksis.clinics.services import clinic_create
    from praksis.privacy import retention

    call_command("migrate", verbosity=0)
    clinic_ids = [
        clinic_create(
            slug=f"bench-{i}",
            name=f"Bench {i}",
            profile="dental",
            regime="NO-human",
            country="NO",
            language="nb",
            time_zone="Europe/Oslo",
        ).pk
        for i in range(CLINICS)
    ]
    rule = next(r for r in retention.RULES if r.name == "booking-requests-expired")
    results: dict = {"rows": args.rows, "batch": args.batch, "clinics": CLINICS}

    with connection.cursor() as cursor:
        _generate(cursor, clinic_ids, args.rows)
    t0 = time.perf_counter()
    outcomes = retention.sweep(rules=[rule], batch_size=args.batch)
    seconds = time.perf_counter() - t0
    swept = sum(o.count for o in outcomes)
    assert swept == args.rows, (swept, args.rows)
    results["sweep"] = {"seconds": round(seconds, 2), "rows_per_s": round(swept / seconds)}

    with connection.cursor() as cursor:
        _generate(cursor, clinic_ids, args.rows)
        t0 = time.perf_counter()
        cursor.execute(
            "DELETE FROM booking_bookingrequest WHERE expires_at <= now() AND status <> 'converted'"
        )
        deleted = cursor.rowcount
        seconds = time.perf_counter() - t0
    assert deleted == args.rows, (deleted, args.rows)
    results["raw DELETE"] = {"seconds": round(seconds, 2), "rows_per_s": round(deleted / seconds)}
    results["sweep / raw"] = round(
        results["sweep"]["rows_per_s"] / results["raw DELETE"]["rows_per_s"], 3
    )
    Path(args.out).write_text(json.dumps(results))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return 0
    with_postgres = _with_postgres()
    out = Path(tempfile.mkdtemp(prefix="praksis-retention-")) / "retention.json"
    with with_postgres.postgres_cluster() as base:
        env = {
            **os.environ,
            "DATABASE_URL": with_postgres.create_database(base, "praksis"),
            "PRAKSIS_ENV": "test",
            "DJANGO_SETTINGS_MODULE": "praksis.settings",
        }
        print(f"retention: {args.rows} expired booking requests ...", flush=True)
        subprocess.run(
            [sys.executable, __file__, "--child", "--out", str(out), *argv],
            env=env,
            check=True,
            cwd=ROOT,
        )
    results = json.loads(out.read_text())
    results["timestamp"] = datetime.now(UTC).isoformat(timespec="seconds")
    print(f"{'retention (PostgreSQL)':32} {'rows':>9} {'seconds':>9} {'rows/s':>10}")
    for name in ("sweep", "raw DELETE"):
        m = results[name]
        print(f"{name:32} {args.rows:>9} {m['seconds']:>9.2f} {m['rows_per_s']:>10}")
    print(f"sweep rate / raw DELETE rate: {results['sweep / raw']}")
    report_path = ROOT / "var/bench.json"
    report_path.parent.mkdir(exist_ok=True)
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    report["retention"] = results
    report_path.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
