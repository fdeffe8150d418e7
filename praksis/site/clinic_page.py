"""The page of the clinic's details and its booking policy (``staff:clinic``): two forms
of two apps on one page — the details are the clinics app's, the policy the booking
app's — each saved on its own."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from praksis.booking.models import BookingPolicy
from praksis.booking.policy_setup import (
    POLICY_FIELDS,
    POLICY_LIMITS,
    booking_policy_get,
    booking_policy_update,
)
from praksis.clinics import setup
from praksis.clinics.auth import staff_view
from praksis.clinics.models import Clinic
from praksis.clinics.validation import LANGUAGES, time_zones
from praksis.core.errors import ValidationFailed

DETAIL_FIELDS = setup.CLINIC_FIELDS


def _details_values(clinic: Clinic) -> dict:
    return {
        "name": clinic.name,
        "organisation_number": clinic.organisation_number,
        "address": clinic.address,
        "phone": clinic.contact_phone,
        "email": clinic.contact_email,
        "language": clinic.language,
        "time_zone": clinic.time_zone,
        "financial_year_start": str(clinic.financial_year_start),
    }


def _policy_values(policy: BookingPolicy) -> dict:
    return {field: str(getattr(policy, field)) for field in POLICY_FIELDS}


def _clinic_page(request, status: int = 200, **context):
    clinic = Clinic.objects.get(pk=request.actor.clinic.pk)
    context = {
        "details": _details_values(clinic),
        "details_errors": {},
        "policy": _policy_values(booking_policy_get(actor=request.actor)),
        "policy_errors": {},
        "languages": [(code, name) for code, name in settings.LANGUAGES if code in LANGUAGES],
        "zones": sorted(z for z in time_zones() if "/" in z and not z.startswith("Etc/")),
        "months": range(1, 13),
        "modes": BookingPolicy.Mode.choices,
        "limits": POLICY_LIMITS,
        "target_clinic": clinic,
        **context,
    }
    return render(request, "clinics/clinic.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_view("clinic.manage")
def clinic_details(request):
    """The clinic's details and its booking policy: two forms on one page, each saved on
    its own (``section``)."""
    if request.method == "GET":
        return _clinic_page(request, saved=request.GET.get("saved", ""))
    if request.POST.get("section") == "policy":
        return _policy_save(request)
    values = {field: request.POST.get(field, "") for field in DETAIL_FIELDS}
    try:
        setup.clinic_update(actor=request.actor, changes=values)
    except ValidationFailed as exc:
        return _clinic_page(request, status=422, details=values, details_errors=exc.errors)
    return redirect(reverse("staff:clinic") + "?saved=details")


def _policy_save(request):
    values = {field: request.POST.get(field, "") for field in POLICY_FIELDS}
    try:
        booking_policy_update(actor=request.actor, changes=values)
    except ValidationFailed as exc:
        return _clinic_page(request, status=422, policy=values, policy_errors=exc.errors)
    return redirect(reverse("staff:clinic") + "?saved=policy#booking-policy")
