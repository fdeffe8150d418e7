"""Clinic set-up: the owner's services, through the API and the staff pages (issue 11).

A service created through the API is bookable through the public API at once; prices
include VAT at one of the country's rates; practitioners are named by membership id.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.booking import setup
from praksis.booking.models import Practitioner, Service
from praksis.clinics.models import Membership
from tests.booking.test_public_booking import _payload
from tests.conftest import next_local

SERVICE = {"name": "Syn", "duration_minutes": 30, "price": "1"}


def signed_in(user, language: str) -> Client:
    """A browser session of ``user``, who chose ``language`` for the staff UI."""
    user.language = language
    user.save(update_fields=["language"])
    ui = Client(HTTP_ACCEPT_LANGUAGE=language)
    ui.force_login(user)
    return ui


def _member(clinic, user) -> Membership:
    return Membership.objects.get(clinic=clinic, user=user)


@pytest.fixture
def owner_api(clinic, make_api):
    return make_api(clinic, "owner")


@pytest.fixture
def optician(clinic, make_staff):
    return _member(clinic, make_staff(clinic, "practitioner"))


def _week(membership, api):
    week = [{"weekday": d, "start": "08:00", "end": "17:00"} for d in range(7)]
    response = api.put(f"staff/{membership.pk}/hours", week)
    assert response.status_code == 200, response.content


def test_a_service_created_through_the_api_is_bookable_online_at_once(clinic, owner_api, optician):
    _week(optician, owner_api)
    response = owner_api.post(
        "services",
        {
            "name": "Synundersökning",
            "duration_minutes": 45,
            "price": "650.00",
            "practitioners": [optician.pk],
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["practitioners"] == [optician.pk]
    public = Client()
    listed = public.get(f"/api/v1/public/{clinic.slug}/services").json()
    assert created["id"] in [s["id"] for s in listed["items"]]
    day = (timezone.now().astimezone(clinic.zone) + timedelta(days=3)).date()
    slots = public.get(
        f"/api/v1/public/{clinic.slug}/availability",
        {"service": created["id"], "from": day.isoformat(), "to": day.isoformat()},
    ).json()
    assert slots["count"] > 0
    assert slots["items"][0]["start"].startswith(f"{day.isoformat()}T08:00:00")
    practitioner = Practitioner.objects.get(clinic=clinic, user=optician.user)
    assert {s["practitioner"] for s in slots["items"]} == {practitioner.pk}
    start = next_local(clinic, days=3, hour=9)
    service = Service.objects.get(pk=created["id"])
    booked = public.post(
        f"/api/v1/public/{clinic.slug}/bookings",
        data=_payload(service, start),
        content_type="application/json",
    )
    assert booked.status_code == 201, booked.content
    assert booked.json()["practitioner"] == practitioner.pk


def test_creating_a_service_keeps_every_field_and_logs_it(clinic, owner_api, optician):
    before = AccessLogEntry.objects.filter(clinic=clinic, object_type="service").count()
    response = owner_api.post(
        "services",
        {
            "name": "Linsanpassning",
            "names": {"sv": "Linsanpassning", "nb": "Linsetilpasning", "en": "Lens fitting"},
            "duration_minutes": 30,
            "buffer_minutes": 10,
            "price": 450.5,
            "vat_rate": "25",
            "online_bookable": False,
            "practitioners": [optician.pk],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["price"] == "450.50"
    assert body["vat_rate"] == "25.00"
    assert body["names"]["en"] == "Lens fitting"
    assert (body["buffer_minutes"], body["online_bookable"], body["active"]) == (10, False, True)
    assert owner_api.get("services").json()["count"] == 1
    after = AccessLogEntry.objects.filter(clinic=clinic, object_type="service")
    assert after.count() == before + 1
    assert after.latest("seq").purpose == "clinic set-up"


def test_a_service_without_a_vat_rate_gets_the_profiles(clinic, make_clinic, make_api):
    optician = make_api(clinic, "owner").post(
        "services", {"name": "Synundersökning", "duration_minutes": 30, "price": "500"}
    )
    therapy = make_api(make_clinic("therapy"), "owner").post(
        "services", {"name": "Massage", "duration_minutes": 60, "price": "795"}
    )
    assert optician.json()["vat_rate"] == "0.00"  # care by licensed staff: exempt
    assert therapy.json()["vat_rate"] == "25.00"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("duration_minutes", 4),
        ("duration_minutes", 601),
        ("buffer_minutes", 241),
        ("price", "-1"),
        ("price", "1000000"),
        ("price", "12.345"),
        ("price", "NaN"),
        ("vat_rate", "15"),  # a Norwegian rate, in a Swedish clinic
        ("name", ""),
        ("name", "Syn\u202eundersökning"),
        ("names", {"de": "Sehtest"}),
    ],
)
def test_bad_service_fields_are_422_in_the_callers_language_and_nothing_is_stored(
    clinic, make_api, optician, field, value
):
    data = {"name": "Synundersökning", "duration_minutes": 30, "price": "500", field: value}
    response = make_api(clinic, "owner", language="sv").post("services", data)
    assert response.status_code == 422, response.content
    body = response.json()
    assert field in body["errors"]
    text = response.content.decode()
    assert str(value) not in text or str(value) in ("", "4", "15")  # never echoed
    assert body["detail"] == "Rätta de markerade fälten."
    assert not Service.objects.filter(clinic=clinic).exists()


def test_norwegian_rates_are_accepted_in_a_norwegian_clinic(make_clinic, make_api):
    api = make_api(make_clinic("dental"), "owner")
    response = api.post(
        "services",
        {"name": "Tannrens", "duration_minutes": 30, "price": "900", "vat_rate": 15},
    )
    assert response.status_code == 201, response.content
    assert response.json()["vat_rate"] == "15.00"


def test_a_practitioner_of_another_clinic_or_deactivated_is_a_field_error(
    clinic, other_clinic, make_staff, owner_api, optician
):
    outsider = _member(other_clinic, make_staff(other_clinic, "practitioner"))
    gone = _member(clinic, make_staff(clinic, "receptionist"))
    gone.is_active = False
    gone.save()
    for ids in ([outsider.pk], [optician.pk, gone.pk], [2**70]):
        response = owner_api.post(
            "services",
            {"name": "Syn", "duration_minutes": 30, "price": "1", "practitioners": ids},
        )
        assert response.status_code == 422
        assert "practitioners" in response.json()["errors"]
    assert not Service.objects.filter(clinic=clinic).exists()
    assert not Practitioner.objects.filter(clinic=other_clinic).exists()


def test_patch_changes_only_what_is_given_and_deactivation_stops_online_booking(
    clinic, owner_api, optician
):
    created = owner_api.post(
        "services",
        {"name": "Syn", "duration_minutes": 30, "price": "500", "practitioners": [optician.pk]},
    ).json()
    response = owner_api.patch(f"services/{created['id']}", {"price": "550", "practitioners": []})
    assert response.status_code == 200, response.content
    assert response.json()["price"] == "550.00"
    assert response.json()["duration_minutes"] == 30
    assert response.json()["practitioners"] == []
    owner_api.patch(f"services/{created['id']}", {"active": False})
    listed = Client().get(f"/api/v1/public/{clinic.slug}/services").json()
    assert created["id"] not in [s["id"] for s in listed["items"]]
    assert Service.objects.get(pk=created["id"]).active is False  # kept, never deleted


def test_practitioner_for_membership_makes_one_practitioner_per_member(clinic, optician):
    optician.user.title = "Leg. optiker"
    optician.user.save()
    first = setup.practitioner_for_membership(optician)
    again = setup.practitioner_for_membership(optician)
    assert first.pk == again.pk
    assert (first.name, first.title) == (optician.user.full_name, "Leg. optiker")
    assert Practitioner.objects.filter(clinic=clinic, user=optician.user).count() == 1


def test_practitioners_without_a_staff_account_stay_on_a_service(clinic, make_bookable, owner_api):
    service, staff = make_bookable(clinic)
    response = owner_api.patch(f"services/{service.pk}", {"practitioners": []})
    assert response.json()["other_practitioners"] == [staff[0].name]
    assert list(service.practitioners.all()) == staff


# --- The page ---------------------------------------------------------------------------


@pytest.fixture
def owner_ui(clinic, owner):
    return signed_in(owner.user, "en")


def test_the_page_creates_a_service_and_lists_it(clinic, owner_ui, optician):
    response = owner_ui.post(
        "/staff/services/new/",
        {
            "name": "Synundersökning",
            "names_en": "Eye examination",
            "duration_minutes": "45",
            "buffer_minutes": "5",
            "price": "650,00",
            "vat_rate": "0.00",
            "online_bookable": "1",
            "active": "1",
            "practitioners": [str(optician.pk)],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    service = Service.objects.get(clinic=clinic)
    assert (service.price, service.names["en"]) == (650, "Eye examination")
    assert service.practitioners.get().user == optician.user
    page = owner_ui.get("/staff/services/").content.decode()
    assert "Synundersökning" in page and optician.user.full_name in page


def test_a_refused_form_keeps_what_was_typed(clinic, owner_ui, optician):
    response = owner_ui.post(
        "/staff/services/new/",
        {"name": "Synundersökning", "duration_minutes": "2", "price": "650", "vat_rate": "0.00"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'value="Synundersökning"' in page
    assert "Enter a whole number from 5 to 600." in page
    assert not Service.objects.filter(clinic=clinic).exists()


def test_the_page_deactivates_a_service(clinic, owner_ui, make_bookable):
    service, _staff = make_bookable(clinic)
    response = owner_ui.post(f"/staff/services/{service.pk}/deactivate/")
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.active is False


def test_vat_rates_agree_with_sales():
    from praksis.sales.money import VAT_RATES

    assert setup.VAT_RATES == VAT_RATES


def _queries(call) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()  # warm: a token's first use records its last-use time
    with CaptureQueriesContext(connection) as ctx:
        response = call()
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_services_list_costs_the_same_for_3_or_30_services(
    clinic, owner, owner_api, optician, make_staff
):
    ui = signed_in(owner.user, "en")
    staff = [optician.pk, _member(clinic, make_staff(clinic, "receptionist")).pk]

    def add(count):
        for i in range(count):
            setup.service_create(
                actor=owner,
                data={**SERVICE, "name": f"S{i}", "practitioners": staff},
            )

    add(3)
    api_few = _queries(lambda: owner_api.get("services"))
    page_few = _queries(lambda: ui.get("/staff/services/"))
    add(27)
    assert _queries(lambda: owner_api.get("services")) == api_few
    assert _queries(lambda: ui.get("/staff/services/")) == page_few
