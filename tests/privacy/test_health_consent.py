"""Therapy clinics (GDPR-only) keep allergies, injuries and treatment notes on the
client's explicit consent (GDPR art. 9(2)(a)), as their notice claims: LAW.md REQ-33
(health data only under art. 9(2)(h) or explicit consent) and REQ-29 (consent records:
who, when, purpose, exact text or version and channel; withdrawing as easy as giving).

The consent is asked and stored with its proof before the client card or the first note;
withdrawn, no new note or card edit is accepted, and the card and notes are deleted once
the ``health_notes`` period has passed — unless a legal hold keeps them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from praksis.core.errors import ValidationFailed
from praksis.journal.models import ClientCard, JournalEntry
from praksis.journal.services import client_card_save, entry_create
from praksis.people.models import Person
from praksis.privacy.health_consent import HEALTH_TEXT, HEALTH_TEXT_VERSION
from praksis.privacy.models import Consent, Purpose
from praksis.privacy.retention import hold_place, policy_for, relevant_record_types, sweep_rule
from praksis.privacy.services import consent_give_at_desk, consent_withdraw
from praksis.processing.selectors import build_notice
from tests.conftest import speaks

pytestmark = pytest.mark.django_db


@pytest.fixture
def therapy(make_clinic):
    return make_clinic("therapy")


@pytest.fixture
def therapist(therapy, make_actor):
    return make_actor(therapy, "practitioner")


@pytest.fixture
def alva(therapy, make_actor, make_person):
    return make_person(
        make_actor(therapy, "owner"), first_name="Alva", last_name="Ek", birth_date="1980-01-01"
    )


def _consent(actor, person) -> Consent:
    return consent_give_at_desk(
        actor=actor, person_id=person.pk, purpose=Purpose.HEALTH_DATA, channel="desk"
    )


def test_req33_req29_no_card_or_note_before_the_explicit_consent(therapy, therapist, alva):
    with pytest.raises(ValidationFailed) as refused:
        entry_create(actor=therapist, person_id=alva.pk, text="Spänd nacke.", sign=True)
    assert "text" in refused.value.errors
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        client_card_save(actor=therapist, person_id=alva.pk, allergies="Nötter", injuries="")
    assert "explicit consent to health data" in refused.value.message
    assert not JournalEntry.objects.exists() and not ClientCard.objects.exists()

    consent = _consent(therapist, alva)
    # The proof: the exact text shown (in the clinic's language) and its version, when,
    # who recorded it, through which channel (REQ-29).
    with translation.override(therapy.language):
        assert consent.text_shown == str(HEALTH_TEXT)
    assert consent.text_version == HEALTH_TEXT_VERSION
    assert consent.recorded_by_user_id == therapist.user_id and consent.channel == "desk"
    assert consent.given_at is not None and consent.purpose == "health_data"

    client_card_save(actor=therapist, person_id=alva.pk, allergies="Nötter", injuries="Knä")
    entry_create(actor=therapist, person_id=alva.pk, text="Spänd nacke.", sign=True)
    assert ClientCard.objects.count() == 1 and JournalEntry.objects.count() == 1


def test_req33_withdrawing_stops_new_notes_and_card_edits(therapy, therapist, alva):
    consent = _consent(therapist, alva)
    client_card_save(actor=therapist, person_id=alva.pk, allergies="Nötter", injuries="")
    consent_withdraw(actor=therapist, consent_id=consent.pk)
    with translation.override("en"):
        with pytest.raises(ValidationFailed) as refused:
            entry_create(actor=therapist, person_id=alva.pk, text="Ny anteckning", sign=True)
        assert "withdrawn their consent to health data" in refused.value.message
        with pytest.raises(ValidationFailed):
            client_card_save(actor=therapist, person_id=alva.pk, allergies="", injuries="")
    assert not JournalEntry.objects.exists()
    # Given again: the card and notes open again.
    _consent(therapist, alva)
    entry_create(actor=therapist, person_id=alva.pk, text="Ny anteckning", sign=True)


def test_req33_req11_a_withdrawal_starts_the_clock_for_deleting_the_health_notes(
    therapy, therapist, alva, make_person, make_actor
):
    owner = make_actor(therapy, "owner")
    kept = make_person(owner, first_name="Berit", last_name="Holm", birth_date="1970-02-02")
    for person in (alva, kept):
        consent = _consent(therapist, person)
        client_card_save(actor=therapist, person_id=person.pk, allergies="Nötter", injuries="")
        entry_create(actor=therapist, person_id=person.pk, text="Behandling.", sign=True)
        consent_withdraw(actor=therapist, consent_id=consent.pk)
    hold_place(actor=owner, reason="Skadeanmälan till behandlingsskadeförsäkringen", person=kept)
    policy = policy_for(therapy, "health_notes")
    assert policy.months == 1 and policy.trigger == "withdrawal" and policy.automatic

    assert sweep_rule("health-notes-withdrawn") == 0  # not yet: the period runs
    assert JournalEntry.objects.filter(person=alva).exists()
    later = timezone.now() + timedelta(days=40)
    assert sweep_rule("health-notes-withdrawn", now=later) == 1
    assert not JournalEntry.objects.filter(person=alva).exists()
    assert not ClientCard.objects.filter(person=alva).exists()
    assert Person.objects.filter(pk=alva.pk).exists()  # the client record has its own rule
    # The legal hold keeps the other client's notes (a treatment-injury claim).
    assert JournalEntry.objects.filter(person=kept).exists()
    assert ClientCard.objects.filter(person=kept).exists()


def test_req33_the_notice_states_the_rule(therapy):
    assert "health_notes" in relevant_record_types(therapy)
    notice = build_notice(therapy)
    with translation.override("en"):
        text = policy_for(therapy, "health_notes").describe(public=True)
        assert "withdraw your consent" in text and "1 month" in text
        assert "art. 9.2 a" in text
    lines = [
        line
        for activity in notice[therapy.language]["activities"]
        for line in activity["retention"]
        if line["record_type"] == "health_notes"
    ]
    assert lines, "the therapy notice states what a withdrawal does to the health notes"


def test_req33_clinics_under_health_record_law_need_no_consent(
    make_clinic, make_actor, make_person
):
    optician = make_clinic("optician")
    doctor = make_actor(optician, "practitioner")
    patient = make_person(make_actor(optician, "owner"), first_name="Per", last_name="Ek")
    entry_create(actor=doctor, person_id=patient.pk, text="Synundersökning.", sign=True)
    with pytest.raises(ValidationFailed) as refused:
        _consent(doctor, patient)
    assert "purpose" in refused.value.errors
    assert "health_notes" not in relevant_record_types(optician)


def test_req33_the_pages_and_the_api_say_why_and_keep_the_text(
    therapy, alva, make_staff, make_api, make_clinic, make_actor, make_person
):
    page = Client()
    page.force_login(speaks(make_staff(therapy, "practitioner", email="t2@terapi.test"), "en"))
    answer = page.post(
        f"/staff/persons/{alva.pk}/journal/new/", {"text": "Spänd nacke", "action": "sign"}
    )
    assert answer.status_code == 422
    html = answer.content.decode()
    assert "explicit consent to health data" in html and "Spänd nacke" in html
    person_page = page.get(f"/staff/persons/{alva.pk}/").content.decode()
    assert 'value="health_data"' in person_page

    api = make_api(therapy, "practitioner")
    refused = api.post(f"persons/{alva.pk}/journal", {"text": "Spänd nacke", "sign": True})
    assert refused.status_code == 422
    assert "text" in refused.json()["errors"]

    optician = make_clinic("optician")
    other = Client()
    other.force_login(speaks(make_staff(optician, "owner"), "en"))
    patient = make_person(make_actor(optician, "receptionist"), first_name="Per", last_name="Ek")
    assert 'value="health_data"' not in other.get(f"/staff/persons/{patient.pk}/").content.decode()
