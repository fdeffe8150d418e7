"""Reads of clinics for the public pages, and of staff credentials (no personal data)."""

from __future__ import annotations

import time

from django.db.models import QuerySet
from django.http import Http404

from praksis.clinics.access import Actor, can, require
from praksis.clinics.models import ApiToken, Clinic, Membership
from praksis.core.access_log import Access, Action, log_access

# Public pages look the clinic up on every request; its settings change rarely, so each
# process keeps what it read for a few seconds (with the booking policy cached on it).
CLINIC_CACHE_SECONDS = 10
_clinics: dict[str, tuple[float, Clinic]] = {}


def clinic_by_slug(slug: str) -> Clinic | None:
    cached = _clinics.get(slug)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    clinic = Clinic.objects.filter(slug=slug).first()
    if clinic is not None:
        if len(_clinics) > 10_000:
            _clinics.clear()
        _clinics[slug] = (time.monotonic() + CLINIC_CACHE_SECONDS, clinic)
    return clinic


def forget_clinic(slug: str) -> None:
    _clinics.pop(slug, None)


MAX_ID = 2**63 - 1  # larger ids from a URL exist nowhere (and overflow the database)


def tokens_visible(actor: Actor) -> QuerySet[ApiToken]:
    """The API tokens the actor may see and revoke: their own in this clinic; an owner,
    every one of the clinic's staff. Anything else is not found."""
    tokens = ApiToken.objects.filter(clinic=actor.clinic)
    if not can(actor, "staff.manage"):
        tokens = tokens.filter(user_id=actor.user_id)
    return tokens


def tokens_page(actor: Actor) -> tuple[list[ApiToken], list[ApiToken]]:
    """The actor's own tokens, and (for an owner) the other staff's, newest first.
    Never the secret: only its hash is stored."""
    tokens = list(tokens_visible(actor).select_related("user").order_by("-created_at", "-pk")[:500])
    own = [t for t in tokens if t.user_id == actor.user_id]
    return own, [t for t in tokens if t.user_id != actor.user_id]


def staff_list(actor: Actor) -> list[Membership]:
    """The clinic's staff, active first, for the owner; the read is logged (names and
    e-mail addresses of employees are personal data too)."""
    require(actor, "staff.manage")
    memberships = list(
        Membership.objects.filter(clinic=actor.clinic)
        .select_related("user")
        .order_by("-is_active", "user__full_name", "user__email", "pk")
    )
    log_access(
        actor,
        Access(Action.LIST, "membership", "", purpose="staff", detail=f"count={len(memberships)}"),
    )
    return memberships


def staff_get(actor: Actor, membership_id: int) -> Membership:
    """One member of staff of the actor's clinic (owner only); another clinic's is 404."""
    require(actor, "staff.manage")
    membership = None
    if 0 < membership_id <= MAX_ID:
        membership = (
            Membership.objects.select_related("user")
            .filter(pk=membership_id, clinic=actor.clinic)
            .first()
        )
    if membership is None:
        raise Http404("membership")
    log_access(actor, Access(Action.READ, "membership", membership.pk, purpose="staff"))
    return membership
