"""The first claim of a freed time wins, whatever the concurrency (issue 13, part 3).

50 waiting clients are offered one freed time; all 50 press "Book this time" at once
through their own claim links (real HTTP, each with its own session and CSRF token).
Exactly one gets the booking; the other 49 are told the time is gone and their offers
become ``gone``. On PostgreSQL against the live test server (the exclusion constraint
decides); on SQLite against the demo server itself (gunicorn, several workers and
threads, a database file), never "database is locked".
"""

from __future__ import annotations

import http.cookiejar
import json
import random
import re
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from django.db import connection

from praksis.booking import waitlist
from praksis.booking.models import Appointment, WaitlistOffer
from praksis.booking.services import appointment_book, appointment_cancel
from praksis.messaging.models import OutboxMessage
from praksis.people.identity import synthetic_se
from tests.conftest import next_local
from tests.demo_server import demo_env, gunicorn, praksis

RACERS = 50
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_CLAIM = re.compile(r"/waitlist/offer/([\w-]+)/")


def _numbers(count: int) -> list[str]:
    rng = random.Random(count)
    numbers: set[str] = set()
    while len(numbers) < count:
        numbers.add(synthetic_se(rng, date(1950, 1, 1) + timedelta(days=rng.randrange(20000))))
    return sorted(numbers)


class Claimant:
    """One client's browser: a cookie jar, the claim page read (its CSRF token), then one
    POST of "Book this time"."""

    def __init__(self, base: str, slug: str, token: str, number: str):
        self.url = f"{base}/{slug}/waitlist/offer/{token}/"
        self.number = number
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = ""

    def open_page(self) -> None:
        with self.opener.open(self.url + "?lang=en", timeout=60) as response:
            self.csrf = _CSRF.search(response.read().decode()).group(1)

    def claim(self, go: threading.Event) -> tuple[int, str]:
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": self.csrf, "identity_number": self.number, "lang": "en"}
        ).encode()
        request = urllib.request.Request(
            self.url, data=body, method="POST", headers={"Referer": self.url}
        )
        go.wait()
        try:
            with self.opener.open(request, timeout=120) as response:  # follows the redirect
                return response.status, response.geturl()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")


def _race(claimants: list[Claimant]) -> list[tuple[int, str]]:
    for claimant in claimants:
        claimant.open_page()
    go = threading.Event()
    with ThreadPoolExecutor(max_workers=len(claimants)) as pool:
        futures = [pool.submit(c.claim, go) for c in claimants]
        time.sleep(0.2)  # every thread waiting at the line
        go.set()
        return [f.result() for f in futures]


def _check(results: list[tuple[int, str]]) -> None:
    won = [r for r in results if r[0] == 200 and "/booking/" in r[1]]
    lost = [r for r in results if r[0] == 409]
    assert len(won) == 1, [r[0] for r in results]
    assert len(lost) == RACERS - 1, [r[0] for r in results]
    assert all("Sorry, this time has just been taken." in body for _code, body in lost)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the PostgreSQL race runs in the PostgreSQL pass"
)
@pytest.mark.django_db(transaction=True)
def test_fifty_claims_of_one_freed_time_on_postgresql(
    live_server, make_clinic, make_bookable, make_actor, make_person, settings
):
    settings.PUBLIC_RATE_LIMIT_BOOKINGS = 0  # all 50 come from one address
    settings.PRAKSIS_BASE_URL = live_server.url
    clinic = make_clinic("optician")
    service, _staff = make_bookable(clinic, practitioners=1)
    owner = make_actor(clinic, "owner")
    start = next_local(clinic, days=3, hour=10)
    booked = appointment_book(
        actor=owner, service_id=service.pk, person_id=make_person(owner).pk, start=start
    )
    for i in range(RACERS):
        waitlist.waitlist_join_public(
            clinic=clinic,
            data={
                "service": service.pk, "first_name": "Racer", "last_name": f"Nummer{i}",
                "email": f"racer{i}@example.com", "weekdays": list(range(7)),
                "accept_privacy_notice": True,
            },
        )  # fmt: skip
    appointment_cancel(actor=owner, appointment_id=booked.pk)  # offers the oldest 10
    waitlist.offer_freed_time(booked, limit=RACERS)  # and the other 40
    assert WaitlistOffer.objects.filter(start=start, status="open").count() == RACERS
    tokens = [
        _CLAIM.search(m.body).group(1)
        for m in OutboxMessage.objects.filter(body__contains="/waitlist/offer/")
    ]
    claimants = [
        Claimant(live_server.url, clinic.slug, token, number)
        for token, number in zip(tokens, _numbers(RACERS), strict=True)
    ]
    _check(_race(claimants))
    assert Appointment.objects.filter(clinic=clinic, start=start, status="booked").count() == 1
    statuses = sorted(WaitlistOffer.objects.values_list("status", flat=True))
    assert statuses == ["claimed"] + ["gone"] * (RACERS - 1)


