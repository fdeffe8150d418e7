"""The staff delivery page: own clinic only, recipients masked, retry for owners only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from praksis.audit.models import AccessLogEntry
from praksis.messaging.models import OutboxMessage, Status
from praksis.messaging.selectors import mask_recipient


@pytest.fixture
def login(make_staff):
    def login(clinic, role):
        client = Client(headers={"Accept-Language": "en"})
        client.force_login(make_staff(clinic, role))
        return client

    return login


@pytest.fixture
def messages(enqueue):
    sent = enqueue(to="greta.wikander@example.com")
    OutboxMessage.objects.filter(pk=sent.pk).update(status=Status.SENT, attempts=1)
    failed = enqueue(channel="sms", to="+46701234567", subject="", kind="reminder")
    OutboxMessage.objects.filter(pk=failed.pk).update(
        status=Status.FAILED, attempts=6, last_error="TemporarySendError: HTTP 503"
    )
    return sent, failed


def test_mask_recipient():
    assert mask_recipient("email", "greta.wikander@example.com") == "g***@example.com"
    assert mask_recipient("sms", "+46701234567") == "***67"


def test_staff_see_their_clinics_messages_masked(clinic, messages, login):
    response = login(clinic, "receptionist").get("/staff/messages/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "g***@example.com" in page
    assert "***67" in page
    assert "greta.wikander" not in page
    assert "46701234567" not in page
    assert "Välkommen" not in page  # bodies are not shown
    assert "HTTP 503" in page
    assert "Retry" not in page  # owners only
    log = AccessLogEntry.objects.filter(clinic=clinic, object_type="outbox_message").get()
    assert log.action == "list"


def test_another_clinics_owner_sees_none(other_clinic, messages, login):
    page = login(other_clinic, "owner").get("/staff/messages/").content.decode()
    assert "***@example.com" not in page
    assert "***67" not in page
    assert "No messages." in page


def test_the_status_filter(clinic, messages, login):
    page = login(clinic, "owner").get("/staff/messages/?status=failed").content.decode()
    assert "***67" in page
    assert "g***@example.com" not in page


def test_the_page_speaks_swedish(clinic, messages, login):
    client = login(clinic, "owner")
    page = client.get("/staff/messages/", headers={"Accept-Language": "sv"}).content.decode()
    assert "Meddelanden" in page
    assert "Misslyckades" in page
    assert "***67" in page


def test_the_owner_may_retry_a_failed_message(clinic, messages, login):
    _sent, failed = messages
    response = login(clinic, "owner").post(f"/staff/messages/{failed.pk}/retry/")
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.PENDING, 0)
    assert AccessLogEntry.objects.filter(
        clinic=clinic, action="update", object_type="outbox_message"
    ).exists()


@pytest.mark.parametrize("role", ["receptionist", "practitioner"])
def test_other_roles_may_not_retry(clinic, messages, login, role):
    _sent, failed = messages
    response = login(clinic, role).post(f"/staff/messages/{failed.pk}/retry/")
    assert response.status_code == 403
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.FAILED, 6)


def test_another_clinics_owner_may_not_retry(other_clinic, messages, login):
    _sent, failed = messages
    response = login(other_clinic, "owner").post(f"/staff/messages/{failed.pk}/retry/")
    assert response.status_code == 404
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.FAILED, 6)


def test_the_list_costs_the_same_at_any_length(clinic, enqueue, login):
    client = login(clinic, "owner")
    enqueue()
    client.get("/staff/messages/")  # warm the session
    with CaptureQueriesContext(connection) as one:
        client.get("/staff/messages/")
    for n in range(60):
        enqueue(to=f"client{n}@example.com")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/staff/messages/")
    # 15: the owner's pages carry the breach banner (one indexed query, REQ-31).
    assert len(many) == len(one) <= 15
    assert response.content.decode().count("***@example.com") == 50
