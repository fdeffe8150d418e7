"""SMS through the HTTP provider adapter (a fake provider on loopback) and the file backend."""

from __future__ import annotations

import json

import pytest

from praksis.messaging.backends import FileSmsBackend, HttpSmsBackend, TemporarySendError
from praksis.messaging.models import Status
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
    }
    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == (Status.SENT, "sms-1")


def test_a_5xx_answer_is_retried(sms, sms_provider):
    sms_provider.respond(503, {"error": f"overloaded, try {PHONE} later"})
    message = sms()
    stats = deliver_due()
    assert (stats.retried, stats.dead) == (1, 0)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 1)
    assert message.last_error == "TemporarySendError: HTTP 503"

    stats = deliver_due(now=message.next_attempt_at)
    assert stats.sent == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (Status.SENT, 2, "")


def test_a_4xx_answer_fails_at_once(sms, sms_provider, settings):
    settings.MESSAGING_MAX_ATTEMPTS = 6
    sms_provider.respond(400, {"error": f"invalid number {PHONE}"})
    message = sms()
    stats = deliver_due()
    assert (stats.failed, stats.dead) == (1, 1)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 1)
    assert message.last_error == "PermanentSendError: HTTP 400"
    assert "701234567" not in message.last_error


def test_too_many_requests_is_retried(sms, sms_provider):
    sms_provider.respond(429)
    message = sms()
    deliver_due()
    message.refresh_from_db()
    assert message.status == Status.PENDING


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
