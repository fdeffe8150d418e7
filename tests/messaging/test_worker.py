"""The worker: idempotent, reclaims crashed claims, one delivery per message across workers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from praksis.messaging.models import OutboxMessage, Status
from praksis.messaging.services import deliver_due, lease


@pytest.fixture
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_running_twice_sends_nothing_twice(enqueue, smtp_server):
    for n in range(3):
        enqueue(to=f"client{n}@example.com")
    first = deliver_due()
    second = deliver_due()
    assert (first.sent, second.attempted) == (3, 0)
    received = smtp_server.wait_for(3)
    assert sorted(m["To"] for m in received) == [f"client{n}@example.com" for n in range(3)]
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}


def test_a_claim_abandoned_by_a_crashed_worker_is_reclaimed(enqueue, locmem):
    now = timezone.now()
    crashed = enqueue(to="crashed@example.com")
    working = enqueue(to="working@example.com")
    OutboxMessage.objects.filter(pk=crashed.pk).update(
        status=Status.SENDING, attempts=1, next_attempt_at=now - timedelta(seconds=1)
    )
    OutboxMessage.objects.filter(pk=working.pk).update(
        status=Status.SENDING, attempts=1, next_attempt_at=now + lease()
    )

    stats = deliver_due(now=now)

    assert stats.sent == 1
    assert [m.to for m in mail.outbox] == [["crashed@example.com"]]
    crashed.refresh_from_db()
    working.refresh_from_db()
    assert (crashed.status, crashed.attempts) == (Status.SENT, 2)
    assert working.status == Status.SENDING  # still someone else's


def test_a_reclaimed_row_is_not_overwritten_by_the_slow_worker(enqueue, locmem):
    from praksis.messaging.services import _claim, _finish

    enqueue()
    (slow,), _waiting = _claim(batch_size=10, now=timezone.now())
    later = timezone.now() + lease() + timedelta(seconds=1)
    assert deliver_due(now=later).sent == 1
    assert _finish(slow, status=Status.FAILED, last_error="late") is False
    assert OutboxMessage.objects.get().status == Status.SENT


def test_the_command_sends_what_is_due_and_prints_counts(enqueue, locmem, capsys):
    for n in range(3):
        enqueue(to=f"client{n}@example.com")
    call_command("send-messages", "--once", "--batch-size", "2")
    assert "sent 3, failed 0" in capsys.readouterr().out
    assert len(mail.outbox) == 3
    call_command("send-messages")
    assert "sent 0, failed 0" in capsys.readouterr().out
    assert len(mail.outbox) == 3


@pytest.mark.django_db(transaction=True)
def test_two_workers_in_parallel_deliver_each_message_once(clinic, sms_provider):
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite serialises writers (BEGIN IMMEDIATE) and the in-memory test database "
            "is not shared between threads the same way; SKIP LOCKED is PostgreSQL's"
        )
    from praksis.messaging.services import message_enqueue

    for n in range(40):
        message_enqueue(clinic=clinic, channel="sms", to=f"+4670100{n:04d}", subject="",
                        body="Påminnelse", kind="reminder")  # fmt: skip
    sms_provider.delay = 0.01
    barrier = threading.Barrier(2)
    sent_by: dict[int, int] = {}
    errors = []

    def worker(number):
        sent_by[number] = 0
        try:
            barrier.wait()
            while True:
                stats = deliver_due(batch_size=5)
                sent_by[number] += stats.sent
                if stats.attempted == 0:
                    break
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    recipients = [r["json"]["to"] for r in sms_provider.requests]
    assert len(recipients) == 40
    assert len(set(recipients)) == 40
    assert sum(sent_by.values()) == 40
    assert min(sent_by.values()) > 0  # both took part
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {Status.SENT}
