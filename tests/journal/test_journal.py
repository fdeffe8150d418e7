"""The journal (REQ-12..18): signed entries are final, amendments keep the original,
receptionists never see content, content is encrypted at rest, every read is logged."""

from __future__ import annotations

import io

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from pypdf import PdfReader

from praksis.audit.models import AccessLogEntry
from praksis.journal.models import Attachment, JournalEntry
from praksis.journal.selectors import journal_read
from praksis.journal.services import attachment_add, entry_create
from praksis.people.vault import destroy_key

SECRET = "Patienten uppger dubbelseende sedan tre veckor"


@pytest.fixture
def patient(clinic, owner, make_person):
    return make_person(owner, first_name="Greta", last_name="Wikander")


@pytest.fixture
def practitioner(clinic, make_staff):
    from praksis.clinics.models import User

    user = make_staff(clinic, "practitioner")
    User.objects.filter(pk=user.pk).update(full_name="Johan Lind", title="Legitimerad optiker")
    return user


@pytest.fixture
def doctor_api(clinic, practitioner):
    from praksis.clinics.services import token_issue
    from tests.conftest import ApiClient

    practitioner.refresh_from_db()
    return ApiClient(token_issue(user=practitioner, clinic=clinic))


@pytest.fixture
def doctor(clinic, practitioner):
    from praksis.clinics.access import Actor

    practitioner.refresh_from_db()
    return Actor(clinic=clinic, user=practitioner, role="practitioner", request_id="t")


def test_req13_signed_entry_with_author_name_and_title(doctor_api, patient):
    response = doctor_api.post(
        f"persons/{patient.pk}/journal",
        {
            "text": SECRET,
            "fields": {"sphere_right": "-1.25", "axis_right": 90, "recall_months": 24},
            "sign": True,
        },
    )
    assert response.status_code == 201, response.content
    entry = response.json()
    assert entry["signed"] and entry["author"] == {
        "name": "Johan Lind",
        "title": "Legitimerad optiker",
    }
    assert entry["fields"] == {"sphere_right": "-1.25", "axis_right": 90, "recall_months": 24}
    listed = doctor_api.get(f"persons/{patient.pk}/journal").json()
    assert [e["text"] for e in listed["items"]] == [SECRET]


