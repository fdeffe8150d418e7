"""The Today page, where staff land after signing in: the day's bookings per practitioner,
what waits (booking requests, online bookings to confirm, failed messages) and, for the
owner, the privacy deadlines (REQ-24 requests due, REQ-31 the breach clock)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.booking.models import Appointment
from praksis.booking.services import appointment_book, appointment_cancel, booking_request_create
from praksis.breaches.services import breach_register
from praksis.messaging.models import OutboxMessage, Status
from praksis.messaging.services import message_enqueue
from praksis.privacy.models import DataSubjectRequest
from praksis.privacy.requests import request_create
from tests.conftest import next_local


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _today_at(clinic, hour: int, minute: int = 0):
    return next_local(clinic, days=0, hour=hour, minute=minute)


@pytest.fixture
def day(clinic, other_clinic, owner, make_person, make_bookable, make_actor):
    """Two practitioners' bookings today (one cancelled), one tomorrow; another clinic's
    booking today; a booking request, a failed message, privacy requests and a breach."""
    service, (first, second) = make_bookable(clinic, practitioners=2)
    greta = make_person(owner, first_name="Greta", last_name="Wikander")
    per = make_person(owner, first_name="Per", last_name="Holm")

    def book(person, practitioner, start):
        return appointment_book(
            actor=owner,
            service_id=service.pk,
            person_id=person.pk,
            start=start,
            practitioner_id=practitioner.pk,
            allow_past=True,
        )

    book(greta, first, _today_at(clinic, 9, 30))
    book(per, first, _today_at(clinic, 8, 15))
    book(per, second, _today_at(clinic, 11))
    cancelled = book(greta, second, _today_at(clinic, 14))
    appointment_cancel(actor=owner, appointment_id=cancelled.pk)
    book(greta, second, next_local(clinic, days=1, hour=10))

    theirs = make_actor(other_clinic, "owner")
    their_service, (their_practitioner,) = make_bookable(other_clinic)
    appointment_book(
        actor=theirs,
        service_id=their_service.pk,
        person_id=make_person(theirs, first_name="Tove", last_name="Okänd").pk,
        start=_today_at(other_clinic, 10),
        practitioner_id=their_practitioner.pk,
        allow_past=True,
    )

    booking_request_create(
        clinic=clinic,
        data={
            "first_name": "Alva",
            "last_name": "Berg",
            "phone": "0701740642",
            "accept_privacy_notice": True,
        },
    )
    for to in ("greta@example.com", "per@example.com"):
        message_enqueue(
            clinic=clinic, channel="email", to=to, subject="Hej", body="Hej", kind="other"
        )
    OutboxMessage.objects.filter(clinic=clinic).update(status=Status.FAILED)
    failed = OutboxMessage.objects.filter(clinic=clinic, status=Status.FAILED).count()

    soon = request_create(actor=owner, person_id=greta.pk, kind="access")
    later = request_create(actor=owner, person_id=per.pk, kind="erasure")
    today = timezone.localdate(timezone=clinic.zone)
    DataSubjectRequest.objects.filter(pk=soon.pk).update(due_date=today + timedelta(days=3))
    DataSubjectRequest.objects.filter(pk=later.pk).update(due_date=today + timedelta(days=20))
    breach = breach_register(
        actor=owner,
        description="A laptop was stolen.",
        discovered_at=timezone.now() - timedelta(hours=2),
        risk="high",
    )
    return {
        "first": first,
        "second": second,
        "failed": failed,
        "soon": soon,
        "breach": breach,
    }


def _column(body: str, practitioner) -> str:
    match = re.search(rf"<h3>{re.escape(practitioner.name)}</h3>(.*?)</section>", body, re.S)
    assert match, f"no column for {practitioner.name}"
    return match.group(1)


def test_staff_see_the_days_bookings_per_practitioner_in_time_order(day, clinic, make_staff):
    body = _signed_in(make_staff(clinic, "receptionist")).get("/staff/").content.decode()
    first = _column(body, day["first"])
    assert re.search(r">08:15</time>\s*Per Holm.*>09:30</time>\s*Greta Wikander", first, re.S)
    second = _column(body, day["second"])
    assert ">11:00</time>" in second and "Per Holm" in second
    assert ">14:00</time>" not in second  # cancelled
    assert "10:00" not in second  # tomorrow
    assert "Okänd" not in body  # another clinic's booking, the same day


def test_staff_see_what_waits_for_them(day, clinic, make_staff):
    body = _signed_in(make_staff(clinic, "receptionist")).get("/staff/").content.decode()
    assert re.search(r'id="tile-requests">\s*<a href="/staff/requests/"><strong>1</strong>', body)
    assert re.search(r'id="tile-identity">\s*<a href="[^"]+"><strong>0</strong>', body)
    failed = day["failed"]
    assert failed > 0
    assert re.search(
        rf'id="tile-failed">\s*<a href="/staff/messages/\?status=failed"><strong>{failed}</strong>',
        body,
    )


def test_an_online_booking_to_confirm_is_counted(day, clinic, make_staff):
    Appointment.objects.filter(clinic=clinic).exclude(status="cancelled").filter(
        practitioner=day["second"]
    ).update(identity_match=Appointment.IdentityMatch.TO_CONFIRM)
    body = _signed_in(make_staff(clinic, "receptionist")).get("/staff/").content.decode()
    assert re.search(r'id="tile-identity">\s*<a href="[^"]+"><strong>2</strong>', body)


def test_req24_req31_the_owner_sees_privacy_deadlines_and_the_breach_clock(day, clinic, owner):
    body = _signed_in(owner.user).get("/staff/").content.decode()
    section = re.search(r'<section class="card" id="privacy-deadlines">(.*?)</section>', body, re.S)
    assert section, "no privacy deadlines for the owner"
    deadlines = section.group(1)
    assert f'href="/staff/persons/{day["soon"].person_id}/"' in deadlines  # due in 3 days
    assert "Per Holm" not in deadlines  # due in 20 days
    assert f'href="/staff/breaches/{day["breach"].pk}/"' in deadlines
    assert "69 h" in deadlines or "70 h" in deadlines


def test_other_roles_see_no_privacy_deadlines(day, clinic, make_staff):
    for role in ("receptionist", "practitioner"):
        body = _signed_in(make_staff(clinic, role)).get("/staff/").content.decode()
        assert 'id="privacy-deadlines"' not in body


def test_reading_today_is_logged_as_lists(day, clinic, owner):
    before = AccessLogEntry.objects.filter(clinic=clinic).count()
    _signed_in(owner.user).get("/staff/")
    rows = AccessLogEntry.objects.filter(clinic=clinic).order_by("seq")[before:]
    assert {(r.action, r.object_type) for r in rows} == {
        ("list", "appointment"),
        ("list", "privacy_request"),
    }


def test_the_today_page_costs_a_fixed_number_of_queries(
    day, clinic, owner, make_person, make_bookable, django_assert_num_queries
):
    """As many bookings and requests as you like: the page's query count stays put."""
    client = _signed_in(owner.user)
    client.get("/staff/")  # sessions and caches warm
    with django_assert_num_queries(QUERIES):
        assert client.get("/staff/").status_code == 200
    greta = make_person(owner, first_name="Greta", last_name="Lund")
    service, (third,) = make_bookable(clinic)
    appointment_book(
        actor=owner,
        service_id=service.pk,
        person_id=greta.pk,
        start=_today_at(clinic, 12),
        practitioner_id=third.pk,
        allow_past=True,
    )
    with django_assert_num_queries(QUERIES):
        assert client.get("/staff/").status_code == 200


# Session, user, membership; practitioners, the day's bookings; requests waiting, identity
# matches, failed messages; privacy requests due; the user's clinics (menu), breaches (the
# clock); an access-log row for each of the two lists (head, insert, head update: 3 each);
# the session saved (savepoint, update, release).
QUERIES = 20
