"""E-mail through a real SMTP server (aiosmtpd): headers, body, .ics, retries, refusals."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from praksis.messaging.models import DeliveryCircuit, OutboxMessage, Reason, Status
from praksis.messaging.services import deliver_due
from tests.messaging.conftest import ICS
from tests.smtp import free_port


def test_it_sends_the_email_with_its_calendar_attachment(clinic, enqueue, smtp_server, settings):
    settings.DEFAULT_FROM_EMAIL = "bokning@praksis.test"
    clinic.name = "Ögon, Syn & Co"
    clinic.contact_email = "info@ogon.test"
    clinic.save()
    message = enqueue(attachment=("booking.ics", "text/calendar", ICS))

    stats = deliver_due()

    assert (stats.sent, stats.failed) == (1, 0)
    (received,) = smtp_server.wait_for(1)
    assert received["To"] == "greta.wikander@example.com"
    assert received["Subject"] == "Din bokning är bekräftad"
    assert received["From"].addresses[0].display_name == "Ögon, Syn & Co"
    assert received["From"].addresses[0].addr_spec == "bokning@praksis.test"
    assert received["Reply-To"] == "info@ogon.test"
    assert smtp_server.envelopes[0] == ("bokning@praksis.test", ["greta.wikander@example.com"])
    body = received.get_body(preferencelist=("plain",))
    assert body.get_content().strip() == "Välkommen till Test Optik den 5 januari kl. 10.00."
    (attachment,) = list(received.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "booking.ics"
    assert "SUMMARY:Synundersökning" in attachment.get_content()

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.provider_message_id == received["Message-ID"]
    assert received["Message-ID"] == f"<outbox-{message.uuid}@praksis.test>"


def test_without_a_contact_address_there_is_no_reply_to(enqueue, smtp_server):
    enqueue()
    deliver_due()
    (received,) = smtp_server.wait_for(1)
    assert received["Reply-To"] is None
    assert received.get_content_type() == "text/plain"


def test_an_unreachable_server_keeps_the_message_queued_without_counting_an_attempt(
    enqueue, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.MESSAGING_MAX_ATTEMPTS = 3
    message = enqueue()
    now = timezone.now()

    for _round in range(10):  # far more rounds than attempts allowed
        stats = deliver_due(now=now)
        assert (stats.sent, stats.failed, stats.dead) == (0, 0, 0)
        message.refresh_from_db()
        assert (message.status, message.attempts) == (Status.PENDING, 0)
        assert message.reason == Reason.SERVER_FAILING
        assert message.last_error.startswith("ConnectionRefusedError")
        assert deliver_due(now=now).claimed == 0  # every worker leaves the server alone
        tried_at, now = now, DeliveryCircuit.objects.get(channel="email").retry_after

    assert DeliveryCircuit.objects.get(channel="email").failures == 10
    # Backed off exponentially to the cap (10 minutes, minus at most 20 % jitter).
    assert timedelta(minutes=8) <= now - tried_at <= timedelta(minutes=12)


def test_a_refused_recipient_fails_at_once_and_the_error_names_no_address(
    enqueue, smtp_server, caplog
):
    smtp_server.refuse = {"greta.wikander@example.com"}
    message = enqueue()

    stats = deliver_due()

    assert (stats.failed, stats.dead) == (1, 1)
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 1
    assert message.reason == Reason.RECIPIENT_REFUSED
    assert message.last_error.startswith("SMTPRecipientsRefused")
    assert "550" in message.last_error
    assert "greta" not in message.last_error
    assert "example.com" not in message.last_error
    assert "greta" not in caplog.text
    assert "Välkommen" not in message.last_error


def test_one_connection_failure_does_not_cost_a_timeout_per_message(enqueue, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    for n in range(3):
        enqueue(to=f"client{n}@example.com")
    stats = deliver_due()
    assert (stats.deferred, stats.sent, stats.failed) == (3, 0, 0)
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(Status.PENDING, 0)}
