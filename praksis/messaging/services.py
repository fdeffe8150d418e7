"""Writes to the outbox, and the worker that empties it.

``message_enqueue`` runs inside the caller's transaction (a booking, a cancellation, a
privacy notice), so a message exists exactly when the change that caused it committed.
``deliver_due`` is the only sender. It is safe to run on several machines at once: it
claims a small batch in one short transaction — ``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL, the write lock taken at ``BEGIN IMMEDIATE`` on SQLite — marks the rows
``sending`` with a short lease (``MESSAGING_LEASE_SECONDS``) and talks to SMTP or the SMS
provider outside any transaction. The lease of each row is renewed as the worker gets to
it, so the rows of a worker that was killed are free again after one lease, not after the
whole batch's time; a worker records an outcome only while its claim token still holds.

Delivery is at least once: a worker that dies after the server accepted a message but
before it recorded that will see the message sent again once its lease runs out. The
message keeps its Message-ID (``<outbox-{uuid}@domain>``; for SMS the uuid is the
provider's idempotency key), so the receiver can recognise the second copy.

Whose fault is a failure? Each is one of:

* **recipient** — the server refused this recipient for good: SMTP 5xx to ``RCPT TO``
  naming the address (no enhanced status, or 5.1.x / 5.2.x), an SMS provider's 4xx.
  The message fails at once; the server is working.
* **transport** — the server is failing: the connection is refused, reset or times out;
  4xx/5xx to the greeting, ``EHLO``, ``STARTTLS``, ``AUTH`` or ``MAIL FROM``; 421
  anywhere; the server hangs up; an SMS provider's 5xx, 429 or refused token. Never the
  message's fault: its attempt is not counted.
* **suspect** — the server refused this message, which may be the message (a 5xx to
  ``DATA`` for its content) or the server (a 5xx to ``DATA`` for everything): any other
  4xx/5xx to ``DATA`` or ``RCPT TO``.
* **error** — the message could not be built (our side): counted against the message.

The rule: each channel (e-mail, SMS) has one circuit row shared by all workers and
machines, counting consecutive failures that were not the recipient's. A delivery resets
it. A *transport* failure opens the circuit. A *suspect* failure counts against the
message (attempt, backoff, and failed after ``MESSAGING_MAX_ATTEMPTS``) only when the
channel's previous attempt had delivered — the server was otherwise delivering; when it
follows another failure it is taken as the server failing, like a transport failure. When
the circuit opens, the worker stops sending on that channel, puts the claimed messages
back as they were (the one that failed last goes behind the others, so that the next
probe is another message), and no worker sends on it until ``retry_after``: exponential
from 15 s, capped at 10 minutes, ±20 % jitter. Then one worker probes with one message;
success closes the circuit. A failing server therefore never fails a message.
"""

from __future__ import annotations

import base64
import contextlib
import enum
import logging
import random
import re
import smtplib
import time
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

import phonenumbers
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from praksis.audit.models import Action
from praksis.audit.services import Access, log_accesses
from praksis.clinics.access import Actor
from praksis.clinics.models import Clinic, Role
from praksis.core.logging import scrub
from praksis.messaging.backends import SendError, TemporarySendError, get_sms_backend
from praksis.messaging.models import (
    Channel,
    DeliveryCircuit,
    Kind,
    OutboxMessage,
    Reason,
    Status,
)

logger = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
CIRCUIT_BASE = timedelta(seconds=15)
CIRCUIT_CAP = timedelta(minutes=10)
# Roles that may put a given-up message back in the queue.
RETRY_ROLES = {Role.OWNER}


def lease() -> timedelta:
    """How long a claimed row stays with its worker without being renewed."""
    return timedelta(seconds=settings.MESSAGING_LEASE_SECONDS)


