"""Issue 10, defect 3: one failing mail server must not empty the outbox.

A server that refuses everything is the server failing: the messages stay queued, every
worker backs off (the circuit row is shared), and once the server recovers each message
arrives once. A server that refuses one recipient, or one message while it delivers the
others, fails only that message. A worker killed mid-batch holds its messages for one
short lease only. A message sent again keeps its Message-ID.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from praksis.messaging.models import DeliveryCircuit, OutboxMessage, Reason, Status
from praksis.messaging.services import _claim, _Senders, _start, deliver_due, lease

ROOT = Path(__file__).resolve().parents[2]
DATA_FAILING = "554 5.3.0 Transaction failed: message store unavailable"


def _statuses() -> set[tuple[str, int]]:
    return set(OutboxMessage.objects.values_list("status", "attempts"))


def _ids(received) -> list[str]:
    return [m["Message-ID"] for m in received]


def test_a_server_refusing_every_message_fails_none_and_all_arrive_once_it_recovers(
    enqueue, smtp_server, settings
):
    """The issue's repro, 567 messages. REQ-32: notices to people affected by a breach
    leave through this outbox; a failing server must not lose them."""
    settings.DEFAULT_FROM_EMAIL = "bokning@praksis.test"
    smtp_server.data_reply = lambda message: DATA_FAILING
    for n in range(567):
        enqueue(to=f"client{n}@example.com")

    call_command("send-messages", "--once", stdout=StringIO())  # one worker loop

    assert OutboxMessage.objects.filter(status=Status.FAILED).count() == 0
    assert OutboxMessage.objects.filter(status=Status.PENDING).count() == 567
    # The first refusal is charged to its message (the server had not failed before);
    # the second in a row is the server failing: nothing more is tried.
    assert smtp_server.data_refused == 2
    assert _statuses() == {(Status.PENDING, 0), (Status.PENDING, 1)}
    assert OutboxMessage.objects.filter(attempts=1).count() == 1
    circuit = DeliveryCircuit.objects.get(channel="email")
    assert circuit.retry_after > timezone.now()
    call_command("send-messages", "--once", stdout=StringIO())  # another worker, at once
    assert smtp_server.data_refused == 2  # leaves the server alone

    smtp_server.data_reply = None  # the server recovers
    later = timezone.now() + timedelta(hours=1)
    while deliver_due(now=later, batch_size=50).claimed:
        pass

    received = smtp_server.wait_for(567, timeout=30)
    assert len(received) == 567
    uuids = OutboxMessage.objects.values_list("uuid", flat=True)
    assert set(_ids(received)) == {f"<outbox-{u}@praksis.test>" for u in uuids}
    assert len(set(_ids(received))) == 567
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {Status.SENT}
    assert DeliveryCircuit.objects.get(channel="email").retry_after is None


def test_a_refused_recipient_fails_alone_while_the_others_are_delivered(enqueue, smtp_server):
    smtp_server.refuse = {"client2@example.com"}
    for n in range(5):
        enqueue(to=f"client{n}@example.com")

    stats = deliver_due()

    assert (stats.sent, stats.dead, stats.deferred) == (4, 1, 0)
    assert set(
        OutboxMessage.objects.filter(status=Status.FAILED).values_list("to_address", "reason")
    ) == {("client2@example.com", Reason.RECIPIENT_REFUSED)}
    assert OutboxMessage.objects.filter(status=Status.SENT).count() == 4
    assert sorted(m["To"] for m in smtp_server.wait_for(4)) == [
        f"client{n}@example.com" for n in (0, 1, 3, 4)
    ]
    assert not DeliveryCircuit.objects.filter(retry_after__isnull=False).exists()


def test_a_message_the_server_always_refuses_fails_after_its_attempts_while_the_rest_flow(
    enqueue, smtp_server, settings
):
    settings.MESSAGING_MAX_ATTEMPTS = 3
    smtp_server.data_reply = lambda message: (
        "554 5.6.0 Message content rejected" if "Poison" in message["Subject"] else None
    )
    poison = [enqueue(subject="Poison one"), enqueue(subject="Poison two")]
    for n in range(4):
        enqueue(to=f"client{n}@example.com")

    now = timezone.now()
    for round_ in range(30):  # the clinic keeps sending: one new message per round
        enqueue(to=f"new{round_}@example.com")
        while deliver_due(now=now).claimed:
            pass
        if not OutboxMessage.objects.filter(status=Status.PENDING).exists():
            break
        now += timedelta(minutes=15)

    for message in poison:
        message.refresh_from_db()
        assert (message.status, message.attempts) == (Status.FAILED, 3)
        assert message.reason == Reason.MESSAGE_REFUSED
    others = OutboxMessage.objects.exclude(pk__in=[m.pk for m in poison])
    assert set(others.values_list("status", "attempts")) == {(Status.SENT, 1)}
    received = _ids(smtp_server.wait_for(others.count()))
    assert len(received) == len(set(received)) == others.count()


def test_after_the_backoff_one_worker_probes_with_one_message_while_the_others_wait(
    enqueue, refusing_smtp
):
    for n in range(5):
        enqueue(to=f"client{n}@example.com")
    first = deliver_due()
    assert (first.claimed, first.deferred, refusing_smtp.connections) == (5, 5, 1)
    reopens = DeliveryCircuit.objects.get(channel="email").retry_after
    assert timedelta(seconds=11) < reopens - timezone.now() < timedelta(seconds=19)

    assert _claim(batch_size=10, now=reopens - timedelta(seconds=1))[0] == []
    probe, _ = _claim(batch_size=10, now=reopens)
    other_worker, _ = _claim(batch_size=10, now=reopens)
    assert (len(probe), other_worker) == (1, [])
    assert refusing_smtp.connections == 1  # claiming alone never touches the server


@pytest.mark.django_db(transaction=True)  # the command's loop closes stale connections
def test_the_loop_leaves_a_failing_server_alone_until_its_backoff_has_passed(
    enqueue, refusing_smtp
):
    for n in range(5):
        enqueue(to=f"client{n}@example.com")
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    stop = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGTERM))
    out = StringIO()
    stop.start()
    try:
        call_command("send-messages", "--loop", "--interval", "0.05", stdout=out)
    finally:
        stop.cancel()
        for signum, handler in handlers.items():
            signal.signal(signum, handler)

    assert refusing_smtp.connections == 1  # not once every 0.05 s
    assert _statuses() == {(Status.PENDING, 0)}
    assert "a server is failing, 5 waiting" in out.getvalue()


def test_a_message_resent_after_a_crash_arrives_twice_with_the_same_message_id(
    enqueue, smtp_server, settings
):
    settings.DEFAULT_FROM_EMAIL = "bokning@praksis.test"
    message = enqueue()
    # A worker claims and sends; the server accepts; the worker dies before recording it.
    (claimed,), _waiting = _claim(batch_size=10, now=timezone.now())
    assert _start(claimed, at=timezone.now())
    senders = _Senders()
    senders.send(claimed)
    senders.close()
    smtp_server.wait_for(1)
    assert deliver_due().claimed == 0  # the dead worker's lease still holds

    stats = deliver_due(now=timezone.now() + lease() + timedelta(seconds=1))

    assert stats.sent == 1
    first, second = smtp_server.wait_for(2)
    assert first["Message-ID"] == second["Message-ID"] == f"<outbox-{message.uuid}@praksis.test>"
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 2)


def test_an_sms_sent_again_after_a_lost_answer_carries_the_same_reference(
    enqueue, sms_provider, settings
):
    settings.MESSAGING_SEND_TIMEOUT = 1
    sms_provider.delay = 1.5  # the provider takes the message; its answer comes too late
    message = enqueue(channel="sms", to="+46701234567", subject="", kind="reminder")
    assert deliver_due().deferred == 1
    sms_provider.delay = 0
    assert deliver_due(now=DeliveryCircuit.objects.get(channel="sms").retry_after).sent == 1

    first, second = sms_provider.requests
    assert first["json"]["reference"] == second["json"]["reference"] == str(message.uuid)
    assert first["headers"]["Idempotency-Key"] == second["headers"]["Idempotency-Key"]


# --- A worker killed mid-batch -----------------------------------------------------------


def _database_for_workers(tmp_path: Path) -> str:
    """A DATABASE_URL other processes can open, holding what this test committed."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
        return f"postgres://{auth}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    path = tmp_path / "workers.sqlite3"  # the test database lives in memory: copy it out
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    return f"sqlite:///{path}"


