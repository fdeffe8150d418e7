"""The 72-hour clock on every staff page, for those who keep the breach register."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from praksis.breaches.services import clock, open_breaches
from praksis.clinics.access import can


def breach_clock(request):
    """Owners see the open, un-notified breaches with the time left; others cost nothing.

    One indexed query, made only when a page shows the banner (not for htmx fragments).
    """
    actor = getattr(request, "actor", None)
    if actor is None or actor.user is None or not can(actor, "privacy.manage"):
        return {}
    return {
        "breach_clock": SimpleLazyObject(
            lambda: [{"breach": b, **clock(b)} for b in open_breaches(clinic=actor.clinic)]
        )
    }
