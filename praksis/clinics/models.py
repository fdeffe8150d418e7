"""Tenancy and staff: clinics, users, their roles in each clinic, API tokens."""

from __future__ import annotations

import zoneinfo

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Profile(models.TextChoices):
    OPTICIAN = "optician", _("Optician")
    THERAPY = "therapy", _("Therapy / massage")
    VETERINARY = "veterinary", _("Veterinary")
    DENTAL = "dental", _("Dental")


class Regime(models.TextChoices):
    SE_HUMAN = "SE-human", "SE-human"
    NO_HUMAN = "NO-human", "NO-human"
    SE_VET = "SE-vet", "SE-vet"
    NO_VET = "NO-vet", "NO-vet"
    GDPR_ONLY = "GDPR-only", "GDPR-only"


class IdentityPolicy(models.TextChoices):
    """What a clinic may store to identify a person (data minimisation)."""

    REQUIRED = "required", _("Identity number required")
    OPTIONAL = "optional", _("Identity number optional")
    BIRTH_DATE_ONLY = "birth_date_only", _("Birth date only")


PROFILE_IDENTITY_POLICY = {
    Profile.OPTICIAN: IdentityPolicy.REQUIRED,
    Profile.DENTAL: IdentityPolicy.OPTIONAL,
    Profile.VETERINARY: IdentityPolicy.OPTIONAL,
    Profile.THERAPY: IdentityPolicy.BIRTH_DATE_ONLY,
}


class Clinic(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    profile = models.CharField(max_length=20, choices=Profile.choices)
    regime = models.CharField(max_length=10, choices=Regime.choices)
    country = models.CharField(max_length=2, choices=[("SE", "Sverige"), ("NO", "Norge")])
    language = models.CharField(max_length=5, default="sv")
    time_zone = models.CharField(max_length=64, default="Europe/Stockholm")
    organisation_number = models.CharField(max_length=20, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=20, blank=True)
    address = models.TextField(blank=True)
    # The month (1-12) in which the clinic's financial year starts (accounting retention).
    financial_year_start = models.PositiveSmallIntegerField(default=1)
    # The answer deadline the clinic promises for data-subject requests, in days (1-30),
    # when shorter than the law's one calendar month (REQ-24); empty: the law's month.
    request_answer_days = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(country__in=["SE", "NO"]), name="clinic_country"),
            models.CheckConstraint(
                condition=Q(language__in=["sv", "nb", "en"]), name="clinic_language"
            ),
            models.CheckConstraint(
                condition=Q(financial_year_start__gte=1) & Q(financial_year_start__lte=12),
                name="clinic_financial_year_start",
            ),
            # Never longer than the law's month: at most 30 days (REQ-24).
            models.CheckConstraint(
                condition=Q(request_answer_days__isnull=True)
                | (Q(request_answer_days__gte=1) & Q(request_answer_days__lte=30)),
                name="clinic_request_answer_days",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def identity_policy(self) -> str:
        return PROFILE_IDENTITY_POLICY[Profile(self.profile)]

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def has_animals(self) -> bool:
        return self.profile == Profile.VETERINARY


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields):
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A member of staff. Logs in by e-mail; may work in several clinics."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    # REQ-13 / REQ-20: the job title stored with each journal entry and log row.
    title = models.CharField(max_length=100, blank=True)
    # NO: HPR number (helsepersonellregisteret) for health personnel.
    hpr_number = models.CharField(max_length=12, blank=True)
    language = models.CharField(max_length=5, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    def __str__(self) -> str:
        return self.full_name or self.email


class Role(models.TextChoices):
    OWNER = "owner", _("Owner / privacy officer")
    PRACTITIONER = "practitioner", _("Practitioner")
    RECEPTIONIST = "receptionist", _("Receptionist")


class Membership(models.Model):
    """A user's role in one clinic."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.clinic.slug} ({self.role})"


class TokenScope(models.TextChoices):
    """What a bearer token may do beyond its holder's role.

    Actions that ask a signed-in user for the password again (erasure, answering a
    privacy request, ...) are open to a token only when it was issued with ``sensitive``.
    """

    PLAIN = "", _("Everyday work")
    SENSITIVE = "sensitive", _("Also sensitive actions")


class ApiToken(models.Model):
    """A bearer token for one staff user in one clinic. Only its SHA-256 is stored.

    It works until ``expires_at``, until it is revoked, or until its user or their role in
    the clinic is deactivated — whichever comes first, checked on every request.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    scopes = models.CharField(
        max_length=20, blank=True, default=TokenScope.PLAIN, choices=TokenScope.choices
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(scopes__in=TokenScope.values), name="api_token_scopes"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def status(self) -> str:
        """active, revoked or expired (for the tokens page)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"


class SetupLink(models.Model):
    """A one-time link with which a member of staff chooses a password: a new clinic's
    owner (from ``create-clinic``) or someone the owner invited.

    Only the SHA-256 of its random token is stored. It works once, until ``expires_at``,
    and only while its user and their role in the clinic are active.
    """

    class Purpose(models.TextChoices):
        OWNER = "owner", _("A new clinic's owner")
        INVITATION = "invitation", _("Invitation")

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="setup_links")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="setup_link_expires_later"
            ),
            models.CheckConstraint(
                condition=Q(purpose__in=["owner", "invitation"]), name="setup_link_purpose"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} link for {self.user} ({self.clinic.slug})"
