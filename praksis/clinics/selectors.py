"""Reads of clinics for the public pages (no personal data)."""

from __future__ import annotations

import time

from praksis.clinics.models import Clinic

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
