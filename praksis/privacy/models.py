"""Privacy notices (versioned) and consents with their proof (REQ-29)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PrivacyNotice(models.Model):
    """A published version of a clinic's privacy notice. Versions are never changed."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    published_at = models.DateTimeField(default=timezone.now)
    summary = models.TextField(blank=True, help_text="What changed in this version.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "version"], name="notice_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.clinic_id} v{self.version}"


class Purpose(models.TextChoices):
    PRIVACY_NOTICE = "privacy_notice", _("Privacy notice acknowledged")
    MARKETING_EMAIL = "marketing_email", _("Marketing by e-mail")
    MARKETING_SMS = "marketing_sms", _("Marketing by SMS")
    RECALL = "recall", _("Recall reminders by e-mail or SMS")
    PHOTOS = "photos", _("Photos on social media")
    DISCLOSURE = "disclosure", _("Disclosure to a third party")
    COOKIES = "cookies", _("Cookies")
    # GDPR art. 9(2)(a): the explicit consent a clinic outside health-record law (therapy,
    # GDPR-only) relies on for the client card and treatment notes (REQ-29, REQ-33).
    HEALTH_DATA = "health_data", _("Health data: client card and treatment notes")


class Consent(models.Model):
    """One consent (or acknowledgement) with who, when, how and exactly what was shown."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    given_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=10)  # online | desk | phone | api
    text_version = models.CharField(max_length=40)
    text_shown = models.TextField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    recorded_by_user_id = models.BigIntegerField(null=True, blank=True)
    # For a disclosure consent: the named third party it allows (e.g. a specialist clinic).
    third_party = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["clinic", "person", "purpose"], name="consent_person")]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=models.F("given_at")),
                name="consent_withdrawn_after_given",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.purpose}"

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class CookieChoice(models.Model):
    """A visitor's cookie choice on a clinic's public pages (REQ-42..44), as proof.

    The visitor is known only by a random id in the strictly necessary choice cookie; no
    IP address or other identifier is kept.
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="+")
    visitor_id = models.CharField(max_length=32)
    banner_version = models.PositiveIntegerField()
    statistics = models.BooleanField(default=False)
    marketing = models.BooleanField(default=False)
    chosen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["clinic", "visitor_id"], name="cookie_choice_visitor")]

    def __str__(self) -> str:
        return f"{self.visitor_id} v{self.banner_version}"


class RequestKind(models.TextChoices):
    ACCESS = "access", _("Access (a copy of my data)")
    PORTABILITY = "portability", _("Portability (my data in a machine-readable file)")
    RECTIFICATION = "rectification", _("Rectification")
    ERASURE = "erasure", _("Erasure")
    RESTRICTION = "restriction", _("Restriction")
    OBJECTION = "objection", _("Objection")
    WITHDRAWAL = "withdrawal", _("Consent withdrawal")


class RequestStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("In progress")
    EXTENDED = "extended", _("Extended")
    COMPLETED = "completed", pgettext_lazy("privacy request", "Answered")
    REFUSED = "refused", _("Refused")


# Wrong one-time codes (or birth dates) before an answer link or a request link locks.
CODE_ATTEMPTS = 5


