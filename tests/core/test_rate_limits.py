"""Rate limits count per client in the database, for every worker and machine together,
and believe X-Forwarded-For only from the proxies the operator trusts.

Before, each server process counted in its own memory (four workers: four times the
limit) and by REMOTE_ADDR (behind a load balancer: everyone is one client), and the public
booking and request pages answered a bare 429 that lost what the visitor had typed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from ipaddress import ip_network
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client, RequestFactory

from praksis.booking.models import Appointment, BookingPolicy, BookingRequest
from praksis.core import ratelimit
from praksis.core.middleware import client_ip
from praksis.core.models import RateCounter
from praksis.people.identity import synthetic_se
from praksis.privacy.models import DataSubjectRequest
from tests.conftest import next_local

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.5"
CLIENT = "198.51.100.7"


@pytest.fixture
def trusted_proxy(settings):
    settings.PRAKSIS_TRUSTED_PROXIES = (ip_network("10.0.0.0/24"), ip_network("fd00::/8"))


@pytest.fixture
def bookable(clinic, make_bookable):
    service, _staff = make_bookable(clinic)
    return service


def _details(clinic, service, **environ):
    """One public booking form posted (bad on purpose: nothing is booked, only counted)."""
    start = next_local(clinic, days=3, hour=9).isoformat()
    return Client().post(
        f"/{clinic.slug}/book/",
        {
            "service": service.pk,
            "start": start,
            "first_name": "Greta",
            "last_name": "Wikander",
            "email": "greta@example.com",
            "lang": "en",
        },
        **environ,
    )


# --- Where the count lives ---------------------------------------------------------------


def test_two_workers_share_one_count(clinic, bookable, settings):
    """Two clients stand for two server processes: they count together, in the database."""
    settings.PUBLIC_RATE_LIMIT_BOOKINGS = 3
    first, second = Client(), Client()
    url = f"/api/v1/public/{clinic.slug}/bookings"
    codes = []
    for worker in (first, second, first, second):
        codes.append(
            worker.post(url, {}, content_type="application/json", REMOTE_ADDR=CLIENT).status_code
        )
    assert codes == [422, 422, 422, 429]
    cache.clear()  # nothing of it lives in a process's memory
    assert first.post(url, {}, content_type="application/json", REMOTE_ADDR=CLIENT).status_code == (
        429
    )
    (counter,) = RateCounter.objects.all()
    assert counter.hits == 5
    assert CLIENT not in counter.bucket  # the address is kept only as a keyed hash


_WORKER = """
import json, sys
import django
django.setup()
from praksis.core import ratelimit
hits = int(sys.argv[1])
print(json.dumps([
    ratelimit.hit(scope="test", key="198.51.100.7", limit=5, window_seconds=10**9)
    for _ in range(hits)
]))
"""


def _worker_env(database_url: str) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "PRAKSIS_ENV": "test",
        "DJANGO_SETTINGS_MODULE": "praksis.settings",
        "DATABASE_URL": database_url,
    }


def _run_worker(env: dict, hits: int) -> list[int]:
    out = subprocess.run(
        [sys.executable, "-c", _WORKER, str(hits)],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def _shared_database_url(tmp_path) -> str:
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    subprocess.run(
        [sys.executable, "-m", "praksis.cli", "migrate", "core", "-v0"],
        env=_worker_env(url), cwd=ROOT, check=True, timeout=120,
    )  # fmt: skip
    return url


@pytest.mark.django_db(transaction=True)
def test_two_server_processes_count_together(tmp_path):
    """Two real processes (each with its own memory) against one database: 3 + 3 hits
    with a limit of 5 refuse exactly the sixth."""
    env = _worker_env(_shared_database_url(tmp_path))
    # One window of 10⁹ s (2001-2033): both processes surely count in the same one.
    first = _run_worker(env, 3)
    second = _run_worker(env, 3)
    assert first == [0, 0, 0]
    assert second[:2] == [0, 0] and second[2] > 0


def test_the_counter_is_one_atomic_upsert_per_hit(db):
    """An increment is one statement (INSERT ... ON CONFLICT DO UPDATE ... RETURNING):
    no read-then-write for two workers to interleave."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        ratelimit.hit(scope="test", key="203.0.113.1", limit=10)
    statements = [q["sql"] for q in queries.captured_queries if "ratecounter" in q["sql"]]
    assert statements[:1] and "ON CONFLICT" in statements[0] and "RETURNING" in statements[0]
    assert not any(s.lstrip().upper().startswith("SELECT") for s in statements)


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
@pytest.mark.django_db(transaction=True)
def test_a_counted_hit_never_makes_a_bookings_commit_less_durable():
    """The counter's own commit may skip the wait for the disk; a transaction it runs in
    (a booking's) keeps synchronous_commit on."""
    assert ratelimit.hit(scope="test", key=CLIENT, limit=1) == 0
    assert RateCounter.objects.get().hits == 1  # committed
    assert _synchronous_commit() == "on"
    with transaction.atomic():
        assert ratelimit.hit(scope="test", key=CLIENT, limit=1) > 0
        assert _synchronous_commit() == "on"


