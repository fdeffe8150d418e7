"""Client self-service through the manage link: see, move, cancel, download the .ics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from icalendar import Calendar

from praksis.booking.models import Appointment, BookingPolicy
from praksis.booking.services import appointment_book, manage_token
from praksis.messaging.models import OutboxMessage
from tests.conftest import next_local


@pytest.fixture
def booked(clinic, owner, make_person, make_bookable):
    service, _staff = make_bookable(clinic)
    person = make_person(owner, email="greta@example.com", phone="0701234567")
    appointment = appointment_book(
        actor=owner,
        service_id=service.pk,
        person_id=person.pk,
        start=next_local(clinic, days=5, hour=10),
    )
    token = manage_token(appointment)
    return appointment, f"/{clinic.slug}/booking/{token}/"


def _ics(client, url):
    response = client.get(url + "calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar"
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_manage_page_and_calendar_file(booked):
    appointment, url = booked
    client = Client()
    page = client.get(url + "?lang=en")
    assert page.status_code == 200
    assert appointment.reference in page.content.decode()
    calendar, event = _ics(client, url)
    assert str(calendar["method"]) == "PUBLISH"
    assert str(event["uid"]) == appointment.uid
    assert event.decoded("dtstart") == appointment.start
    assert int(event["sequence"]) == 0
    assert str(event["status"]) == "CONFIRMED"


def test_client_moves_the_booking(booked):
    appointment, url = booked
    client = Client()
    new_start = appointment.start + timedelta(days=1, hours=2)
    response = client.post(url + "move/", {"start": new_start.isoformat()})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.start == new_start
    assert appointment.sequence == 1
    _calendar, event = _ics(client, url)
    assert str(event["uid"]) == appointment.uid  # stable UID, so calendars update the event
    assert int(event["sequence"]) == 1
    assert OutboxMessage.objects.filter(kind="change", related_id=appointment.pk).exists()


def test_client_cancels_the_booking(booked):
    appointment, url = booked
    client = Client()
    assert client.post(url + "cancel/").status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    calendar, event = _ics(client, url)
    assert str(calendar["method"]) == "CANCEL"
    assert str(event["status"]) == "CANCELLED"
    assert int(event["sequence"]) == 1
    cancellation = OutboxMessage.objects.filter(kind="cancellation", related_id=appointment.pk)
    assert {m.channel for m in cancellation} == {"email", "sms"}
    # Cancelling twice is a clean refusal, not an error.
    assert client.post(url + "cancel/").status_code == 409


def test_no_changes_after_the_cutoff(booked, clinic):
    appointment, url = booked
    BookingPolicy.objects.filter(clinic=clinic).update(cancel_cutoff_hours=24 * 30)
    client = Client()
    assert client.post(url + "cancel/").status_code == 409
    new_start = appointment.start + timedelta(days=1)
    assert client.post(url + "move/", {"start": new_start.isoformat()}).status_code == 409
    appointment.refresh_from_db()
    assert appointment.status == "booked" and appointment.sequence == 0


def test_a_wrong_or_foreign_token_is_404(booked, make_clinic):
    appointment, url = booked
    client = Client()
    assert client.get(url.replace(url.split("/")[-2], "x" * 43)).status_code == 404
    other = make_clinic("other")
    foreign = url.replace(f"/{appointment.clinic.slug}/", f"/{other.slug}/")
    assert client.get(foreign).status_code == 404
    assert client.post(foreign + "cancel/").status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_the_manage_page_offers_no_consents_only_the_way_to_a_link_on_record(clinic, make_bookable):
    """REQ-29: consents are withdrawn through a link sent to the contact on record, never
    from a booking's manage link (whoever booked may not be the person)."""
    from praksis.booking.services import manage_token as token_of
    from praksis.privacy.models import Consent
    from tests.booking.test_public_booking import _payload, _post

    service, _staff = make_bookable(clinic)
    response = _post(clinic, _payload(service, next_local(clinic, 3, 9), marketing_opt_in=True))
    appointment = Appointment.objects.get(reference=response.json()["reference"])
    url = f"/{clinic.slug}/booking/{token_of(appointment)}/"
    client = Client()
    page = client.get(url + "?lang=en").content.decode()
    marketing = Consent.objects.get(purpose="marketing_email")
    assert "withdraw" not in page.lower()
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title == f"Your booking · {clinic.name}"  # the title holds nothing else
    assert f"/{clinic.slug}/consents/" in page
    assert client.post(url + f"consents/{marketing.pk}/withdraw/").status_code == 404
    marketing.refresh_from_db()
    assert marketing.withdrawn_at is None
