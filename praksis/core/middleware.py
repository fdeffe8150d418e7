"""Request-scoped context: a request id that ties access-log rows to one request, and
the client's address (through the proxies we trust, and only those)."""

from __future__ import annotations

import re
import uuid
from ipaddress import IPv4Address, IPv6Address, ip_address

from django.conf import settings

_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Give every request an id (taken from ``X-Request-ID`` when well-formed)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


def _address(value: str) -> IPv4Address | IPv6Address | None:
    """An address from a header hop: ``1.2.3.4``, ``1.2.3.4:5678``, ``[2001:db8::1]:443``."""
    value = value.strip()
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        return ip_address(value)
    except ValueError:
        return None


def _trusted(address: IPv4Address | IPv6Address) -> bool:
    return any(address in network for network in settings.PRAKSIS_TRUSTED_PROXIES)


def _from_trusted_proxy(request) -> bool:
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    return remote is not None and _trusted(remote)


def client_ip(request) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or when that is a trusted proxy
    (``PRAKSIS_TRUSTED_PROXIES``) the right-most address in ``X-Forwarded-For`` that is
    not one of our proxies. Hops further left were written by the client and prove
    nothing; a header from anyone else is ignored."""
    remote = request.META.get("REMOTE_ADDR") or None
    if remote is None or not _from_trusted_proxy(request):
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # our proxy wrote no such thing: do not guess
            return remote
        if not _trusted(address):
            return str(address)
    return str(_address(hops[0])) if hops else remote


class TrustedProxyMiddleware:
    """First in the chain: ``X-Forwarded-Proto`` is believed only from a trusted proxy.

    Django's ``SECURE_PROXY_SSL_HEADER`` trusts the header from whoever sends it; a client
    talking to the server directly could claim HTTPS over plain HTTP. The header is
    dropped unless ``REMOTE_ADDR`` is in ``PRAKSIS_TRUSTED_PROXIES``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "HTTP_X_FORWARDED_PROTO" in request.META and not _from_trusted_proxy(request):
            del request.META["HTTP_X_FORWARDED_PROTO"]
        return self.get_response(request)
