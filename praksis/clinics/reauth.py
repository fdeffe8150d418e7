"""Asking for the password again before an action that cannot be undone or that releases
personal data (erasure, answering a privacy request, publishing the notice, ...).

Signing in records the time in the session. A decorated POST made longer ago than
``PRAKSIS_REAUTH_SECONDS`` is not carried out: the page asks for the password (and the
authenticator code, where two-factor sign-in applies) and carries what was submitted in
hidden fields, so nothing typed is lost; the confirmed POST then does what was asked.
Failed attempts count towards the lock-out like failed sign-ins.
"""

from __future__ import annotations

import time
from functools import wraps

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from praksis.clinics.auth import requires_two_factor

SESSION_AUTH_AT = "praksis_auth_at"
PASSWORD = "_reauth_password"
CODE = "_reauth_code"
_NOT_CARRIED = {"csrfmiddlewaretoken", PASSWORD, CODE}


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        mark_authenticated(request)


def mark_authenticated(request) -> None:
    request.session[SESSION_AUTH_AT] = int(time.time())


def recently_authenticated(request) -> bool:
    at = request.session.get(SESSION_AUTH_AT)
    return at is not None and time.time() - at <= settings.PRAKSIS_REAUTH_SECONDS


def _confirmed(request) -> bool:
    user = authenticate(
        request, username=request.user.get_username(), password=request.POST.get(PASSWORD, "")
    )
    if user is None or user.pk != request.user.pk:
        return False
    if requires_two_factor(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        code = request.POST.get(CODE, "").replace(" ", "")
        if device is None or not code.isdigit() or not device.verify_token(code):
            return False
    return True


def recent_auth(view):
    """Place inside ``staff_view``: the actor is known, the clinic checked by the view."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST" or recently_authenticated(request):
            return view(request, *args, **kwargs)
        error = ""
        if PASSWORD in request.POST:
            if _confirmed(request):
                mark_authenticated(request)
                post = request.POST.copy()
                for name in (PASSWORD, CODE):
                    post.pop(name, None)
                request.POST = post
                return view(request, *args, **kwargs)
            error = _("That is not right. Enter your password again.")
        carried = [
            (name, value)
            for name in request.POST
            if name not in _NOT_CARRIED
            for value in request.POST.getlist(name)
        ]
        context = {
            "carried": carried,
            "action": request.get_full_path(),
            "error": error,
            "needs_code": requires_two_factor(request.user),
            "minutes": settings.PRAKSIS_REAUTH_SECONDS // 60,
        }
        return render(request, "staff/reauth.html", context, status=422 if error else 200)

    return wrapper
