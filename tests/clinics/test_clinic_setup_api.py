"""The clinic's details and booking policy, by API and on the page /staff/clinic/: the owner
reads and changes them; other roles are refused (403) and nothing changes; bad input is a
field error that never repeats what was typed."""

from __future__ import annotations

import pytest
from django.test import Client

from praksis.audit.models import AccessLogEntry
from praksis.booking.models import BookingPolicy
from praksis.clinics.models import Clinic


def _clinic_row(clinic) -> tuple:
    return tuple(Clinic.objects.filter(pk=clinic.pk).values_list().get())


def _policy_row(clinic) -> tuple:
    return tuple(BookingPolicy.objects.filter(clinic=clinic).values_list().get())


def _state(clinic) -> tuple:
    return (
        _clinic_row(clinic),
        _policy_row(clinic),
        AccessLogEntry.objects.filter(clinic=clinic).count(),
    )


def test_owner_reads_and_changes_the_clinics_details(clinic, make_api):
    api = make_api(clinic, "owner")
    response = api.get("clinic")
    assert response.status_code == 200
    assert response.json() == {
        "id": clinic.pk, "slug": "test-optik", "name": "Test Optik", "profile": "optician",
        "regime": "SE-human", "country": "SE", "organisation_number": "", "address": "",
        "phone": "", "email": "", "language": "sv", "time_zone": "Europe/Stockholm",
        "financial_year_start": 1,
    }  # fmt: skip

    response = api.patch(
        "clinic",
        {
            "name": "  Optik  i Lund ",
            "organisation_number": "5560360793",
            "address": "Stora Södergatan 1\n222 23 Lund",
            "phone": "046-12 34 56",
            "email": "Info@Optik.example",
            "language": "en",
            "time_zone": "Europe/Oslo",
            "financial_year_start": 7,
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["name"] == "Optik i Lund"
    assert body["organisation_number"] == "556036-0793"  # as Bolagsverket writes it
    assert body["phone"] == "+4646123456"  # E.164
    assert body["email"] == "info@optik.example"
    assert (body["language"], body["time_zone"], body["financial_year_start"]) == (
        "en", "Europe/Oslo", 7,
    )  # fmt: skip
    assert body["address"] == "Stora Södergatan 1\n222 23 Lund"
    assert api.get("clinic").json() == body
    row = AccessLogEntry.objects.filter(clinic=clinic, object_type="clinic").latest("at")
    assert row.action == "update" and row.channel == "api"
    assert row.detail.startswith("changed=name,organisation_number,address,phone,email")


def test_a_patch_changes_only_the_fields_it_names(clinic, make_api):
    api = make_api(clinic, "owner")
    api.patch("clinic", {"email": "a@b.example", "phone": "046-12 34 56"})
    body = api.patch("clinic", {"phone": ""}).json()
    assert (body["email"], body["phone"], body["name"]) == ("a@b.example", "", "Test Optik")


def test_a_norwegian_clinic_gives_a_norwegian_organisation_number(make_clinic, make_api):
    api = make_api(make_clinic("dental"), "owner")
    assert (
        api.patch("clinic", {"organisation_number": "988077917"}).json()["organisation_number"]
        == "988 077 917"
    )
    response = api.patch("clinic", {"organisation_number": "556036-0793"})  # Swedish
    assert response.status_code == 422 and "organisation_number" in response.json()["errors"]


def test_a_value_sent_back_unchanged_is_kept_even_if_stored_before_the_checks(
    make_clinic, make_api
):
    clinic = make_clinic("dental")
    Clinic.objects.filter(pk=clinic.pk).update(organisation_number="900000001")  # no check digit
    api = make_api(clinic, "owner")
    details = api.get("clinic").json()
    response = api.patch("clinic", details | {"email": "post@tann.example"})
    assert response.status_code == 200
    assert response.json()["organisation_number"] == "900000001"
    response = api.patch("clinic", {"organisation_number": "900000002"})  # a new one is checked
    assert response.status_code == 422


BAD_DETAILS = {
    "name": "",
    "organisation_number": "556036-0794",  # wrong check digit
    "address": "Gatan 1\u202e",
    "phone": "12",
    "email": "info@@optik",
    "language": "fi",
    "time_zone": "Europe/Lund",
    "financial_year_start": 13,
}


def test_bad_details_are_field_errors_that_never_repeat_the_input_and_change_nothing(
    clinic, make_api
):
    api = make_api(clinic, "owner")
    before = _state(clinic)
    response = api.patch("clinic", BAD_DETAILS)
    assert response.status_code == 422
    body = response.json()
    assert set(body["errors"]) == set(BAD_DETAILS)
    text = response.content.decode()
    for value in ("556036-0794", "info@@optik", "Europe/Lund"):
        assert value not in text
    assert _state(clinic) == before
    for field, value in [("financial_year_start", 0), ("financial_year_start", "x"),
                         ("name", None), ("language", None), ("name", "x" * 201)]:  # fmt: skip
        response = api.patch("clinic", {field: value})
        assert response.status_code == 422 and field in response.json()["errors"], field
    assert _state(clinic) == before


def test_bad_details_are_explained_in_the_callers_language(clinic, make_api):
    response = make_api(clinic, "owner", language="sv").patch("clinic", {"name": ""})
    assert response.json()["detail"] == "Rätta de markerade fälten."


def test_owner_reads_and_changes_the_booking_policy(clinic, make_api):
    api = make_api(clinic, "owner")
    policy = api.get("clinic/booking-policy").json()
    assert policy == {
        "mode": "online", "slot_minutes": 15, "horizon_days": 90, "min_notice_minutes": 60,
        "cancel_cutoff_hours": 24, "reminder_hours": 24, "request_expiry_days": 30,
        "ip_retention_days": 30, "sms_reply_requests": False,
    }  # fmt: skip
    changes = {"mode": "requests", "slot_minutes": 30, "reminder_hours": 0, "horizon_days": 180,
               "sms_reply_requests": True}  # fmt: skip
    response = api.patch("clinic/booking-policy", changes)
    assert response.status_code == 200
    assert response.json() == {**policy, **changes}
    stored = BookingPolicy.objects.get(clinic=clinic)
    assert (stored.mode, stored.slot_minutes, stored.reminder_hours) == ("requests", 30, 0)
    row = AccessLogEntry.objects.filter(clinic=clinic, object_type="booking_policy").get()
    assert row.detail == "changed=mode,slot_minutes,horizon_days,reminder_hours,sms_reply_requests"


def test_the_booking_policy_change_reaches_the_public_booking_page_at_once(clinic, make_api):
    from praksis.booking.availability import policy_for
    from praksis.clinics.selectors import clinic_by_slug

    assert policy_for(clinic_by_slug(clinic.slug)).mode == "online"  # cached for a while
    make_api(clinic, "owner").patch("clinic/booking-policy", {"mode": "requests"})
    assert policy_for(clinic_by_slug(clinic.slug)).mode == "requests"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mode", "walk-in"),
        ("slot_minutes", 4),  # the model's limits: 5 to 120 minutes
        ("slot_minutes", 121),
        ("horizon_days", 0),
        ("min_notice_minutes", -1),
        ("cancel_cutoff_hours", 337),
        ("reminder_hours", 73),  # reminders are queued at most 72 hours ahead
        ("request_expiry_days", 0),
        ("ip_retention_days", 91),
        ("slot_minutes", "15.5"),
        ("horizon_days", None),
    ],
)
def test_booking_policy_outside_its_limits_is_a_field_error_and_changes_nothing(
    clinic, make_api, field, value
):
    api = make_api(clinic, "owner")
    before = _state(clinic)
    # A valid field beside it is not saved either: a change is whole or nothing.
    response = api.patch("clinic/booking-policy", {"request_expiry_days": 20, field: value})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]
    assert _state(clinic) == before


