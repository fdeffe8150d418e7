"""The access log (LAW.md REQ-19..23): every read and write of personal data.

Rows are append-only (database triggers refuse UPDATE and DELETE) and chained per
clinic: each row carries the HMAC of its content and of the previous row's HMAC, keyed
by a sub-key of ``PRAKSIS_KEY``. The chain head per clinic holds the last sequence
number and hash, itself authenticated, so cutting rows off the tail is detected too.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    READ = "read", _("Read")
    SEARCH = "search", _("Search")
    LIST = "list", _("List")
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    PRINT = "print", _("Print")
    EXPORT = "export", _("Export")
    DISCLOSE = "disclose", _("Disclose")


class AccessLogEntry(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    seq = models.BigIntegerField()
    at = models.DateTimeField(default=timezone.now)
    # The actor, kept as plain values so the log outlives staff accounts.
    user_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(max_length=254)
    role = models.CharField(max_length=20)
    # The person whose data was touched (no foreign key: the log outlives the record).
    person_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64, blank=True)
    purpose = models.CharField(max_length=200, blank=True)
    # Non-personal detail (field names changed, result count) — never values.
    detail = models.CharField(max_length=500, blank=True)
    channel = models.CharField(max_length=10, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "seq"], name="accesslog_clinic_seq"),
        ]
        indexes = [
            models.Index(fields=["clinic", "person_id", "at"], name="accesslog_person"),
            models.Index(fields=["clinic", "user_id", "at"], name="accesslog_user"),
            models.Index(fields=["clinic", "at"], name="accesslog_at"),
        ]

    def __str__(self) -> str:
        return f"{self.clinic_id}#{self.seq} {self.actor} {self.action} {self.object_type}"


class ChainHead(models.Model):
    clinic = models.OneToOneField(
        "clinics.Clinic", on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)
    seal = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.clinic_id}@{self.seq}"
