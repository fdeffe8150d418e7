"""The animal journal (veterinary clinics): it opens with a header — species, breed, sex
and neutering, age, current weight with its date, owners with the primary owner first —
and its "next vaccination" is a date (a date input, validated as a date within reason,
stored as a date) that sets the recall's due date."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import translation

from praksis.audit.models import AccessLogEntry
from praksis.core.errors import ValidationFailed
from praksis.journal.fields import clean_fields
from praksis.journal.models import JournalEntry
from praksis.journal.selectors import decrypt_content
from praksis.people.services import animal_create, animal_owner_add, animal_weight_record
from praksis.recall.models import Recall
from praksis.recall.selectors import add_months, local_today


@pytest.fixture
def vet_clinic(make_clinic):
    return make_clinic("vet")


@pytest.fixture
def desk_actor(vet_clinic, make_actor):
    return make_actor(vet_clinic, "receptionist")


@pytest.fixture
def doctor(vet_clinic, make_actor):
    return make_actor(vet_clinic, "practitioner")


@pytest.fixture
def doctor_ui(doctor):
    client = Client()
    client.force_login(doctor.user)
    return client


@pytest.fixture
def family(desk_actor, make_person):
    kari = make_person(desk_actor, first_name="Kari", last_name="Nordmann")
    ola = make_person(desk_actor, first_name="Ola", last_name="Fjeld")
    return kari, ola


@pytest.fixture
def rex(vet_clinic, desk_actor, family):
    kari, ola = family
    today = local_today(vet_clinic)
    birth = add_months(today, -38)  # 3 years 2 months ago
    dog = animal_create(
        actor=desk_actor, owner_ids=[kari.pk], name="Rex", species="dog", breed="Elghund",
        sex="female", neutered=True, birth_date=birth,
    )  # fmt: skip
    animal_owner_add(actor=desk_actor, animal_id=dog.pk, person_id=ola.pk)
    animal_weight_record(
        actor=desk_actor, animal_id=dog.pk, weight_kg="21,4", weighed_on=today - timedelta(days=3)
    )
    return dog


def test_the_journal_opens_with_the_animals_header(vet_clinic, doctor_ui, rex, family):
    kari, ola = family
    response = doctor_ui.get(f"/staff/animals/{rex.pk}/journal/")  # Norwegian: the clinic's
    assert response.status_code == 200
    page = response.content.decode()
    header = page.split('id="animal-summary"', 1)[1].split("</dl>", 1)[0]
    weighed = (local_today(vet_clinic) - timedelta(days=3)).isoformat()
    for text in ("Hund", "Elghund", "Hunn, kastrert", "3 år 2 måneder", "21,40 kg", weighed):
        assert text in header, text
    assert header.index("Kari Nordmann") < header.index("Ola Fjeld")  # primary first
    assert "hovedeier" in header
    # The header shows the owners' names: the read is logged against each (REQ-19).
    reads = AccessLogEntry.objects.filter(
        action="read", object_type="animal", object_id=str(rex.pk), purpose="journal"
    )
    assert sorted(reads.values_list("person_id", flat=True)) == sorted([kari.pk, ola.pk])


def test_a_person_journal_has_no_animal_header(make_clinic, make_actor, make_person):
    clinic = make_clinic("dental")
    dentist = make_actor(clinic, "practitioner")
    patient = make_person(dentist, first_name="Per", last_name="Hansen")
    client = Client()
    client.force_login(dentist.user)
    page = client.get(f"/staff/persons/{patient.pk}/journal/").content.decode()
    assert 'id="animal-summary"' not in page


def test_next_vaccination_is_a_date_input(doctor_ui, rex):
    page = doctor_ui.get(f"/staff/animals/{rex.pk}/journal/").content.decode()
    assert 'id="id_field_next_vaccination" name="field_next_vaccination" type="date"' in page


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("neste uke", "Enter a date as YYYY-MM-DD."),
        ("2025-02-30", "Enter a date as YYYY-MM-DD."),
        ("0001-01-01", "Enter a date as YYYY-MM-DD."),
        (-60, "more than a month ago"),
        (365 * 11, "within ten years"),
    ],
)
def test_next_vaccination_must_be_a_date_within_reason(vet_clinic, typed, message):
    if isinstance(typed, int):
        typed = (local_today(vet_clinic) + timedelta(days=typed)).isoformat()
    with translation.override("en"), pytest.raises(ValidationFailed) as exc:
        clean_fields("veterinary", {"next_vaccination": typed})
    (error,) = exc.value.errors["fields.next_vaccination"]
    assert message in str(error)


def test_a_late_entry_may_name_a_due_date_a_little_in_the_past(vet_clinic):
    recent = (local_today(vet_clinic) - timedelta(days=20)).isoformat()
    assert clean_fields("veterinary", {"next_vaccination": recent}) == {"next_vaccination": recent}


def test_a_bad_date_in_the_form_is_shown_in_the_users_language_and_kept(doctor_ui, rex):
    response = doctor_ui.post(
        f"/staff/animals/{rex.pk}/journal/new/",
        {"text": "Vaksinert mot rabies", "field_next_vaccination": "neste uke", "action": "sign"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'value="neste uke"' in page and "Vaksinert mot rabies" in page
    with translation.override("nb"):
        from django.utils.translation import gettext

        assert gettext("Enter a date as YYYY-MM-DD.") in page
    assert not JournalEntry.objects.exists() and not Recall.objects.exists()


def test_a_signed_vaccination_date_is_stored_as_a_date_and_sets_the_recall(
    vet_clinic, doctor, doctor_ui, rex
):
    due = local_today(vet_clinic) + timedelta(days=365)
    response = doctor_ui.post(
        f"/staff/animals/{rex.pk}/journal/new/",
        {"text": "Vaksinert", "field_next_vaccination": due.isoformat(), "action": "sign"},
    )
    assert response.status_code == 302
    entry = JournalEntry.objects.get()
    assert decrypt_content(entry)["fields"] == {"next_vaccination": due.isoformat()}
    recall = Recall.objects.get(animal=rex, status="active")
    assert (recall.due_date, recall.source_entry_id) == (due, entry.pk)


def test_the_api_refuses_a_next_vaccination_that_is_no_date(vet_clinic, make_api, rex):
    api = make_api(vet_clinic, "practitioner")
    response = api.post(
        f"animals/{rex.pk}/journal",
        {"text": "Vaksinert", "fields": {"next_vaccination": "next year"}, "sign": True},
    )
    assert response.status_code == 422
    assert "fields.next_vaccination" in response.json()["errors"]
    assert not Recall.objects.exists()
