"""The outbox: every e-mail and SMS is a row first, written in the caller's transaction.

A booking that rolls back leaves no message behind, and a message that cannot be sent yet
waits here with its attempts, its next attempt time and its last (scrubbed) error, so that
staff can see what happened to it. The ``send-messages`` worker is the only sender.

Each message has a ``uuid`` from the start: its Message-ID (e-mail) and reference (SMS),
the same on every attempt, so a receiver can recognise a message delivered twice. Each
channel has a :class:`DeliveryCircuit`, shared by every worker, that says whether its
server is failing and when to try it again (see ``services`` for the rule).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    EMAIL = "email", pgettext_lazy("message channel", "E-mail")
    SMS = "sms", pgettext_lazy("message channel", "SMS")


class Kind(models.TextChoices):
    CONFIRMATION = "confirmation", pgettext_lazy("message kind", "Confirmation")
    CHANGE = "change", pgettext_lazy("message kind", "Change")
    CANCELLATION = "cancellation", pgettext_lazy("message kind", "Cancellation")
    REMINDER = "reminder", pgettext_lazy("message kind", "Reminder")
    REQUEST = "request", pgettext_lazy("message kind", "Request")
    NOTICE = "notice", pgettext_lazy("message kind", "Notice")
    MARKETING = "marketing", pgettext_lazy("message kind", "Marketing")
    OTHER = "other", pgettext_lazy("message kind", "Other")


class Status(models.TextChoices):
    PENDING = "pending", pgettext_lazy("message status", "Pending")
    SENDING = "sending", pgettext_lazy("message status", "Sending")
    SENT = "sent", pgettext_lazy("message status", "Sent")
    FAILED = "failed", pgettext_lazy("message status", "Failed")


class Reason(models.TextChoices):
    """Why the last attempt did not deliver the message, for staff in plain words."""

    RECIPIENT_REFUSED = (
        "recipient_refused",
        pgettext_lazy("message failure", "The recipient's address or number was refused"),
    )
    MESSAGE_REFUSED = (
        "message_refused",
        pgettext_lazy("message failure", "The server refused this message"),
    )
    SERVER_FAILING = (
        "server_failing",
        pgettext_lazy("message failure", "The server was not answering; the message waits for it"),
    )
    ERROR = "error", pgettext_lazy("message failure", "The message could not be prepared")


class OutboxMessage(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    # Erasing a person erases the messages sent to them.
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    to_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    attachment_name = models.CharField(max_length=200, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)
    attachment_body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # Pending: when the next attempt is due. Sending: when the claim expires (a worker
    # that crashed mid-send loses the row to the next worker after that; the lease is
    # short and renewed as the worker goes, MESSAGING_LEASE_SECONDS).
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # Exception class and a scrubbed, short message: never an address or a body.
    last_error = models.CharField(max_length=300, blank=True)
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True)
    # Stable across attempts: the e-mail's Message-ID and the SMS reference derive from it.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The claim that holds a sending row: a worker records an outcome only with its token.
    claim_token = models.CharField(max_length=32, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    related_type = models.CharField(max_length=40, blank=True)
    related_id = models.BigIntegerField(null=True, blank=True)
    # The marketing consent that allows this message (privacy app; no FK across apps
    # that are built separately, the check constraint keeps the rule).
    consent_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "dedupe_key"],
                condition=Q(dedupe_key__isnull=False),
                name="outbox_dedupe_unique",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="outbox_channel_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="outbox_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="outbox_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(reason__in=[*Reason.values, ""]), name="outbox_reason_valid"
            ),
            # Marketing only with opt-in: no consent, no marketing row.
            models.CheckConstraint(
                condition=~Q(kind="marketing") | Q(consent_id__isnull=False),
                name="outbox_marketing_needs_consent",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["clinic", "related_type", "related_id"], name="outbox_related"),
            models.Index(fields=["clinic", "created_at"], name="outbox_clinic_created"),
            # An SMS reply is matched to the latest reminder sent to its number.
            models.Index(
                fields=["to_address", "sent_at"],
                name="outbox_sms_reminder_to",
                condition=Q(channel="sms", kind="reminder"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk} ({self.kind}, {self.status})"


class DeliveryCircuit(models.Model):
    """One channel's server (the SMTP server, the SMS provider), as all workers see it.

    ``failures`` counts consecutive failed attempts that were not the recipient's fault;
    a delivery sets it back to 0. While ``retry_after`` is set the circuit is open: no
    worker sends on the channel before that time, then one worker probes with a single
    message. Installation-wide, like the server it describes.
    """

    channel = models.CharField(max_length=10, choices=Channel.choices, unique=True)
    failures = models.PositiveIntegerField(default=0)
    retry_after = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    # Exception class and a scrubbed, short message, as on the messages.
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="circuit_channel_valid"
            ),
        ]

    def __str__(self) -> str:
        state = f"open until {self.retry_after:%Y-%m-%d %H:%M:%S}" if self.retry_after else "closed"
        return f"{self.channel} circuit ({state})"
