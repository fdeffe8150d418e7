"""The disclosure log (PRODUCT capability 11): who received what, on which basis or consent.

One row per disclosure of a person's data to someone outside the clinic — a referral, a
lab sample, an insurance report, a report to the food-safety authority, an answer to a
legal order. Rows are append-only once recorded (database triggers refuse UPDATE and
DELETE, like the journal and the access log); a mistake is corrected by a new row that
points at the one it corrects. The access report (Art. 15(1)(c)) and the notices to
recipients after rectification, erasure or restriction (Art. 19) are read from here.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    REFERRAL = "referral", _("Referral to a specialist or another clinic")
    LAB_SAMPLE = "lab_sample", _("Sample or images to an external laboratory")
    PRESCRIPTION = "prescription", _("Prescription")
    INSURER = "insurer", _("Report to an insurance company")
    FOOD_SAFETY = "food_safety", _("Report to the food-safety authority")
    POLICE = "police", _("Police or court, on a legal order")
    CHIP_REGISTRY = "chip_registry", _("ID-chip registry")
    OTHER = "other", _("Other disclosure")


class Basis(models.TextChoices):
    CONSENT = "consent", _("The person's consent (GDPR art. 6(1)(a), 9(2)(a))")
    HEALTH_CARE = "health_care", _("Health care within the care relationship (art. 9(2)(h))")
    CONTRACT = "contract", _("The owner's assignment (contract, art. 6(1)(b))")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation (art. 6(1)(c)): law or order cited")
    LEGAL_CLAIMS = "legal_claims", _("Legal claims (art. 9(2)(f), 18(2))")


class Channel(models.TextChoices):
    ENCRYPTED_EMAIL = "encrypted_email", _("Encrypted e-mail")
    POST = "post", _("Post")
    PORTAL = "portal", _("The recipient's secure portal")


class Disclosure(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    # The log is evidence: a person (or animal) with disclosures is not deleted by accident.
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    animal = models.ForeignKey(
        "people.Animal", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    recipient_name = models.CharField(max_length=200)
    recipient_address = models.TextField(blank=True)  # postal address or organisation
    description = models.TextField()  # what was sent
    reason = models.TextField(blank=True)  # the referral's reason or question
    # Signed journal entries sent along (their content is printed in the letter).
    journal_entries = models.ManyToManyField("journal.JournalEntry", blank=True, related_name="+")
    basis = models.CharField(max_length=20, choices=Basis.choices)
    basis_text = models.CharField(max_length=300, blank=True)  # the law or order cited
    consent = models.ForeignKey(
        "privacy.Consent", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    disclosed_at = models.DateTimeField(default=timezone.now)
    recorded_at = models.DateTimeField(default=timezone.now)
    # Who disclosed, as they were (the log outlives staff accounts).
    recorded_by_user_id = models.BigIntegerField(null=True, blank=True)
    recorded_by_name = models.CharField(max_length=200)
    recorded_by_title = models.CharField(max_length=100, blank=True)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="disclosure_kind"),
            models.CheckConstraint(condition=Q(basis__in=Basis.values), name="disclosure_basis"),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="disclosure_channel"
            ),
            # A consent-based disclosure names the consent; no other basis does.
            models.CheckConstraint(
                condition=(Q(basis="consent") & Q(consent__isnull=False))
                | (~Q(basis="consent") & Q(consent__isnull=True)),
                name="disclosure_consent_iff_basis",
            ),
            # A legal obligation or claim is cited, never just asserted.
            models.CheckConstraint(
                condition=~Q(basis__in=["legal_obligation", "legal_claims"]) | ~Q(basis_text=""),
                name="disclosure_legal_basis_cited",
            ),
            models.CheckConstraint(
                condition=~Q(recipient_name="") & ~Q(description=""),
                name="disclosure_recipient_and_data",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "person", "disclosed_at"], name="disclosure_person"),
            models.Index(fields=["clinic", "disclosed_at"], name="disclosure_clinic"),
        ]

    def __str__(self) -> str:
        return f"disclosure {self.pk} ({self.kind})"