class DataSubjectRequest(models.Model):
    """A data-subject request with its deadline clock (REQ-24)."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="privacy_requests"
    )
    kind = models.CharField(max_length=20, choices=RequestKind.choices)
    status = models.CharField(
        max_length=12, choices=RequestStatus.choices, default=RequestStatus.RECEIVED
    )
    channel = models.CharField(max_length=10, default="desk")
    received_at = models.DateTimeField(default=timezone.now)
    due_date = models.DateField()
    extended_to = models.DateField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    details = models.TextField(blank=True)
    created_by_user_id = models.BigIntegerField(null=True, blank=True)
    # A request made online is released only after the requester proved control of the
    # e-mail address on record (a one-time link); staff intake verifies at the desk.
    verified_at = models.DateTimeField(null=True, blank=True)
    verify_token_hash = models.CharField(max_length=64, blank=True)
    # How the answer reaches the requester: a one-time download link (default) or e-mail.
    delivery = models.CharField(max_length=10, default="link")
    answer = models.TextField(blank=True)  # the reasoned answer the requester reads
    download_token_hash = models.CharField(max_length=64, blank=True)
    # Until when the answer link works: LINK_MAX_DAYS after it was sent, and no longer
    # than DAYS_AFTER_FIRST_DOWNLOAD after the first download (``answer_links``).
    download_expires_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)  # the first download
    # A link that releases a copy of the person's data opens only with a one-time code
    # sent to the other contact on record (REQ-50): kept as a keyed hash, short-lived,
    # CODE_ATTEMPTS wrong tries lock the link. The browser that gave the right code holds
    # a secret cookie whose hash is ``answer_opened_hash`` until ``answer_opened_until``.
    answer_code_hash = models.CharField(max_length=64, blank=True)
    answer_code_expires_at = models.DateTimeField(null=True, blank=True)
    answer_codes_sent = models.PositiveSmallIntegerField(default=0)
    answer_code_failures = models.PositiveSmallIntegerField(default=0)
    answer_locked_at = models.DateTimeField(null=True, blank=True)
    answer_opened_hash = models.CharField(max_length=64, blank=True)
    answer_opened_until = models.DateTimeField(null=True, blank=True)
    # Made by a guardian on behalf of a child (REQ-49): who asked, and what the rule
    # (``praksis.people.guardians.guardian_may_see``) let them see when it was made.
    guardian = models.ForeignKey(
        "people.Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    guardian_scope = models.CharField(max_length=10, blank=True)

    class Meta:
        indexes = [models.Index(fields=["clinic", "status", "due_date"], name="dsr_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(answer_code_failures__lte=CODE_ATTEMPTS),
                name="dsr_answer_code_attempts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"


class UnmatchedReason(models.TextChoices):
    UNKNOWN = "unknown", _("The contact matches no one on record")
    SEVERAL = "several", _("More than one person has this contact on record")


class UnmatchedRequest(models.Model):
    """A request made on the public privacy page that names no one person (issue 14).

    Either the e-mail address or mobile number matches no one on record, or several
    people of the clinic share it (a family with one address) and the requester has not
    yet told us which of them they are. Nothing is released from it. The requester of a
    shared contact gets a one-time link where their birth date (or identity number)
    tells them apart; then it becomes a :class:`DataSubjectRequest` of that person and
    this row goes. Otherwise the owner links it to a person after identification at the
    desk (same: it becomes their request, with the clock of the day it came) or closes
    it. A closed row is kept as proof of the answer for the ``unmatched_request``
    retention period, then deleted.
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=RequestKind.choices)
    reason = models.CharField(max_length=10, choices=UnmatchedReason.choices)
    contact_channel = models.CharField(max_length=10)  # email | sms
    contact = models.CharField(max_length=254)  # as given, normalised
    details = models.TextField(blank=True)
    language = models.CharField(max_length=5, default="sv")  # the requester's
    received_at = models.DateTimeField(default=timezone.now)
    due_date = models.DateField()
    # Several people share the contact: the link sent to it asks who the request is for.
    verify_token_hash = models.CharField(max_length=64, blank=True)
    verify_failures = models.PositiveSmallIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_user_id = models.BigIntegerField(null=True, blank=True)
    close_note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["clinic", "closed_at"], name="unmatched_open")]
        constraints = [
            models.CheckConstraint(
                condition=Q(reason__in=UnmatchedReason.values), name="unmatched_reason_valid"
            ),
            models.CheckConstraint(
                condition=Q(verify_failures__lte=CODE_ATTEMPTS), name="unmatched_attempts"
            ),
        ]

    def __str__(self) -> str:
        return f"unmatched {self.kind} {self.pk}"


