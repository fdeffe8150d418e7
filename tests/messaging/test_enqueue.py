"""Enqueueing: in the caller's transaction, idempotent by dedupe key, marketing only with opt-in."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from praksis.messaging.models import OutboxMessage, Status
from praksis.messaging.services import message_enqueue


def test_it_stores_a_pending_message_with_its_attachment_and_relation(enqueue):
    message = enqueue(
        attachment=("booking.ics", "text/calendar", "BEGIN:VCALENDAR"),
        related=("appointment", 42),
    )
    message.refresh_from_db()
    assert message.status == Status.PENDING
    assert message.attempts == 0
    assert (message.attachment_name, message.attachment_type) == ("booking.ics", "text/calendar")
    assert (message.related_type, message.related_id) == ("appointment", 42)


def test_it_rolls_back_with_the_caller(enqueue):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue()
        raise RuntimeError("the booking failed")
    assert OutboxMessage.objects.count() == 0


def test_a_dedupe_key_makes_it_idempotent(enqueue, other_clinic):
    first = enqueue(kind="reminder", dedupe_key="reminder:appointment:42")
    again = enqueue(kind="reminder", dedupe_key="reminder:appointment:42", body="changed")
    assert first is not None
    assert again is None
    assert OutboxMessage.objects.count() == 1
    # The key is per clinic.
    elsewhere = enqueue(clinic=other_clinic, kind="reminder", dedupe_key="reminder:appointment:42")
    assert elsewhere is not None


def test_marketing_needs_an_opt_in(enqueue):
    with pytest.raises(ValueError, match="consent"):
        enqueue(kind="marketing")
    assert OutboxMessage.objects.count() == 0
    assert enqueue(kind="marketing", consent_id=7).consent_id == 7


def test_the_database_refuses_marketing_without_consent(clinic):
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessage.objects.create(
            clinic=clinic, channel="email", kind="marketing", to_address="a@example.com", body="x"
        )


@pytest.mark.parametrize(
    "overrides",
    [
        {"channel": "fax"},
        {"kind": "newsletter"},
        {"to": "not an address"},
        {"channel": "sms", "to": "12"},
        {"channel": "sms", "to": "+46701234567", "attachment": ("a.ics", "text/calendar", "x")},
    ],
)
def test_it_refuses_bad_input(enqueue, overrides):
    with pytest.raises(ValueError):
        enqueue(**overrides)
    assert OutboxMessage.objects.count() == 0


def test_phone_numbers_are_stored_in_e164(enqueue):
    message = enqueue(channel="sms", to="070-123 45 67", subject="")
    assert message.to_address == "+46701234567"


def test_a_person_of_another_clinic_is_refused(other_clinic, make_actor, make_person):
    stranger = make_person(make_actor(other_clinic, "owner"))
    from praksis.clinics.services import clinic_create
    from tests.conftest import CLINIC_SPECS

    clinic = clinic_create(**CLINIC_SPECS["dental"])
    with pytest.raises(ValueError):
        message_enqueue(
            clinic=clinic, channel="email", to="a@example.com", subject="s", body="b",
            kind="notice", person=stranger,
        )  # fmt: skip


def test_erasing_a_person_erases_their_messages(enqueue, owner, make_person):
    person = make_person(owner, email="greta.wikander@example.com")
    enqueue(person=person)
    enqueue()  # not linked to the person
    person.delete()
    assert OutboxMessage.objects.count() == 1