SETUP = """
import json, re
from datetime import timedelta
from django.utils import timezone
from praksis.booking import waitlist
from praksis.booking.availability import free_slots
from praksis.booking.models import Service
from praksis.booking.services import appointment_book, appointment_cancel
from praksis.clinics.access import Actor
from praksis.clinics.models import Clinic, Membership
from praksis.messaging.models import OutboxMessage
from praksis.people.models import Person

clinic = Clinic.objects.get(slug="lund-optik")
owner = Membership.objects.filter(clinic=clinic, role="owner").select_related("user").first()
actor = Actor(clinic=clinic, user=owner.user, role="owner", channel="ui")
service = Service.objects.filter(clinic=clinic, duration_minutes=45).first()
day = timezone.now().astimezone(clinic.zone).date() + timedelta(days=20)
slot = free_slots(clinic=clinic, service=service, date_from=day, date_to=day)[0]
person = Person.objects.filter(clinic=clinic).first()
booked = appointment_book(actor=actor, service_id=service.pk, person_id=person.pk,
                          start=slot.start, practitioner_id=slot.practitioner_id)
for i in range(%(racers)d):
    waitlist.waitlist_join_public(clinic=clinic, data={
        "service": service.pk, "first_name": "Racer", "last_name": f"Nummer{i}",
        "email": f"racer{i}@example.com", "weekdays": list(range(7)),
        "accept_privacy_notice": True})
appointment_cancel(actor=actor, appointment_id=booked.pk)
waitlist.offer_freed_time(booked, limit=%(racers)d)
tokens = [re.search(r"/waitlist/offer/([\\w-]+)/", m.body).group(1)
          for m in OutboxMessage.objects.filter(body__contains="/waitlist/offer/")]
print(json.dumps({"tokens": tokens, "start": slot.start.isoformat()}))
"""

COUNT = """
import json
from praksis.booking.models import Appointment, WaitlistOffer
print(json.dumps({
    "booked": Appointment.objects.filter(clinic__slug="lund-optik", start="%(start)s",
                                         status="booked").count(),
    "offers": sorted(WaitlistOffer.objects.values_list("status", flat=True)),
}))
"""


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the demo server runs on SQLite")
def test_fifty_claims_of_one_freed_time_on_the_sqlite_demo_server(tmp_path):
    env = demo_env(tmp_path, PUBLIC_RATE_LIMIT_BOOKINGS="1000")
    praksis(env, "migrate", "-v0")
    praksis(env, "seed-demo", "--persons", "5", stdout=subprocess.DEVNULL)

    def shell(code: str) -> dict:
        out = praksis(env, "shell", "-c", code, capture_output=True, text=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    setup = shell(SETUP % {"racers": RACERS})
    assert len(setup["tokens"]) == RACERS
    with gunicorn(env) as server:
        claimants = [
            Claimant(server.base, "lund-optik", token, number)
            for token, number in zip(setup["tokens"], _numbers(RACERS), strict=True)
        ]
        results = _race(claimants)
    _check(results)
    assert "database is locked" not in server.errors
    after = shell(COUNT % {"start": setup["start"]})
    assert after["booked"] == 1
    assert after["offers"] == ["claimed"] + ["gone"] * (RACERS - 1)
