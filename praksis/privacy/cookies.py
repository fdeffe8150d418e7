"""Cookie consent on the public pages (REQ-42..44).

Only strictly necessary storage is used until a visitor opts in: the CSRF cookie for
forms, and the choice cookie itself. Accepting and rejecting are one click each, the
categories are granular, every choice is logged with the banner version, a permanent
link lets the visitor change it, and a new banner version (new categories) asks again.
Praksis itself loads no statistics or marketing scripts; a clinic's own statistics may
only be added behind ``cookie_allows(request, "statistics")``.
"""

from __future__ import annotations

import secrets

from django.db import transaction

from praksis.privacy.models import CookieChoice

BANNER_VERSION = 1
CATEGORIES = ("statistics", "marketing")
COOKIE_NAME = "praksis_cookies"
COOKIE_MAX_AGE = 180 * 24 * 3600  # ask again after six months


def read_choice(request) -> dict | None:
    """The visitor's current choice, or None when they have not chosen this version."""
    raw = request.COOKIES.get(COOKIE_NAME, "")
    parts = raw.split(":")
    if len(parts) != 3 or not parts[0].isdigit() or int(parts[0]) != BANNER_VERSION:
        return None
    flags, visitor = parts[1], parts[2]
    if len(flags) != len(CATEGORIES) or set(flags) - {"0", "1"} or not visitor.isalnum():
        return None
    return {"visitor": visitor, **{c: f == "1" for c, f in zip(CATEGORIES, flags, strict=True)}}


def cookie_allows(request, category: str) -> bool:
    choice = read_choice(request)
    return bool(choice and choice.get(category))


@transaction.atomic
def record_choice(*, clinic, request, response, statistics: bool, marketing: bool) -> CookieChoice:
    """Log the choice (proof) and remember it in the strictly necessary choice cookie."""
    previous = read_choice(request)
    visitor = previous["visitor"] if previous else secrets.token_hex(16)
    choice = CookieChoice.objects.create(
        clinic=clinic,
        visitor_id=visitor,
        banner_version=BANNER_VERSION,
        statistics=statistics,
        marketing=marketing,
    )
    flags = "".join("1" if v else "0" for v in (statistics, marketing))
    response.set_cookie(
        COOKIE_NAME,
        f"{BANNER_VERSION}:{flags}:{visitor}",
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        httponly=True,
        secure=request.is_secure(),
    )
    return choice