def test_counters_of_ended_windows_are_purged(db):
    ratelimit.hit(scope="test", key="203.0.113.1", limit=10, window_seconds=1)
    assert RateCounter.objects.count() == 1
    time.sleep(1.1)
    assert ratelimit.purge_expired() == 1
    assert not RateCounter.objects.exists()


# --- Which address is the client ---------------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        # Without a trusted proxy the header is the client's own claim: ignored.
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),
        # From a trusted proxy: the right-most address that is not one of ours.
        (PROXY, "198.51.100.1", "198.51.100.1"),
        (PROXY, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # left part: written by the client
        (PROXY, "198.51.100.1, 10.0.0.7", "198.51.100.1"),  # through two of our proxies
        (PROXY, "198.51.100.1:4711", "198.51.100.1"),
        ("fd00::1", "[2001:db8::5]:443", "2001:db8::5"),
        (PROXY, "", PROXY),
        (PROXY, "unknown", PROXY),  # nothing our proxy would write: do not guess
        (PROXY, "10.0.0.8", "10.0.0.8"),  # only our own machines: the first of them
    ],
)
def test_client_ip_follows_x_forwarded_for_only_from_trusted_proxies(
    trusted_proxy, remote, forwarded, client
):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == client


def test_a_spoofed_forwarded_for_from_an_untrusted_address_is_ignored(
    clinic, bookable, settings, trusted_proxy
):
    settings.PUBLIC_RATE_LIMIT_BOOKINGS = 2
    codes = [
        _details(
            clinic, bookable, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}"
        ).status_code
        for i in range(3)
    ]
    assert codes[-1] == 429  # a fresh X-Forwarded-For each time changes nothing


def test_behind_a_trusted_proxy_each_client_has_its_own_count(
    clinic, bookable, settings, trusted_proxy
):
    settings.PUBLIC_RATE_LIMIT_BOOKINGS = 2
    via_proxy = {"REMOTE_ADDR": PROXY}
    one = [
        _details(clinic, bookable, HTTP_X_FORWARDED_FOR="198.51.100.1", **via_proxy).status_code
        for _ in range(3)
    ]
    other = _details(clinic, bookable, HTTP_X_FORWARDED_FOR="198.51.100.2", **via_proxy)
    assert one[-1] == 429
    assert other.status_code != 429  # not everyone behind the load balancer is one client


def test_a_booking_records_the_client_address_given_by_the_trusted_proxy(
    clinic, bookable, trusted_proxy
):
    from tests.booking.test_public_booking import _payload

    response = Client().post(
        f"/api/v1/public/{clinic.slug}/bookings",
        data=_payload(bookable, next_local(clinic, days=3, hour=9)),
        content_type="application/json",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"6.6.6.6, {CLIENT}",
    )
    assert response.status_code == 201, response.content
    assert Appointment.objects.get().ip_address == CLIENT