def test_bad_fields_are_422(doctor_api, patient):
    response = doctor_api.post(
        f"persons/{patient.pk}/journal",
        {"text": "x", "fields": {"sphere_right": "-1.3", "axis_right": 200, "colour": "red"}},
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {
        "fields.sphere_right",
        "fields.axis_right",
        "fields.colour",
    }
    assert doctor_api.post(f"persons/{patient.pk}/journal", {"text": "  "}).status_code == 422
    assert not JournalEntry.objects.exists()


def test_req12_no_put_patch_or_delete_and_amendments_keep_the_original(doctor_api, patient):
    entry = doctor_api.post(f"persons/{patient.pk}/journal", {"text": SECRET, "sign": True}).json()
    for method in ("put", "patch"):
        assert (
            getattr(doctor_api, method)(f"journal/{entry['id']}", {"text": "x"}).status_code == 405
        )
    assert doctor_api.delete(f"journal/{entry['id']}").status_code == 405

    no_reason = doctor_api.post(f"journal/{entry['id']}/amendments", {"text": "Rättelse"})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["errors"]
    amendment = doctor_api.post(
        f"journal/{entry['id']}/amendments",
        {"text": "Dubbelseende sedan tre dagar", "reason": "Fel antal i originalet"},
    )
    assert amendment.status_code == 201
    body = amendment.json()
    assert body["kind"] == "amendment" and body["concerns"] == entry["id"]
    assert body["author"]["name"] == "Johan Lind" and body["signed_at"]

    read = doctor_api.get(f"journal/{entry['id']}").json()
    assert read["text"] == SECRET  # the original is still readable, unchanged
    assert [a["text"] for a in read["amendments"]] == ["Dubbelseende sedan tre dagar"]
    assert read["amendments"][0]["reason"] == "Fel antal i originalet"


def test_req14_req15_objection_and_refused_correction(doctor_api, patient):
    entry = doctor_api.post(f"persons/{patient.pk}/journal", {"text": SECRET, "sign": True}).json()
    objection = doctor_api.post(
        f"journal/{entry['id']}/objections", {"text": "Patienten anser att uppgiften är fel."}
    )
    assert objection.status_code == 201 and objection.json()["kind"] == "objection"
    refusal = doctor_api.post(f"journal/{entry['id']}/refusals", {"text": "Begäran avslås."})
    assert refusal.status_code == 422  # the reason is required
    refusal = doctor_api.post(
        f"journal/{entry['id']}/refusals",
        {"text": "Begäran om rättelse avslås.", "reason": "Uppgiften är korrekt enligt mätning."},
    )
    assert refusal.status_code == 201 and refusal.json()["kind"] == "refused"
    kinds = [f["kind"] for f in doctor_api.get(f"journal/{entry['id']}").json()["followups"]]
    assert kinds == ["objection", "refused"]


def test_drafts_are_flagged_edited_by_their_author_then_signed(
    doctor, doctor_api, patient, clinic, make_actor
):
    from praksis.core.errors import Conflict
    from praksis.journal.services import entry_sign, entry_update_draft

    draft = doctor_api.post(f"persons/{patient.pk}/journal", {"text": "utkast"}).json()
    assert draft["signed"] is False and draft["signed_at"] is None
    entry_update_draft(actor=doctor, entry_id=draft["id"], text="utkast, rättat")
    colleague = make_actor(clinic, "owner")
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied: only the author
        entry_update_draft(actor=colleague, entry_id=draft["id"], text="someone else")
    with pytest.raises(Exception):  # noqa: B017
        entry_sign(actor=colleague, entry_id=draft["id"])
    signed = doctor_api.post(f"journal/{draft['id']}/sign").json()
    assert signed["signed"] and signed["text"] == "utkast, rättat"
    with pytest.raises(Conflict):
        entry_update_draft(actor=doctor, entry_id=draft["id"], text="too late")


def test_receptionists_never_get_journal_content(clinic, doctor, patient, make_api, make_staff):
    entry_create(actor=doctor, person_id=patient.pk, text=SECRET, sign=True)
    api = make_api(clinic, "receptionist")
    before = AccessLogEntry.objects.count()
    for path in (
        f"persons/{patient.pk}/journal",
        f"persons/{patient.pk}/journal.pdf",
        f"journal/{JournalEntry.objects.get().pk}",
    ):
        response = api.get(path)
        assert response.status_code == 403
        assert SECRET not in response.content.decode(errors="replace")
    assert api.post(f"persons/{patient.pk}/journal", {"text": "x"}).status_code == 403
    assert AccessLogEntry.objects.count() == before
    client = Client()
    client.force_login(make_staff(clinic, "receptionist", email="desk@test-optik.test"))
    page = client.get(f"/staff/persons/{patient.pk}/").content.decode()
    assert SECRET not in page
    assert 'id="journal-summary"' in page  # that a journal exists, and its date


def test_req19_journal_reads_and_prints_are_logged_with_purpose(
    clinic, doctor, doctor_api, patient
):
    entry_create(actor=doctor, person_id=patient.pk, text=SECRET, sign=True)
    doctor_api.get(f"persons/{patient.pk}/journal", purpose="eye examination")
    pdf = doctor_api.get(f"persons/{patient.pk}/journal.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    rows = AccessLogEntry.objects.filter(clinic=clinic, object_type="journal").order_by("seq")
    assert [(r.action, r.purpose, r.person_id) for r in rows] == [
        ("read", "eye examination", patient.pk),
        ("print", "print", patient.pk),
    ]
    assert rows[0].actor == doctor.user.email and rows[0].role == "practitioner"


def test_pdf_shows_the_amendment_beside_the_original(doctor, doctor_api, patient):
    entry = entry_create(actor=doctor, person_id=patient.pk, text=SECRET, sign=True)
    doctor_api.post(
        f"journal/{entry.pk}/amendments",
        {"text": "Rättad uppgift: tre dagar", "reason": "Skrivfel"},
    )
    draft = entry_create(actor=doctor, person_id=patient.pk, text="Osignerat utkast")
    pdf = doctor_api.get(f"persons/{patient.pk}/journal.pdf").content
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "dubbelseende" in text and "Rättad uppgift" in text and "Skrivfel" in text
    assert "Johan Lind" in text
    assert draft.signed_at is None


# --- The database guarantee (REQ-12), on both databases ---------------------------------


def test_req12_database_refuses_changing_a_signed_entry(doctor, patient):
    entry = entry_create(actor=doctor, person_id=patient.pk, text=SECRET, sign=True)
    for sql in (
        "UPDATE journal_journalentry SET author_name = 'x' WHERE id = %s",
        "UPDATE journal_journalentry SET signed_at = NULL WHERE id = %s",
        "DELETE FROM journal_journalentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalEntry.objects.filter(pk=entry.pk).update(ciphertext=b"x")
    entry.refresh_from_db()
    assert entry.author_name == "Johan Lind" and entry.signed_at


def test_drafts_can_change_but_signed_attachments_cannot(doctor, patient):
    draft = entry_create(actor=doctor, person_id=patient.pk, text="utkast")
    JournalEntry.objects.filter(pk=draft.pk).update(author_title="x")  # a draft may change
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    attachment = attachment_add(
        actor=doctor, entry_id=draft.pk, filename="tand.png", content_type="image/png", data=png
    )
    from praksis.journal.services import entry_sign

    entry_sign(actor=doctor, entry_id=draft.pk)
    with pytest.raises(DatabaseError), transaction.atomic():
        Attachment.objects.filter(pk=attachment.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        Attachment.objects.create(
            clinic=draft.clinic,
            entry=draft,
            filename="late.png",
            content_type="image/png",
            size=1,
            sha256="0" * 64,
            ciphertext=b"x",
            uploaded_by_user_id=doctor.user_id,
        )


def test_attachments_are_checked_by_content_and_size(doctor, doctor_api, patient, settings):
    from praksis.core.errors import ValidationFailed

    draft = entry_create(actor=doctor, person_id=patient.pk, text="röntgen")
    with pytest.raises(ValidationFailed):
        attachment_add(
            actor=doctor,
            entry_id=draft.pk,
            filename="x.png",
            content_type="image/png",
            data=b"<script>alert(1)</script>",
        )
    settings.PRAKSIS_ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(ValidationFailed):
        attachment_add(
            actor=doctor,
            entry_id=draft.pk,
            filename="x.pdf",
            content_type="application/pdf",
            data=b"%PDF-" + b"0" * 200,
        )
    settings.PRAKSIS_ATTACHMENT_MAX_BYTES = 10_000
    jpeg = b"\xff\xd8\xff\xe0" + b"1" * 100
    attachment = attachment_add(
        actor=doctor, entry_id=draft.pk, filename="bild.jpg", content_type="image/jpeg", data=jpeg
    )
    response = doctor_api.get(f"journal/attachments/{attachment.pk}")
    assert response.status_code == 200 and response.content == jpeg
    assert jpeg not in bytes(Attachment.objects.get().ciphertext)


# --- Encryption at rest --------------------------------------------------------------


def test_ciphertext_only_in_the_database(doctor, patient):
    entry_create(
        actor=doctor,
        person_id=patient.pk,
        text=SECRET,
        fields={"recommendation": "Progressiva glas"},
        sign=True,
    )
    raw = bytes(JournalEntry.objects.values_list("ciphertext", flat=True).get())
    assert SECRET.encode() not in raw and b"Progressiva" not in raw
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        dump = "\n".join(connection.connection.iterdump())  # the whole database as SQL
        assert "Wikander" in dump  # the dump is real: names are in it
        for plain in (SECRET, "Progressiva"):
            assert plain not in dump and plain.encode().hex().upper() not in dump.upper()
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT ciphertext::text FROM journal_journalentry")
            assert "dubbelseende" not in cursor.fetchone()[0]


def test_a_destroyed_key_makes_the_journal_unreadable(doctor, doctor_api, patient):
    entry_create(actor=doctor, person_id=patient.pk, text=SECRET, sign=True)
    assert destroy_key(patient)
    views = journal_read(actor=doctor, person_id=patient.pk)
    assert views[0].unreadable and views[0].text == ""
    body = doctor_api.get(f"persons/{patient.pk}/journal").json()
    assert body["items"][0]["unreadable"] is True and SECRET not in str(body)


def test_ciphertext_cannot_be_moved_to_another_person(doctor, patient, owner, make_person):
    other = make_person(owner, first_name="Per", last_name="Holm")
    mine = entry_create(actor=doctor, person_id=patient.pk, text=SECRET)
    theirs = entry_create(actor=doctor, person_id=other.pk, text="annat")
    JournalEntry.objects.filter(pk=theirs.pk).update(ciphertext=mine.ciphertext)  # drafts
    views = journal_read(actor=doctor, person_id=other.pk)
    assert views[0].unreadable and SECRET not in views[0].text


def test_key_rotation_rewraps_data_keys(doctor, patient, settings):
    import base64

    from django.core.management import call_command

    entry_create(actor=doctor, person_id=patient.pk, text=SECRET, sign=True)
    old = settings.PRAKSIS_KEY
    settings.PRAKSIS_KEY = base64.urlsafe_b64encode(b"n" * 32).decode()
    settings.PRAKSIS_KEY_PREVIOUS = old
    call_command("rotate-key", stdout=io.StringIO())
    settings.PRAKSIS_KEY_PREVIOUS = None  # the old key is gone now
    assert journal_read(actor=doctor, person_id=patient.pk)[0].text == SECRET


# --- The therapy client card -----------------------------------------------------------


def test_client_card_is_encrypted_and_for_journal_roles_only(
    make_clinic, make_api, make_actor, make_person, make_staff
):
    clinic = make_clinic("therapy")
    client = make_person(
        make_actor(clinic, "owner"), first_name="Alva", last_name="Ek", birth_date="1980-01-01"
    )
    from praksis.privacy.services import consent_give_at_desk

    consent_give_at_desk(  # the explicit consent to health data first (REQ-33)
        actor=make_actor(clinic, "receptionist"), person_id=client.pk, purpose="health_data",
        channel="desk",
    )  # fmt: skip
    therapist = make_api(clinic, "practitioner")
    response = therapist.put(
        f"persons/{client.pk}/client-card",
        {"allergies": "Nötallergi (mandelolja)", "injuries": "Whiplash 2019"},
    )
    assert response.status_code == 200
    assert response.json()["allergies"] == "Nötallergi (mandelolja)"
    from praksis.journal.models import ClientCard

    raw = bytes(ClientCard.objects.get().ciphertext)
    assert b"mandelolja" not in raw and b"Whiplash" not in raw
    assert (
        make_api(clinic, "receptionist").get(f"persons/{client.pk}/client-card").status_code == 403
    )
    logged = AccessLogEntry.objects.filter(object_type="client_card", person_id=client.pk)
    assert sorted(logged.values_list("action", flat=True)) == ["create", "read"]
    page = Client()
    page.force_login(make_staff(clinic, "practitioner", email="t2@test-terapi.test"))
    html = page.get(f"/staff/persons/{client.pk}/journal/").content.decode()
    assert "Nötallergi (mandelolja)" in html
    destroy_key(client)
    assert therapist.get(f"persons/{client.pk}/client-card").json()["unreadable"] is True