ENDPOINTS = [
    ("get", "clinic", None),
    ("patch", "clinic", {"name": "Taken Over"}),
    ("get", "clinic/booking-policy", None),
    ("patch", "clinic/booking-policy", {"mode": "requests"}),
]


@pytest.mark.parametrize("role", ["practitioner", "receptionist"])
@pytest.mark.parametrize(("method", "path", "data"), ENDPOINTS)
def test_other_roles_may_not_read_or_change_the_clinic_set_up(
    clinic, make_api, role, method, path, data
):
    api = make_api(clinic, role)
    before = _state(clinic)
    response = api.call(method, path, data)
    assert response.status_code == 403
    assert response.json()["detail"]
    assert _state(clinic) == before


def test_another_clinics_owner_changes_only_their_own_clinic(clinic, other_clinic, make_api):
    api = make_api(other_clinic, "owner")
    before = _state(clinic)
    assert api.get("clinic").json()["id"] == other_clinic.pk
    assert api.patch("clinic", {"name": "Annan Optik AB"}).status_code == 200
    assert api.patch("clinic/booking-policy", {"mode": "requests"}).status_code == 200
    assert _state(clinic) == before


def test_a_missing_token_is_401(clinic):
    from tests.conftest import ApiClient

    assert ApiClient(None).get("clinic").status_code == 401