class TakedownTask(models.Model):
    """A withdrawn photo consent obliges the clinic to take the photos down (seed 001):
    a task with a deadline on the owner's dashboard until someone marks it done."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="takedown_tasks"
    )
    consent = models.OneToOneField(Consent, on_delete=models.CASCADE, related_name="takedown")
    opened_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by_user_id = models.BigIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["clinic", "done_at", "due_at"], name="takedown_open")]

    def __str__(self) -> str:
        return f"takedown {self.consent_id}"


class RetentionSetting(models.Model):
    """A clinic's own retention period for one record type (REQ-11), in months.

    Only periods the law allows are stored: ``praksis.privacy.retention.setting_save``
    refuses anything below the legal minimum and any automatic period for a record type
    the law keeps without end (NO-human journals, REQ-02).
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="+")
    record_type = models.CharField(max_length=30)
    months = models.PositiveIntegerField()
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by_user_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "record_type"], name="retention_setting_unique"
            ),
            models.CheckConstraint(condition=Q(months__gt=0), name="retention_setting_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.clinic_id} {self.record_type}: {self.months} months"


class LegalHold(models.Model):
    """A legal hold (REQ-11): while active, nothing it covers is deleted or pseudonymised,
    neither by the retention sweep nor by an erasure.

    It covers a person (everything of theirs, their animals' journals included) or one
    record: ``record_type`` (a key of ``retention.RECORD_TYPES``) and ``record_id`` —
    for ``journal`` the id of any entry of the journal document (the whole document is
    held), for ``accounting`` an invoice, for ``marketing_consent`` a consent, for
    ``applicant`` an applicant.
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    record_type = models.CharField(max_length=30, blank=True)
    record_id = models.BigIntegerField(null=True, blank=True)
    reason = models.TextField()
    placed_by_user_id = models.BigIntegerField(null=True, blank=True)
    placed_by_name = models.CharField(max_length=200, blank=True)
    placed_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by_user_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False)
                | (~Q(record_type="") & Q(record_id__isnull=False)),
                name="legalhold_covers_something",
            ),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True) | Q(released_at__gte=models.F("placed_at")),
                name="legalhold_released_after_placed",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "released_at"], name="legalhold_active")]

    def __str__(self) -> str:
        return f"hold {self.pk}"

    @property
    def active(self) -> bool:
        return self.released_at is None


class Applicant(models.Model):
    """A job applicant (REQ-09): deleted when recruitment has closed plus the claims
    window; kept longer only with the applicant's consent (``keep_consent_at``)."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    position = models.CharField(max_length=200)
    applied_at = models.DateTimeField(default=timezone.now)
    recruitment_closed_at = models.DateTimeField(null=True, blank=True)
    keep_consent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["clinic", "recruitment_closed_at"], name="applicant_closed"),
        ]

    def __str__(self) -> str:
        return f"applicant {self.pk}"


class RestrictionGround(models.TextChoices):
    """Why processing is restricted: the four cases of GDPR art. 18(1) (REQ-28)."""

    ACCURACY = "accuracy", _("Art. 18(1)(a): the person contests the accuracy of the data")
    UNLAWFUL = (
        "unlawful",
        _("Art. 18(1)(b): the processing is unlawful and the person opposes erasure"),
    )
    LEGAL_CLAIMS = (
        "legal_claims",
        _("Art. 18(1)(c): we no longer need the data, but the person needs it for legal claims"),
    )
    OBJECTION = (
        "objection",
        _(
            "Art. 18(1)(d): the person has objected (art. 21(1)); we check whether our "
            "grounds override theirs"
        ),
    )


class RestrictionScope(models.TextChoices):
    """What a restriction covers: all the person's data, or one use of it (REQ-28)."""

    WHOLE = "whole", _("All of the person's data")
    JOURNAL = "journal", _("The journal (no disclosure or other use; only stored)")
    RECALL = "recall", _("Recall (no recall messages or calls)")
    MARKETING = "marketing", _("Marketing (no newsletters or offers)")


class Restriction(models.Model):
    """A restriction of processing (GDPR art. 18, REQ-28): on which ground of art. 18(1),
    of what (the whole person or one use of their data), since when and by whom, and when
    and by whom it was lifted (the person told first, art. 18(3)).

    ``Person.restricted_at`` still means "the whole person is restricted" (the checks of
    reminders, feeds, disclosures read it): it is the start of the earliest active whole
    restriction, kept in step by ``praksis.privacy.restriction``."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="restrictions"
    )
    ground = models.CharField(max_length=20, choices=RestrictionGround.choices)
    scope = models.CharField(max_length=20, choices=RestrictionScope.choices)
    note = models.TextField(blank=True)
    request = models.ForeignKey(
        DataSubjectRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    started_by_user_id = models.BigIntegerField(null=True, blank=True)
    started_by_name = models.CharField(max_length=200, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by_user_id = models.BigIntegerField(null=True, blank=True)
    ended_by_name = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["clinic", "person", "ended_at"], name="restriction_person")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ground__in=RestrictionGround.values), name="restriction_ground"
            ),
            models.CheckConstraint(
                condition=Q(scope__in=RestrictionScope.values), name="restriction_scope"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="restriction_ended_after_started",
            ),
            # One active restriction per person and scope.
            models.UniqueConstraint(
                fields=["person", "scope"],
                condition=Q(ended_at__isnull=True),
                name="restriction_active_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"restriction {self.pk} ({self.scope})"

    @property
    def active(self) -> bool:
        return self.ended_at is None
