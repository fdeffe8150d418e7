"""Impossible input is bad input, never a server error (issue 10, defect 2).

Dates that do not exist, offsets no zone has, years no clinic works in, integers of 64
bits and more, NUL characters, arrays where an object belongs: each gets a 422 in the
error shape (or a form error), on SQLite and PostgreSQL, and nothing is written.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from praksis.booking.models import Appointment
from praksis.people.models import Person
from tests.booking.test_public_booking import _payload
from tests.conftest import next_local

HUGE = 2**64
NOT_REAL_STARTS = [
    "2027-02-30T10:00:00+01:00",  # no 30 February
    "2027-03-01T25:00:00+01:00",  # no hour 25
    "2027-03-01T10:00:00+99:00",  # no such offset
    "9999-12-31T23:30:00+01:00",  # the end would overflow
    "0001-01-01T00:00:00",
    "2027-03-01T10:00:00\x00",
]


def _shape(response) -> dict:
    assert response.status_code == 422, (response.status_code, response.content[:300])
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict) and body["errors"]
    for messages in body["errors"].values():
        assert all(isinstance(m, str) and "\x00" not in m for m in messages)
    return body


@pytest.fixture
def service(clinic, make_bookable):
    return make_bookable(clinic)[0]


@pytest.mark.parametrize("start", NOT_REAL_STARTS)
def test_a_public_booking_at_a_time_that_does_not_exist_is_422(clinic, service, start):
    payload = {**_payload(service, next_local(clinic, 3, 10)), "start": start}
    response = Client().post(
        f"/api/v1/public/{clinic.slug}/bookings",
        data=json.dumps(payload),
        content_type="application/json",
    )
    assert "start" in _shape(response)["errors"]
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("start", NOT_REAL_STARTS)
def test_the_booking_page_sends_a_time_that_does_not_exist_back_to_the_choice(
    clinic, service, start
):
    client = Client()
    data = {**_payload(service, next_local(clinic, 3, 10)), "start": start}
    data["accept_privacy_notice"] = "1"
    for response in (
        client.get(f"/{clinic.slug}/book/", {"service": service.pk, "start": start}),
        client.post(f"/{clinic.slug}/book/", data),
    ):
        assert response.status_code in (302, 422), response.status_code
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "appointments?from=9999-12-25",
        "appointments?from=0001-01-01",
        "appointments?from=2027-02-30",
        f"appointments?practitioner={HUGE}",
        f"persons?q=Anna&offset={HUGE}",
        f"persons?q=Anna&limit={HUGE}",
        "persons?q=An%00na",
        f"consents?person={HUGE}",
    ],
)
def test_impossible_query_values_are_422(clinic, make_api, path):
    _shape(make_api(clinic, "owner").get(path))


def test_an_id_of_64_bits_in_a_path_is_simply_not_found(clinic, make_api):
    response = make_api(clinic, "owner").get(f"persons/{HUGE}")
    assert response.status_code == 404
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"person": HUGE, "kind": "access"},
        {"person": -HUGE, "kind": "access"},
        {"person": 1, "kind": "acc\x00ess"},
    ],
)
def test_impossible_body_values_are_422(clinic, make_api, body):
    _shape(make_api(clinic, "owner").post("privacy-requests", body))


@pytest.mark.parametrize("raw", ["[]", '[{"reason": "x"}]', '"cancel"', "7", "{", "\x00"])
def test_a_body_that_is_not_a_json_object_runs_nothing(clinic, owner, make_api, service, raw):
    from praksis.booking.services import appointment_book

    person = Person.objects.create(clinic=clinic, first_name="Ada", last_name="Berg")
    appointment = appointment_book(
        actor=owner, service_id=service.pk, person_id=person.pk, start=next_local(clinic, 3, 9)
    )
    api = make_api(clinic, "owner")
    response = api.client.post(
        f"/api/v1/appointments/{appointment.pk}/cancel",
        data=raw,
        content_type="application/json",
        headers=api.headers,
    )
    assert "__all__" in _shape(response)["errors"]
    appointment.refresh_from_db()
    assert appointment.status == "booked"  # the action did not run


def test_a_nul_in_a_name_is_422_and_nothing_is_stored(clinic, make_api):
    response = make_api(clinic, "owner").post(
        "persons", {"first_name": "An\x00na", "last_name": "Berg", "identity_number": ""}
    )
    _shape(response)
    assert not Person.objects.filter(last_name="Berg").exists()


def test_errors_never_echo_what_was_typed(clinic, make_api):
    typed = "<script>alert('x')</script>2027-02-30"
    response = make_api(clinic, "owner").post(
        "appointments", {"person": 1, "service": 1, "start": typed}
    )
    assert typed not in response.content.decode()
    assert "<script>" not in response.content.decode()


def test_error_field_names_never_repeat_a_key_that_was_typed(clinic, make_api):
    response = make_api(clinic, "owner").post(
        "privacy-requests", {"person": 1, "kind": "access", "<b>x</b>": "a\x00b"}
    )
    body = _shape(response)
    assert set(body["errors"]) == {"__all__"}
    assert "<b>" not in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/staff/calendar/?date=9999-12-31",
        "/staff/calendar/?date=0001-01-01",
        f"/staff/calendar/?practitioner={HUGE}",
        "/staff/persons/?q=An%00na",
        f"/staff/persons/?q=Anna&offset={HUGE}",
        f"/staff/appointments/new/?person={HUGE}",
    ],
)
def test_staff_pages_answer_impossible_queries_without_a_server_error(clinic, make_staff, url):
    client = Client()
    client.force_login(make_staff(clinic, "owner"))
    response = client.get(url)
    assert response.status_code in (200, 422), (url, response.status_code)


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "2027-02-30"])
def test_the_public_booking_page_shows_a_week_for_any_week_asked(clinic, service, week):
    response = Client().get(f"/{clinic.slug}/", {"service": service.pk, "week": week})
    assert response.status_code == 200
