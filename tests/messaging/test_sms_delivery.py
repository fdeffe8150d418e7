"""SMS through the HTTP provider adapter (a fake provider on loopback) and the file backend."""

from __future__ import annotations

import json

import pytest

from praksis.messaging.backends import FileSmsBackend, HttpSmsBackend, TemporarySendError
from praksis.messaging.models import DeliveryCircuit, Reason, Status
from praksis.messaging.services import deliver_due

PHONE = "+46701234567"


@pytest.fixture
def sms(enqueue):
    def make(**overrides):
        values = {"channel": "sms", "to": PHONE, "subject": "",
                  "body": "Påminnelse: i morgon 10.00", "kind": "reminder"}  # fmt: skip
        return enqueue(**{**values, **overrides})

    return make


def test_a_2xx_answer_marks_it_sent_with_the_provider_id(sms, sms_provider):
    message = sms()
    stats = deliver_due()
    assert stats.sent == 1
    (request,) = sms_provider.requests
    assert request["path"] == "/v1/messages"
    assert request["headers"]["Authorization"] == "Bearer test-token"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["json"] == {
        "to": PHONE,
        "from": "Test Optik",
        "message": "Påminnelse: i morgon 10.00",
        "reference": str(message.uuid),
    }
    assert request["headers"]["Idempotency-Key"] == str(message.uuid)
    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == (Status.SENT, "sms-1")


def test_a_5xx_answer_keeps_the_sms_queued_and_counts_no_attempt(sms, sms_provider):
    sms_provider.respond(503, {"error": f"overloaded, try {PHONE} later"})
    message = sms()
    stats = deliver_due()
    assert (stats.deferred, stats.failed, stats.dead) == (1, 0, 0)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 0)
    assert message.reason == Reason.SERVER_FAILING
    assert message.last_error == "TemporarySendError: HTTP 503"
    assert deliver_due().claimed == 0  # the provider is left alone for a while

    circuit = DeliveryCircuit.objects.get(channel="sms")
    stats = deliver_due(now=circuit.retry_after)
    assert stats.sent == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (Status.SENT, 1, "")
    assert DeliveryCircuit.objects.get(channel="sms").retry_after is None
    assert [r["json"]["reference"] for r in sms_provider.requests] == [str(message.uuid)] * 2


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_token_is_the_provider_failing_not_the_number(sms, sms_provider, status):
    sms_provider.respond(status)
    message = sms()
    deliver_due()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 0)
    assert message.reason == Reason.SERVER_FAILING


def test_a_failing_provider_does_not_hold_up_email(sms, enqueue, sms_provider, smtp_server):
    sms_provider.respond(503)
    text = sms()
    mail = enqueue()
    stats = deliver_due()
    assert (stats.sent, stats.deferred) == (1, 1)
    text.refresh_from_db()
    mail.refresh_from_db()
    assert (text.status, mail.status) == (Status.PENDING, Status.SENT)
    smtp_server.wait_for(1)


def test_a_4xx_answer_fails_at_once(sms, sms_provider, settings):
    settings.MESSAGING_MAX_ATTEMPTS = 6
    sms_provider.respond(400, {"error": f"invalid number {PHONE}"})
    message = sms()
    stats = deliver_due()
    assert (stats.failed, stats.dead) == (1, 1)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 1)
    assert message.last_error == "PermanentSendError: HTTP 400"
    assert message.reason == Reason.RECIPIENT_REFUSED
    assert "701234567" not in message.last_error


def test_too_many_requests_is_retried(sms, sms_provider):
    sms_provider.respond(429)
    message = sms()
    deliver_due()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 0)


def test_a_slow_provider_times_out_and_is_retried(sms_provider):
    sms_provider.delay = 0.5
    backend = HttpSmsBackend(timeout=0.1)
    with pytest.raises(TemporarySendError):
        backend.send(PHONE, "hej", "Test")


def test_an_unconfigured_provider_keeps_messages_waiting(sms, settings):
    settings.SMS_BACKEND = "praksis.messaging.backends.HttpSmsBackend"
    settings.SMS_API_URL = ""
    message = sms()
    deliver_due()
    message.refresh_from_db()
    assert message.status == Status.PENDING
    assert message.last_error == "TemporarySendError: SMS_API_URL is not configured"


def test_the_sender_setting_wins_over_the_clinic_name(sms, sms_provider, settings):
    settings.SMS_SENDER = "Praksis"
    sms()
    deliver_due()
    assert sms_provider.requests[0]["json"]["from"] == "Praksis"


def test_the_file_backend_writes_one_json_line(sms, settings, tmp_path):
    settings.SMS_BACKEND = "praksis.messaging.backends.FileSmsBackend"
    settings.SMS_FILE_PATH = tmp_path / "sms"
    message = sms()
    sms(body="second")
    assert deliver_due().sent == 2
    lines = (tmp_path / "sms" / "outbox.jsonl").read_text().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert (first["to"], first["from"], first["message"]) == (
        PHONE,
        "Test Optik",
        "Påminnelse: i morgon 10.00",
    )
    message.refresh_from_db()
    assert message.provider_message_id == first["id"]


def test_the_file_backend_appends(tmp_path):
    backend = FileSmsBackend(tmp_path)
    ids = {backend.send(PHONE, f"text {n}", "Test") for n in range(3)}
    assert len(ids) == 3
    assert len(backend.path.read_text().splitlines()) == 3
