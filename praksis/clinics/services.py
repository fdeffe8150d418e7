"""Writes for clinics, staff and their credentials."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from praksis.clinics.access import Actor, require
from praksis.clinics.models import (
    ApiToken,
    Clinic,
    Membership,
    Role,
    SetupLink,
    TokenScope,
    User,
)
from praksis.clinics.selectors import MAX_ID, tokens_visible
from praksis.clinics.validation import RESERVED_SLUGS
from praksis.core.access_log import Access, Action, log_access
from praksis.core.crypto import sha256_hex
from praksis.core.errors import Conflict, ValidationFailed

TOKEN_PREFIX = "prk_"
MAX_TOKEN_DAYS = 3650
LAST_USED_EVERY = timedelta(minutes=1)  # a token's last use is written at most this often
SECURITY = "security"  # the purpose of the log rows of credentials and roles

# What a new clinic is given by the apps above this one (its booking policy, privacy
# notice version 1, its record of processing): steps the composition layer registers at
# start-up (praksis.site.clinic_setup), run in order inside the clinic's transaction.
_SETUP_STEPS: list[Callable[[Clinic], object]] = []


def register_setup_step(step: Callable[[Clinic], object]) -> None:
    """Give every new clinic what ``step(clinic)`` creates (registered once, in order)."""
    if step not in _SETUP_STEPS:
        _SETUP_STEPS.append(step)


@transaction.atomic
def clinic_create(*, slug: str, name: str, profile: str, regime: str, country: str, **fields):
    if slug.lower() in RESERVED_SLUGS:
        raise ValueError(f"the slug {slug!r} is reserved")
    clinic = Clinic.objects.create(
        slug=slug, name=name, profile=profile, regime=regime, country=country, **fields
    )
    for step in _SETUP_STEPS:
        step(clinic)
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


def _token_fields(*, name: str, scopes: str, days: int | None) -> dict:
    """Check what a new token is given; messages name the field, never echo the input."""
    errors: dict[str, list] = {}
    name = (name or "").strip()
    if len(name) > 100 or not name.isprintable():
        errors["name"] = [_("Use at most 100 letters, digits and punctuation.")]
    if scopes not in TokenScope.values:
        errors["scopes"] = [_("Choose one of the offered scopes.")]
    if days is None:
        days = settings.PRAKSIS_API_TOKEN_DAYS
    if not isinstance(days, int) or not 1 <= days <= MAX_TOKEN_DAYS:
        errors["days"] = [_("Enter a number of days from 1 to %(max)d.") % {"max": MAX_TOKEN_DAYS}]
    if errors:
        raise ValidationFailed(errors)
    return {"name": name, "scopes": scopes, "expires_at": timezone.now() + timedelta(days=days)}


@transaction.atomic
def token_issue(
    *,
    user: User,
    clinic: Clinic,
    name: str = "",
    scopes: str = TokenScope.PLAIN,
    days: int | None = None,
    actor: Actor | None = None,
) -> str:
    """Create a bearer token; only its hash is kept, so the plain value is shown once.

    It expires after ``days`` (default ``PRAKSIS_API_TOKEN_DAYS``). ``actor`` is who asks
    (the user on the tokens page); without one, the command line on the user's behalf.
    """
    membership = Membership.objects.filter(user=user, clinic=clinic, is_active=True).first()
    if membership is None or not user.is_active:
        raise ValueError("the user has no active role in this clinic")
    fields = _token_fields(name=name, scopes=scopes, days=days)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    created = ApiToken.objects.create(
        user=user, clinic=clinic, token_hash=sha256_hex(token), prefix=token[:12], **fields
    )
    actor = actor or Actor(clinic=clinic, user=user, role=membership.role, channel="cli")
    detail = f"scope={created.scopes or 'plain'}; expires={created.expires_at:%Y-%m-%d}"
    log_access(
        actor, Access(Action.CREATE, "api_token", created.pk, purpose=SECURITY, detail=detail)
    )
    return token


@transaction.atomic
def token_revoke(*, actor: Actor, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens (an owner: any of the clinic's). It stops
    working at once: every request looks its token up. Revoking twice changes nothing."""
    token = None
    if 0 < token_id <= MAX_ID:
        token = tokens_visible(actor).select_for_update().filter(pk=token_id).first()
    if token is None:
        raise Http404("token")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        log_access(
            actor, Access(Action.UPDATE, "api_token", token.pk, purpose=SECURITY, detail="revoked")
        )
    return token


@transaction.atomic
def staff_deactivate(*, actor: Actor, membership_id: int) -> Membership:
    """End a member of staff's role in the clinic (owner only): their tokens for it are
    revoked and their sessions ended, so nothing they held works a moment longer."""
    require(actor, "staff.manage")
    membership = None
    if 0 < membership_id <= MAX_ID:
        membership = (
            Membership.objects.select_for_update()
            .filter(pk=membership_id, clinic=actor.clinic)
            .first()
        )
    if membership is None:
        raise Http404("membership")
    if membership.role == Role.OWNER and not (
        Membership.objects.filter(clinic=actor.clinic, role=Role.OWNER, is_active=True)
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise Conflict(_("The clinic needs at least one active owner."))
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    SetupLink.objects.filter(clinic=actor.clinic, user_id=membership.user_id, used_at=None).delete()
    revoked = ApiToken.objects.filter(
        user_id=membership.user_id, clinic=actor.clinic, revoked_at=None
    ).update(revoked_at=timezone.now())
    ended = _sessions_end(membership.user_id)
    detail = f"deactivated; tokens revoked={revoked}; sessions ended={ended}"
    log_access(
        actor, Access(Action.UPDATE, "membership", membership.pk, purpose=SECURITY, detail=detail)
    )
    return membership


def _sessions_end(user_id: int) -> int:
    """Delete the user's sessions (database sessions; the live ones are few: staff only,
    ended after SESSION_IDLE_TIMEOUT)."""
    ids = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) == str(user_id)
    ]
    Session.objects.filter(pk__in=ids).delete()
    return len(ids)


def actor_for_token(token: str, *, request_id: str = "", ip: str | None = None) -> Actor | None:
    """The actor behind a bearer token, or None when unknown, revoked, expired, or when
    its user or their role in the clinic is deactivated.

    One indexed lookup per request and no cache, so each of those takes effect at once.
    The last use is written at most once a minute per token.
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    now = timezone.now()
    found = (
        ApiToken.objects.select_related("user", "clinic")
        .filter(
            token_hash=sha256_hex(token),
            revoked_at=None,
            expires_at__gt=now,
            user__is_active=True,
            user__memberships__clinic_id=F("clinic_id"),
            user__memberships__is_active=True,
        )
        .annotate(role=F("user__memberships__role"))
        .first()
    )
    if found is None:
        return None
    stale = now - LAST_USED_EVERY
    if found.last_used_at is None or found.last_used_at < stale:
        ApiToken.objects.filter(
            Q(last_used_at=None) | Q(last_used_at__lt=stale), pk=found.pk
        ).update(last_used_at=now)
    return Actor(
        clinic=found.clinic,
        user=found.user,
        role=found.role,
        request_id=request_id,
        ip=ip,
        channel="api",
        scopes=frozenset(found.scopes.split()),
    )
