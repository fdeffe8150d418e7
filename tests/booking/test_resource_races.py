"""Never one room in two bookings at once, whatever the concurrency (issue 13, part 5).

50 clients book the one surgery at the same moment, each with a practitioner of their own
and at one of two overlapping times, so that only the room can clash: exactly one gets
201, the 49 others a clean 409 "slot_taken", and one hold is left in the database. On
PostgreSQL against the live test server (the exclusion constraint decides); on SQLite
against the demo server itself (gunicorn, several workers and threads, a database file),
where the triggers decide. And the database itself refuses overlapping holds, on both.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from praksis.booking.models import Appointment, Resource, ResourceHold
from praksis.booking.services import appointment_book, appointment_cancel
from praksis.core.errors import Conflict
from tests.booking.test_races import _fire, _post_json, _racers
from tests.conftest import next_local
from tests.demo_server import demo_env, gunicorn, praksis

RACERS = 50
TAKEN = "That time has just been taken. Please choose another time."


def _room_racers(service_id: int, practitioner_ids: list[int], first) -> list[dict]:
    """Each racer with a practitioner of their own, at 10:00 or 10:15 (overlapping)."""
    return [
        {**payload, "practitioner": pid,
         "start": (first + timedelta(minutes=15 * (i % 2))).isoformat()}
        for i, (payload, pid) in enumerate(
            zip(_racers(RACERS, service_id, first.isoformat()), practitioner_ids, strict=True)
        )
    ]  # fmt: skip


def _check(results: list[tuple[int, dict]]) -> None:
    codes = sorted(code for code, _body in results)
    assert codes.count(201) == 1, results
    assert codes.count(409) == RACERS - 1, results
    refusals = [body for code, body in results if code == 409]
    assert all(body.get("detail") == TAKEN for body in refusals), refusals[:3]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the PostgreSQL race runs in the PostgreSQL pass"
)
@pytest.mark.django_db(transaction=True)
def test_fifty_bookings_of_one_room_on_postgresql(
    live_server, make_clinic, make_bookable, settings
):
    settings.PUBLIC_RATE_LIMIT_BOOKINGS = 0  # all 50 come from one address
    clinic = make_clinic("optician")
    service, staff = make_bookable(clinic, practitioners=RACERS, duration=30, buffer=15)
    room = Resource.objects.create(clinic=clinic, name="Undersökningsrum 1 (spaltlampa)")
    service.resources.set([room])
    first = next_local(clinic, days=3, hour=10)
    url = f"{live_server.url}/api/v1/public/{clinic.slug}/bookings"
    _check(_fire(url, _room_racers(service.pk, [p.pk for p in staff], first)))
    assert Appointment.objects.filter(clinic=clinic).count() == 1
    assert ResourceHold.objects.filter(resource=room).count() == 1


# A clinic for the SQLite race, made in the demo server's own database.
SETUP_SCRIPT = """
import json
from datetime import time
from praksis.booking.models import Practitioner, Resource, Service, WorkingHours
from praksis.clinics.services import clinic_create

clinic = clinic_create(slug="rum-optik", name="Rum Optik", profile="optician",
    regime="SE-human", country="SE", language="sv", time_zone="Europe/Stockholm")
staff = [Practitioner.objects.create(clinic=clinic, name=f"Optiker {i + 1}") for i in range(N)]
WorkingHours.objects.bulk_create(
    WorkingHours(clinic=clinic, practitioner=p, weekday=d, start=time(8), end=time(17))
    for p in staff for d in range(7))
service = Service.objects.create(clinic=clinic, name="Synundersökning", duration_minutes=30,
    buffer_minutes=15)