@dataclass
class DeliveryStats:
    """What one ``deliver_due`` run did.

    ``failed`` counts failed attempts charged to their message; each is either
    ``retried`` (back to pending, with backoff) or ``dead`` (given up: status
    ``failed``). ``deferred`` counts claimed messages put back untouched because their
    server was failing. ``waiting_until`` is when a server that failed in this run may
    be tried again, or, when every channel was closed, when the first reopens.
    """

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    dead: int = 0
    deferred: int = 0
    waiting_until: datetime | None = None

    @property
    def attempted(self) -> int:
        return self.sent + self.failed

    def add(self, other: DeliveryStats) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.failed += other.failed
        self.retried += other.retried
        self.dead += other.dead
        self.deferred += other.deferred
        self.waiting_until = _earliest(self.waiting_until, other.waiting_until)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min(a, b) if a and b else a or b


# --- Enqueue --------------------------------------------------------------------------


def _normalise_recipient(*, clinic: Clinic, channel: str, to: str) -> str:
    to = (to or "").strip()
    if channel == Channel.EMAIL:
        try:
            validate_email(to)
        except ValidationError:
            raise ValueError("not a valid e-mail address") from None
        return to
    try:
        number = phonenumbers.parse(to, clinic.country)
    except phonenumbers.NumberParseException:
        raise ValueError("not a valid phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def message_enqueue(
    *,
    clinic: Clinic,
    channel: str,
    to: str,
    subject: str,
    body: str,
    kind: str,
    person=None,
    dedupe_key: str | None = None,
    attachment: tuple[str, str, str] | None = None,
    related: tuple[str, int] | None = None,
    consent_id: int | None = None,
) -> OutboxMessage | None:
    """Put one message in the outbox, in the caller's transaction; the worker sends it.

    Returns None, creating nothing, when the clinic already has a message with this
    ``dedupe_key``: a reminder job may run twice, the client hears from us once.
    Marketing needs the recipient's opt-in (``consent_id``); service messages carry none.
    """
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if kind not in Kind.values:
        raise ValueError(f"unknown kind {kind!r}")
    if kind == Kind.MARKETING and consent_id is None:
        raise ValueError("marketing messages need the recipient's opt-in (consent_id)")
    if person is not None and person.clinic_id != clinic.pk:
        raise ValueError("the person belongs to another clinic")
    if channel == Channel.SMS and attachment is not None:
        raise ValueError("an SMS cannot carry an attachment")
    if not body:
        raise ValueError("the message has no body")
    fields = dict(
        clinic=clinic,
        person=person,
        channel=channel,
        kind=kind,
        to_address=_normalise_recipient(clinic=clinic, channel=channel, to=to),
        subject=subject.replace("\r", " ").replace("\n", " ").strip()[:300],
        body=body,
        dedupe_key=dedupe_key,
        consent_id=consent_id,
    )
    if attachment is not None:
        fields["attachment_name"], fields["attachment_type"], fields["attachment_body"] = attachment
    if related is not None:
        fields["related_type"], fields["related_id"] = related
    if dedupe_key is None:
        return OutboxMessage.objects.create(**fields)
    duplicate = OutboxMessage.objects.filter(clinic=clinic, dedupe_key=dedupe_key)
    if duplicate.exists():
        return None
    try:
        with transaction.atomic():  # a savepoint: losing a race must not spoil the caller
            return OutboxMessage.objects.create(**fields)
    except IntegrityError:
        if duplicate.exists():
            return None
        raise


def messages_retry(*, actor: Actor, message_ids: Iterable[int]) -> int:
    """Give the chosen failed messages a fresh set of attempts (owner only).

    Every id must be a message of the actor's clinic, or nothing changes (404); those
    not failed (sent, or already waiting again) are left as they are. Returns how many
    were put back in the queue.
    """
    ids = set(message_ids)
    _require_retry(actor)
    with transaction.atomic():
        owned = OutboxMessage.objects.filter(clinic=actor.clinic, pk__in=ids)
        if not ids or owned.count() != len(ids):
            raise Http404
        return _retry(actor, owned.filter(status=Status.FAILED))


