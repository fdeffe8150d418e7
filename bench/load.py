#!/usr/bin/env python3
"""Booking and journal figures on PostgreSQL, part of ``make bench``.

    uv run python bench/load.py [--persons 20000] [--connections 70] [--seconds 10]

1. In-process (Django test client, the whole stack but the network): availability p95
   for 5 practitioners x 90 days x 15-minute slots (also for a service that needs a room
   held four times a day, two years back and 90 days ahead), journal append p95, and the
   time to render a 520-entry journal and its access report as PDF (target 1 s each, best
   of three; ``bench/pdf.py`` measures them alone, with memory); the staff calendar's day
   view for 10 practitioners with 40 bookings each (server time and queries).
2. Over HTTP against a real gunicorn server on PostgreSQL, with wrk at 70 connections:
   the throughput of ``/healthz`` (the cheapest request), of person search, and of online
   bookings (each request a distinct free slot, so each should be a 201), and their
   ratios to ``/healthz`` on the same server.

Results are printed as a table and merged into var/bench.json under "load".
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGETS = {
    "availability_p95_ms": 20.0,
    "calendar_day_p95_ms": 50.0,
    "pdf_520_entries_s": 1.0,  # the journal PDF and the access report (issue 18)
    "search_ratio": 0.5,
    "booking_ratio": 0.3,
}


def _with_postgres():
    spec = importlib.util.spec_from_file_location(
        "with_postgres", ROOT / "scripts/with_postgres.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pct(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

    return {
        "n": len(ordered),
        "p50_ms": at(0.5),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }


# --- The child: Django configured against the bench database ----------------------------


def _calendar_day(clinic, owner, service) -> dict:
    """The staff calendar's day view for 10 practitioners with 40 bookings each: server
    time per page (p95 of 50, after 10 to warm up) and its queries (pinned by
    tests/booking/test_calendar_grid.py: the same for 1 booking and for 400)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from praksis.booking.models import Appointment, Practitioner, WorkingHours
    from praksis.people.models import Person

    staff = [
        Practitioner.objects.create(clinic=clinic, name=f"Kalender {i + 1}") for i in range(10)
    ]
    WorkingHours.objects.bulk_create(
        WorkingHours(clinic=clinic, practitioner=p, weekday=d, start=dtime(7), end=dtime(19))
        for p in staff
        for d in range(7)
    )
    service.practitioners.add(*staff)
    day = datetime.now(clinic.zone).date() + timedelta(days=1)
    first = datetime.combine(day, dtime(7), tzinfo=clinic.zone)
    people = list(Person.objects.filter(clinic=clinic).order_by("pk")[:400])
    Appointment.objects.bulk_create(
        Appointment(
            clinic=clinic, practitioner=p, service=service, person=people[(n * 40 + i) % 400],
            start=first + timedelta(minutes=15 * i), end=first + timedelta(minutes=15 * i + 15),
            busy_until=first + timedelta(minutes=15 * i + 15), channel="desk",
            reference=f"K{n:02d}{i:04d}", manage_token_hash=f"calendar-{n}-{i}",
            uid=f"calendar-{n}-{i}@praksis",
        )
        for n, p in enumerate(staff)
        for i in range(40)
    )  # fmt: skip
    page = Client()
    page.force_login(owner)
    query = {"date": day.isoformat()}
    samples = []
    for _ in range(60):
        t0 = time.perf_counter()
        response = page.get("/staff/calendar/", query)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.status_code
    assert response.content.count(b'class="cal-appt ') >= 400
    with CaptureQueriesContext(connection) as queries:
        page.get("/staff/calendar/", query)
    Appointment.objects.filter(reference__startswith="K").delete()
    service.practitioners.remove(*staff)
    return {**_pct(samples[10:]), "queries": len(queries)}