def _rows(database_url: str) -> list[tuple[str, int, str]]:
    """(status, attempts, uuid) of every outbox row, as the workers left them."""
    if connection.vendor == "postgresql":
        return [
            (s, a, str(u))
            for s, a, u in OutboxMessage.objects.values_list("status", "attempts", "uuid")
        ]
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
        rows = db.execute("SELECT status, attempts, uuid FROM messaging_outboxmessage").fetchall()
    # Django keeps a UUIDField in SQLite as 32 hex digits.
    return [(s, a, f"{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}") for s, a, u in rows]


def _worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "praksis.cli", "send-messages", "--loop", "--interval", "0.2"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_s_messages_are_sent_by_the_next_worker_within_one_lease(
    enqueue, smtp_server, tmp_path
):
    for n in range(24):
        enqueue(to=f"client{n}@example.com")
    smtp_server.delay = 0.25  # slow enough for the kill to land mid-batch
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "PRAKSIS_ENV": "test",
        "DATABASE_URL": _database_for_workers(tmp_path),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": smtp_server.host,
        "EMAIL_PORT": str(smtp_server.port),
        "DEFAULT_FROM_EMAIL": "bokning@praksis.test",
        "MESSAGING_SEND_TIMEOUT": "2",
        "MESSAGING_LEASE_SECONDS": "4",
    }

    first = _worker(env)
    try:
        smtp_server.wait_for(3, timeout=60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    killed_at = time.monotonic()
    held = [r for r in _rows(env["DATABASE_URL"]) if r[0] == Status.SENDING]
    assert held, "the kill should land while the worker holds claimed messages"

    second = _worker(env)
    try:
        rows = _rows(env["DATABASE_URL"])
        while any(r[0] != Status.SENT for r in rows) and time.monotonic() - killed_at < 60:
            time.sleep(0.2)
            rows = _rows(env["DATABASE_URL"])
        took = time.monotonic() - killed_at
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0, second.stderr.read().decode()[-2000:]

    assert {status for status, _attempts, _uuid in rows} == {Status.SENT}
    received = smtp_server.wait_for(24)
    ids = _ids(received)
    assert set(ids) == {f"<outbox-{u}@praksis.test>" for _s, _a, u in rows}  # nothing lost
    assert len(ids) - len(set(ids)) <= 1  # at most the one in flight when it was killed
    # One 4-second lease, not the old 10 minutes: start-up, 24 slow sends and the lease.
    assert took < 30