service.practitioners.set(staff)
room = Resource.objects.create(clinic=clinic, name="Undersökningsrum 1 (spaltlampa)")
service.resources.set([room])
print(json.dumps({"service": service.pk, "staff": [p.pk for p in staff], "room": room.pk}))
"""

COUNT_SCRIPT = """
from praksis.booking.models import Appointment, ResourceHold
print(Appointment.objects.count(), ResourceHold.objects.filter(resource_id=ROOM).count())
"""


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the demo server runs on SQLite")
def test_fifty_bookings_of_one_room_on_the_sqlite_demo_server(tmp_path):
    env = demo_env(tmp_path, PUBLIC_RATE_LIMIT_BOOKINGS="200")
    praksis(env, "migrate", "-v0")
    made = praksis(
        env, "shell", "-v0", "-c", SETUP_SCRIPT.replace("range(N)", f"range({RACERS})"),
        capture_output=True, text=True,
    )  # fmt: skip
    ids = json.loads(made.stdout.strip().splitlines()[-1])
    with gunicorn(env) as server:
        base = server.base
        zone = ZoneInfo("Europe/Stockholm")
        day = timezone.now().astimezone(zone).date() + timedelta(days=3)
        first = datetime(day.year, day.month, day.day, 10, tzinfo=zone)
        payloads = _room_racers(ids["service"], ids["staff"], first)
        results = _fire(f"{base}/api/v1/public/rum-optik/bookings", payloads)
        # The room is free again at another time: one more booking gets it.
        later = {**payloads[0], "start": (first + timedelta(hours=2)).isoformat()}
        after_code, _body = _post_json(f"{base}/api/v1/public/rum-optik/bookings", later)
    _check(results)
    assert after_code == 201
    assert "database is locked" not in server.errors
    counted = praksis(
        env, "shell", "-v0", "-c", COUNT_SCRIPT.replace("ROOM", str(ids["room"])),
        capture_output=True, text=True,
    )  # fmt: skip
    assert counted.stdout.splitlines()[-1].split() == [
        "2",
        "2",
    ]  # the winner and the later one, one hold each


# --- The database itself (both databases) ----------------------------------------------


@pytest.fixture
def two_bookings(clinic, owner, make_person, make_bookable):
    """Two bookings at one time with two practitioners, of a service needing no room."""
    service, (p1, p2) = make_bookable(clinic, practitioners=2, duration=30, buffer=15)
    start = next_local(clinic, days=3, hour=10)
    booked = [
        appointment_book(
            actor=owner, service_id=service.pk, person_id=make_person(owner).pk,
            start=start, practitioner_id=p.pk,
        )
        for p in (p1, p2)
    ]  # fmt: skip
    return clinic, service, booked, Resource.objects.create(clinic=clinic, name="Röntgen")


def _hold(clinic, room, appointment, start, minutes=45) -> ResourceHold:
    return ResourceHold.objects.create(
        clinic=clinic, resource=room, appointment=appointment, start=start,
        busy_until=start + timedelta(minutes=minutes),
    )  # fmt: skip


def test_the_database_refuses_overlapping_holds(two_bookings):
    clinic, _service, (a, b), room = two_bookings
    _hold(clinic, room, a, a.start)
    with pytest.raises(IntegrityError), transaction.atomic():
        _hold(clinic, room, b, a.start + timedelta(minutes=44))
    # Back to back is fine: [10:00, 10:45) and [10:45, 11:30) do not overlap.
    after = _hold(clinic, room, b, a.start + timedelta(minutes=45))
    # Nor can a hold be moved onto another.
    with pytest.raises(IntegrityError), transaction.atomic():
        ResourceHold.objects.filter(pk=after.pk).update(start=a.start + timedelta(minutes=30))
    # Another room at the same time is another matter.
    other = Resource.objects.create(clinic=clinic, name="Operationssal")
    _hold(clinic, other, b, a.start)
    assert ResourceHold.objects.filter(clinic=clinic).count() == 3


def test_a_cancelled_bookings_room_is_free_again(two_bookings, owner):
    clinic, service, (a, b), room = two_bookings
    service.resources.set([room])
    appointment_cancel(actor=owner, appointment_id=b.pk)
    _hold(clinic, room, a, a.start)  # as if ``a`` had been booked needing the room
    taken = next_local(clinic, days=3, hour=10)
    again = dict(actor=owner, service_id=service.pk, person_id=b.person_id, start=taken)
    with pytest.raises(Conflict) as refused:
        appointment_book(**again, practitioner_id=b.practitioner_id)
    assert refused.value.code == "slot_taken"
    appointment_cancel(actor=owner, appointment_id=a.pk)
    assert not ResourceHold.objects.filter(resource=room).exists()
    rebooked = appointment_book(**again, practitioner_id=b.practitioner_id)
    assert ResourceHold.objects.get(resource=room).appointment_id == rebooked.pk