def messages_retry_failed(*, actor: Actor) -> int:
    """Give every failed message of the actor's clinic a fresh set of attempts."""
    _require_retry(actor)
    with transaction.atomic():
        failed = OutboxMessage.objects.filter(clinic=actor.clinic, status=Status.FAILED)
        return _retry(actor, failed)


def _require_retry(actor: Actor) -> None:
    if actor.role != "system" and actor.role not in RETRY_ROLES:
        raise PermissionDenied("message.retry")


def _retry(actor: Actor, failed: QuerySet[OutboxMessage]) -> int:
    messages = list(failed.select_for_update().only("pk", "person_id"))
    OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
        status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(), claim_token=""
    )
    log_accesses(
        actor,
        (
            Access(
                action=Action.UPDATE,
                object_type="outbox_message",
                object_id=message.pk,
                person_id=message.person_id,
                purpose="retry delivery",
                detail="fields: status,attempts",
            )
            for message in messages
        ),
    )
    return len(messages)


# --- Delivery: what went wrong, and whose fault it was ----------------------------------


class Failure(enum.Enum):
    RECIPIENT = "recipient"
    TRANSPORT = "transport"
    SUSPECT = "suspect"
    ERROR = "error"


# Enhanced status classes (RFC 3463) that are about the address or the mailbox.
_ADDRESS_STATUS = re.compile(rb"^\s*5\.[12]\.\d{1,3}\b")
_ANY_STATUS = re.compile(rb"^\s*[245]\.\d{1,3}\.\d{1,3}\b")


def _refuses_address(code: int, reply: bytes | str) -> bool:
    """A 5xx to RCPT TO about this address (not the sender, the relay or a policy)."""
    if not 500 <= code < 600:
        return False
    reply = reply.encode() if isinstance(reply, str) else reply
    return bool(_ADDRESS_STATUS.match(reply)) or not _ANY_STATUS.match(reply)


def classify(exc: BaseException) -> Failure:
    """Whose fault a failed attempt was (see the module docstring)."""
    if isinstance(exc, SendError):  # the SMS backends decide for their provider
        return Failure.RECIPIENT if exc.permanent else Failure.TRANSPORT
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.values())
        if not replies or any(code == 421 for code, _reply in replies):
            return Failure.TRANSPORT
        if all(_refuses_address(code, reply) for code, reply in replies):
            return Failure.RECIPIENT
        return Failure.SUSPECT
    if isinstance(exc, smtplib.SMTPDataError):
        return Failure.TRANSPORT if exc.smtp_code == 421 else Failure.SUSPECT
    if isinstance(exc, (smtplib.SMTPException, OSError)):
        return Failure.TRANSPORT  # connect, greeting, EHLO, TLS, AUTH, MAIL FROM, hang-up
    return Failure.ERROR