def _availability_with_rooms(clinic, client, path: str) -> dict:
    """Availability of a service that needs a room (the slit-lamp exam room) while the
    room is held: four 45-minute holds a day for two years back and the 90 days ahead,
    spread over 5 practitioners of its own (as many as the plain figure, and none of the
    HTTP load's). Returns the 90- and 7-day figures; the bookings are removed after."""
    from praksis.booking.models import (
        Appointment,
        Practitioner,
        Resource,
        ResourceHold,
        Service,
        WorkingHours,
    )
    from praksis.people.models import Person

    practitioners = [
        Practitioner.objects.create(clinic=clinic, name=f"Optiker {i + 1}") for i in range(5)
    ]
    WorkingHours.objects.bulk_create(
        WorkingHours(clinic=clinic, practitioner=p, weekday=d, start=dtime(8), end=dtime(16))
        for p in practitioners
        for d in range(7)
    )

    room = Resource.objects.create(clinic=clinic, name="Undersökningsrum 1 (spaltlampa)")
    service = Service.objects.create(
        clinic=clinic, name="Synundersökning", duration_minutes=30, buffer_minutes=15
    )
    service.practitioners.set(practitioners)
    service.resources.set([room])
    people = list(Person.objects.filter(clinic=clinic).order_by("pk")[1:501])
    today = datetime.now(clinic.zone).date()
    booked = []
    for offset in range(-730, 90):
        day = today + timedelta(days=offset)
        for n, hour in enumerate((8, 10, 12, 14)):
            start = datetime.combine(day, dtime(hour), tzinfo=clinic.zone)
            key = f"{offset}-{n}"
            booked.append(
                Appointment(
                    clinic=clinic, practitioner=practitioners[(offset + n) % len(practitioners)],
                    service=service, person=people[(offset * 4 + n) % len(people)], start=start,
                    end=start + timedelta(minutes=30), busy_until=start + timedelta(minutes=45),
                    channel="desk", reference=f"RUM{abs(offset):04d}{n}{'P' if offset < 0 else ''}",
                    manage_token_hash=f"room-{key}", uid=f"room-{key}@praksis",
                )
            )  # fmt: skip
    booked = Appointment.objects.bulk_create(booked, batch_size=1000)
    ResourceHold.objects.bulk_create(
        (
            ResourceHold(clinic=clinic, resource=room, appointment=a, start=a.start,
                         busy_until=a.busy_until)
            for a in booked
        ),
        batch_size=1000,
    )  # fmt: skip

    def run(days: int) -> list[float]:
        samples = []
        for i in range(60):
            start = today + timedelta(days=i % 3)
            query = {
                "service": service.pk,
                "from": start.isoformat(),
                "to": (start + timedelta(days=days - 1)).isoformat(),
            }
            t0 = time.perf_counter()
            response = client.get(path, query)
            samples.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.content[:200]
        return samples[10:]

    figures = {
        "availability 90 days, room held": {**_pct(run(90)), "holds": len(booked)},
        "availability 7 days, room held": _pct(run(7)),
    }
    Appointment.objects.filter(service=service).delete()  # and their holds
    return figures


