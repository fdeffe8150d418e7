"""The record of processing (Art. 30, REQ-30), the processor register, and the published
texts of the privacy notice that is generated from them.

The record holds no personal data: it describes processing. Free texts are kept per
language (``{"sv": …, "nb": …, "en": …}``) so that the public notice can be shown in each
language from the same record. Retention is never copied into the record: an activity
names record types of the retention engine (``praksis.privacy.retention``) and the text
is rendered from the policy in force.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

LANGS = ("sv", "nb", "en")


class LegalBasis(models.TextChoices):
    """GDPR art. 6(1)."""

    CONSENT = "a", _("Consent (GDPR art. 6.1 a)")
    CONTRACT = "b", _("Contract (GDPR art. 6.1 b)")
    LEGAL_OBLIGATION = "c", _("Legal obligation (GDPR art. 6.1 c)")
    VITAL_INTERESTS = "d", _("Vital interests (GDPR art. 6.1 d)")
    PUBLIC_TASK = "e", _("Public task (GDPR art. 6.1 e)")
    LEGITIMATE_INTERESTS = "f", _("Legitimate interests (GDPR art. 6.1 f)")


class SpecialBasis(models.TextChoices):
    """GDPR art. 9(2) for special categories (health data, REQ-33)."""

    NONE = "", _("No special categories of data")
    EXPLICIT_CONSENT = "a", _("Explicit consent (GDPR art. 9.2 a)")
    LEGAL_CLAIMS = "f", _("Legal claims (GDPR art. 9.2 f)")
    HEALTH_CARE = "h", _("Health care under professional secrecy (GDPR art. 9.2 h and 9.3)")


class Service(models.TextChoices):
    HOSTING = "hosting", _("Hosting and operations")
    JOURNAL_SYSTEM = "journal_system", _("Journal and booking system")
    ACCOUNTING = "accounting", _("Accounting")
    SMS = "sms", pgettext_lazy("processor service", "SMS delivery")
    EMAIL = "email", pgettext_lazy("processor service", "E-mail delivery")
    BENEFITS_PORTAL = "benefits_portal", _("Benefits portal")
    PAYMENT = "payment", _("Payments")
    BACKUP = "backup", _("Backup")
    SUPPORT = "support", _("IT support")
    OTHER = "other", pgettext_lazy("processor service", "Other")


class TransferBasis(models.TextChoices):
    """GDPR chapter V: what makes a transfer outside the EU/EEA lawful."""

    NONE = "", _("No transfer outside the EU/EEA")
    ADEQUACY = "adequacy", _("Adequacy decision (GDPR art. 45)")
    SCC = "scc", _("Standard contractual clauses (GDPR art. 46.2 c)")
    BCR = "bcr", _("Binding corporate rules (GDPR art. 47)")
    DEROGATION = "derogation", _("Derogation for a specific situation (GDPR art. 49)")


class ProcessingActivity(models.Model):
    """One processing activity of the record (Art. 30(1)(a)-(g))."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="+")
    key = models.SlugField(max_length=40)
    order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # Per-language texts: {"sv": "...", "nb": "...", "en": "..."}.
    name = models.JSONField(default=dict)
    purpose = models.JSONField(default=dict)  # 30(1)(b)
    data_subjects = models.JSONField(default=dict)  # 30(1)(c)
    data_categories = models.JSONField(default=dict)  # 30(1)(c)
    recipients = models.JSONField(default=dict)  # 30(1)(d)
    basis_detail = models.JSONField(default=dict)  # the national law behind the basis
    # Art. 13(1)(d): the legitimate interest pursued wherever art. 6(1)(f) is a basis.
    legitimate_interest = models.JSONField(default=dict)
    retention_note = models.JSONField(default=dict)  # only where no record type applies
    security = models.JSONField(default=dict)  # 30(1)(g)
    legal_bases = models.JSONField(default=list)  # LegalBasis codes, art. 6(1)
    special_basis = models.CharField(max_length=2, blank=True, choices=SpecialBasis.choices)
    # 30(1)(f): record types of the retention engine; the text comes from the policy.
    retention_keys = models.JSONField(default=list)
    processors = models.ManyToManyField(
        "Processor", through="ActivityProcessor", related_name="activities", blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "key"], name="processing_activity_key"),
            models.CheckConstraint(
                condition=Q(special_basis__in=SpecialBasis.values),
                name="processing_activity_special_basis",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinic_id}:{self.key}"

    def text(self, field: str, language: str, fallback: str = "") -> str:
        return localized(getattr(self, field), language, fallback)

    @property
    def health_data(self) -> bool:
        return bool(self.special_basis)