def error_text(exc: BaseException, *, message: OutboxMessage) -> str:
    """The exception class and a short, scrubbed message: no address, no body, no name."""
    detail = str(exc)
    for secret in (message.to_address, message.to_address.lstrip("+")):
        if secret:
            detail = detail.replace(secret, "[recipient]")
    detail = scrub(" ".join(detail.split()))[:200]
    name = type(exc).__name__
    return f"{name}: {detail}"[:300] if detail else name


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 1, 2, 4 … minutes, capped at 6 h, ±20 %.

    The jitter keeps a clinic's messages that failed together from all coming back in
    the same second.
    """
    delay = BACKOFF_BASE * (2 ** max(attempts - 1, 0))
    return min(delay * random.uniform(0.8, 1.2), BACKOFF_CAP)


def circuit_delay(failures: int) -> timedelta:
    """How long a failing server is left alone: 15 s, 30 s, 1 min … 10 min, ±20 %."""
    delay = min(CIRCUIT_BASE * (2 ** min(max(failures - 1, 0), 16)), CIRCUIT_CAP)
    return delay * random.uniform(0.8, 1.2)


# --- Delivery: the circuit of each channel ---------------------------------------------


def _locked_circuit(channel: str) -> DeliveryCircuit:
    DeliveryCircuit.objects.get_or_create(channel=channel)
    return DeliveryCircuit.objects.select_for_update().get(channel=channel)


def _circuit_failed(channel: str, *, suspect: bool, error: str, at: datetime):
    """Count a failure that was not the recipient's. Returns whether to charge it to the
    message (a suspect failure while the server was otherwise delivering) and, when the
    circuit opened instead, the time the channel reopens."""
    with transaction.atomic():
        circuit = _locked_circuit(channel)
        charge = suspect and circuit.failures == 0
        circuit.failures += 1
        circuit.last_error = error
        if not charge:
            circuit.retry_after = at + circuit_delay(circuit.failures)
            circuit.opened_at = circuit.opened_at or at
        circuit.save(update_fields=["failures", "last_error", "retry_after", "opened_at"])
    return charge, circuit.retry_after


def _circuit_delivered(channel: str) -> None:
    """The server delivered: whatever was failing is over."""
    DeliveryCircuit.objects.filter(
        Q(failures__gt=0) | Q(retry_after__isnull=False), channel=channel
    ).update(failures=0, retry_after=None, opened_at=None, last_error="")


def _channels(at: datetime) -> tuple[set[str], set[str], datetime | None]:
    """In the claim's transaction: (channels to send on, of those the ones this worker
    probes with one message, when the earliest closed channel reopens)."""
    ready, probing, waiting = set(Channel.values), set(), None
    tripped = DeliveryCircuit.objects.filter(retry_after__isnull=False).select_for_update()
    for circuit in tripped.order_by("channel"):
        if circuit.retry_after > at:
            ready.discard(circuit.channel)
            waiting = _earliest(waiting, circuit.retry_after)
            continue
        # Half-open: this worker probes; the others wait while it does.
        circuit.retry_after = at + lease()
        circuit.save(update_fields=["retry_after"])
        probing.add(circuit.channel)
    return ready, probing, waiting


# --- Delivery: claims and leases -------------------------------------------------------


def _claim(*, batch_size: int, now: datetime) -> tuple[list[OutboxMessage], datetime | None]:
    """Take up to ``batch_size`` due rows of the open channels (one of a probed channel):
    pending ones, and sending ones whose lease ran out. Returns them and, when every
    channel is closed, the time the first reopens."""
    token = uuid.uuid4().hex
    with transaction.atomic():
        ready, probing, waiting = _channels(now)
        if not ready:
            return [], waiting
        due = (
            OutboxMessage.objects.filter(
                status__in=[Status.PENDING, Status.SENDING], next_attempt_at__lte=now
            )
            .select_related("clinic")
            .order_by("next_attempt_at", "pk")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        messages = []
        if ready - probing:
            messages += due.filter(channel__in=sorted(ready - probing))[:batch_size]
        for channel in sorted(probing):
            messages += due.filter(channel=channel)[:1]
        for message in messages:
            message.status = Status.SENDING
            message.claim_token = token
            message.next_attempt_at = now + lease()
        OutboxMessage.objects.bulk_update(messages, ["status", "claim_token", "next_attempt_at"])
    return messages, None


def _mine(message: OutboxMessage) -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(
        pk=message.pk, status=Status.SENDING, claim_token=message.claim_token
    )


def _start(message: OutboxMessage, *, at: datetime) -> bool:
    """Count the attempt and renew the lease; False if another worker has the row now."""
    started = _mine(message).update(attempts=F("attempts") + 1, next_attempt_at=at + lease())
    message.attempts += 1
    return started == 1


def _renew(messages: list[OutboxMessage], *, at: datetime) -> None:
    """Keep the rows this worker has yet to send: a live worker's lease never runs out."""
    if messages:
        OutboxMessage.objects.filter(
            pk__in=[m.pk for m in messages],
            status=Status.SENDING,
            claim_token=messages[0].claim_token,
        ).update(next_attempt_at=at + lease())


