"""Recall messages: once, only with consent, never to the restricted, no health details."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.messaging.models import OutboxMessage
from praksis.people.models import Person
from praksis.privacy.models import Consent
from praksis.recall.models import RecallPolicy
from praksis.recall.selectors import local_today
from praksis.recall.services import recall_messages_enqueue, recall_set

SECRET = "Glaukommisstanke, tryck 28 mmHg"


def _due(actor, days: int, **subject):
    return recall_set(
        actor=actor,
        due_date=local_today(actor.clinic) + timedelta(days=days),
        reason=SECRET,  # even a careless reason never reaches a message
        **subject,
    )


def test_a_message_is_queued_once_with_the_booking_link_and_no_health_details(
    clinic, owner, greta, give_consent, settings
):
    settings.PRAKSIS_BASE_URL = "https://praksis.example"
    consent = give_consent(greta)
    recall = _due(owner, 10, person=greta)

    assert recall_messages_enqueue() == 1
    assert recall_messages_enqueue() == 0  # idempotent
    message = OutboxMessage.objects.get()
    assert (message.channel, message.to_address, message.kind) == (
        "email", "greta@example.com", "reminder",
    )  # fmt: skip
    assert message.dedupe_key == f"recall:{recall.pk}:{recall.due_date.isoformat()}"
    assert (message.related_type, message.related_id) == ("recall", recall.pk)
    assert message.consent_id == consent.pk and message.person_id == greta.pk
    assert f"https://praksis.example/{clinic.slug}/" in message.body
    assert "Greta" in message.body and "Test Optik" in message.subject
    for text in (message.subject, message.body):
        assert "Glaukom" not in text and "mmHg" not in text
    log = AccessLogEntry.objects.order_by("-seq").first()
    assert (log.action, log.object_type, log.person_id, log.role) == (
        "create", "outbox_message", greta.pk, "system",
    )  # fmt: skip


def test_a_new_due_date_is_a_new_message(owner, greta, give_consent):
    give_consent(greta)
    _due(owner, 10, person=greta)
    assert recall_messages_enqueue() == 1
    _due(owner, 12, person=greta)
    assert recall_messages_enqueue() == 1
    assert OutboxMessage.objects.count() == 2


def test_only_within_the_lead_time(clinic, owner, greta, give_consent):
    give_consent(greta)
    _due(owner, 20, person=greta)
    assert recall_messages_enqueue() == 0
    RecallPolicy.objects.create(clinic=clinic, message_lead_days=21)
    assert recall_messages_enqueue() == 1
    now = timezone.now() + timedelta(days=60)  # long overdue: the call list's job
    _due(owner, 20, person=greta)
    assert recall_messages_enqueue(now=now) == 0


def test_no_consent_or_a_withdrawn_one_means_no_message(owner, greta, nils, give_consent):
    _due(owner, 5, person=greta)
    _due(owner, 5, person=nils)
    give_consent(nils, purpose="marketing_email")  # another purpose does not count
    withdrawn = give_consent(greta)
    Consent.objects.filter(pk=withdrawn.pk).update(withdrawn_at=timezone.now())
    assert recall_messages_enqueue() == 0
    give_consent(greta)  # asked again: the new consent counts
    assert recall_messages_enqueue() == 1
    assert OutboxMessage.objects.get().person_id == greta.pk


def test_a_restricted_person_gets_no_message(owner, greta, give_consent):
    give_consent(greta)
    _due(owner, 5, person=greta)
    Person.objects.filter(pk=greta.pk).update(restricted_at=timezone.now())
    assert recall_messages_enqueue() == 0
    assert not OutboxMessage.objects.exists()


def test_sms_when_there_is_no_email(owner, nils, give_consent):
    give_consent(nils)
    _due(owner, 5, person=nils)
    assert recall_messages_enqueue() == 1
    message = OutboxMessage.objects.get()
    assert (message.channel, message.to_address) == ("sms", "+46709998877")
    assert "Test Optik" in message.body and "mmHg" not in message.body


def test_nobody_already_booked_gets_a_message(owner, greta, give_consent, make_bookable):
    from praksis.booking.services import appointment_book
    from tests.conftest import next_local

    give_consent(greta)
    _due(owner, 5, person=greta)
    service, _staff = make_bookable(greta.clinic)
    appointment_book(
        actor=owner, service_id=service.pk, person_id=greta.pk, start=next_local(greta.clinic)
    )
    before = OutboxMessage.objects.count()  # the booking's own confirmation
    assert recall_messages_enqueue() == 0
    assert OutboxMessage.objects.count() == before


def test_an_animals_recall_goes_to_its_primary_owner(vet, give_consent):
    clinic, actor, dog, primary, second = vet
    give_consent(second)  # the second owner's consent does not make the primary's
    recall_set(actor=actor, animal=dog, due_date=local_today(clinic) + timedelta(days=3))
    assert recall_messages_enqueue() == 0
    give_consent(primary)
    assert recall_messages_enqueue() == 1
    message = OutboxMessage.objects.get()
    assert (message.person_id, message.to_address) == (primary.pk, "solveig@example.com")
    assert "Tassen" in message.body


@pytest.mark.parametrize("with_consent", [True, False])
def test_the_command_prints_the_count(owner, greta, give_consent, with_consent):
    if with_consent:
        give_consent(greta)
    _due(owner, 5, person=greta)
    out = StringIO()
    call_command("send-recalls", stdout=out)
    assert out.getvalue().strip() == f"recall messages queued: {int(with_consent)}"