class Processor(models.Model):
    """A processor (databehandlare / databehandler) with its data processing agreement."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    service = models.CharField(max_length=20, choices=Service.choices)
    dpa_signed_on = models.DateField(null=True, blank=True)
    # Where the data is stored (ISO 3166 code) and, optionally, more precisely.
    country = models.CharField(max_length=2)
    location = models.CharField(max_length=200, blank=True)
    sub_processors = models.TextField(blank=True)  # one per line: name, what, where
    # Transfers outside the EU/EEA (support from abroad, a sub-processor elsewhere).
    third_countries = models.CharField(max_length=300, blank=True)
    transfer_basis = models.CharField(max_length=12, blank=True, choices=TransferBasis.choices)
    contact = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(service__in=Service.values), name="processor_service_valid"
            ),
            models.CheckConstraint(
                condition=Q(transfer_basis__in=TransferBasis.values),
                name="processor_transfer_basis_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def transfers_outside_eea(self) -> bool:
        return self.country not in EEA or bool(self.third_countries.strip())

    @property
    def sub_processor_list(self) -> list[str]:
        return [line.strip() for line in self.sub_processors.splitlines() if line.strip()]


class ActivityProcessor(models.Model):
    """Which processors take part in an activity (both of the same clinic)."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey(ProcessingActivity, on_delete=models.CASCADE, related_name="+")
    processor = models.ForeignKey(Processor, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "processor"], name="activity_processor_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}-{self.processor_id}"


class NoticeText(models.Model):
    """What one published version of the privacy notice said, in every language.

    ``content`` is the notice built from the record and the register at publication
    (``{"sv": {...}, "nb": {...}, "en": {...}}``); ``digest`` is its SHA-256, so that a
    publication that changes nothing makes no new version. Never changed once written,
    except for the note that the clients have been told (``announced_at``).
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    notice = models.OneToOneField(
        "privacy.PrivacyNotice", on_delete=models.PROTECT, related_name="text"
    )
    content = models.JSONField()
    digest = models.CharField(max_length=64)
    material = models.BooleanField(default=False)
    published_by_user_id = models.BigIntegerField(null=True, blank=True)
    announced_at = models.DateTimeField(null=True, blank=True)
    announced_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"notice text {self.notice_id}"


def localized(values, language: str, fallback: str = "") -> str:
    """The text in ``language``, else in ``fallback``, else in any language we have."""
    if not isinstance(values, dict):
        return str(values or "")
    for code in (language, fallback, *LANGS):
        if code and values.get(code):
            return values[code]
    return ""


# The EU/EEA (EU 27 + Iceland, Liechtenstein, Norway): no transfer rules apply inside.
EEA = {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    "IS", "LI", "NO",
}  # fmt: skip

# Countries a processor may store data in, named in each notice language.
COUNTRIES: dict[str, dict[str, str]] = {
    "SE": {"sv": "Sverige", "nb": "Sverige", "en": "Sweden"},
    "NO": {"sv": "Norge", "nb": "Norge", "en": "Norway"},
    "DK": {"sv": "Danmark", "nb": "Danmark", "en": "Denmark"},
    "FI": {"sv": "Finland", "nb": "Finland", "en": "Finland"},
    "IS": {"sv": "Island", "nb": "Island", "en": "Iceland"},
    "DE": {"sv": "Tyskland", "nb": "Tyskland", "en": "Germany"},
    "NL": {"sv": "Nederländerna", "nb": "Nederland", "en": "the Netherlands"},
    "IE": {"sv": "Irland", "nb": "Irland", "en": "Ireland"},
    "FR": {"sv": "Frankrike", "nb": "Frankrike", "en": "France"},
    "BE": {"sv": "Belgien", "nb": "Belgia", "en": "Belgium"},
    "EE": {"sv": "Estland", "nb": "Estland", "en": "Estonia"},
    "PL": {"sv": "Polen", "nb": "Polen", "en": "Poland"},
    "AT": {"sv": "Österrike", "nb": "Østerrike", "en": "Austria"},
    "ES": {"sv": "Spanien", "nb": "Spania", "en": "Spain"},
    "IT": {"sv": "Italien", "nb": "Italia", "en": "Italy"},
    "LU": {"sv": "Luxemburg", "nb": "Luxembourg", "en": "Luxembourg"},
    "GB": {"sv": "Storbritannien", "nb": "Storbritannia", "en": "the United Kingdom"},
    "CH": {"sv": "Schweiz", "nb": "Sveits", "en": "Switzerland"},
    "US": {"sv": "USA", "nb": "USA", "en": "the United States"},
    "CA": {"sv": "Kanada", "nb": "Canada", "en": "Canada"},
    "IN": {"sv": "Indien", "nb": "India", "en": "India"},
}


def country_name(code: str, language: str) -> str:
    return COUNTRIES.get(code, {}).get(language) or code