def test_sign_in_lock_out_counts_by_the_same_client_address(clinic, make_staff, trusted_proxy):
    """django-axes locks out by username and address: the address is the client's."""
    from axes.helpers import get_client_ip_address

    request = RequestFactory().post("/staff/login/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT)
    assert get_client_ip_address(request) == CLIENT


# --- The public pages ----------------------------------------------------------------------


def test_the_booking_page_answers_429_keeping_what_was_typed(clinic, bookable, settings):
    settings.PUBLIC_RATE_LIMIT_BOOKINGS = 2
    for _ in range(2):
        assert _details(clinic, bookable, REMOTE_ADDR=CLIENT).status_code == 422
    response = _details(clinic, bookable, REMOTE_ADDR=CLIENT)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    page = response.content.decode()
    assert 'id="rate-limited"' in page
    assert "Too many requests. Please wait a minute and try again." in page
    assert 'value="Wikander"' in page and 'value="greta@example.com"' in page
    assert not Appointment.objects.exists()


def test_the_booking_page_says_so_in_the_visitors_language(clinic, bookable, settings):
    settings.PUBLIC_RATE_LIMIT_BOOKINGS = 1
    _details(clinic, bookable, REMOTE_ADDR=CLIENT)
    start = next_local(clinic, days=3, hour=9).isoformat()
    response = Client().post(
        f"/{clinic.slug}/book/",
        {"service": bookable.pk, "start": start, "lang": "sv"},
        REMOTE_ADDR=CLIENT,
    )
    assert response.status_code == 429
    assert "För många förfrågningar" in response.content.decode()


def test_the_booking_request_page_answers_429_keeping_what_was_typed(make_clinic, settings):
    clinic = make_clinic("dental")
    BookingPolicy.objects.filter(clinic=clinic).update(mode="requests")
    settings.PUBLIC_RATE_LIMIT_BOOKINGS = 1
    form = {
        "first_name": "Kari",
        "last_name": "Nordmann",
        "email": "kari@example.com",
        "message": "Helst morgen",
        "accept_privacy_notice": "1",
        "lang": "en",
    }
    assert Client().post(f"/{clinic.slug}/request/", form, REMOTE_ADDR=CLIENT).status_code == 200
    response = Client().post(f"/{clinic.slug}/request/", form, REMOTE_ADDR=CLIENT)
    assert response.status_code == 429 and response["Retry-After"]
    page = response.content.decode()
    assert 'id="rate-limited"' in page
    assert 'value="Nordmann"' in page and "Helst morgen" in page
    assert BookingRequest.objects.count() == 1


def test_the_privacy_request_form_answers_429_keeping_what_was_typed(clinic, settings):
    settings.PUBLIC_RATE_LIMIT_BOOKINGS = 1
    form = {"contact": "greta@example.com", "kind": "access", "details": "Alla mina data"}
    url = f"/{clinic.slug}/privacy/request"
    assert Client().post(url, {**form, "lang": "en"}, REMOTE_ADDR=CLIENT).status_code == 200
    response = Client().post(url, {**form, "lang": "en"}, REMOTE_ADDR=CLIENT)
    assert response.status_code == 429 and response["Retry-After"]
    page = response.content.decode()
    assert 'id="rate-limited"' in page
    assert 'value="greta@example.com"' in page and "Alla mina data" in page
    assert DataSubjectRequest.objects.count() <= 1


def test_another_client_is_not_held_up(clinic, bookable, settings):
    settings.PUBLIC_RATE_LIMIT_BOOKINGS = 1
    _details(clinic, bookable, REMOTE_ADDR=CLIENT)
    assert _details(clinic, bookable, REMOTE_ADDR=CLIENT).status_code == 429
    assert _details(clinic, bookable, REMOTE_ADDR="203.0.113.50").status_code == 422


def test_a_real_booking_still_goes_through_within_the_limit(clinic, bookable):
    number = synthetic_se(__import__("random").Random(3), date(1984, 2, 29))
    response = Client().post(
        f"/{clinic.slug}/book/",
        {
            "service": bookable.pk,
            "start": next_local(clinic, days=3, hour=9).isoformat(),
            "first_name": "Greta",
            "last_name": "Wikander",
            "email": "greta@example.com",
            "identity_number": number,
            "accept_privacy_notice": "1",
            "lang": "en",
        },
        REMOTE_ADDR=CLIENT,
    )
    assert response.status_code == 302
    assert Appointment.objects.count() == 1
