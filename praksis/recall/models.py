"""Recalls: when a person (or an animal) is due back, and the calls made about it.

A recall is set from the journal (optician: the next eye examination in 12-24 months;
dental: the next check-up; vet: the next vaccination) and carries only the date and the
kind of visit, never journal content, so receptionists may work the call list. Each
subject has at most one active recall (partial unique constraints); setting a new one
closes the old one. ``call_on`` is when to call: the due date, or the later date a
client asked to be called back on (the due date itself, which recall messages follow,
does not move).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import pgettext_lazy

MAX_INTERVAL_MONTHS = 120


class Status(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("recall", "Active")
    CLOSED = "closed", pgettext_lazy("recall", "Closed")


class ClosedReason(models.TextChoices):
    BOOKED = "booked", pgettext_lazy("recall", "Booked")
    DECLINED = "declined", pgettext_lazy("recall", "Declined")
    REPLACED = "replaced", pgettext_lazy("recall", "Replaced by a new recall")
    CLEARED = "cleared", pgettext_lazy("recall", "Cleared")


class Outcome(models.TextChoices):
    NO_ANSWER = "no_answer", pgettext_lazy("recall", "No answer")
    BOOKED = "booked", pgettext_lazy("recall", "Booked")
    DECLINED = "declined", pgettext_lazy("recall", "Declined")
    CALL_LATER = "call_later", pgettext_lazy("recall", "Call later")


class RecallPolicy(models.Model):
    """A clinic's recall settings; a clinic without a row uses the defaults."""

    clinic = models.OneToOneField(
        "clinics.Clinic", on_delete=models.CASCADE, primary_key=True, related_name="recall_policy"
    )
    # Recall messages go out this many days before the due date.
    message_lead_days = models.PositiveSmallIntegerField(default=14)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(message_lead_days__lte=90), name="recall_policy_lead_days"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinic_id}: {self.message_lead_days} days"


class Recall(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    # Erasing a person (or an animal) erases their recalls.
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="recalls"
    )
    animal = models.ForeignKey(
        "people.Animal", on_delete=models.CASCADE, null=True, blank=True, related_name="recalls"
    )
    interval_months = models.PositiveSmallIntegerField(null=True, blank=True)
    due_date = models.DateField()
    call_on = models.DateField()
    # The kind of visit ("eye examination", "rabies vaccination"), never health details.
    reason = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    closed_reason = models.CharField(max_length=10, choices=ClosedReason.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    source_entry = models.ForeignKey(
        "journal.JournalEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by_user_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(person__isnull=False) & Q(animal__isnull=True))
                | (Q(person__isnull=True) & Q(animal__isnull=False)),
                name="recall_one_subject",
            ),
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status="active") & Q(person__isnull=False),
                name="recall_one_active_per_person",
            ),
            models.UniqueConstraint(
                fields=["animal"],
                condition=Q(status="active") & Q(animal__isnull=False),
                name="recall_one_active_per_animal",
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="recall_status"),
            models.CheckConstraint(
                condition=(Q(status="active") & Q(closed_reason="") & Q(closed_at__isnull=True))
                | (
                    Q(status="closed")
                    & Q(closed_reason__in=ClosedReason.values)
                    & Q(closed_at__isnull=False)
                ),
                name="recall_closed_with_reason",
            ),
            models.CheckConstraint(
                condition=Q(interval_months__isnull=True)
                | (Q(interval_months__gte=1) & Q(interval_months__lte=MAX_INTERVAL_MONTHS)),
                name="recall_interval_range",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "status", "call_on"], name="recall_call_list"),
            models.Index(fields=["status", "due_date"], name="recall_due"),
        ]

    def __str__(self) -> str:
        return f"recall {self.pk} ({self.status})"

    @property
    def subject(self):
        return self.person if self.person_id else self.animal


class CallAttempt(models.Model):
    """One phone call about a recall, and how it went."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    recall = models.ForeignKey(Recall, on_delete=models.CASCADE, related_name="attempts")
    user_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    note = models.CharField(max_length=300, blank=True)
    call_back_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=Outcome.values), name="callattempt_outcome"
            ),
            models.CheckConstraint(
                condition=~Q(outcome="call_later") | Q(call_back_on__isnull=False),
                name="callattempt_call_later_has_date",
            ),
        ]
        indexes = [models.Index(fields=["recall", "at"], name="callattempt_recall")]

    def __str__(self) -> str:
        return f"call {self.pk} on recall {self.recall_id}: {self.outcome}"
