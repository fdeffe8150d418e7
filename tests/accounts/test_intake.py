"""Intake before the visit (issue 15): the owner writes a service's questions, each with
why it is asked; the booking confirmation points to the account; the client answers
there; the answers become a journal draft (encrypted, the journal's retention) for the
practitioner to review and sign."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from praksis.audit.models import AccessLogEntry
from praksis.booking.intake import intake_form_save
from praksis.booking.models import IntakeResponse
from praksis.booking.services import appointment_book
from praksis.journal.models import JournalEntry
from praksis.journal.selectors import decrypt_content
from praksis.journal.services import entry_sign
from praksis.messaging.models import OutboxMessage
from tests.accounts.test_sign_in import _sign_in
from tests.conftest import next_local, speaks

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"text": "Do you wear contact lenses?", "why": "The examination differs with lenses.",
     "kind": "yesno"},
    {"text": "Any eye drops or medicines?", "why": "Some affect the eye's pressure.",
     "kind": "text"},
]  # fmt: skip


@pytest.fixture
def booked(clinic, owner, make_bookable, make_person, make_staff):
    service, (practitioner,) = make_bookable(clinic)
    optician = make_staff(clinic, "practitioner", email="optiker@test-optik.test")
    practitioner.user = optician
    practitioner.save(update_fields=["user"])
    intake_form_save(
        actor=owner, service_id=service.pk, title="Före synundersökningen", questions=QUESTIONS
    )
    person = make_person(owner, first_name="Maja", last_name="Lind", email="maja@example.com")
    appointment = appointment_book(
        actor=owner, service_id=service.pk, person_id=person.pk,
        start=next_local(clinic, days=3, hour=10), practitioner_id=practitioner.pk,
    )  # fmt: skip
    return service, person, appointment, optician


def test_the_owner_writes_the_form_and_every_question_says_why(clinic, owner, make_bookable,
                                                                 make_staff):  # fmt: skip
    service, _staff = make_bookable(clinic)
    ui = Client()
    ui.force_login(speaks(owner.user, "en"))
    url = f"/staff/services/{service.pk}/intake/"
    assert url in ui.get(f"/staff/services/{service.pk}/").content.decode()
    refused = ui.post(url, {"title": "Före besöket", "q-0-text": "Allergier?", "q-0-why": "",
                            "q-0-kind": "text", "active": "1"})  # fmt: skip
    assert refused.status_code == 422
    page = refused.content.decode()
    assert "Say why you ask this" in page and 'value="Allergier?"' in page
    saved = ui.post(url, {"title": "Före besöket", "q-0-text": "Allergier?",
                          "q-0-why": "Vissa droppar ger allergi.", "q-0-kind": "yesno",
                          "active": "1"})  # fmt: skip
    assert saved.status_code == 302
    service.intake_form.refresh_from_db()
    assert service.intake_form.questions == [
        {"text": "Allergier?", "why": "Vissa droppar ger allergi.", "kind": "yesno"}
    ]
    desk = Client()
    desk.force_login(make_staff(clinic, "receptionist"))
    assert desk.get(url).status_code == 403


def test_the_client_answers_and_the_practitioner_gets_a_draft(clinic, booked, make_actor):
    _service, person, appointment, optician = booked
    confirmation = OutboxMessage.objects.get(kind="confirmation", person=person)
    assert "Före synundersökningen" in confirmation.body
    assert f"/{clinic.slug}/account/" in confirmation.body

    client = Client()
    _sign_in(client, clinic, person.email)
    home = client.get(f"/{clinic.slug}/account/?lang=en").content.decode()
    url = f"/{clinic.slug}/account/intake/{appointment.pk}/"
    assert url in home
    page = client.get(url + "?lang=en").content.decode()
    assert "Do you wear contact lenses?" in page
    assert "The examination differs with lenses." in page  # why it is asked
    bad = client.post(url, {"q-0": "maybe", "q-1": "Timolol", "lang": "en"})
    assert bad.status_code == 422 and "Timolol" in bad.content.decode()
    assert not JournalEntry.objects.exists()
    sent = client.post(url, {"q-0": "yes", "q-1": "Timolol ögondroppar", "lang": "en"})
    assert sent.status_code == 302

    entry = JournalEntry.objects.get(person=person)
    assert entry.signed_at is None and entry.author_user_id == optician.pk
    assert b"Timolol" not in bytes(entry.ciphertext)  # encrypted like every entry
    text = decrypt_content(entry)["text"]
    with translation.override(clinic.language):  # the journal is in the clinic's language
        yes = translation.gettext("Yes")
    assert f"Do you wear contact lenses?\n{yes}" in text and "Timolol ögondroppar" in text
    assert IntakeResponse.objects.get(appointment=appointment).journal_entry_id == entry.pk
    assert AccessLogEntry.objects.filter(
        person_id=person.pk, object_type="journal_entry", channel="account", action="create"
    ).exists()
    # Answered once: the form is no longer offered, and a second post changes nothing.
    assert url not in client.get(f"/{clinic.slug}/account/?lang=en").content.decode()
    client.post(url, {"q-0": "no", "lang": "en"})
    assert JournalEntry.objects.filter(person=person).count() == 1

    # The practitioner reviews and signs the draft.
    from praksis.clinics.access import Actor

    actor = Actor(clinic=clinic, user=optician, role="practitioner", channel="ui")
    assert entry_sign(actor=actor, entry_id=entry.pk).signed_at is not None


def test_another_persons_booking_has_no_form_for_you(clinic, owner, booked, make_person):
    _service, _person, appointment, _optician = booked
    other = make_person(owner, first_name="Olle", last_name="Berg", email="olle@example.com")
    client = Client()
    _sign_in(client, clinic, other.email)
    url = f"/{clinic.slug}/account/intake/{appointment.pk}/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"q-0": "yes"}).status_code == 404
    assert not JournalEntry.objects.exists()
    assert Client().get(url).status_code == 404  # signed out