def _finish(message: OutboxMessage, **fields) -> bool:
    """Record the outcome, unless another worker has reclaimed the row meanwhile."""
    return _mine(message).update(claim_token="", **fields) == 1


def _release(messages: list[OutboxMessage], *, at: datetime) -> None:
    """Hand back claimed rows this worker did not get to, as if never claimed."""
    if messages:
        OutboxMessage.objects.filter(
            pk__in=[m.pk for m in messages],
            status=Status.SENDING,
            claim_token=messages[0].claim_token,
        ).update(status=Status.PENDING, claim_token="", next_attempt_at=at)


# --- Delivery: building and sending ----------------------------------------------------


def _sms_sender(clinic: Clinic) -> str:
    """SMS_SENDER, or the clinic's name as an alphanumeric sender (at most 11 characters)."""
    if settings.SMS_SENDER:
        return settings.SMS_SENDER
    ascii_name = unicodedata.normalize("NFKD", clinic.name).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9 ]", "", ascii_name).strip()[:11].strip() or "Praksis"


def _from_address(clinic: Clinic) -> str:
    """DEFAULT_FROM_EMAIL's address, with the clinic's name as the display name."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    display = clinic.name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{display}" <{address}>'


def message_id(message: OutboxMessage) -> str:
    """The e-mail's Message-ID: the same on every attempt, from any machine."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return f"<outbox-{message.uuid}@{address.rpartition('@')[2] or 'localhost'}>"


def build_email(message: OutboxMessage, *, connection=None) -> EmailMessage:
    clinic = message.clinic
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=_from_address(clinic),
        to=[message.to_address],
        reply_to=[clinic.contact_email] if clinic.contact_email else None,
        headers={"Message-ID": message_id(message)},
        connection=connection,
    )
    if message.attachment_name:
        body = message.attachment_body
        if not message.attachment_type.startswith("text/"):
            body = base64.b64decode(body)  # binary attachments are kept in base64
        email.attach(message.attachment_name, body, message.attachment_type)
    return email


class _Senders:
    """The SMTP connection (kept open for a batch) and the SMS backend of one run."""

    def __init__(self):
        self._mail = None
        self._sms = None

    def send(self, message: OutboxMessage) -> str:
        if message.channel == Channel.EMAIL:
            return self._send_email(message)
        if self._sms is None:
            self._sms = get_sms_backend()
        return self._sms.send(
            message.to_address,
            message.body,
            _sms_sender(message.clinic),
            reference=str(message.uuid),
        )

    def _send_email(self, message: OutboxMessage) -> str:
        email = build_email(message)  # before the connection: a bad message is not the server
        if self._mail is None:
            mail = get_connection(fail_silently=False, timeout=settings.MESSAGING_SEND_TIMEOUT)
            mail.open()
            self._mail = mail
        try:
            sent = self._mail.send_messages([email])
        except Exception:
            self.close()  # the session may be half-way through a command: start afresh
            raise
        if sent != 1:
            raise TemporarySendError("the mail backend did not accept the message")
        return email.extra_headers["Message-ID"]

    def close(self) -> None:
        mail, self._mail = self._mail, None
        if mail is not None:
            with contextlib.suppress(Exception):  # closing a broken connection may fail too
                mail.close()


# --- Delivery: the worker --------------------------------------------------------------


