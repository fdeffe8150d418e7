"""Never two bookings in one slot, whatever the concurrency.

On PostgreSQL: 50 simultaneous requests for one slot against a live server give exactly
one 201 and 49 clean 409s (the exclusion constraint decides). On SQLite: the demo server
itself (gunicorn, several workers and threads, a database file) answers a burst of 24
racing requests with one 201 and 23 clean 409s, never "database is locked".
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import connection

from praksis.booking.models import Appointment
from praksis.people.identity import synthetic_se
from tests.conftest import next_local

ROOT = Path(__file__).resolve().parents[2]


def _post_json(url: str, payload: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        body = exc.read()
        try:
            return exc.code, json.loads(body or b"{}")
        except ValueError:
            return exc.code, {"raw": body.decode(errors="replace")[:200]}


def _racers(count: int, service_id: int, start: str) -> list[dict]:
    rng = random.Random(count)
    return [
        {
            "service": service_id,
            "start": start,
            "first_name": "Racer",
            "last_name": f"Nummer{i}",
            "email": f"racer{i}@example.com",
            "identity_number": synthetic_se(
                rng, date(1950, 1, 1) + timedelta(days=rng.randrange(20000))
            ),
            "accept_privacy_notice": True,
        }
        for i in range(count)
    ]


def _fire(url: str, payloads: list[dict]) -> list[tuple[int, dict]]:
    with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
        return list(pool.map(lambda p: _post_json(url, p), payloads))


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the PostgreSQL race runs in the PostgreSQL pass"
)
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_bookings_on_postgresql(live_server, make_clinic, make_bookable, settings):
    settings.PUBLIC_RATE_LIMIT_BOOKINGS = 0  # all 50 come from one address
    clinic = make_clinic("optician")
    service, _staff = make_bookable(clinic, practitioners=1)
    start = next_local(clinic, days=3, hour=10).isoformat()
    url = f"{live_server.url}/api/v1/public/{clinic.slug}/bookings"
    results = _fire(url, _racers(50, service.pk, start))
    codes = sorted(code for code, _body in results)
    assert codes.count(201) == 1, codes
    assert codes.count(409) == 49, codes
    assert Appointment.objects.filter(clinic=clinic).count() == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the demo server runs on SQLite")
def test_demo_server_on_sqlite_answers_a_burst_cleanly(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PRAKSIS_ENV")},
        "PRAKSIS_ENV": "development",
        "PRAKSIS_VAR_DIR": str(tmp_path),
        "PUBLIC_RATE_LIMIT_BOOKINGS": "100",
    }
    praksis = [sys.executable, "-m", "praksis.cli"]
    subprocess.run([*praksis, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [*praksis, "seed-demo", "--persons", "5"], env=env, check=True, cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "praksis.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "2", "--threads", "8", "--worker-class", "gthread"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        services = json.loads(
            urllib.request.urlopen(f"{base}/api/v1/public/lund-optik/services").read()
        )["items"]
        service = next(s for s in services if s["duration_minutes"] == 45)
        day = (date.today() + timedelta(days=20)).isoformat()
        slots = json.loads(
            urllib.request.urlopen(
                f"{base}/api/v1/public/lund-optik/availability?service={service['id']}"
                f"&from={day}&to={day}"
            ).read()
        )["items"]
        # Aim every racer at one practitioner's slot so they really compete.
        slot = slots[0]
        payloads = [
            {**p, "practitioner": slot["practitioner"]}
            for p in _racers(24, service["id"], slot["start"])
        ]
        results = _fire(f"{base}/api/v1/public/lund-optik/bookings", payloads)
    finally:
        server.terminate()
        _out, errors = server.communicate(timeout=10)
    codes = sorted(code for code, _body in results)
    assert codes.count(201) == 1, results
    assert codes.count(409) == 23, results
    assert b"database is locked" not in errors
