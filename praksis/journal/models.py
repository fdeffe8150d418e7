"""Clinical journals (LAW.md REQ-12..18): append-only, signed, encrypted at rest.

An entry is a draft until its author signs it; from then on the database refuses to
change or delete it (triggers on PostgreSQL and SQLite). Corrections are new signed
entries linked to the original (an amendment), so the original stays readable beside
them with who, when and why. Text and template fields are stored only as AES-GCM
ciphertext under the subject's data key (see ``praksis.people.vault``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EntryKind(models.TextChoices):
    NOTE = "note", _("Journal entry")
    AMENDMENT = "amendment", _("Amendment")
    OBJECTION = "objection", _("The patient's objection")
    REFUSED_CORRECTION = "refused", _("Refused correction request")
    ACCESS_REQUEST = "access", _("Owner's request for access or correction")


class JournalEntry(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    animal = models.ForeignKey(
        "people.Animal", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=EntryKind.choices, default=EntryKind.NOTE)
    # An amendment, objection or refusal points at the entry it concerns.
    concerns = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="followups"
    )
    template = models.CharField(max_length=20, blank=True)
    # REQ-13/REQ-15: the author's name and title (and HPR number in Norway), as they were.
    author_user_id = models.BigIntegerField()
    author_name = models.CharField(max_length=200)
    author_title = models.CharField(max_length=100, blank=True)
    author_hpr = models.CharField(max_length=12, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    # {"text": ..., "fields": {...}, "reason": ...} as AES-GCM ciphertext.
    ciphertext = models.BinaryField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(person__isnull=False) & Q(animal__isnull=True))
                | (Q(person__isnull=True) & Q(animal__isnull=False)),
                name="journal_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(kind="note") | Q(concerns__isnull=False),
                name="journal_followup_concerns_entry",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "person", "created_at"], name="journal_person"),
            models.Index(fields=["clinic", "animal", "created_at"], name="journal_animal"),
        ]

    def __str__(self) -> str:
        return f"entry {self.pk}"

    @property
    def signed(self) -> bool:
        return self.signed_at is not None

    @property
    def subject(self):
        return self.person if self.person_id else self.animal


class Attachment(models.Model):
    """An image or document attached to an entry; encrypted, immutable once signed."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    ciphertext = models.BinaryField()
    uploaded_by_user_id = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.filename


class ClientCard(models.Model):
    """The therapy profile's client card: allergies and injuries the client tells about.

    Unlike journal entries it is kept current (it says what is true now); every change
    is access-logged, and the content is encrypted like the journal.
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    person = models.OneToOneField(
        "people.Person", on_delete=models.PROTECT, related_name="client_card"
    )
    ciphertext = models.BinaryField()
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by_user_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"card {self.person_id}"
