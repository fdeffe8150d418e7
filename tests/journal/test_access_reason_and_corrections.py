"""Why a journal is opened (REQ-20, REQ-19) and how a Swedish vet's correction reads
(REQ-17).

REQ-20: in Norway each access-log row carries the user's HPR number and the clinic's
organisation number, and the real reason for the access: outside a care relation (no
booking with the user from 30 days ago to 30 days ahead, no entry of theirs in the last
30 days) a NO-human journal opens only after a reason from the fixed list plus the
user's own words, which is then logged; never silently "care". Swedish clinics open as
before. REQ-17: an SE-vet correction strikes the old text through — still readable — on
screen and in the PDF, beside the new text, signed and dated.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from praksis.audit.labels import purpose_label
from praksis.audit.models import AccessLogEntry
from praksis.booking.models import Practitioner
from praksis.booking.services import appointment_book
from praksis.clinics.setup import staff_invite
from praksis.core.errors import ValidationFailed
from praksis.journal.services import entry_create, followup_add
from praksis.people.services import animal_create
from tests.conftest import ApiClient, speaks

SECRET = "Pasienten har migrene"


@pytest.fixture
def dental(make_clinic):
    clinic = make_clinic("dental")
    clinic.organisation_number = "923609016"
    clinic.save(update_fields=["organisation_number"])
    return clinic


@pytest.fixture
def writer(dental, make_actor):
    return make_actor(dental, "practitioner")


@pytest.fixture
def patient(writer, make_person):
    person = make_person(writer, first_name="Kari", last_name="Nordmann")
    entry_create(actor=writer, person_id=person.pk, text=SECRET, sign=True)
    return person


@pytest.fixture
def colleague(dental, make_staff):
    user = make_staff(dental, "practitioner", email="kollega@test-tann.test")
    user.hpr_number = "1234567"
    user.title = "Tannlege"
    user.save(update_fields=["hpr_number", "title"])
    client = Client()
    client.force_login(speaks(user, "en"))
    client.user = user
    return client


def _reads(clinic):
    return AccessLogEntry.objects.filter(clinic=clinic, object_type="journal").order_by("seq")


def test_req20_outside_a_care_relation_a_norwegian_journal_asks_why_first(
    dental, patient, colleague
):
    url = f"/staff/persons/{patient.pk}/journal/"
    page = colleague.get(url)
    body = page.content.decode()
    assert page.status_code == 200 and "Why do you open this journal?" in body
    assert SECRET not in body and "Emergency" in body
    assert not _reads(dental).exists()
    # The PDF is not a way round it.
    assert colleague.get(f"/staff/persons/{patient.pk}/journal.pdf").status_code == 302
    assert not _reads(dental).exists()

    # Both parts are needed; what was typed stays.
    response = colleague.post(url + "reason/", {"reason_text": "Akutt smerte"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "Choose why you open this journal." in body and "Akutt smerte" in body
    response = colleague.post(url + "reason/", {"reason": "emergency", "reason_text": ""})
    assert "Say in a few words why" in response.content.decode()

    response = colleague.post(
        url + "reason/", {"reason": "emergency", "reason_text": "Akutt smerte"}
    )
    assert response.status_code == 302
    assert SECRET in colleague.get(url).content.decode()
    read = _reads(dental).get()
    assert read.purpose == "outside care: emergency — Akutt smerte"
    assert read.user_id == colleague.user.pk and read.role == "practitioner"
    assert read.hpr_number == "1234567" and read.organisation_number == "923609016"
    assert read.person_id == patient.pk
    assert purpose_label(read.purpose).startswith("Opened outside a care relation: Emergency")


def test_req20_a_booking_or_an_own_entry_is_a_care_relation_logged_as_care(
    dental, writer, patient, colleague, make_bookable
):
    # The author of an entry in the last 30 days opens it as care, with the relation.
    client = Client()
    client.force_login(writer.user)
    assert SECRET in client.get(f"/staff/persons/{patient.pk}/journal/").content.decode()
    read = _reads(dental).get()
    assert (read.purpose, read.detail) == ("care", "entries=1 relation=entry")
    assert read.hpr_number == "" and read.organisation_number == "923609016"

    # A booking with the colleague next week makes one too.
    service, (practitioner,) = make_bookable(dental)
    Practitioner.objects.filter(pk=practitioner.pk).update(user=colleague.user)
    start = timezone.localtime(timezone.now() + timedelta(days=7), dental.zone).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    appointment_book(
        actor=writer, service_id=service.pk, person_id=patient.pk, start=start, notify=False
    )
    assert SECRET in colleague.get(f"/staff/persons/{patient.pk}/journal/").content.decode()
    assert _reads(dental).last().detail == "entries=1 relation=booking"


def test_req20_the_api_needs_the_reason_outside_a_care_relation(dental, patient, colleague):
    from praksis.clinics.services import token_issue

    api = ApiClient(token_issue(user=colleague.user, clinic=dental))
    response = api.get(f"persons/{patient.pk}/journal")
    assert response.status_code == 422 and "reason" in response.json()["errors"]
    assert not _reads(dental).exists()
    response = api.get(
        f"persons/{patient.pk}/journal", reason="colleague", purpose="Vikar for Dr. Lie"
    )
    assert response.status_code == 200 and response.json()["count"] == 1
    assert _reads(dental).get().purpose == "outside care: colleague — Vikar for Dr. Lie"


def test_req20_swedish_journals_open_as_before_and_say_when_outside_care(
    make_clinic, make_actor, make_person, make_staff
):
    clinic = make_clinic("optician")
    writer = make_actor(clinic, "practitioner")
    person = make_person(writer)
    entry_create(actor=writer, person_id=person.pk, text="Synstest", sign=True)
    client = Client()
    client.force_login(make_staff(clinic, "owner"))
    assert "Synstest" in client.get(f"/staff/persons/{person.pk}/journal/").content.decode()
    read = _reads(clinic).get()
    assert read.purpose == "outside care" and read.purpose != "care"
    assert read.hpr_number is None and read.organisation_number is None  # SE: not logged


def test_req20_a_norwegian_hpr_number_is_digits(dental, make_actor):
    owner = make_actor(dental, "owner")
    data = {"email": "ny@test-tann.test", "role": "practitioner", "name": "Ny Tannlege"}
    with pytest.raises(ValidationFailed) as refused:
        staff_invite(actor=owner, data={**data, "licence": "AB12345"})
    # The message in the language active when it was raised (here the default, sv).
    digits_only = translation.gettext("Enter the HPR number as digits only (at most 12).")
    assert str(refused.value.errors["licence"][0]) == digits_only
    membership = staff_invite(actor=owner, data={**data, "licence": "123 45 67"})
    assert membership.user.hpr_number == "1234567"


# --- REQ-17: a Swedish vet's correction --------------------------------------------------


@pytest.fixture
def se_vet(make_clinic):
    return make_clinic(
        "vet", slug="test-djur", name="Test Djurklinik", regime="SE-vet", country="SE",
        language="sv", time_zone="Europe/Stockholm",
    )  # fmt: skip


def test_req17_an_se_vet_correction_strikes_the_old_text_on_screen_and_in_the_pdf(
    se_vet, make_actor, make_person, monkeypatch
):
    vet = make_actor(se_vet, "practitioner")
    owner = make_person(vet, first_name="Anna", last_name="Berg")
    dog = animal_create(actor=vet, owner_ids=[owner.pk], name="Rex", species="dog")
    entry = entry_create(actor=vet, animal_id=dog.pk, text="Vikt 12 kg", sign=True)
    followup_add(
        actor=vet, entry_id=entry.pk, kind="amendment", text="Vikt 21 kg", reason="Skrivfel"
    )
    client = Client()
    client.force_login(speaks(vet.user, "en"))
    page = client.get(f"/staff/animals/{dog.pk}/journal/").content.decode()
    assert '<del title="Corrected">Vikt 12 kg</del>' in page  # struck through, readable
    assert "<del" not in page.split("Vikt 12 kg</del>", 1)[1].split("Vikt 21 kg", 1)[0][-200:]
    assert "Vikt 21 kg</del>" not in page  # the new text holds
    assert "Skrivfel" in page and "signed" in page

    from praksis.core import pdf as pdf_engine

    seen = {}
    render = pdf_engine.render

    def spy(template, data, **kw):
        seen.update(data)
        return render(template, data, **kw)

    monkeypatch.setattr(pdf_engine, "render", spy)
    response = client.get(f"/staff/animals/{dog.pk}/journal.pdf")
    assert response.status_code == 200
    (printed,) = seen["entries"]
    assert printed["struck"] is True and printed["text"] == "Vikt 12 kg"
    assert [f["struck"] for f in printed["followups"]] == [False]
    assert "Vikt 21 kg" in printed["followups"][0]["text"]


def test_req17_only_se_vet_strikes_a_corrected_text(make_clinic, make_actor, make_person):
    clinic = make_clinic("vet")  # NO-vet: the amendment sits beside the original
    vet = make_actor(clinic, "practitioner")
    owner = make_person(vet)
    dog = animal_create(actor=vet, owner_ids=[owner.pk], name="Rex", species="dog")
    entry = entry_create(actor=vet, animal_id=dog.pk, text="Vekt 12 kg", sign=True)
    followup_add(actor=vet, entry_id=entry.pk, kind="amendment", text="Vekt 21 kg", reason="Feil")
    client = Client()
    client.force_login(vet.user)
    page = client.get(f"/staff/animals/{dog.pk}/journal/").content.decode()
    assert "Vekt 12 kg" in page and "<del" not in page