def child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from praksis.booking.models import Practitioner, Service, WorkingHours
    from praksis.clinics.access import Actor
    from praksis.clinics.services import clinic_create, staff_add, token_issue
    from praksis.journal.pdf import journal_pdf
    from praksis.people.generate import generate_persons
    from praksis.people.identity import synthetic_se
    from praksis.people.models import Person

    call_command("migrate", verbosity=0)
    clinic = clinic_create(
        slug="bench-klinik",
        name="Bench Klinik",
        profile="optician",
        regime="SE-human",
        country="SE",
        language="sv",
        time_zone="Europe/Stockholm",
    )
    owner = staff_add(
        clinic=clinic,
        email="owner@bench.test",
        full_name="Bench Owner",
        role="owner",
        password="bench-password-1",
    )
    practitioners = [
        Practitioner.objects.create(clinic=clinic, name=f"Behandlare {i + 1}") for i in range(5)
    ]
    for practitioner in practitioners:
        WorkingHours.objects.bulk_create(
            WorkingHours(
                clinic=clinic, practitioner=practitioner, weekday=d, start=dtime(8), end=dtime(16)
            )
            for d in range(7)
        )
    service = Service.objects.create(clinic=clinic, name="Kontroll", duration_minutes=15)
    service.practitioners.set(practitioners)
    generate_persons(clinic, args.persons, seed=7)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    token = token_issue(user=owner, clinic=clinic)
    client = Client()
    auth = {"Authorization": f"Bearer {token}"}
    results: dict = {}

    # The in-process floor: the cheapest request through the same stack, measured in the
    # same run (every in-process figure is also given as a ratio to its p50).
    floor = []
    for _ in range(300):
        t0 = time.perf_counter()
        client.get("/healthz")
        floor.append((time.perf_counter() - t0) * 1000)
    results["healthz (in-process floor)"] = _pct(floor[50:])

    today = datetime.now(clinic.zone).date()
    path = f"/api/v1/public/{clinic.slug}/availability"

    def availability(days: int) -> list[float]:
        samples = []
        for i in range(60):
            start = today + timedelta(days=i % 3)
            query = {
                "service": service.pk,
                "from": start.isoformat(),
                "to": (start + timedelta(days=days - 1)).isoformat(),
            }
            t0 = time.perf_counter()
            response = client.get(path, query)
            samples.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.content[:200]
        return samples[10:]

    slots_90 = len(
        client.get(
            path,
            {
                "service": service.pk,
                "from": today.isoformat(),
                "to": (today + timedelta(days=89)).isoformat(),
            },
        ).json()["items"]
    )
    results["availability 90 days"] = {**_pct(availability(90)), "slots": slots_90}
    results["availability 7 days"] = _pct(availability(7))
    results.update(_availability_with_rooms(clinic, client, path))

    results["calendar day, 10 x 40 bookings"] = _calendar_day(clinic, owner, service)

    person = Person.objects.filter(clinic=clinic).order_by("pk").first()
    actor = Actor(clinic=clinic, user=owner, role="owner", request_id="bench")
    samples = []
    for i in range(520):
        body = {
            "text": f"Anteckning {i}: synundersökning utan anmärkning. " * 3,
            "fields": {"sphere_right": "-1.25", "axis_right": 90},
            "sign": True,
        }
        t0 = time.perf_counter()
        response = client.post(
            f"/api/v1/persons/{person.pk}/journal",
            body,
            content_type="application/json",
            headers=auth,
        )
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 201, response.content[:200]
    results["journal append"] = _pct(samples[20:])
    # Best of three, like the report below: the first print also loads the fonts.
    timings = []
    for _ in range(3):
        t0 = time.perf_counter()
        pdf = journal_pdf(actor=actor, person_id=person.pk)
        timings.append(time.perf_counter() - t0)
    results["journal PDF, 520 entries"] = {
        "seconds": round(min(timings), 2),
        "bytes": len(pdf),
    }

    # The access report (Art. 15) for that person, now with 200 past bookings as well.
    from praksis.booking.models import Appointment
    from praksis.privacy.requests import access_report_pdf, request_create

    first = datetime.combine(today - timedelta(days=800), dtime(9), tzinfo=clinic.zone)
    Appointment.objects.bulk_create(
        Appointment(
            clinic=clinic,
            practitioner=practitioners[i % 5],
            service=service,
            person=person,
            start=first + timedelta(days=i * 3),
            end=first + timedelta(days=i * 3, minutes=15),
            busy_until=first + timedelta(days=i * 3, minutes=15),
            status=Appointment.Status.COMPLETED,
            channel="desk",
            reference=f"B{i:07d}",
            manage_token_hash=f"bench-{i:058d}",
            uid=f"bench-{i}@praksis",
        )
        for i in range(200)
    )
    access = request_create(actor=actor, person_id=person.pk, kind="access")
    timings = []
    for _ in range(3):
        t0 = time.perf_counter()
        report = access_report_pdf(actor=actor, request_id=access.pk)
        timings.append(time.perf_counter() - t0)
    results["access report, 520 entries + 200 bookings"] = {
        "seconds": round(min(timings), 2),
        "bytes": len(report),
    }
    # The same complete copy, machine-readable (export.json, Art. 15(3) and 20).
    from praksis.privacy.requests import export_json

    portability = request_create(actor=actor, person_id=person.pk, kind="portability")
    timings = []
    for _ in range(3):
        t0 = time.perf_counter()
        export = export_json(actor=actor, request_id=portability.pk)
        timings.append(time.perf_counter() - t0)
    results["export.json, 520 entries + 200 bookings"] = {
        "seconds": round(min(timings), 2),
        "bytes": len(export.encode()),
    }

    # Material for the HTTP load: distinct free slots with fresh people, search prefixes.
    rng = random.Random(11)
    payloads = []
    zone = clinic.zone
    for day_offset in range(2, 90):
        day = today + timedelta(days=day_offset)
        for practitioner in practitioners:
            for minute in range(0, 8 * 60, 15):
                start = datetime.combine(day, dtime(8), tzinfo=zone) + timedelta(minutes=minute)
                birth = date(1940, 1, 1) + timedelta(days=rng.randrange(25000))
                payloads.append(
                    {
                        "service": service.pk,
                        "practitioner": practitioner.pk,
                        "start": start.isoformat(),
                        "first_name": "Last",
                        "last_name": f"Test{len(payloads)}",
                        "email": f"l{len(payloads)}@example.com",
                        "identity_number": synthetic_se(rng, birth),
                        "accept_privacy_notice": True,
                    }
                )
    rng.shuffle(payloads)
    prefixes = sorted({p.last_name_key[:3] for p in Person.objects.filter(clinic=clinic)[:2000]})
    floor_p50 = results["healthz (in-process floor)"]["p50_ms"]
    for m in results.values():
        if "p95_ms" in m:
            m["p95_to_floor_p50"] = round(m["p95_ms"] / floor_p50, 1)
    Path(args.out).write_text(
        json.dumps(
            {
                "results": results,
                "token": token,
                "clinic": clinic.slug,
                "payloads": payloads,
                "prefixes": prefixes,
                "server_version": connection.cursor().connection.info.server_version,
            }
        )
    )


