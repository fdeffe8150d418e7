"""Staff sign-in (password, then TOTP where required), sign-out, clinic switching, and each
member of staff's API tokens."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from praksis.clinics.access import can
from praksis.clinics.auth import SESSION_CLINIC, requires_two_factor, staff_view
from praksis.clinics.models import Membership, TokenScope, User
from praksis.clinics.reauth import recent_auth
from praksis.clinics.selectors import tokens_page
from praksis.clinics.services import token_issue, token_revoke
from praksis.core.errors import ValidationFailed

PENDING_USER = "praksis_pending_user"
PENDING_NEXT = "praksis_pending_next"
OTP_ATTEMPTS = "praksis_otp_attempts"
MAX_OTP_ATTEMPTS = 5


def _safe_next(request, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/staff/"


@require_http_methods(["GET", "POST"])
def login_view(request):
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    context = {"next": next_url, "email": ""}
    if request.method == "POST":
        email = request.POST.get("username", "").strip().lower()
        password = request.POST.get("password", "")
        context["email"] = email
        user = authenticate(request, username=email, password=password)
        if user is None:
            context["error"] = _("The e-mail address or password is not right.")
            return render(request, "staff/login.html", context, status=200)
        if requires_two_factor(user):
            request.session.cycle_key()
            request.session[PENDING_USER] = user.pk
            request.session[PENDING_NEXT] = next_url
            request.session[OTP_ATTEMPTS] = 0
            return redirect("staff:otp")
        login(request, user)
        return redirect(next_url)
    return render(request, "staff/login.html", context)


def _pending_user(request) -> User | None:
    user_id = request.session.get(PENDING_USER)
    return User.objects.filter(pk=user_id, is_active=True).first() if user_id else None


def _qr_data_uri(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@require_http_methods(["GET", "POST"])
def otp_view(request):
    """Second step: a TOTP code, or the enrolment of a first authenticator app."""
    user = _pending_user(request)
    if user is None:
        return redirect("staff:login")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    context = {"enrolling": enrolling}
    if enrolling:
        context["secret"] = base64.b32encode(device.bin_key).decode()
        context["qr"] = _qr_data_uri(device.config_url)
    if request.method == "POST":
        code = request.POST.get("code", "").replace(" ", "")
        if code.isdigit() and device.verify_token(code):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            next_url = request.session.get(PENDING_NEXT, "/staff/")
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            otp_login(request, device)
            return redirect(_safe_next(request, next_url))
        attempts = request.session.get(OTP_ATTEMPTS, 0) + 1
        request.session[OTP_ATTEMPTS] = attempts
        if attempts >= MAX_OTP_ATTEMPTS:
            request.session.flush()
            return redirect("staff:login")
        context["error"] = _("That code is not right. Try the current code from your app.")
    return render(request, "staff/otp.html", context)


@require_POST
def logout_view(request):
    logout(request)
    return redirect("staff:login")


@require_POST
@staff_view()
def switch_clinic(request, slug: str):
    membership = get_object_or_404(Membership, user=request.user, clinic__slug=slug, is_active=True)
    request.session[SESSION_CLINIC] = membership.clinic_id
    return redirect("staff:home")


def _tokens_page(request, status: int = 200, **context):
    own, others = tokens_page(request.actor)
    context = {
        "own": own,
        "others": others,
        "sees_all": can(request.actor, "staff.manage"),
        "offers_sensitive": can(request.actor, "privacy.manage"),
        "days": settings.PRAKSIS_API_TOKEN_DAYS,
        "values": {},
        **context,
    }
    response = render(request, "staff/tokens.html", context, status=status)
    response["Cache-Control"] = "no-store"  # a new token's secret is on the page once
    return response


def _token_create(request):
    actor = request.actor
    values = {"name": request.POST.get("name", ""), "scopes": request.POST.get("scopes", "")}
    try:
        secret = token_issue(user=actor.user, clinic=actor.clinic, actor=actor, **values)
    except ValidationFailed as exc:
        return _tokens_page(request, status=422, values=values, errors=exc.errors)
    return _tokens_page(request, new_token=secret)


# A token that may do what asks signed-in staff for their password again is only given to
# someone who has just given it.
_token_create_confirmed = recent_auth(_token_create)


@require_http_methods(["GET", "POST"])
@staff_view()
def tokens(request):
    """The API tokens of the signed-in member of staff (an owner: all of the clinic's)."""
    if request.method == "GET":
        return _tokens_page(request)
    if request.POST.get("scopes") == TokenScope.SENSITIVE:
        return _token_create_confirmed(request)
    return _token_create(request)


@require_POST
@staff_view()
def token_revoke_view(request, token_id: int):
    token_revoke(actor=request.actor, token_id=token_id)
    return redirect("staff:tokens")
