"""Requests about a journal and their decisions (issue 14).

REQ-16 (helsepersonelloven § 43): a Norwegian patient's request to delete journal entries,
recorded by staff and linked to the privacy request; the responsible professional answers
both legal questions; a granted deletion goes through the one erasure path (legal holds
respected) and leaves a trace without content; a refusal names Statsforvalteren. REQ-02:
this is the only lawful deletion of a NO-human journal. REQ-18: a Norwegian vet's journal
records the owner's requests for access or correction with their outcome.
"""

from __future__ import annotations

import pytest
from django.test import Client

from praksis.audit.models import AccessLogEntry
from praksis.core.errors import Conflict
from praksis.journal.models import JournalEntry, JournalRequest
from praksis.journal.requests import journal_request_decide, journal_request_record
from praksis.journal.services import entry_create, followup_add
from praksis.people.services import animal_create, animal_owner_add
from praksis.privacy.erasure import erase_records
from praksis.privacy.requests import request_create
from praksis.privacy.retention import hold_place
from tests.conftest import speaks

SECRET = "Feilaktig diagnose: hjertesvikt"
KEPT = "Kontroll uten funn"


@pytest.fixture
def dental(make_clinic):
    return make_clinic("dental")


@pytest.fixture
def doctor(dental, make_actor):
    return make_actor(dental, "practitioner")


@pytest.fixture
def patient(doctor, make_person):
    return make_person(doctor, first_name="Kari", last_name="Nordmann")


@pytest.fixture
def doctor_ui(doctor):
    client = Client()
    client.force_login(speaks(doctor.user, "en"))
    return client


def _requests_url(patient) -> str:
    return f"/staff/persons/{patient.pk}/journal/requests/"


def _record(doctor_ui, patient, entries, **extra):
    data = {"kind": "deletion", "entries": [e.pk for e in entries], **extra}
    return doctor_ui.post(_requests_url(patient), data)


def test_req16_req02_a_granted_deletion_removes_the_entries_and_leaves_a_trace_without_text(
    dental, doctor, doctor_ui, patient
):
    wrong = entry_create(actor=doctor, person_id=patient.pk, text=SECRET, sign=True)
    amendment = followup_add(
        actor=doctor, entry_id=wrong.pk, kind="amendment", text=SECRET + " (presisert)",
        reason="presisering",
    )  # fmt: skip
    kept = entry_create(actor=doctor, person_id=patient.pk, text=KEPT, sign=True)
    privacy = request_create(actor=doctor, person_id=patient.pk, kind="erasure")

    page = doctor_ui.get(_requests_url(patient)).content.decode()
    assert "helsepersonelloven § 43" in page and "Statsforvalteren" in page
    response = _record(
        doctor_ui, patient, [wrong], grounds="Diagnosen er feil", privacy_request=privacy.pk
    )
    assert response.status_code == 302
    request = JournalRequest.objects.get(clinic=dental)
    assert request.privacy_request_id == privacy.pk and request.entry_ids == [wrong.pk]
    assert SECRET.encode() not in bytes(request.ciphertext)  # encrypted like the journal

    response = doctor_ui.post(
        f"/staff/journal/requests/{request.pk}/decision/",
        {
            "incorrect_or_unnecessary": "yes",
            "no_weighty_reasons": "yes",
            "outcome": "granted",
            "reasons": "Diagnosen ble satt ved en feil og er ikke nødvendig.",
        },
    )
    assert response.status_code == 302
    # The entry and its amendment are gone; the other entry stays.
    assert not JournalEntry.objects.filter(pk__in=[wrong.pk, amendment.pk]).exists()
    assert JournalEntry.objects.filter(pk=kept.pk).exists()
    request.refresh_from_db()
    assert request.outcome == "granted" and request.incorrect_or_unnecessary is True
    assert request.no_weighty_reasons is True and request.decided_by_user_id == doctor.user.pk
    traces = {t["id"]: t for t in request.deleted_entries}
    assert set(traces) == {wrong.pk, amendment.pk}
    assert traces[wrong.pk]["author"] == doctor.user.full_name
    assert SECRET not in str(request.deleted_entries)  # id, dates, author: no text

    # The journal shows the trace, the decision and no trace of the text.
    journal = doctor_ui.get(f"/staff/persons/{patient.pk}/journal/").content.decode()
    assert SECRET not in journal and KEPT in journal
    assert f"Entry #{wrong.pk} of" in journal and f"by decision #{request.pk}" in journal
    # The evidence: one log row per deleted entry, naming the decision, never the text.
    rows = AccessLogEntry.objects.filter(
        clinic=dental, action="delete", object_type="journal_entry", purpose="erasure"
    )
    assert {r.object_id for r in rows} == {str(wrong.pk), str(amendment.pk)}
    assert all(f"journal_request={request.pk}" in r.detail for r in rows)
    assert all(r.person_id == patient.pk for r in rows)
    assert not AccessLogEntry.objects.filter(detail__contains="hjertesvikt").exists()
    # The answer for the patient says what happened.
    requests_page = doctor_ui.get(_requests_url(patient)).content.decode()
    # The answer is written in the clinic's language (Norwegian), for the patient.
    assert "Kravet er innvilget (helsepersonelloven § 43)" in requests_page


