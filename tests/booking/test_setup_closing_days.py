"""Clinic set-up: closing days, and the country's public holidays offered from the
holidays package (issue 11). Closing a day never cancels its bookings: they are listed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.booking import setup
from praksis.booking.models import Appointment, ClosedDay
from praksis.booking.services import appointment_book
from tests.booking.test_setup_services import signed_in
from tests.conftest import next_local


@pytest.fixture
def owner_api(clinic, make_api):
    return make_api(clinic, "owner")


def _this_year(clinic) -> int:
    return timezone.now().astimezone(clinic.zone).year


@pytest.mark.parametrize(
    ("kind", "language", "day", "name"),
    [
        ("optician", "sv", (12, 25), "Juldagen"),
        ("optician", "sv", (6, 6), "Nationaldagen"),
        ("optician", "en", (12, 25), "Christmas Day"),
        ("vet", "nb", (5, 17), "Grunnlovsdag"),
        ("vet", "nb", (12, 26), "Andre juledag"),
        ("vet", "en", (5, 17), "Constitution Day"),
    ],
)
def test_public_holidays_are_offered_for_se_and_no_with_names(
    make_clinic, make_api, kind, language, day, name
):
    clinic = make_clinic(kind)
    response = make_api(clinic, "owner", language=language).get("closing-days/public-holidays")
    assert response.status_code == 200
    items = response.json()["items"]
    for year in (_this_year(clinic), _this_year(clinic) + 1):
        wanted = date(year, *day).isoformat()
        # Two holidays on one day share it: "Andre pinsedag; Grunnlovsdag" (2027).
        assert any(
            i["date"] == wanted and name in i["name"].split("; ") and not i["closed"] for i in items
        ), wanted


def test_sweden_also_offers_the_eves_clinics_close_on(clinic):
    names = {h.name for h in setup.public_holidays(clinic=clinic, language="sv")}
    assert {"Julafton", "Midsommarafton", "Nyårsafton"} <= names


def test_norway_offers_no_swedish_days(make_clinic):
    clinic = make_clinic("dental")
    days = {(h.date.month, h.date.day) for h in setup.public_holidays(clinic=clinic)}
    assert (6, 6) not in days and (5, 17) in days


def test_closing_a_day_lists_its_bookings_keeps_them_and_stops_online_booking(
    clinic, owner, owner_api, make_bookable, make_person
):
    service, _staff = make_bookable(clinic)
    start = next_local(clinic, days=4, hour=10)
    person = make_person(owner)
    appointment = appointment_book(
        actor=owner, service_id=service.pk, person_id=person.pk, start=start
    )
    day = start.date().isoformat()
    public = Client()
    query = {"service": service.pk, "from": day, "to": day}
    assert public.get(f"/api/v1/public/{clinic.slug}/availability", query).json()["count"] > 0
    response = owner_api.post("closing-days", {"date": day, "reason": "Inventering"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["date"], body["reason"], body["bookings"]) == (day, "Inventering", 1)
    assert [b["reference"] for b in body["affected_bookings"]] == [appointment.reference]
    assert person.last_name not in response.content.decode()  # references, not names
    # REQ-19: the bookings listed are a read of personal data, and it is logged.
    read = AccessLogEntry.objects.get(
        clinic=clinic, object_type="appointment", purpose="closing day"
    )
    assert (read.action, read.detail) == ("list", "results=1")
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    assert public.get(f"/api/v1/public/{clinic.slug}/availability", query).json()["count"] == 0
    listed = owner_api.get("closing-days").json()
    assert [(d["date"], d["bookings"]) for d in listed["items"]] == [(day, 1)]


def test_a_day_closed_twice_or_a_bad_date_is_422(clinic, owner_api):
    day = (timezone.now() + timedelta(days=30)).date().isoformat()
    assert owner_api.post("closing-days", {"date": day}).status_code == 201
    again = owner_api.post("closing-days", {"date": day})
    assert again.status_code == 422 and "date" in again.json()["errors"]
    for bad in ("2027-02-30", "20270301", "0001-01-01", "2027-03-01\u0000"):
        response = owner_api.post("closing-days", {"date": bad})
        assert response.status_code == 422
    assert ClosedDay.objects.filter(clinic=clinic).count() == 1


def test_add_all_holidays_names_each_day_and_leaves_closed_days_alone(make_clinic, make_api):
    clinic = make_clinic("vet")
    api = make_api(clinic, "owner", language="nb")
    year = _this_year(clinic)
    api.post("closing-days", {"date": f"{year + 1}-12-25", "reason": "Jul"})
    response = api.post("closing-days/public-holidays", {"all": True})
    assert response.status_code == 201, response.content
    offered = api.get("closing-days/public-holidays").json()["items"]
    assert all(h["closed"] for h in offered)
    reasons = dict(ClosedDay.objects.filter(clinic=clinic).values_list("date", "reason"))
    assert reasons[date(year + 1, 12, 25)] == "Jul"  # kept
    assert "Grunnlovsdag" in reasons[date(year + 1, 5, 17)]
    assert response.json()["count"] == len(offered) - 1


def test_picking_holidays_closes_only_those(clinic, owner_api):
    year = _this_year(clinic) + 1
    response = owner_api.post(
        "closing-days/public-holidays", {"dates": [f"{year}-12-24", f"{year}-12-25"]}
    )
    assert response.status_code == 201
    assert sorted(d["date"] for d in response.json()["items"]) == [
        f"{year}-12-24",
        f"{year}-12-25",
    ]
    for bad in ({"dates": [f"{year}-12-23"]}, {"dates": []}, {}, {"first_name": "X"}):
        refused = owner_api.post("closing-days/public-holidays", bad)
        assert refused.status_code == 422, bad
    assert ClosedDay.objects.filter(clinic=clinic).count() == 2


def test_a_closing_day_can_be_opened_again(clinic, owner_api):
    created = owner_api.post("closing-days", {"date": "2031-01-02"}).json()
    assert owner_api.delete(f"closing-days/{created['id']}").status_code == 204
    assert not ClosedDay.objects.filter(clinic=clinic).exists()
    assert owner_api.delete(f"closing-days/{created['id']}").status_code == 404


# --- The page ---------------------------------------------------------------------------


@pytest.fixture
def owner_ui(clinic, owner):
    return signed_in(owner.user, "sv")


def test_the_page_offers_holidays_in_the_ui_language_and_adds_those_ticked(clinic, owner_ui):
    year = _this_year(clinic) + 1
    page = owner_ui.get("/staff/closing-days/").content.decode()
    assert "Juldagen" in page and f'value="{year}-06-06"' in page
    response = owner_ui.post("/staff/closing-days/holidays/", {"dates": [f"{year}-06-06"]})
    assert response.status_code == 302
    assert ClosedDay.objects.get(clinic=clinic).reason == "Nationaldagen"
    english = signed_in(clinic_owner_user(clinic), "en")
    assert "National Day" in english.get("/staff/closing-days/").content.decode()


def clinic_owner_user(clinic):
    from praksis.clinics.models import Membership

    return Membership.objects.get(clinic=clinic, role="owner").user


def test_the_page_lists_bookings_on_closed_days(
    clinic, owner, owner_ui, make_bookable, make_person
):
    service, _staff = make_bookable(clinic)
    start = next_local(clinic, days=6, hour=11)
    appointment = appointment_book(
        actor=owner, service_id=service.pk, person_id=make_person(owner).pk, start=start
    )
    response = owner_ui.post("/staff/closing-days/", {"date": start.date().isoformat()})
    assert response.status_code == 302
    page = owner_ui.get(response["Location"]).content.decode()
    assert appointment.reference in page
    assert f"/staff/appointments/{appointment.pk}/" in page


def test_a_refused_day_keeps_what_was_typed(clinic, owner_ui):
    response = owner_ui.post("/staff/closing-days/", {"date": "2027-02-30", "reason": "Flytt"})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'value="Flytt"' in page and 'id="err_date"' in page
    assert not ClosedDay.objects.filter(clinic=clinic).exists()


def test_the_closing_days_page_costs_the_same_for_few_or_many_days(
    clinic, owner, owner_ui, make_bookable, make_person
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    service, _staff = make_bookable(clinic)
    person = make_person(owner)

    def close(first, count):
        for offset in range(first, first + count):
            start = next_local(clinic, days=offset, hour=10)
            appointment_book(actor=owner, service_id=service.pk, person_id=person.pk, start=start)
            setup.closing_day_add(actor=owner, day=start.date().isoformat())

    def cost():
        with CaptureQueriesContext(connection) as ctx:
            assert owner_ui.get("/staff/closing-days/").status_code == 200
        return len(ctx.captured_queries)

    close(2, 3)
    few = cost()
    close(5, 20)
    assert cost() == few
