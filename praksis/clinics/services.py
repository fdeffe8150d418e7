"""Writes for clinics, staff and their credentials."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from praksis.audit.services import heads_create
from praksis.booking.models import BookingPolicy
from praksis.clinics.access import Actor
from praksis.clinics.models import ApiToken, Clinic, Membership, User
from praksis.core.crypto import sha256_hex
from praksis.privacy.models import PrivacyNotice
from praksis.processing.services import record_setup

TOKEN_PREFIX = "prk_"
# Clinic slugs share the URL space with these prefixes.
RESERVED_SLUGS = {"staff", "api", "i18n", "static", "healthz", "admin", "media"}


@transaction.atomic
def clinic_create(*, slug: str, name: str, profile: str, regime: str, country: str, **fields):
    if slug in RESERVED_SLUGS:
        raise ValueError(f"the slug {slug!r} is reserved")
    clinic = Clinic.objects.create(
        slug=slug, name=name, profile=profile, regime=regime, country=country, **fields
    )
    heads_create(clinic.pk)
    BookingPolicy.objects.create(clinic=clinic)
    PrivacyNotice.objects.create(clinic=clinic, version=1, summary="First version.")
    record_setup(clinic)  # the profile's record of processing, and notice v1's text
    return clinic


@transaction.atomic
def staff_add(
    *, clinic: Clinic, email: str, full_name: str, role: str, password: str | None, title=""
) -> User:
    """Add a member of staff to a clinic (creating the user when new)."""
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, password, full_name=full_name, title=title)
    Membership.objects.update_or_create(
        user=user, clinic=clinic, defaults={"role": role, "is_active": True}
    )
    return user


def token_issue(*, user: User, clinic: Clinic, name: str = "") -> str:
    """Create a bearer token; only its hash is kept, so the plain value is shown once."""
    if not Membership.objects.filter(user=user, clinic=clinic, is_active=True).exists():
        raise ValueError("the user has no active role in this clinic")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user, clinic=clinic, name=name, token_hash=sha256_hex(token), prefix=token[:12]
    )
    return token


def token_revoke(*, token_id: int, user: User) -> None:
    tokens = ApiToken.objects.filter(pk=token_id, user=user, revoked_at=None)
    for digest in tokens.values_list("token_hash", flat=True):
        _verified.pop(digest, None)
    tokens.update(revoked_at=timezone.now())


# Recently verified tokens, per process: (valid until, clinic, user, role). A revoked
# token or removed role takes effect here within TOKEN_CACHE_SECONDS at most.
TOKEN_CACHE_SECONDS = 10
_verified: dict[str, tuple[float, Clinic, User, str]] = {}


def actor_for_token(token: str, *, request_id: str = "", ip: str | None = None) -> Actor | None:
    """The actor behind a bearer token, or None when unknown, revoked or without a role."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    digest = sha256_hex(token)
    cached = _verified.get(digest)
    if cached is not None and cached[0] > time.monotonic():
        _until, clinic, user, role = cached
        return Actor(
            clinic=clinic, user=user, role=role, request_id=request_id, ip=ip, channel="api"
        )
    role = Membership.objects.filter(
        user=OuterRef("user_id"), clinic=OuterRef("clinic_id"), is_active=True
    ).values("role")[:1]
    found = (
        ApiToken.objects.select_related("user", "clinic")
        .annotate(role=Subquery(role))
        .filter(token_hash=digest, revoked_at=None, user__is_active=True)
        .first()
    )
    if found is None or not found.role:
        _verified.pop(digest, None)
        return None
    if len(_verified) > 10_000:
        _verified.clear()
    _verified[digest] = (
        time.monotonic() + TOKEN_CACHE_SECONDS,
        found.clinic,
        found.user,
        found.role,
    )
    now = timezone.now()
    if found.last_used_at is None or now - found.last_used_at > timedelta(hours=1):
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
    return Actor(
        clinic=found.clinic,
        user=found.user,
        role=found.role,
        request_id=request_id,
        ip=ip,
        channel="api",
    )
