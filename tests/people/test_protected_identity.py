"""REQ-48: protected identities (SE: sekretessmarkering, skyddad folkbokföring, fingerade
personuppgifter; NO: strengt fortrolig / fortrolig adresse). Staff set the grade on the
person's page or through the API; the person is marked for everyone who handles them
(person page, search, calendar block, booking); the address and phone are shown to the
owner only, each such view access-logged as "protected identity shown"; they never leave
the clinic: not in a calendar feed (nor the name), a disclosure letter or an invoice."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from icalendar import Calendar
from pypdf import PdfReader

from praksis.audit.models import AccessLogEntry
from praksis.booking.feeds import feed_create
from praksis.booking.services import appointment_book
from praksis.people.models import Person
from tests.conftest import next_local, speaks
from tests.disclosures.test_disclosures import SPECIALIST, give_disclosure_consent, referral

ADDRESS = "Hemliga gatan 7, 222 22 Lund"
PHONE = "0701234567"
SHOWN = "protected identity shown"


@pytest.fixture
def protected(clinic, owner, make_person):
    person = make_person(
        owner, first_name="Siri", last_name="Skyddad", email="siri@example.se",
        phone=PHONE, address=ADDRESS,
    )  # fmt: skip
    Person.objects.filter(pk=person.pk).update(protected_identity="se_skyddad_folkbokforing")
    person.refresh_from_db()
    return person


def _ui(clinic, make_staff, role):
    client = Client()
    client.force_login(speaks(make_staff(clinic, role), "en"))
    return client


def test_req48_staff_set_the_grade_on_the_edit_page_and_only_the_owner_clears_it(
    clinic, owner, make_person, make_staff
):
    person = make_person(owner, first_name="Pia", last_name="Ek", phone=PHONE, address=ADDRESS)
    desk = _ui(clinic, make_staff, "receptionist")
    form = desk.get(f"/staff/persons/{person.pk}/edit/").content.decode()
    assert 'name="protected_identity"' in form
    assert "Sekretessmarkering" in form and "Fortrolig adresse" not in form  # SE grades only
    values = {"first_name": "Pia", "last_name": "Ek", "identity_number": "", "birth_date": "",
              "phone": PHONE, "email": "", "address": ADDRESS}  # fmt: skip
    values["identity_number"] = person.identity_number
    saved = desk.post(
        f"/staff/persons/{person.pk}/edit/",
        {**values, "protected_identity": "se_sekretessmarkering"},
    )
    assert saved.status_code == 302
    person.refresh_from_db()
    assert person.protected_identity == "se_sekretessmarkering"
    assert person.address == ADDRESS and person.phone == "+46701234567"  # kept, though hidden

    # The receptionist's form no longer shows the address or phone, and cannot clear it.
    form = desk.get(f"/staff/persons/{person.pk}/edit/").content.decode()
    assert ADDRESS.split(",")[0] not in form and "701234567" not in form
    assert 'id="address-protected"' in form
    refused = desk.post(
        f"/staff/persons/{person.pk}/edit/",
        {"first_name": "Pia", "last_name": "Ek", "protected_identity": ""},
    )
    assert refused.status_code == 422
    assert "Only the owner can remove a protected identity." in refused.content.decode()
    person.refresh_from_db()
    assert person.protected_identity == "se_sekretessmarkering"

    # A grade of the other country is refused with a clear error; the form keeps input.
    wrong = desk.post(
        f"/staff/persons/{person.pk}/edit/",
        {"first_name": "Pia", "last_name": "Ekström", "protected_identity": "no_fortrolig_adresse"},
    )
    assert wrong.status_code == 422
    body = wrong.content.decode()
    assert "Choose a grade of protected identity used in this country" in body
    assert 'value="Ekström"' in body

    owner_ui = _ui(clinic, make_staff, "owner")
    cleared = owner_ui.post(
        f"/staff/persons/{person.pk}/edit/", {**values, "protected_identity": ""}
    )
    assert cleared.status_code == 302
    person.refresh_from_db()
    assert person.protected_identity == ""


@pytest.mark.parametrize("role", ["practitioner", "receptionist"])
def test_req48_other_staff_see_the_mark_and_protected_instead_of_the_address(
    clinic, protected, make_staff, role
):
    client = _ui(clinic, make_staff, role)
    page = client.get(f"/staff/persons/{protected.pk}/").content.decode()
    assert "Protected identity" in page and "Skyddad folkbokföring" in page
    assert "Hemliga gatan" not in page and "701234567" not in page
    assert "Protected" in page
    row = AccessLogEntry.objects.filter(person_id=protected.pk, action="read").latest("seq")
    assert row.detail == "protected identity hidden"
    # Search results: marked, and no phone.
    found = client.get("/staff/persons/", {"q": "Skyddad"}).content.decode()
    assert "Skyddad folkbokföring" in found and "701234567" not in found


def test_req48_the_owner_sees_the_address_and_each_view_is_logged_as_such(
    clinic, protected, make_staff
):
    client = _ui(clinic, make_staff, "owner")
    page = client.get(f"/staff/persons/{protected.pk}/").content.decode()
    assert "Hemliga gatan 7" in page and "Protected identity" in page
    row = AccessLogEntry.objects.filter(person_id=protected.pk, action="read").latest("seq")
    assert row.detail == SHOWN
    # Lists never show it, not even to the owner (a list view is not logged per person).
    found = client.get("/staff/persons/", {"q": "Skyddad"}).content.decode()
    assert "701234567" not in found


def test_req48_the_api_reads_protected_to_others_and_patch_sets_and_clears(
    clinic, owner, protected, make_person, make_api
):
    desk = make_api(clinic, "receptionist")
    body = desk.get(f"persons/{protected.pk}").json()
    assert body["protected_identity"] == "se_skyddad_folkbokforing"
    assert (body["address"], body["phone"]) == ("Protected", "Protected")
    listed = desk.get("persons", q="Skyddad").json()["items"][0]
    assert (listed["address"], listed["phone"]) == ("Protected", "Protected")

    boss = make_api(clinic, "owner")
    body = boss.get(f"persons/{protected.pk}").json()
    assert (body["address"], body["phone"]) == (ADDRESS, "+46701234567")
    assert AccessLogEntry.objects.filter(
        person_id=protected.pk, action="read", detail=SHOWN, channel="api"
    ).exists()

    other = make_person(owner, first_name="Nils", last_name="Nord", address="Öppen väg 1")
    marked = desk.patch(
        f"persons/{other.pk}", {"protected_identity": "se_fingerade_personuppgifter"}
    )
    assert marked.status_code == 200, marked.json()
    assert marked.json()["address"] == "Protected"
    refused = desk.patch(f"persons/{other.pk}", {"protected_identity": ""})
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"protected_identity"}
    wrong = desk.patch(f"persons/{other.pk}", {"protected_identity": "kode 6"})
    assert wrong.status_code == 422
    cleared = boss.patch(f"persons/{other.pk}", {"protected_identity": ""})
    assert cleared.status_code == 200 and cleared.json()["address"] == "Öppen väg 1"


def test_req48_norwegian_clinics_offer_the_norwegian_grades(make_clinic, make_api, make_actor):
    dental = make_clinic("dental")
    api = make_api(dental, "receptionist")
    person = api.post("persons", {"first_name": "Kari", "last_name": "Nordmann",
                                  "protected_identity": "no_strengt_fortrolig_adresse",
                                  "address": "Hemmelig vei 6"})  # fmt: skip
    assert person.status_code == 201, person.json()
    assert person.json()["address"] == "Protected"
    swedish = api.post("persons", {"first_name": "Ola", "last_name": "Nordmann",
                                   "protected_identity": "se_sekretessmarkering"})  # fmt: skip
    assert swedish.status_code == 422


def _book(clinic, owner, make_bookable, person):
    service, (practitioner,) = make_bookable(clinic)
    appointment = appointment_book(
        actor=owner, service_id=service.pk, person_id=person.pk,
        start=next_local(clinic, 1, 10), practitioner_id=practitioner.pk,
    )  # fmt: skip
    return appointment, practitioner


def test_req48_the_calendar_block_and_the_booking_mark_the_person(
    clinic, owner, protected, make_bookable, make_staff
):
    appointment, _practitioner = _book(clinic, owner, make_bookable, protected)
    desk = _ui(clinic, make_staff, "receptionist")
    day = appointment.start.astimezone(clinic.zone).date().isoformat()
    grid = desk.get("/staff/calendar/", {"date": day}).content.decode()
    block = grid[grid.index(f'id="appt-{appointment.pk}"') :]
    block = block[: block.index("</article>")]
    assert "Protected identity" in block
    detail = desk.get(f"/staff/appointments/{appointment.pk}/").content.decode()
    assert "Skyddad folkbokföring" in detail and "Hemliga gatan" not in detail


def test_req48_a_calendar_feed_never_names_a_protected_person(
    clinic, owner, protected, make_bookable, make_person
):
    _appointment, practitioner = _book(clinic, owner, make_bookable, protected)
    _feed, url = feed_create(actor=owner, practitioner_id=practitioner.pk, show_names=True)
    response = Client().get(url[url.index("/feeds/") :])
    assert response.status_code == 200
    events = list(Calendar.from_ical(response.content).walk("VEVENT"))
    assert [str(e["summary"]) for e in events] == ["Undersökning"]
    body = response.content.decode()
    for secret in ("Siri", "Skyddad", "Hemliga", "701234567"):
        assert secret not in body


def test_req48_a_disclosure_letter_never_carries_the_address_or_phone(
    make_clinic, make_actor, make_person, make_api
):
    dental = make_clinic("dental")
    dentist = make_actor(dental, "practitioner")
    person = make_person(dentist, first_name="Ingrid", last_name="Haugland",
                         address="Hemmelig vei 6, 0155 Oslo", phone="91234567")  # fmt: skip
    Person.objects.filter(pk=person.pk).update(protected_identity="no_fortrolig_adresse")
    give_disclosure_consent(dentist, person, SPECIALIST)
    api = make_api(dental, "practitioner")
    created = api.post("disclosures", referral(person))
    assert created.status_code == 201, created.json()
    pdf = api.get(f"disclosures/{created.json()['id']}/referral.pdf")
    assert pdf.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    text = re.sub(r"\s+", " ", text)
    assert "Ingrid Haugland" in text
    assert "Hemmelig vei" not in text and "91234567" not in text and "1234567" not in text
