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


class RequestKind(models.TextChoices):
    """What a patient (or an animal's owner) asks of the journal."""

    DELETION = "deletion", _("Deletion of journal entries")
    ACCESS = "access", _("Access to the journal")
    CORRECTION = "correction", _("Correction of the journal")


class RequestOutcome(models.TextChoices):
    GRANTED = "granted", _("Granted")
    PARTLY = "partly", _("Partly granted")
    REFUSED = "refused", _("Refused")


class JournalRequest(models.Model):
    """A request about a journal and its decision, kept with the journal.

    - NO-human, REQ-16 (helsepersonelloven § 43): the patient asks that entries be deleted;
      the responsible professional answers the law's two questions — is the information
      incorrect or misleading, or not necessary for the care (``incorrect_or_unnecessary``);
      and is deleting it free of conflict with weighty reasons, "ubetenkelig"
      (``no_weighty_reasons``) — and grants only when both are yes. The deleted entries
      go through the one erasure path (``praksis.privacy.erasure.erase_records``) and
      leave only ``deleted_entries``: id, dates, author and kind — never their text.
    - NO-vet, REQ-18 (FOR-2006-02-20-229 § 4): the owner's requests for access to, or
      correction of, the animal's journal, with whether they were granted.

    ``privacy_request_id`` links the data-subject request it came with, when there is one
    (a plain id, so that the privacy request's own life never touches this row). What the
    requester said and the decision's reasons are AES-GCM ciphertext under the journal's
    data key, like the entries. A decided request is final (database triggers).
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    # The requester: the patient, or the animal's owner.
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    # NO-vet: the animal whose journal it is about (the person is its owner).
    animal = models.ForeignKey(
        "people.Animal", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=RequestKind.choices)
    privacy_request_id = models.BigIntegerField(null=True, blank=True)
    entry_ids = models.JSONField(default=list, blank=True)  # the entries it is about
    received_at = models.DateTimeField(default=timezone.now)
    recorded_by_user_id = models.BigIntegerField()
    recorded_by_name = models.CharField(max_length=200)
    # {"grounds": what the requester said, "reasons": the decision's reasons}, encrypted.
    ciphertext = models.BinaryField()
    # The decision (REQ-16: both questions answered before a deletion decision).
    incorrect_or_unnecessary = models.BooleanField(null=True, blank=True)
    no_weighty_reasons = models.BooleanField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=RequestOutcome.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by_user_id = models.BigIntegerField(null=True, blank=True)
    decided_by_name = models.CharField(max_length=200, blank=True)
    decided_by_title = models.CharField(max_length=100, blank=True)
    decided_by_hpr = models.CharField(max_length=12, blank=True)
    # The trace of what a granted deletion removed: [{"id", "created_at", "signed_at",
    # "author", "hpr", "kind"}] — no content.
    deleted_entries = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["deletion", "access", "correction"]),
                name="journal_request_kind",
            ),
            # Decided: an outcome, when and by whom; open: none of them.
            models.CheckConstraint(
                condition=(
                    Q(decided_at__isnull=True, outcome="", decided_by_user_id__isnull=True)
                    | (
                        Q(decided_at__isnull=False, decided_by_user_id__isnull=False)
                        & Q(outcome__in=["granted", "partly", "refused"])
                    )
                ),
                name="journal_request_decided",
            ),
            # REQ-16: a deletion decision answers both questions of hpl § 43, and a
            # deletion is granted (wholly) only when both are yes.
            models.CheckConstraint(
                condition=~Q(kind="deletion")
                | Q(decided_at__isnull=True)
                | (
                    Q(incorrect_or_unnecessary__isnull=False, no_weighty_reasons__isnull=False)
                    & (
                        ~Q(outcome="granted")
                        | Q(incorrect_or_unnecessary=True, no_weighty_reasons=True)
                    )
                    & ~Q(outcome="partly")
                ),
                name="journal_request_deletion_grounds",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "person", "received_at"], name="journal_req_person"),
            models.Index(fields=["clinic", "animal", "received_at"], name="journal_req_animal"),
        ]

    def __str__(self) -> str:
        return f"journal request {self.pk} ({self.kind})"

    @property
    def subject(self):
        return self.animal if self.animal_id else self.person