def test_req16_both_questions_must_be_answered_and_a_grant_needs_two_yes(
    doctor, doctor_ui, patient
):
    entry = entry_create(actor=doctor, person_id=patient.pk, text=SECRET, sign=True)
    _record(doctor_ui, patient, [entry], grounds="Feil")
    request = JournalRequest.objects.get()
    url = f"/staff/journal/requests/{request.pk}/decision/"
    response = doctor_ui.post(url, {"outcome": "granted", "reasons": "Min begrunnelse"})
    assert response.status_code == 422
    page = response.content.decode()
    assert page.count("Answer this question.") == 2
    assert "Min begrunnelse" in page  # what was typed is kept

    response = doctor_ui.post(
        url,
        {"incorrect_or_unnecessary": "yes", "no_weighty_reasons": "no", "outcome": "granted",
         "reasons": "Begrunnelse"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "Deletion may be granted only when" in response.content.decode()
    assert JournalEntry.objects.filter(pk=entry.pk).exists()
    request.refresh_from_db()
    assert request.decided_at is None


def test_req16_req46_a_refusal_keeps_the_entries_and_names_statsforvalteren(
    doctor, doctor_ui, patient
):
    entry = entry_create(actor=doctor, person_id=patient.pk, text=SECRET, sign=True)
    _record(doctor_ui, patient, [entry], grounds="Feil")
    request = JournalRequest.objects.get()
    doctor_ui.post(
        f"/staff/journal/requests/{request.pk}/decision/",
        {"incorrect_or_unnecessary": "no", "no_weighty_reasons": "no", "outcome": "refused",
         "reasons": "Opplysningen er riktig."},
    )  # fmt: skip
    request.refresh_from_db()
    assert request.outcome == "refused" and request.deleted_entries == []
    assert JournalEntry.objects.filter(pk=entry.pk).exists()
    page = doctor_ui.get(_requests_url(patient)).content.decode()
    assert "Du kan klage på avslaget til Statsforvalteren" in page  # the clinic's language
    # A decision is final: deciding again is a conflict.
    with pytest.raises(Conflict):
        journal_request_decide(
            actor=doctor, request_id=request.pk, outcome="granted", reasons="x",
            incorrect_or_unnecessary="yes", no_weighty_reasons="yes",
        )  # fmt: skip


def test_req16_req11_a_legal_hold_stops_the_deletion(
    dental, doctor, doctor_ui, patient, make_actor
):
    entry = entry_create(actor=doctor, person_id=patient.pk, text=SECRET, sign=True)
    owner = make_actor(dental, "owner")
    hold_place(actor=owner, reason="Tilsynssak", person_id=patient.pk)
    _record(doctor_ui, patient, [entry], grounds="Feil")
    request = JournalRequest.objects.get()
    response = doctor_ui.post(
        f"/staff/journal/requests/{request.pk}/decision/",
        {"incorrect_or_unnecessary": "yes", "no_weighty_reasons": "yes", "outcome": "granted",
         "reasons": "Feil"},
    )  # fmt: skip
    assert response.status_code == 302 and "error=" in response["Location"]
    assert "Tilsynssak" in doctor_ui.get(response["Location"]).content.decode()
    assert JournalEntry.objects.filter(pk=entry.pk).exists()
    request.refresh_from_db()
    assert request.decided_at is None


def test_req16_bad_input_is_a_clear_error_and_keeps_what_was_typed(doctor, doctor_ui, patient):
    entry_create(actor=doctor, person_id=patient.pk, text=KEPT, sign=True)  # care relation
    response = _record(doctor_ui, patient, [], grounds="Min tekst")
    assert response.status_code == 422
    page = response.content.decode()
    assert "Choose the entries the patient asks to have deleted." in page
    assert "Min tekst" in page
    assert not JournalRequest.objects.exists()


def test_req16_only_no_human_clinics_delete_and_other_regimes_are_told_the_rule(
    make_clinic, make_actor, make_person
):
    optician = make_clinic("optician")
    doctor = make_actor(optician, "practitioner")
    patient = make_person(doctor)
    entry = entry_create(actor=doctor, person_id=patient.pk, text="Synstest", sign=True)
    client = Client()
    client.force_login(speaks(doctor.user, "en"))
    page = client.get(_requests_url(patient)).content.decode()
    assert "(IVO)" in page and "patientdatalagen 8 kap. 4 §" in page
    assert 'name="entries"' not in page
    assert _record(client, patient, [entry], grounds="x").status_code == 422
    # The engine has no route for it either: the SE-human policy names none.
    with pytest.raises(Conflict):
        erase_records(actor=doctor, record_type="journal", ids=[entry.pk], reference="test")
    assert JournalEntry.objects.filter(pk=entry.pk).exists()


def test_req16_a_receptionist_may_not_see_or_decide(dental, doctor, patient, make_staff):
    entry = entry_create(actor=doctor, person_id=patient.pk, text=SECRET, sign=True)
    request = journal_request_record(
        actor=doctor, kind="deletion", person_id=patient.pk, entry_ids=[entry.pk], grounds="Feil"
    )
    desk = Client()
    desk.force_login(make_staff(dental, "receptionist"))
    assert desk.get(_requests_url(patient)).status_code == 403
    response = desk.post(
        f"/staff/journal/requests/{request.pk}/decision/",
        {"incorrect_or_unnecessary": "yes", "no_weighty_reasons": "yes", "outcome": "granted",
         "reasons": "x"},
    )  # fmt: skip
    assert response.status_code == 403
    assert JournalEntry.objects.filter(pk=entry.pk).exists()


# --- REQ-18: a Norwegian vet's journal records the owner's requests ----------------------


@pytest.fixture
def vet(make_clinic):
    return make_clinic("vet")


def test_req18_the_owners_requests_are_recorded_in_the_journal_with_their_outcome(
    vet, make_actor, make_person
):
    doctor = make_actor(vet, "practitioner")
    kari = make_person(doctor, first_name="Kari", last_name="Nordmann")
    ola = make_person(doctor, first_name="Ola", last_name="Fjeld")
    dog = animal_create(actor=doctor, owner_ids=[kari.pk], name="Rex", species="dog")
    animal_owner_add(actor=doctor, animal_id=dog.pk, person_id=ola.pk)
    entry = entry_create(actor=doctor, animal_id=dog.pk, text="Vaksinert", sign=True)
    privacy = request_create(actor=doctor, person_id=ola.pk, kind="access")
    client = Client()
    client.force_login(speaks(doctor.user, "en"))
    url = f"/staff/animals/{dog.pk}/journal/requests/"
    page = client.get(url).content.decode()
    assert "forskrift om journal for dyrehelsepersonell § 4" in page
    # A privacy request of someone who is not the one asking: refused, input kept.
    response = client.post(
        url, {"kind": "access", "requester": kari.pk, "privacy_request": privacy.pk,
              "grounds": "Vil se journalen"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "Choose one of the requester&#x27;s privacy requests." in response.content.decode()
    client.post(url, {"kind": "access", "requester": ola.pk, "privacy_request": privacy.pk})
    client.post(
        url, {"kind": "correction", "requester": kari.pk, "entries": [entry.pk],
              "grounds": "Feil vaksine"},
    )  # fmt: skip
    access, correction = JournalRequest.objects.order_by("pk")
    assert access.person_id == ola.pk and access.animal_id == dog.pk
    assert access.privacy_request_id == privacy.pk
    journal_request_decide(actor=doctor, request_id=access.pk, outcome="granted")
    response = client.post(
        f"/staff/journal/requests/{correction.pk}/decision/",
        {"outcome": "refused", "reasons": "Riktig vaksine er journalført"},
    )
    assert response.status_code == 302
    journal = client.get(f"/staff/animals/{dog.pk}/journal/").content.decode()
    assert "Access to the journal" in journal and "Granted" in journal
    assert "Correction of the journal" in journal and "Refused" in journal
    assert f"#{privacy.pk}" in journal
    requests_page = client.get(url).content.decode()
    assert "Mattilsynet" in requests_page  # where the owner may complain (REQ-47)
    assert JournalEntry.objects.filter(pk=entry.pk).exists()  # nothing deleted (REQ-04)


def test_req16_another_clinics_journal_requests_are_not_found(
    doctor, patient, make_clinic, make_staff
):
    entry = entry_create(actor=doctor, person_id=patient.pk, text=SECRET, sign=True)
    request = journal_request_record(
        actor=doctor, kind="deletion", person_id=patient.pk, entry_ids=[entry.pk], grounds="Feil"
    )
    outsider = Client()
    outsider.force_login(make_staff(make_clinic("other"), "owner", email="owner@annan.test"))
    assert outsider.get(_requests_url(patient)).status_code == 404
    assert outsider.post(_requests_url(patient), {"kind": "deletion"}).status_code == 404
    response = outsider.post(
        f"/staff/journal/requests/{request.pk}/decision/",
        {"incorrect_or_unnecessary": "yes", "no_weighty_reasons": "yes", "outcome": "granted",
         "reasons": "x"},
    )  # fmt: skip
    assert response.status_code == 404
    assert outsider.post(f"/staff/persons/{patient.pk}/journal/reason/").status_code == 404
    request.refresh_from_db()
    assert request.decided_at is None and JournalEntry.objects.filter(pk=entry.pk).exists()


def test_req16_req18_req23_the_decisions_are_in_the_requesters_access_report(
    dental, doctor, patient
):
    import json

    from praksis.privacy.requests import export_json

    wrong = entry_create(actor=doctor, person_id=patient.pk, text=SECRET, sign=True)
    asked = journal_request_record(
        actor=doctor, kind="deletion", person_id=patient.pk, entry_ids=[wrong.pk],
        grounds="Diagnosen er feil",
    )  # fmt: skip
    journal_request_decide(
        actor=doctor, request_id=asked.pk, outcome="granted", incorrect_or_unnecessary="yes",
        no_weighty_reasons="yes", reasons="Satt ved en feil",
    )  # fmt: skip
    access = request_create(actor=doctor, person_id=patient.pk, kind="access")
    owner = doctor.__class__(
        clinic=dental, user=doctor.user, role="owner", request_id="t", channel="ui"
    )
    data = json.loads(export_json(actor=owner, request_id=access.pk))
    section = next(s for s in data["sections"] if s["key"] == "journal_requests")
    (item,) = section["items"]
    values = json.dumps(item, ensure_ascii=False)
    # What was asked, the decision, who decided and why; the deleted entry by number only.
    assert "Diagnosen er feil" in values and "Satt ved en feil" in values
    assert doctor.user.full_name in values and f"#{wrong.pk}" in values
    assert SECRET not in json.dumps(data, ensure_ascii=False)
