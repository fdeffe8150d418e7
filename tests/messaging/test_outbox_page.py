"""The staff delivery page: own clinic only, recipients masked, why a message is not sent,
a banner while a server is failing, and retry (ticked or all failed) for owners only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.messaging.models import DeliveryCircuit, OutboxMessage, Reason, Status
from praksis.messaging.selectors import mask_recipient
from praksis.messaging.services import messages_retry
from tests.conftest import speaks


@pytest.fixture
def login(make_staff):
    def login(clinic, role, language="en"):
        client = Client()
        client.force_login(speaks(make_staff(clinic, role), language))
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
    client = login(clinic, "owner", language="")  # no choice of their own: the clinic's
    page = client.get("/staff/messages/").content.decode()
    assert "Meddelanden" in page
    assert "Misslyckades" in page
    assert "***67" in page


def _unchanged(*messages):
    return [OutboxMessage.objects.values_list("status", "attempts").get(pk=m.pk) for m in messages]


@pytest.fixture
def failed_pair(enqueue):
    """Two given-up messages: a refused address and an SMS the provider kept refusing."""
    refused = enqueue(to="gammal.adress@example.com")
    OutboxMessage.objects.filter(pk=refused.pk).update(
        status=Status.FAILED, attempts=1, reason=Reason.RECIPIENT_REFUSED,
        last_error="SMTPRecipientsRefused: 550 5.1.1 [recipient]: no such user",
    )  # fmt: skip
    return refused


def test_the_owner_retries_the_ticked_failed_messages(clinic, messages, failed_pair, login):
    """REQ-19: putting a message back in the queue is logged, one row per message."""
    _sent, failed = messages
    response = login(clinic, "owner").post("/staff/messages/retry/", {"message": [failed.pk]})
    assert response.status_code == 302
    assert response["Location"] == "/staff/messages/?status=pending&retried=1"
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.PENDING, 0)
    assert _unchanged(failed_pair) == [(Status.FAILED, 1)]  # not ticked
    log = AccessLogEntry.objects.filter(
        clinic=clinic, action="update", object_type="outbox_message"
    )
    assert [row.object_id for row in log] == [str(failed.pk)]


def test_retry_all_failed_puts_every_failed_message_back(clinic, messages, failed_pair, login):
    sent, failed = messages
    response = login(clinic, "owner").post("/staff/messages/retry-failed/")
    assert response.status_code == 302
    assert response["Location"].endswith("retried=2")
    assert _unchanged(sent, failed, failed_pair) == [
        (Status.SENT, 1), (Status.PENDING, 0), (Status.PENDING, 0)
    ]  # fmt: skip
    page = login(clinic, "owner").get(response["Location"]).content.decode()
    assert "2 messages will be sent again." in page


@pytest.mark.parametrize("role", ["receptionist", "practitioner"])
def test_other_roles_may_not_retry(clinic, messages, login, role):
    _sent, failed = messages
    client = login(clinic, role)
    assert "Retry" not in client.get("/staff/messages/").content.decode()
    assert client.post("/staff/messages/retry/", {"message": [failed.pk]}).status_code == 403
    assert client.post("/staff/messages/retry-failed/").status_code == 403
    assert _unchanged(failed) == [(Status.FAILED, 6)]
    assert not AccessLogEntry.objects.filter(clinic=clinic, action="update").exists()


def test_another_clinics_owner_may_not_retry(other_clinic, messages, login):
    _sent, failed = messages
    client = login(other_clinic, "owner")
    assert client.post("/staff/messages/retry/", {"message": [failed.pk]}).status_code == 404
    assert client.post("/staff/messages/retry-failed/").status_code == 302  # none of theirs
    assert _unchanged(failed) == [(Status.FAILED, 6)]


def test_one_id_of_another_clinic_spoils_the_whole_retry(
    clinic, other_clinic, messages, login, enqueue
):
    _sent, failed = messages
    theirs = enqueue(clinic=other_clinic)
    OutboxMessage.objects.filter(pk=theirs.pk).update(status=Status.FAILED, attempts=6)
    response = login(clinic, "owner").post(
        "/staff/messages/retry/", {"message": [failed.pk, theirs.pk]}
    )
    assert response.status_code == 404
    assert _unchanged(failed, theirs) == [(Status.FAILED, 6), (Status.FAILED, 6)]


@pytest.mark.parametrize(
    "ticked", [[], ["abc"], ["-1"], ["0"], [str(2**63)], ["١٢"], ["1" * 40], ["1\x00"]]
)
def test_no_or_impossible_ids_are_a_form_error_that_changes_nothing(
    clinic, messages, login, ticked
):
    _sent, failed = messages
    response = login(clinic, "owner").post("/staff/messages/retry/", {"message": ticked})
    assert response.status_code == 422
    page = response.content.decode()
    for value in ticked:
        assert f">{value}<" not in page
    assert _unchanged(failed) == [(Status.FAILED, 6)]
    if ticked in ([], ["abc"], ["-1"], ["0"], ["١٢"]):
        # Ids the request filter lets through: the page's own form error, list kept.
        assert "Tick the messages to send again." in page
        assert "***67" in page


def test_the_service_retries_only_the_failed_of_the_chosen(clinic, messages, owner):
    sent, failed = messages
    assert messages_retry(actor=owner, message_ids=[sent.pk, failed.pk]) == 1
    assert _unchanged(sent, failed) == [(Status.SENT, 1), (Status.PENDING, 0)]


def test_the_page_says_why_in_plain_words_with_attempts_and_next_try(
    clinic, failed_pair, login, enqueue
):
    waiting = enqueue(to="vantar@example.com")
    next_try = timezone.now() + timedelta(minutes=7)
    OutboxMessage.objects.filter(pk=waiting.pk).update(
        attempts=2, reason=Reason.MESSAGE_REFUSED, next_attempt_at=next_try,
        last_error="SMTPDataError: 554 5.6.0 message content rejected",
    )  # fmt: skip
    page = login(clinic, "owner").get("/staff/messages/").content.decode()
    row = page[page.index(f'id="message-{failed_pair.pk}"') :]
    assert "The recipient&#x27;s mail server refused the address." in row[:1500]
    row = page[page.index(f'id="message-{waiting.pk}"') :][:1500]
    assert "The mail server refused this message." in row
    assert "<td>2</td>" in row
    local = timezone.localtime(next_try, clinic.zone)
    assert f"next attempt {local:%Y-%m-%d %H:%M}" in row


def test_a_banner_says_the_mail_server_is_down_and_how_many_wait(
    clinic, other_clinic, enqueue, login
):
    for n in range(3):
        enqueue(to=f"client{n}@example.com")
    enqueue(clinic=other_clinic)  # not counted for this clinic
    enqueue(channel="sms", to="+46701234567", subject="", kind="reminder")  # SMS is fine
    DeliveryCircuit.objects.create(
        channel="email", failures=2, opened_at=timezone.now(),
        retry_after=timezone.now() + timedelta(seconds=30),
    )  # fmt: skip
    page = login(clinic, "receptionist").get("/staff/messages/").content.decode()
    assert (
        "The mail server is not answering; 3 messages are waiting and will be sent "
        "when it recovers." in page
    )
    assert "SMS provider is not answering" not in page

    DeliveryCircuit.objects.filter(channel="email").update(failures=0, retry_after=None)
    page = login(clinic, "receptionist").get("/staff/messages/").content.decode()
    assert "not answering" not in page


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
