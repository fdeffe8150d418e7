"""A client's sign-in to their own account at one clinic (issue 15).

A sign-in under way (:class:`SignIn`) is a one-time code sent to the e-mail address or
mobile number on record; the browser holds its handle (a random token, stored hashed).
A signed-in client holds a :class:`ClientSession` (its own cookie, never the staff's
session). Both belong to one clinic: the same human at two clinics has two unrelated
accounts.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Level(models.TextChoices):
    BASIC = "basic", "basic"  # a one-time code to the contact on record
    STRONG = "strong", "strong"  # an eID (issue 15, next step)


class SignIn(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="+")
    # Who the contact belongs to: None while several share it (the birth date decides
    # after the code) or when it is on no one's record (no code is sent; every code fails).
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # Everyone who shares the contact (a family's e-mail): ids only, to choose among.
    candidate_ids = models.JSONField(default=list, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=5)  # email | sms
    code_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    failures = models.PositiveSmallIntegerField(default=0)
    code_right_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["clinic", "created_at"], name="signin_clinic_created")]

    def __str__(self) -> str:
        return f"sign-in {self.pk} at {self.clinic_id}"


class ClientSession(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=6, choices=Level.choices, default=Level.BASIC)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["clinic", "person"], name="clientsession_person"),
            models.Index(fields=["created_at"], name="clientsession_created"),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} of {self.person_id}"


class EidLogin(models.Model):
    """A sign-in with an eID under way (OpenID Connect, authorisation code with PKCE):
    what the callback checks. The state is stored hashed; the nonce and the PKCE verifier
    are secrets of this one login, used once, and the browser that started it must finish
    it (its cookie). No person is stored: the callback finds them by the eID's identity
    number, matched by its keyed hash."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="+")
    state_hash = models.CharField(max_length=64, unique=True)
    browser_hash = models.CharField(max_length=64)
    nonce = models.CharField(max_length=64)
    verifier = models.CharField(max_length=128)
    language = models.CharField(max_length=5, default="sv")
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"eID login {self.pk} at {self.clinic_id}"
