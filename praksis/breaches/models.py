"""The breach register (REQ-31, REQ-32): every personal-data breach, notified or not.

A breach carries the Art. 33(3) items, the 72-hour clock from the moment the clinic
became aware of it (``notify_authority_by``, stored so the staff banner costs one
indexed query), the risk assessment, whether and when the supervisory authority was
told, phased updates (Art. 33(4), append-only) and the persons affected, each with how
they were told (Art. 34) or the Art. 34(3) ground for not telling them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

NOTIFY_WITHIN = timedelta(hours=72)
# No moment in the register lies before this (services and the database both check it).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def notify_deadline(discovered_at):
    """Awareness + 72 elapsed hours (computed in UTC, so a DST change does not move it)."""
    return discovered_at.astimezone(UTC) + NOTIFY_WITHIN


class Risk(models.TextChoices):
    PENDING = "pending", _("Not yet assessed")
    NONE = "none", _("Unlikely to result in a risk")
    RISK = "risk", _("Risk to people's rights and freedoms")
    HIGH = "high", _("High risk")


class ExemptionGround(models.TextChoices):
    """Art. 34(3): when the affected persons need not be told."""

    PROTECTED = "a", _("(a) The data was protected, e.g. encrypted, so it is unintelligible")
    MITIGATED = "b", _("(b) Later measures ensure the high risk is no longer likely")
    DISPROPORTIONATE = "c", _("(c) Telling each person would take disproportionate effort")


class Breach(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    description = models.TextField()
    discovered_at = models.DateTimeField()
    notify_authority_by = models.DateTimeField()
    registered_at = models.DateTimeField(default=timezone.now)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Art. 33(3)(a)-(d).
    nature = models.TextField(blank=True)
    data_categories = models.TextField(blank=True)
    person_categories = models.TextField(blank=True)
    approx_persons = models.PositiveIntegerField(null=True, blank=True)
    approx_records = models.PositiveIntegerField(null=True, blank=True)
    consequences = models.TextField(blank=True)
    measures = models.TextField(blank=True)
    contact_point = models.TextField(blank=True)
    risk = models.CharField(max_length=10, choices=Risk.choices, default=Risk.PENDING)
    # Art. 33(5): why the authority was not told (risk unlikely).
    no_notification_reason = models.TextField(blank=True)
    authority_notified_at = models.DateTimeField(null=True, blank=True)
    authority_reference = models.CharField(max_length=100, blank=True)
    # Art. 33(1): why the notification came after 72 hours.
    late_reason = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["clinic", "authority_notified_at", "notify_authority_by"],
                name="breach_clock",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(risk__in=Risk.values), name="breach_risk_valid"),
            # A breach is not "discovered" in year 1, nor told before it was discovered.
            models.CheckConstraint(
                condition=Q(discovered_at__gte=EARLIEST), name="breach_discovered_since_2000"
            ),
            models.CheckConstraint(
                condition=Q(authority_notified_at__isnull=True)
                | Q(authority_notified_at__gte=models.F("discovered_at")),
                name="breach_notified_after_discovery",
            ),
            models.CheckConstraint(
                condition=~Q(risk=Risk.NONE) | ~Q(no_notification_reason=""),
                name="breach_unlikely_risk_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(authority_notified_at__isnull=True)
                | Q(authority_notified_at__lte=models.F("notify_authority_by"))
                | ~Q(late_reason=""),
                name="breach_late_notification_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"breach {self.pk}"

    @property
    def clock_running(self) -> bool:
        """The authority has not been told, and nobody has decided it need not be."""
        return self.authority_notified_at is None and self.risk != Risk.NONE

    @property
    def notified_late(self) -> bool:
        return (
            self.authority_notified_at is not None
            and self.authority_notified_at > self.notify_authority_by
        )


class BreachUpdate(models.Model):
    """A dated phase of information (Art. 33(4)); rows are append-only (database triggers)."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    breach = models.ForeignKey(Breach, on_delete=models.PROTECT, related_name="updates")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_name = models.CharField(max_length=200, blank=True)
    text = models.TextField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"breach {self.breach_id} update {self.pk}"


class AffectedPerson(models.Model):
    """A person whose data the breach concerns, and whether and how they were told."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    breach = models.ForeignKey(Breach, on_delete=models.PROTECT, related_name="affected")
    # Erasing a person erases the link too.
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=20, default="access_log")  # access_log | manual
    added_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=10, blank=True)  # email | sms
    message_id = models.BigIntegerField(null=True, blank=True)
    exemption_ground = models.CharField(max_length=1, choices=ExemptionGround.choices, blank=True)
    exemption_note = models.TextField(blank=True)
    exemption_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["breach", "person"], name="breach_affected_unique"),
            models.CheckConstraint(
                condition=Q(exemption_ground="") | Q(notified_at__isnull=True),
                name="breach_affected_notified_or_exempt",
            ),
        ]

    def __str__(self) -> str:
        return f"breach {self.breach_id} person {self.person_id}"