# --- The orchestrator -------------------------------------------------------------------

LUA_ROTATE = """
local items = {%(items)s}
local counter = 0
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  statuses = {}
end
request = function()
  local index = (counter * %(threads)d + id) %% #items + 1
  counter = counter + 1
  %(request)s
end
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do totals[code] = (totals[code] or 0) + n end
  end
  for code, n in pairs(totals) do io.write(string.format("STATUS %%d %%d\\n", code, n)) end
  io.write(string.format("DURATION %%f\\n", summary.duration / 1e6))
end
"""


def _lua_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _wrk(
    url: str, *, connections: int, seconds: int, script: str | None = None, headers: list[str] = ()
) -> dict:
    threads = 2
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", script]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    statuses = {int(c): int(n) for c, n in re.findall(r"STATUS (\d+) (\d+)", output)}
    duration = re.search(r"DURATION ([\d.]+)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    result = {"requests_per_s": rps, "statuses": statuses}
    if duration and statuses:
        result["ok_per_s"] = round(
            sum(n for c, n in statuses.items() if c < 300) / float(duration.group(1)), 1
        )
    if p99:
        value, unit = float(p99.group(1)), p99.group(2)
        result["p99_ms"] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def orchestrate(args: argparse.Namespace) -> int:
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk (make bench installs it)")
    with_postgres = _with_postgres()
    work = Path(tempfile.mkdtemp(prefix="praksis-load-"))
    with with_postgres.postgres_cluster(extra_conf={"max_connections": "300"}) as base:
        url = with_postgres.create_database(base, "praksis")
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "PRAKSIS_ENV": "test",
            "DJANGO_SETTINGS_MODULE": "praksis.settings",
            "PUBLIC_RATE_LIMIT_BOOKINGS": "0",
            "PUBLIC_RATE_LIMIT_READS": "0",
            "CONN_MAX_AGE": "600",
        }
        material_path = work / "material.json"
        print(f"setting up {args.persons} people and measuring in-process ...", flush=True)
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "--out",
                str(material_path),
                "--persons",
                str(args.persons),
            ],
            env=env,
            check=True,
            cwd=ROOT,
        )
        material = json.loads(material_path.read_text())
        port = _free_port()
        workers = str(args.workers)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "praksis.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                workers,
                "--threads",
                str(args.threads),
                "--worker-class",
                "gthread",
                "--keep-alive",
                "30",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(f"{base_url}/healthz", timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            http: dict = {}
            # Warm the server first (worker processes, connections, prepared statements):
            # a cold /healthz run would lower the floor and flatter every ratio.
            _wrk(f"{base_url}/healthz", connections=args.connections, seconds=3)
            print("load: /healthz ...", flush=True)
            http["healthz"] = _wrk(
                f"{base_url}/healthz", connections=args.connections, seconds=args.seconds
            )
            search_script = work / "search.lua"
            search_script.write_text(
                LUA_ROTATE
                % {
                    "items": ",".join(_lua_string(p) for p in material["prefixes"]),
                    "threads": 2,
                    "request": 'return wrk.format("GET", "/api/v1/persons?q=" .. items[index])',
                }
            )
            print("load: person search ...", flush=True)
            _wrk(  # warm-up
                base_url,
                connections=args.connections,
                seconds=2,
                script=str(search_script),
                headers=[f"Authorization: Bearer {material['token']}"],
            )
            http["person search"] = _wrk(
                base_url,
                connections=args.connections,
                seconds=args.seconds,
                script=str(search_script),
                headers=[f"Authorization: Bearer {material['token']}"],
            )
            booking_script = work / "book.lua"
            booking_script.write_text(
                LUA_ROTATE
                % {
                    "items": ",".join(_lua_string(json.dumps(p)) for p in material["payloads"]),
                    "threads": 2,
                    "request": f'return wrk.format("POST", "/api/v1/public/{material["clinic"]}'
                    '/bookings", {["Content-Type"]="application/json"}, items[index])',
                }
            )
            print("load: online bookings ...", flush=True)
            http["online booking"] = _wrk(
                base_url,
                connections=args.connections,
                seconds=args.seconds,
                script=str(booking_script),
            )
        finally:
            server.terminate()
            server.wait(timeout=20)
    floor = http["healthz"]["requests_per_s"]
    http["person search"]["ratio_to_healthz"] = round(
        http["person search"].get("ok_per_s", http["person search"]["requests_per_s"]) / floor, 3
    )
    http["online booking"]["ratio_to_healthz"] = round(
        http["online booking"].get("ok_per_s", 0) / floor, 3
    )
    report = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "persons": args.persons,
        "connections": args.connections,
        "server": f"gunicorn gthread, {args.workers} workers x {args.threads} threads",
        "cores": os.cpu_count(),
        "in_process": material["results"],
        "http": http,
        "targets": TARGETS,
    }
    print(_table(report))
    out = ROOT / "var" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    existing = json.loads(out.read_text()) if out.exists() else {}
    existing["load"] = report
    out.write_text(json.dumps(existing, indent=2))
    print(f"\nwritten: {out}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


def _table(report: dict) -> str:
    lines = [
        f"{'in-process (PostgreSQL)':32} {'n':>5} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}"
        f" {'p95÷floor':>9}"
    ]
    for name, m in report["in_process"].items():
        if "p95_ms" in m:
            queries = f"  ({m['queries']} queries)" if "queries" in m else ""
            lines.append(
                f"{name:32} {m['n']:>5} {m['p50_ms']:>9.2f} {m['p95_ms']:>9.2f} {m['p99_ms']:>9.2f}"
                f" {m.get('p95_to_floor_p50', ''):>9}" + queries
            )
        else:
            lines.append(f"{name:32} {m['seconds']:>9.2f} s ({m['bytes']} bytes)")
    lines.append("")
    lines.append(
        f"{'HTTP, ' + str(report['connections']) + ' connections':32} "
        f"{'req/s':>9} {'ok/s':>9} {'ratio':>7}  statuses"
    )
    for name, m in report["http"].items():
        lines.append(
            f"{name:32} {m['requests_per_s']:>9.1f} {m.get('ok_per_s', ''):>9} "
            f"{m.get('ratio_to_healthz', ''):>7}  {m['statuses']}"
        )
    t = report["targets"]
    lines.append(
        f"targets: availability p95 <= {t['availability_p95_ms']} ms; calendar day p95 <= "
        f"{t['calendar_day_p95_ms']} ms; search >= "
        f"{t['search_ratio']} and booking >= {t['booking_ratio']} of /healthz"
    )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=20000)
    parser.add_argument("--connections", type=int, default=70)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return 0
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
