"""Online booking through the public API: 201 with a reference, 409 when taken, 422 for bad
input; the notice version, consents, IP and confirmation message are kept (REQ-29)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from praksis.booking.models import Appointment, BookingPolicy
from praksis.messaging.models import OutboxMessage
from praksis.people.identity import synthetic_no, synthetic_se
from praksis.people.models import Animal, Person
from praksis.privacy.models import Consent
from tests.conftest import next_local


def _post(clinic, data, **environ):
    return Client().post(
        f"/api/v1/public/{clinic.slug}/bookings",
        data=data,
        content_type="application/json",
        headers={"Accept-Language": "en"},
        **environ,
    )


@pytest.fixture
def bookable(clinic, make_bookable):
    service, staff = make_bookable(clinic, practitioners=1)
    return service, staff[0]


def _payload(service, start, **extra):
    number = synthetic_se(random.Random(start.minute + start.day), date(1984, 2, 29))
    return {
        "service": service.pk,
        "start": start.isoformat(),
        "first_name": "Greta",
        "last_name": "Wikander",
        "email": "greta@example.com",
        "phone": "0701234567",
        "identity_number": number,
        "accept_privacy_notice": True,
        "marketing_opt_in": False,
        **extra,
    }


def test_book_a_free_slot(clinic, bookable):
    service, practitioner = bookable
    start = next_local(clinic, days=3, hour=9)
    response = _post(clinic, _payload(service, start), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["reference"]) == 8
    assert body["start"] == start.isoformat()
    assert body["practitioner"] == practitioner.pk
    appointment = Appointment.objects.get(reference=body["reference"])
    assert appointment.channel == "online"
    assert appointment.notice_version == 1  # REQ-29: which notice version was acknowledged
    assert appointment.ip_address == "203.0.113.7"  # security log, with its own retention
    assert appointment.ip_expires_at > timezone.now() + timedelta(days=29)
    person = appointment.person
    assert person.identity_number and person.phone == "+46701234567"
    consents = list(Consent.objects.filter(person=person).values_list("purpose", "text_version"))
    assert consents == [("privacy_notice", "notice-v1")]  # no marketing without opt-in
    # The confirmation e-mail is queued in the same transaction, with link and .ics.
    message = OutboxMessage.objects.get(related_type="appointment", related_id=appointment.pk)
    assert message.kind == "confirmation" and message.to_address == "greta@example.com"
    assert f"/{clinic.slug}/booking/" in message.body
    assert "BEGIN:VCALENDAR" in message.attachment_body
    assert "offer" not in message.body.lower()  # no marketing in a service message


def test_marketing_opt_in_is_recorded_separately(clinic, bookable):
    service, _p = bookable
    response = _post(
        clinic,
        _payload(service, next_local(clinic, 3, 9), marketing_opt_in=True),
        HTTP_USER_AGENT="Test/1.0",
    )
    assert response.status_code == 201
    marketing = Consent.objects.get(purpose="marketing_email")
    assert marketing.channel == "online"
    assert marketing.user_agent == "Test/1.0"
    assert marketing.ip_address == "127.0.0.1"
    assert marketing.text_shown


def test_the_same_slot_twice_is_409(clinic, bookable):
    service, _p = bookable
    start = next_local(clinic, days=3, hour=9)
    assert _post(clinic, _payload(service, start)).status_code == 201
    other = _payload(
        service,
        start,
        email="other@example.com",
        identity_number=synthetic_se(random.Random(9), date(1990, 1, 1)),
    )
    second = _post(clinic, other)
    assert second.status_code == 409
    assert "taken" in second.json()["detail"]
    assert Appointment.objects.count() == 1
    assert Person.objects.count() == 1  # the losing booking left nothing behind


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"accept_privacy_notice": False}, "accept_privacy_notice"),
        ({"accept_privacy_notice": None}, "accept_privacy_notice"),
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"phone": "123"}, "phone"),
        ({"identity_number": "19840229-0000"}, "identity_number"),
        ({"identity_number": ""}, "identity_number"),
        ({"first_name": ""}, "first_name"),
        ({"service": 999999}, "service"),
        ({"service": "abc"}, "service"),
        ({"start": "tomorrow at nine"}, "start"),
    ],
)
def test_bad_input_is_422_with_field_errors(clinic, bookable, change, field):
    service, _p = bookable
    response = _post(clinic, {**_payload(service, next_local(clinic, 3, 9)), **change})
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert not Appointment.objects.exists() and not Person.objects.exists()


@pytest.mark.parametrize(
    "when",
    [
        lambda c: next_local(c, days=3, hour=7),  # before opening
        lambda c: next_local(c, days=3, hour=16, minute=45),  # would end after closing
        lambda c: next_local(c, days=3, hour=9, minute=7),  # not on the slot grid
        lambda c: next_local(c, days=-1, hour=9),  # in the past
        lambda c: next_local(c, days=200, hour=9),  # beyond the horizon
        lambda c: timezone.now() + timedelta(minutes=10),  # within the notice period
    ],
)
def test_times_outside_hours_are_422(clinic, bookable, when):
    service, _p = bookable
    response = _post(clinic, _payload(service, when(clinic)))
    assert response.status_code == 422
    assert "start" in response.json()["errors"]


def test_unknown_clinic_is_404(clinic, bookable):
    _service, _p = bookable
    response = Client().post(
        "/api/v1/public/no-such-clinic/bookings", data={}, content_type="application/json"
    )
    assert response.status_code == 404


def test_services_and_availability_endpoints(clinic, bookable):
    service, practitioner = bookable
    client = Client()
    services = client.get(f"/api/v1/public/{clinic.slug}/services").json()
    assert services["items"] == [
        {"id": service.pk, "name": "Undersökning", "duration_minutes": 30, "price": "0.00"}
    ]
    day = next_local(clinic, days=3).date()
    response = client.get(
        f"/api/v1/public/{clinic.slug}/availability",
        {"service": service.pk, "from": day.isoformat(), "to": day.isoformat()},
    )
    slots = response.json()["items"]
    assert slots[0]["start"] == next_local(clinic, 3, 8).isoformat()  # offset included
    assert slots[0]["start"].endswith(("+01:00", "+02:00"))
    assert slots[0]["practitioner"] == practitioner.pk
    bad = client.get(
        f"/api/v1/public/{clinic.slug}/availability", {"service": service.pk, "from": "22/11"}
    )
    assert bad.status_code == 422 and "from" in bad.json()["errors"]
    too_long = client.get(
        f"/api/v1/public/{clinic.slug}/availability",
        {"service": service.pk, "from": "2027-01-01", "to": "2027-12-31"},
    )
    assert too_long.status_code == 422


def test_therapy_booking_keeps_only_the_birth_date(make_clinic, make_bookable):
    clinic = make_clinic("therapy")
    service, _staff = make_bookable(clinic)
    number = synthetic_se(random.Random(3), date(1979, 6, 30))
    payload = _payload(service, next_local(clinic, 3, 9), identity_number=number)
    assert _post(clinic, payload).status_code == 201
    person = Person.objects.get()
    assert person.identity_number is None and person.birth_date == date(1979, 6, 30)


def test_vet_booking_registers_owner_and_animal(make_clinic, make_bookable):
    clinic = make_clinic("vet")
    service, _staff = make_bookable(clinic)
    number = synthetic_no(random.Random(3), date(1979, 6, 30))
    payload = _payload(service, next_local(clinic, 3, 9), identity_number=number, phone="41234567")
    missing = _post(clinic, payload)
    assert missing.status_code == 422
    assert {"animal_name", "animal_species"} <= set(missing.json()["errors"])
    response = _post(clinic, {**payload, "animal_name": "Bamse", "animal_species": "dog"})
    assert response.status_code == 201
    appointment = Appointment.objects.get()
    animal = Animal.objects.get()
    assert appointment.animal == animal
    assert list(animal.owners.all()) == [appointment.person]


def test_request_mode_clinics_refuse_direct_bookings(clinic, bookable):
    service, _p = bookable
    BookingPolicy.objects.filter(clinic=clinic).update(mode="requests")
    response = _post(clinic, _payload(service, next_local(clinic, 3, 9)))
    assert response.status_code == 422


def test_public_endpoints_are_rate_limited(clinic, bookable, settings):
    from django.core.cache import cache

    cache.clear()
    settings.PUBLIC_RATE_LIMIT_BOOKINGS = 3
    service, _p = bookable
    responses = [_post(clinic, {"service": service.pk}) for _ in range(5)]
    assert [r.status_code for r in responses] == [422, 422, 422, 429, 429]
    refused = responses[-1]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["detail"]
    cache.clear()


def test_booking_page_opens_on_the_first_week_with_free_times(clinic, make_bookable):
    from praksis.booking.models import WorkingHours

    service, (practitioner,) = make_bookable(clinic)
    later = next_local(clinic, days=20).date()
    WorkingHours.objects.filter(practitioner=practitioner).exclude(weekday=later.weekday()).delete()
    from praksis.booking.models import ClosedDay

    for offset in range(0, 14):  # the next two weeks are closed
        ClosedDay.objects.get_or_create(clinic=clinic, date=next_local(clinic, days=offset).date())
    page = Client().get(f"/{clinic.slug}/", {"service": service.pk, "lang": "en"})
    assert page.status_code == 200
    assert 'class="time"' in page.content.decode()  # no page of "no free times"
