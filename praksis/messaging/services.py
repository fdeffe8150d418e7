"""Writes to the outbox, and the worker that empties it.

``message_enqueue`` runs inside the caller's transaction (a booking, a cancellation, a
privacy notice), so a message exists exactly when the change that caused it committed.
``deliver_due`` is the only sender. It is safe to run on several machines at once: it
claims a batch in one short transaction — ``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL, the write lock taken at ``BEGIN IMMEDIATE`` on SQLite — marks the rows
``sending`` with a lease, and talks to SMTP or the SMS provider outside any transaction.

Delivery is at least once: a worker that dies after the provider accepted a message but
before it recorded that will see the message sent again once its lease runs out. Every
other path sends a message once.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import random
import re
import smtplib
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr

import phonenumbers
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor
from praksis.clinics.models import Clinic, Role
from praksis.core.logging import scrub
from praksis.messaging.backends import SendError, TemporarySendError, get_sms_backend
from praksis.messaging.models import Channel, Kind, OutboxMessage, Status

logger = logging.getLogger(__name__)

# A claimed row belongs to its worker this long; after that another worker may take it.
SENDING_LEASE = timedelta(minutes=10)
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
# Roles that may put a given-up message back in the queue.
RETRY_ROLES = {Role.OWNER}


@dataclass
class DeliveryStats:
    """What one ``deliver_due`` run did.

    ``failed`` counts failed attempts; each is either ``retried`` (back to pending, with
    backoff) or ``dead`` (given up: status ``failed``).
    """

    sent: int = 0
    failed: int = 0
    retried: int = 0
    dead: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.failed

    def add(self, other: DeliveryStats) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.retried += other.retried
        self.dead += other.dead


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


def message_retry(*, actor: Actor, message_id: int) -> OutboxMessage:
    """Give a message that was given up on a fresh set of attempts (owner only)."""
    if actor.role != "system" and actor.role not in RETRY_ROLES:
        raise PermissionDenied("message.retry")
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update()
            .filter(clinic=actor.clinic, pk=message_id, status=Status.FAILED)
            .first()
        )
        if message is None:
            raise Http404
        message.status = Status.PENDING
        message.attempts = 0
        message.next_attempt_at = timezone.now()
        message.save(update_fields=["status", "attempts", "next_attempt_at"])
        log_access(
            actor,
            Access(
                action=Action.UPDATE,
                object_type="outbox_message",
                object_id=message.pk,
                person_id=message.person_id,
                purpose="retry delivery",
                detail="fields: status,attempts",
            ),
        )
    return message


# --- Delivery -------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 1, 2, 4 … minutes, capped at 6 h, ±20 %.

    The jitter keeps a clinic's messages that failed together (an SMTP outage) from
    all coming back in the same second.
    """
    delay = BACKOFF_BASE * (2 ** max(attempts - 1, 0))
    return min(delay * random.uniform(0.8, 1.2), BACKOFF_CAP)


def _claim(*, batch_size: int, now: datetime) -> list[OutboxMessage]:
    """Take up to ``batch_size`` due rows: pending ones, and sending ones whose lease ran out."""
    with transaction.atomic():
        due = (
            OutboxMessage.objects.filter(
                status__in=[Status.PENDING, Status.SENDING], next_attempt_at__lte=now
            )
            .select_related("clinic")
            .order_by("next_attempt_at", "pk")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        messages = list(due[:batch_size])
        for message in messages:
            message.status = Status.SENDING
            message.attempts += 1
            message.next_attempt_at = now + SENDING_LEASE
        OutboxMessage.objects.bulk_update(messages, ["status", "attempts", "next_attempt_at"])
    return messages


def _finish(message: OutboxMessage, **fields) -> bool:
    """Record the outcome, unless another worker has reclaimed the row meanwhile."""
    updated = OutboxMessage.objects.filter(
        pk=message.pk, status=Status.SENDING, attempts=message.attempts
    ).update(**fields)
    return updated == 1


def _release(messages: list[OutboxMessage], now: datetime) -> None:
    """Hand back claimed rows this worker did not get to, as if never claimed."""
    for message in messages:
        _finish(message, status=Status.PENDING, attempts=message.attempts - 1, next_attempt_at=now)


def _is_permanent(exc: Exception) -> bool:
    if isinstance(exc, SendError):
        return exc.permanent
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPDataError):
        return 500 <= exc.smtp_code < 600
    return False


