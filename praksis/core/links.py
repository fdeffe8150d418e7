"""Absolute links in messages (manage, privacy, opt-out, consents and set-up links).

``PRAKSIS_BASE_URL``, when set, is the address of every link. When it is not, a message
queued while a request is served links to the address that request reached: its
``Host`` (checked against ``ALLOWED_HOSTS``; ``X-Forwarded-Host`` is not believed) and its
scheme (HTTPS told by a trusted proxy only, see ``TrustedProxyMiddleware``). So a demo on
``PORT=9000`` sends links to port 9000. A message queued from the command line (reminders,
recalls) has no request and falls back to ``settings.PRAKSIS_BASE_URL``'s default.

:class:`RequestLinksMiddleware` keeps the request in a context variable for the length
of the request, so service code asks :func:`base_url` without being passed the request.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import DisallowedHost

_request: ContextVar = ContextVar("praksis_link_request", default=None)


def base_url(request=None) -> str:
    """The scheme and host links start with, without a trailing slash."""
    if not settings.PRAKSIS_LINKS_FROM_REQUEST:
        return settings.PRAKSIS_BASE_URL
    request = request if request is not None else _request.get()
    if request is not None:
        try:
            return request.build_absolute_uri("/").rstrip("/")
        except DisallowedHost:  # refused by ALLOWED_HOSTS: never link to such a host
            pass
    return settings.PRAKSIS_BASE_URL


def absolute_url(path: str, request=None) -> str:
    """``path`` (beginning with ``/``) on :func:`base_url`."""
    return f"{base_url(request)}{path}"


class RequestLinksMiddleware:
    """Make the current request's address available to :func:`base_url`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
