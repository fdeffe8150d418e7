"""Never two bookings in one slot, whatever the concurrency.

On PostgreSQL: 50 simultaneous requests for one slot against a live server give exactly
one 201 and 49 clean 409s (the exclusion constraint decides). On SQLite: the demo server
itself (gunicorn, several workers and threads, a database file) answers a burst of 24
racing requests with one 201 and 23 clean 409s, never "database is locked".
"""

from __future__ import annotations

import json
import random
import subprocess
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from django.db import connection

from praksis.booking.models import Appointment
from praksis.people.identity import synthetic_se
from tests.conftest import next_local
from tests.demo_server import demo_env, gunicorn, praksis


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


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the demo server runs on SQLite")
def test_demo_server_on_sqlite_answers_a_burst_cleanly(tmp_path):
    env = demo_env(tmp_path, PUBLIC_RATE_LIMIT_BOOKINGS="100")
    praksis(env, "migrate", "-v0")
    praksis(env, "seed-demo", "--persons", "5", stdout=subprocess.DEVNULL)
    with gunicorn(env) as server:
        base = server.base
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
    codes = sorted(code for code, _body in results)
    assert codes.count(201) == 1, results
    assert codes.count(409) == 23, results
    assert "database is locked" not in server.errors