class _Run:
    """One ``deliver_due`` run: its clock, its claim, its outcomes."""

    def __init__(self, *, now: datetime, stats: DeliveryStats):
        self.now = now
        self.stats = stats
        self._started = time.monotonic()
        self._renewed = self._started
        self.closed: set[str] = set()  # channels whose server failed during this run

    def clock(self) -> datetime:
        """``now`` moved on by the time this run has taken (``now`` may be simulated)."""
        return self.now + timedelta(seconds=time.monotonic() - self._started)

    def renew_if_due(self, remaining: list[OutboxMessage]) -> None:
        if time.monotonic() - self._renewed > lease().total_seconds() / 3:
            _renew(remaining, at=self.clock())
            self._renewed = time.monotonic()

    def sent(self, message: OutboxMessage, provider_id: str) -> None:
        self.stats.sent += 1
        fields = {}
        if message.attachment_name and not message.attachment_type.startswith("text/"):
            fields["attachment_body"] = ""  # a report sent is not kept in the outbox
        _finish(
            message,
            status=Status.SENT,
            sent_at=timezone.now(),
            provider_message_id=provider_id[:200],
            last_error="",
            reason="",
            **fields,
        )
        _circuit_delivered(message.channel)

    def failed(self, message: OutboxMessage, exc: Exception) -> None:
        error = error_text(exc, message=message)
        failure = classify(exc)
        # The id, the kind and the scrubbed error only: never an address or a text.
        logger.warning(
            "outbox message %s (%s) attempt %s failed (%s): %s",
            message.pk,
            message.channel,
            message.attempts,
            failure.value,
            error,
        )
        if failure is Failure.RECIPIENT:
            self._give_up(message, error, Reason.RECIPIENT_REFUSED)
        elif failure is Failure.ERROR:
            self._charge(message, error, Reason.ERROR)
        else:
            charge, reopens = _circuit_failed(
                message.channel, suspect=failure is Failure.SUSPECT, error=error, at=self.clock()
            )
            if charge:
                self._charge(message, error, Reason.MESSAGE_REFUSED)
            else:
                self._server_failing(message, error, reopens)

    def _give_up(self, message: OutboxMessage, error: str, reason: str) -> None:
        self.stats.failed += 1
        self.stats.dead += 1
        _finish(message, status=Status.FAILED, last_error=error, reason=reason)

    def _charge(self, message: OutboxMessage, error: str, reason: str) -> None:
        if message.attempts >= settings.MESSAGING_MAX_ATTEMPTS:
            self._give_up(message, error, reason)
            return
        self.stats.failed += 1
        self.stats.retried += 1
        _finish(
            message,
            status=Status.PENDING,
            last_error=error,
            reason=reason,
            next_attempt_at=self.clock() + backoff(message.attempts),
        )

    def _server_failing(self, message: OutboxMessage, error: str, reopens: datetime) -> None:
        """Not the message's fault: its attempt is not counted, and it goes behind the
        others so that the next probe tries another message."""
        self.closed.add(message.channel)
        self.stats.deferred += 1
        self.stats.waiting_until = _earliest(self.stats.waiting_until, reopens)
        _finish(
            message,
            status=Status.PENDING,
            attempts=message.attempts - 1,
            last_error=error,
            reason=Reason.SERVER_FAILING,
            next_attempt_at=reopens,
        )


def deliver_due(*, batch_size: int = 10, now: datetime | None = None, stop=None) -> DeliveryStats:
    """Send one batch of due messages; safe to run twice and on several machines at once.

    What a failure does depends on whose fault it was (the module docstring): a refused
    recipient fails the message, a failing server closes its channel for every worker
    and leaves the messages queued. ``stop`` (a ``threading.Event``) hands the rest of
    the batch back at once when set.
    """
    now = now or timezone.now()
    stats = DeliveryStats()
    claimed, stats.waiting_until = _claim(batch_size=batch_size, now=now)
    stats.claimed = len(claimed)
    run = _Run(now=now, stats=stats)
    senders = _Senders()
    held_back: list[OutboxMessage] = []
    try:
        for index, message in enumerate(claimed):
            if stop is not None and stop.is_set():
                held_back += claimed[index:]
                break
            if message.channel in run.closed:
                stats.deferred += 1
                held_back.append(message)
                continue
            run.renew_if_due(claimed[index + 1 :])
            if not _start(message, at=run.clock()):
                continue  # its lease ran out and another worker has it
            try:
                provider_id = senders.send(message)
            except Exception as exc:
                run.failed(message, exc)
            else:
                run.sent(message, provider_id)
    finally:
        senders.close()
        _release(held_back, at=now)
    return stats
