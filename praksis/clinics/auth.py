"""Staff sessions: who is signed in, in which clinic, and whether 2FA is satisfied."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from praksis.clinics.access import Actor, require
from praksis.clinics.models import Membership, User
from praksis.core.middleware import client_ip

SESSION_CLINIC = "praksis_clinic_id"


def requires_two_factor(user: User) -> bool:
    """Every member of staff must use TOTP outside demo mode (REQ-34: MFA): owners,
    practitioners and receptionists alike, since every role handles personal data."""
    if not settings.PRAKSIS_REQUIRE_2FA:
        return False
    return Membership.objects.filter(user=user, is_active=True).exists()


def active_membership(request) -> Membership | None:
    """The membership the user acts in (the session's clinic, else the first by name);
    looked up once per request."""
    if hasattr(request, "_praksis_membership"):
        return request._praksis_membership
    memberships = Membership.objects.select_related("clinic").filter(
        user=request.user, is_active=True
    )
    wanted = request.session.get(SESSION_CLINIC)
    chosen = None
    if wanted is not None:
        chosen = memberships.filter(clinic_id=wanted).first()
    if chosen is None:
        chosen = memberships.order_by("clinic__name").first()
        if chosen is not None:
            request.session[SESSION_CLINIC] = chosen.clinic_id
    request._praksis_membership = chosen
    return chosen


def _two_factor_missing(request) -> bool:
    if not hasattr(request, "_praksis_2fa_missing"):
        request._praksis_2fa_missing = (
            requires_two_factor(request.user) and not request.user.is_verified()
        )
    return request._praksis_2fa_missing


def signed_in_membership(request) -> Membership | None:
    """The active membership of a signed-in member of staff who passed two-factor login
    where it is required; None for anyone else. Sets ``request.actor`` for the menu."""
    if not request.user.is_authenticated or _two_factor_missing(request):
        return None
    membership = active_membership(request)
    if membership is not None:
        request.actor = staff_actor(request, membership)
    return membership


def staff_actor(request, membership: Membership) -> Actor:
    return Actor(
        clinic=membership.clinic,
        user=request.user,
        role=membership.role,
        request_id=getattr(request, "request_id", ""),
        ip=client_ip(request),
        channel="ui",
    )


def staff_view(capability: str | None = None):
    """Decorate a staff page: signed in, 2FA satisfied, acting in one clinic, allowed."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                login_url = reverse("staff:login")
                return redirect(f"{login_url}?{urlencode({'next': request.get_full_path()})}")
            if _two_factor_missing(request):
                logout(request)
                return redirect("staff:login")
            membership = active_membership(request)
            if membership is None:
                return render(request, "staff/no_clinic.html", status=403)
            request.actor = staff_actor(request, membership)
            try:
                if capability:
                    require(request.actor, capability)
                # Times on staff pages are shown on the clinic's clock.
                with timezone.override(membership.clinic.zone):
                    return view(request, *args, **kwargs)
            except PermissionDenied:
                return render(request, "staff/forbidden.html", status=403)

        return wrapper

    return decorator
