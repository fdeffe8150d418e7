#!/usr/bin/env python3
"""The journal PDF and the access report, measured on their own (issue 18).

    uv run python bench/pdf.py [--entries 520] [--bookings 200] [--repeat 3] [--profile]
    PRAKSIS_ENV=test uv run python scripts/with_postgres.py -- uv run python bench/pdf.py

Sets up one optician clinic in a fresh database (a temporary SQLite file unless
``DATABASE_URL`` is set), writes the entries (every tenth with an amendment) and the
past bookings through the services, then times ``journal_pdf`` and ``access_report_pdf``
(best and median of ``--repeat``, and the best CPU time of the process, steadier while
others use the cores), their pages, their size, the peak of Python's own
allocations while rendering (tracemalloc) and the growth of the process's peak RSS.
``--entries 130,520`` measures several lengths in one run, so memory can be compared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pages(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def _measure(render, repeat: int, *, memory: bool) -> dict:
    timings, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        pdf = render()
        timings.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    out = {
        "best_s": round(min(timings), 3),
        "median_s": round(statistics.median(timings), 3),
        "cpu_best_s": round(min(cpu), 3),
        "pages": _pages(pdf),
        "bytes": len(pdf),
    }
    if memory:
        tracemalloc.start()
        render()
        out["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", default="520", help="comma-separated lengths")
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile one render of each")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--out", help="write the figures as JSON here")
    args = parser.parse_args()

    os.environ.setdefault("PRAKSIS_ENV", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "praksis.settings")
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='praksis-pdf-')}/db"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from praksis.booking.models import Appointment, Practitioner, Service
    from praksis.clinics.access import Actor
    from praksis.clinics.services import clinic_create, staff_add
    from praksis.journal.pdf import journal_pdf
    from praksis.journal.services import entry_create, followup_add
    from praksis.people.generate import generate_persons
    from praksis.people.models import Person
    from praksis.privacy.requests import access_report_pdf, request_create

    call_command("migrate", verbosity=0)
    clinic = clinic_create(
        slug="pdf-klinik",
        name="PDF Klinik",
        profile="optician",
        regime="SE-human",
        country="SE",
        language="sv",
        time_zone="Europe/Stockholm",
    )
    owner = staff_add(
        clinic=clinic,
        email="owner@pdf.test",
        full_name="Bench Owner",
        role="owner",
        password="bench-password-1",
    )
    actor = Actor(clinic=clinic, user=owner, role="owner", request_id="bench")
    practitioner = Practitioner.objects.create(clinic=clinic, name="Behandlare 1")
    service = Service.objects.create(clinic=clinic, name="Kontroll", duration_minutes=15)
    lengths = [int(n) for n in args.entries.split(",")]
    generate_persons(clinic, len(lengths), seed=7)
    people = list(Person.objects.filter(clinic=clinic).order_by("pk"))
    today = datetime.now(clinic.zone).date()
    results: dict = {"database": connection.vendor, "cores": os.cpu_count()}
    for person, n in zip(people, lengths, strict=True):
        t0 = time.perf_counter()
        for i in range(n):
            entry = entry_create(
                actor=actor,
                person_id=person.pk,
                text=f"Anteckning {i}: synundersökning utan anmärkning. " * 3,
                fields={"sphere_right": "-1.25", "axis_right": 90},
                sign=True,
            )
            if i % 10 == 0:
                followup_add(
                    actor=actor,
                    entry_id=entry.pk,
                    kind="amendment",
                    text="Rättelse: +0,25.",
                    reason="Felskrivning",
                )
        first = datetime.combine(today - timedelta(days=800), dtime(9), tzinfo=clinic.zone)
        Appointment.objects.bulk_create(
            Appointment(
                clinic=clinic,
                practitioner=practitioner,
                service=service,
                person=person,
                start=first + timedelta(days=i * 3),
                end=first + timedelta(days=i * 3, minutes=15),
                busy_until=first + timedelta(days=i * 3, minutes=15),
                status=Appointment.Status.COMPLETED,
                channel="desk",
                reference=f"B{person.pk:03d}{i:05d}",
                manage_token_hash=f"bench-{person.pk}-{i:050d}",
                uid=f"bench-{person.pk}-{i}@praksis",
            )
            for i in range(args.bookings)
        )
        access = request_create(actor=actor, person_id=person.pk, kind="access")
        setup_s = round(time.perf_counter() - t0, 1)

        def journal(person=person):
            return journal_pdf(actor=actor, person_id=person.pk)

        def report(access=access):
            return access_report_pdf(actor=actor, request_id=access.pk)

        journal()  # warm-up: templates, fonts, translations
        rss0 = _rss_mb()
        figures = {
            "setup_s": setup_s,
            f"journal PDF, {n} entries": _measure(journal, args.repeat, memory=not args.no_memory),
            f"access report, {n} entries + {args.bookings} bookings": _measure(
                report, args.repeat, memory=not args.no_memory
            ),
            "peak_rss_growth_mb": round(_rss_mb() - rss0, 1),
            "peak_rss_mb": round(_rss_mb(), 1),
        }
        results[str(n)] = figures
        print(json.dumps({n: figures}, indent=1), flush=True)
        if args.profile:
            import cProfile
            import pstats

            for name, render in (("journal", journal), ("report", report)):
                profile = cProfile.Profile()
                profile.runcall(render)
                path = Path(tempfile.gettempdir()) / f"pdf-{name}-{n}.prof"
                profile.dump_stats(path)
                print(f"--- {name}, {n} entries: {path}")
                pstats.Stats(profile).sort_stats("cumulative").print_stats(35)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
