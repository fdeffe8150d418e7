"""An absolute lifetime for signed-in sessions, whatever the activity.

The idle timeout (``SESSION_IDLE_TIMEOUT``) ends a session nobody uses; a session in
steady use would otherwise live for ever, and so would a stolen session cookie. Signing in
stamps the session; ``PRAKSIS_SESSION_MAX_HOURS`` after that stamp the session is signed
out on its next request, however busy it was. Re-authenticating for a sensitive action
(praksis.clinics.reauth) does not extend it: only a new sign-in does.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

SESSION_SIGNED_IN_AT = "praksis_signed_in_at"


@receiver(user_logged_in, dispatch_uid="praksis.core.sessions.stamp")
def _stamp_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_SIGNED_IN_AT] = int(time.time())


def session_expired(session) -> bool:
    """A signed-in session past its lifetime, or without a sign-in stamp (deny by default)."""
    signed_in_at = session.get(SESSION_SIGNED_IN_AT)
    if not isinstance(signed_in_at, int):
        return True
    return time.time() - signed_in_at > settings.PRAKSIS_SESSION_MAX_HOURS * 3600


class SessionLifetimeMiddleware:
    """Sign out a session that has outlived ``PRAKSIS_SESSION_MAX_HOURS`` (after the auth
    middleware): the request goes on as anonymous, so staff pages ask to sign in again."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session and session_expired(session):
            logout(request)
        return self.get_response(request)
