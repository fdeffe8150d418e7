"""Staff booking through the API and the pages; requests; reminders; database guarantees."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.booking.models import Appointment, BookingPolicy, BookingRequest
from praksis.booking.services import (
    appointment_book,
    booking_ips_expire,
    booking_request_create,
    booking_requests_expire,
    reminders_enqueue,
)
from praksis.messaging.models import OutboxMessage
from tests.conftest import next_local, speaks


@pytest.fixture
def desk(clinic, make_api, make_bookable, owner, make_person):
    service, staff = make_bookable(clinic, practitioners=2)
    person = make_person(
        owner, first_name="Nils", last_name="Holm", email="nils@example.com", phone="0709998877"
    )
    return make_api(clinic, "receptionist"), service, staff, person


def test_staff_book_list_move_cancel(clinic, desk):
    api, service, (_p1, p2), person = desk
    start = next_local(clinic, days=2, hour=11)
    response = api.post(
        "appointments",
        {
            "person": person.pk,
            "service": service.pk,
            "start": start.isoformat(),
            "practitioner": p2.pk,
            "channel": "desk",
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["practitioner"] == p2.pk and created["channel"] == "desk"
    assert created["person_name"] == "Nils Holm"

    day = start.date().isoformat()
    listed = api.get("appointments", **{"from": day, "to": day}).json()
    assert [a["id"] for a in listed["items"]] == [created["id"]]

    clash = api.post(
        "appointments",
        {
            "person": person.pk,
            "service": service.pk,
            "start": start.isoformat(),
            "practitioner": p2.pk,
        },
    )
    assert clash.status_code == 409

    moved = api.post(
        f"appointments/{created['id']}/move", {"start": (start + timedelta(hours=1)).isoformat()}
    )
    assert moved.status_code == 200
    assert moved.json()["start"] == (start + timedelta(hours=1)).isoformat()

    cancelled = api.post(f"appointments/{created['id']}/cancel", {"reason": "ill"})
    assert cancelled.json()["status"] == "cancelled"
    assert api.get("appointments", **{"from": day, "to": day}).json()["count"] == 0


def test_staff_bad_input(clinic, desk):
    api, service, _staff, person = desk
    response = api.post(
        "appointments", {"person": 999999, "service": service.pk, "start": "nonsense"}
    )
    assert response.status_code == 422
    assert {"person", "start"} <= set(response.json()["errors"])
    assert api.post("appointments", {"person": person.pk}).status_code == 422
    assert api.get("appointments", **{"from": "2027-01-10", "to": "2027-01-01"}).status_code == 422


def test_no_show_only_for_past_bookings(clinic, desk, owner):
    api, service, (_p1, _p2), person = desk
    appointment = appointment_book(
        actor=owner,
        service_id=service.pk,
        person_id=person.pk,
        start=next_local(clinic, days=2, hour=9),
    )
    assert api.post(f"appointments/{appointment.pk}/no-show").status_code == 409
    past = timezone.now() - timedelta(days=1)
    Appointment.objects.filter(pk=appointment.pk).update(
        start=past, end=past + timedelta(minutes=30), busy_until=past + timedelta(minutes=30)
    )
    assert api.post(f"appointments/{appointment.pk}/no-show").json()["status"] == "no_show"


def test_database_refuses_overlapping_bookings(clinic, desk, owner):
    """Never double-booked, even when the service layer is bypassed."""
    _api, service, (p1, _p2), person = desk
    first = appointment_book(
        actor=owner,
        service_id=service.pk,
        person_id=person.pk,
        start=next_local(clinic, days=2, hour=9),
        practitioner_id=p1.pk,
    )
    overlapping = Appointment(
        clinic=clinic,
        practitioner=p1,
        service=service,
        person=person,
        start=first.start + timedelta(minutes=15),
        end=first.end + timedelta(minutes=15),
        busy_until=first.end + timedelta(minutes=15),
        channel="phone",
        reference="RAW1",
        manage_token_hash="raw1",
        uid="raw1",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        overlapping.save()
    first.status = "cancelled"
    first.save()
    overlapping.save()  # a cancelled booking frees the time
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=first.pk).update(status="booked")


def test_staff_pages_book_and_show_the_calendar(clinic, desk, make_staff):
    _api, service, (p1, _p2), person = desk
    client = Client()
    client.force_login(make_staff(clinic, "receptionist"))
    day = next_local(clinic, days=2).date()
    page = client.get(
        "/staff/appointments/new/",
        {"person": person.pk, "service": service.pk, "date": day.isoformat()},
    )
    assert page.status_code == 200
    slot = f"{next_local(clinic, 2, 10).isoformat()}|{p1.pk}"
    assert slot in page.content.decode()
    response = client.post(
        "/staff/appointments/new/",
        {
            "person": person.pk,
            "service": service.pk,
            "date": day.isoformat(),
            "slot": slot,
            "channel": "phone",
        },
    )
    appointment = Appointment.objects.get()
    assert response["Location"] == f"/staff/appointments/{appointment.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert "Nils Holm" in detail and "n***@example.com" in detail  # delivery state, masked
    calendar = client.get("/staff/calendar/", {"date": day.isoformat()}).content.decode()
    assert "Nils Holm" in calendar
    assert "<time>10:00–10:30</time>" in calendar  # on the clinic's clock, not UTC
    again = client.post(
        "/staff/appointments/new/",
        {"person": person.pk, "service": service.pk, "date": day.isoformat(), "slot": slot},
    )
    assert again.status_code == 422  # taken: the form is shown again with the reason
    cancel = client.post(f"/staff/appointments/{appointment.pk}/cancel/", {"reason": "flu"})
    assert cancel.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "cancelled" and appointment.cancel_reason == "flu"


# --- Requests -------------------------------------------------------------------------


@pytest.fixture
def dental(make_clinic, make_bookable, make_api):
    clinic = make_clinic("dental")
    BookingPolicy.objects.filter(clinic=clinic).update(mode="requests")
    service, staff = make_bookable(clinic)
    return clinic, service, staff, make_api(clinic, "receptionist")


def test_booking_request_to_booking(dental, make_actor, make_person):
    clinic, service, (_p1,), api = dental
    response = Client().post(
        f"/api/v1/public/{clinic.slug}/booking-requests",
        data={
            "first_name": "Kari",
            "last_name": "Nordmann",
            "email": "kari@example.com",
            "preferred_weekdays": [0, 2],
            "preferred_time": "morning",
            "source": "Google",
            "message": "",
            "accept_privacy_notice": True,
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    request_id = response.json()["id"]
    listed = api.get("booking-requests").json()["items"]
    assert listed[0]["preferred_weekdays"] == [0, 2] and listed[0]["source"] == "Google"
    assert OutboxMessage.objects.filter(kind="request", to_address="kari@example.com").exists()

    person = make_person(make_actor(clinic, "owner"), first_name="Kari", last_name="Nordmann")
    converted = api.post(
        f"booking-requests/{request_id}/convert",
        {"person": person.pk, "start": next_local(clinic, 3, 9).isoformat(), "service": service.pk},
    )
    assert converted.status_code == 201
    booking_request = BookingRequest.objects.get()
    assert booking_request.status == "converted"
    assert booking_request.appointment_id == converted.json()["id"]
    assert api.get("booking-requests").json()["count"] == 0


def test_booking_request_validation_and_decline(dental):
    clinic, _service, _staff, api = dental
    bad = Client().post(
        f"/api/v1/public/{clinic.slug}/booking-requests",
        data={"first_name": "", "preferred_weekdays": [9], "preferred_time": "midnight"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert {
        "first_name",
        "last_name",
        "email",
        "preferred_weekdays",
        "preferred_time",
        "accept_privacy_notice",
    } <= set(bad.json()["errors"])
    created = booking_request_create(
        clinic=clinic,
        data={
            "first_name": "Ola",
            "last_name": "N",
            "phone": "41234567",
            "accept_privacy_notice": True,
        },
    )
    declined = api.post(f"booking-requests/{created.pk}/decline", {"reason": "Full"})
    assert declined.json()["status"] == "declined"


def test_unconverted_requests_expire_and_are_deleted(dental):
    clinic, _service, _staff, _api = dental
    created = booking_request_create(
        clinic=clinic,
        data={
            "first_name": "Ola",
            "last_name": "N",
            "phone": "41234567",
            "accept_privacy_notice": True,
        },
    )
    assert booking_requests_expire() == 0
    later = created.expires_at + timedelta(seconds=1)
    assert booking_requests_expire(now=later) == 1
    assert not BookingRequest.objects.exists()
    evidence = AccessLogEntry.objects.filter(
        clinic=clinic, object_type="booking_request", action="delete"
    ).get()
    assert evidence.detail == "rule=booking-requests-expired; delete: 1"  # no content


def test_booking_ips_expire(clinic, make_bookable):
    from tests.booking.test_public_booking import _payload, _post

    service, _staff = make_bookable(clinic)
    _post(clinic, _payload(service, next_local(clinic, 3, 9)))
    appointment = Appointment.objects.get()
    assert appointment.ip_address
    assert booking_ips_expire(now=appointment.ip_expires_at + timedelta(seconds=1)) == 1
    appointment.refresh_from_db()
    assert appointment.ip_address is None


# --- Reminders --------------------------------------------------------------------------


def test_reminders_are_queued_once_within_the_window(clinic, desk, owner):
    _api, service, _staff, person = desk
    soon = appointment_book(
        actor=owner,
        service_id=service.pk,
        person_id=person.pk,
        start=next_local(clinic, days=1, hour=10),
    )
    appointment_book(
        actor=owner,
        service_id=service.pk,
        person_id=person.pk,
        start=next_local(clinic, days=6, hour=10),
    )
    now = soon.start - timedelta(hours=20)
    assert reminders_enqueue(now=now) == 2  # e-mail and SMS for the one within 24 h
    assert reminders_enqueue(now=now) == 0  # idempotent
    reminders = OutboxMessage.objects.filter(kind="reminder")
    assert {(m.channel, m.related_id) for m in reminders} == {("email", soon.pk), ("sms", soon.pk)}


def test_register_and_book_reuses_a_known_client(dental, make_actor, make_person, make_staff):
    clinic, _service, _staff, _api = dental
    known = make_person(
        make_actor(clinic, "owner"), first_name="Kari", last_name="Nordmann", phone="41234567"
    )
    request = booking_request_create(
        clinic=clinic,
        data={
            "first_name": "Kari",
            "last_name": "Nordmann",
            "phone": "412 34 567",
            "accept_privacy_notice": True,
        },
    )
    fresh = booking_request_create(
        clinic=clinic,
        data={
            "first_name": "Ola",
            "last_name": "Nilsen",
            "phone": "98765432",
            "accept_privacy_notice": True,
        },
    )
    client = Client()
    client.force_login(make_staff(clinic, "receptionist"))
    response = client.post(f"/staff/requests/{request.pk}/register/")
    assert f"person={known.pk}" in response["Location"]
    response = client.post(f"/staff/requests/{fresh.pk}/register/")
    from praksis.people.models import Person

    ola = Person.objects.get(clinic=clinic, last_name="Nilsen")
    assert f"person={ola.pk}" in response["Location"]


# --- Bookings in the past ---------------------------------------------------------------


def _yesterday(clinic, hour: int = 10):
    return next_local(clinic, days=-1, hour=hour)


def test_the_api_refuses_a_start_that_has_passed_unless_told_it_is_a_past_visit(clinic, desk):
    api, service, _staff, person = desk
    booking = {"person": person.pk, "service": service.pk, "start": _yesterday(clinic).isoformat()}
    refused = api.post("appointments", booking)
    assert refused.status_code == 422
    assert list(refused.json()["errors"]) == ["start"]
    assert "already taken place" in refused.json()["errors"]["start"][0]
    assert not Appointment.objects.exists()
    recorded = api.post("appointments", {**booking, "allow_past": True})
    assert recorded.status_code == 201, recorded.content
    appointment = Appointment.objects.get()
    assert appointment.start == _yesterday(clinic)
    logged = AccessLogEntry.objects.get(
        object_type="appointment", object_id=str(appointment.pk), action="create"
    )
    assert logged.detail == "past visit recorded"
    # Nobody is told "your booking is confirmed" for a visit that is over.
    assert not OutboxMessage.objects.filter(related_type="appointment").exists()


def test_a_booking_ahead_is_not_marked_as_a_past_visit(clinic, desk):
    api, service, _staff, person = desk
    start = next_local(clinic, days=2, hour=10)
    response = api.post(
        "appointments",
        {
            "person": person.pk,
            "service": service.pk,
            "start": start.isoformat(),
            "allow_past": True,
        },
    )
    assert response.status_code == 201
    logged = AccessLogEntry.objects.get(
        object_type="appointment", object_id=str(response.json()["id"]), action="create"
    )
    assert logged.detail == ""
    assert OutboxMessage.objects.filter(related_type="appointment", kind="confirmation").exists()


def test_the_calendar_form_books_the_past_only_with_the_box_ticked(clinic, desk, make_staff):
    _api, service, (p1, _p2), person = desk
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(speaks(make_staff(clinic, "receptionist"), "en"))
    day = _yesterday(clinic).date().isoformat()
    slot = f"{_yesterday(clinic).isoformat()}|{p1.pk}"
    query = {"person": person.pk, "service": service.pk, "date": day}
    assert slot not in client.get("/staff/appointments/new/", query).content.decode()
    offered = client.get("/staff/appointments/new/", {**query, "past": "1"}).content.decode()
    assert slot in offered and 'id="past-visit"' in offered
    refused = client.post("/staff/appointments/new/", {**query, "slot": slot, "note": "walk-in"})
    assert refused.status_code == 422
    page = refused.content.decode()
    assert "To record a visit that has already taken place, mark it as such." in page
    assert 'value="walk-in"' in page  # what was typed is kept
    assert not Appointment.objects.exists()
    booked = client.post("/staff/appointments/new/", {**query, "slot": slot, "past": "1"})
    appointment = Appointment.objects.get()
    assert booked["Location"] == f"/staff/appointments/{appointment.pk}/"
    logged = AccessLogEntry.objects.get(
        object_type="appointment", object_id=str(appointment.pk), action="create"
    )
    assert logged.detail == "past visit recorded"


def test_a_booking_cannot_be_moved_to_a_time_that_has_passed(clinic, desk, owner):
    api, service, _staff, person = desk
    appointment = appointment_book(
        actor=owner, service_id=service.pk, person_id=person.pk, start=next_local(clinic, 2, 9)
    )
    moved = api.post(
        f"appointments/{appointment.pk}/move", {"start": _yesterday(clinic, 11).isoformat()}
    )
    assert moved.status_code == 422 and list(moved.json()["errors"]) == ["start"]
    appointment.refresh_from_db()
    assert appointment.start == next_local(clinic, 2, 9)


def test_a_booking_request_is_not_converted_into_the_past(dental, make_actor, make_person):
    clinic, service, _staff, api = dental
    created = booking_request_create(
        clinic=clinic,
        data={
            "first_name": "Ola",
            "last_name": "N",
            "phone": "41234567",
            "accept_privacy_notice": True,
        },
    )
    person = make_person(make_actor(clinic, "owner"), first_name="Ola", last_name="N")
    converted = api.post(
        f"booking-requests/{created.pk}/convert",
        {"person": person.pk, "start": _yesterday(clinic).isoformat(), "service": service.pk},
    )
    assert converted.status_code == 422
    assert BookingRequest.objects.get().status == "open"