# --- The page ---------------------------------------------------------------------------


def _page_client(clinic, make_staff, role="owner", language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(make_staff(clinic, role))
    return client


def test_owner_changes_details_and_policy_on_the_clinic_page(clinic, make_staff):
    client = _page_client(clinic, make_staff)
    page = client.get("/staff/clinic/")
    assert page.status_code == 200
    assert 'value="Test Optik"' in page.content.decode()
    details = {
        "section": "details", "name": "Optik i Lund", "organisation_number": "556036-0793",
        "address": "Storgatan 1", "phone": "", "email": "", "language": "sv",
        "time_zone": "Europe/Stockholm", "financial_year_start": "7",
    }  # fmt: skip
    response = client.post("/staff/clinic/", details)
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert (clinic.name, clinic.financial_year_start) == ("Optik i Lund", 7)

    policy = {
        "section": "policy", "mode": "requests", "slot_minutes": "20", "horizon_days": "60",
        "min_notice_minutes": "120", "cancel_cutoff_hours": "12", "reminder_hours": "48",
        "request_expiry_days": "14", "ip_retention_days": "30",
    }  # fmt: skip
    assert client.post("/staff/clinic/", policy).status_code == 302
    stored = BookingPolicy.objects.get(clinic=clinic)
    assert (stored.mode, stored.slot_minutes, stored.reminder_hours) == ("requests", 20, 48)


def test_the_clinic_page_keeps_what_was_typed_when_a_field_is_refused(clinic, make_staff):
    client = _page_client(clinic, make_staff)
    before = _state(clinic)
    details = {
        "section": "details", "name": "Optik i Lund", "organisation_number": "123",
        "address": "", "phone": "", "email": "", "language": "sv",
        "time_zone": "Europe/Stockholm", "financial_year_start": "1",
    }  # fmt: skip
    response = client.post("/staff/clinic/", details)
    assert response.status_code == 422
    body = response.content.decode()
    assert 'value="Optik i Lund"' in body and 'id="err_organisation_number"' in body
    policy = {"section": "policy", "mode": "online", "slot_minutes": "500"}
    response = client.post("/staff/clinic/", policy)
    assert response.status_code == 422
    assert 'value="500"' in response.content.decode()
    assert _state(clinic) == before


@pytest.mark.parametrize("role", ["practitioner", "receptionist"])
def test_other_roles_are_refused_the_clinic_page(clinic, make_staff, role):
    client = _page_client(clinic, make_staff, role)
    before = _state(clinic)
    assert client.get("/staff/clinic/").status_code == 403
    response = client.post("/staff/clinic/", {"section": "policy", "mode": "requests"})
    assert response.status_code == 403
    assert _state(clinic) == before