def error_text(exc: BaseException, *, message: OutboxMessage) -> str:
    """The exception class and a short, scrubbed message: no address, no body, no name."""
    detail = str(exc)
    for secret in (message.to_address, message.to_address.lstrip("+")):
        if secret:
            detail = detail.replace(secret, "[recipient]")
    detail = scrub(" ".join(detail.split()))[:200]
    name = type(exc).__name__
    return f"{name}: {detail}"[:300] if detail else name


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


def build_email(message: OutboxMessage, *, connection=None) -> EmailMessage:
    clinic = message.clinic
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=_from_address(clinic),
        to=[message.to_address],
        reply_to=[clinic.contact_email] if clinic.contact_email else None,
        headers={"Message-ID": make_msgid(domain=address.rpartition("@")[2] or None)},
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
        self._mail_down: Exception | None = None
        self._sms = None

    def send(self, message: OutboxMessage) -> str:
        if message.channel == Channel.EMAIL:
            return self._send_email(message)
        if self._sms is None:
            self._sms = get_sms_backend()
        return self._sms.send(message.to_address, message.body, _sms_sender(message.clinic))

    def _send_email(self, message: OutboxMessage) -> str:
        if self._mail_down is not None:
            # The server could not be reached for this run's first e-mail: the rest of
            # the batch waits for its backoff instead of each waiting for a timeout.
            raise self._mail_down
        if self._mail is None:
            mail = get_connection(fail_silently=False, timeout=settings.MESSAGING_SEND_TIMEOUT)
            try:
                mail.open()
            except Exception as exc:
                self._mail_down = exc
                raise
            self._mail = mail
        email = build_email(message, connection=self._mail)
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


def _record_failure(
    message: OutboxMessage, exc: Exception, *, now: datetime, stats: DeliveryStats
) -> None:
    error = error_text(exc, message=message)
    stats.failed += 1
    if _is_permanent(exc) or message.attempts >= settings.MESSAGING_MAX_ATTEMPTS:
        stats.dead += 1
        _finish(message, status=Status.FAILED, last_error=error)
    else:
        stats.retried += 1
        _finish(
            message,
            status=Status.PENDING,
            last_error=error,
            next_attempt_at=now + backoff(message.attempts),
        )
    # The id and the scrubbed error only: the log never sees an address or a text.
    logger.warning(
        "outbox message %s (%s) attempt %s failed: %s",
        message.pk,
        message.channel,
        message.attempts,
        error,
    )


def deliver_due(*, batch_size: int = 50, now: datetime | None = None) -> DeliveryStats:
    """Send one batch of due messages; safe to run twice and on several machines at once.

    Rows that fail go back to pending with exponential backoff, or to ``failed`` after
    ``MESSAGING_MAX_ATTEMPTS`` or on a permanent refusal (SMTP 5xx for the recipient,
    provider 4xx). If sending the batch approaches the lease, the rest is handed back
    rather than risk a second worker sending it too.
    """
    now = now or timezone.now()
    stats = DeliveryStats()
    claimed = _claim(batch_size=batch_size, now=now)
    if not claimed:
        return stats
    budget = SENDING_LEASE.total_seconds() - 2 * settings.MESSAGING_SEND_TIMEOUT - 30
    deadline = time.monotonic() + max(budget, 60)
    senders = _Senders()
    try:
        for index, message in enumerate(claimed):
            if time.monotonic() > deadline:
                _release(claimed[index:], now)
                break
            try:
                provider_id = senders.send(message)
            except Exception as exc:
                _record_failure(message, exc, now=now, stats=stats)
                continue
            stats.sent += 1
            sent = {}
            if message.attachment_name and not message.attachment_type.startswith("text/"):
                sent["attachment_body"] = ""  # a report sent is not kept in the outbox
            _finish(
                message,
                status=Status.SENT,
                sent_at=timezone.now(),
                provider_message_id=provider_id[:200],
                last_error="",
                **sent,
            )
    finally:
        senders.close()
    return stats
