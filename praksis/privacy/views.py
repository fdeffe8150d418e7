"""The clinic's public privacy notice (/{clinic}/privacy?lang=sv|nb|en)."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from praksis.booking.public_views import _ctx, public_page
from praksis.clinics.auth import staff_view
from praksis.privacy.cookies import BANNER_VERSION, read_choice, record_choice
from praksis.privacy.services import consent_withdraw, notice_current

AUTHORITIES = {
    "SE": ("Integritetsskyddsmyndigheten (IMY)", "https://www.imy.se"),
    "NO": ("Datatilsynet", "https://www.datatilsynet.no"),
}
JOURNAL_RETENTION = {
    "SE-human": "se_human",
    "NO-human": "no_human",
    "NO-vet": "no_vet",
    "SE-vet": "se_vet",
    "GDPR-only": "gdpr_only",
}


@public_page
def notice(request, clinic):
    authority, authority_url = AUTHORITIES[clinic.country]
    context = _ctx(
        request,
        notice=notice_current(clinic=clinic),
        authority=authority,
        authority_url=authority_url,
        retention=JOURNAL_RETENTION[clinic.regime],
    )
    return render(request, "privacy/notice.html", context)


@public_page
@require_http_methods(["GET", "POST"])
def cookie_settings(request, clinic):
    """The permanent place to see and change the cookie choice (and the banner's target)."""
    if request.method == "POST":
        choice = request.POST.get("choice")
        if choice == "accept":
            statistics = marketing = True
        elif choice == "reject":
            statistics = marketing = False
        else:
            statistics = request.POST.get("statistics") == "1"
            marketing = request.POST.get("marketing") == "1"
        target = request.POST.get("next") or f"/{clinic.slug}/"
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = f"/{clinic.slug}/"
        response = redirect(target)
        record_choice(
            clinic=clinic,
            request=request,
            response=response,
            statistics=statistics,
            marketing=marketing,
        )
        return response
    return render(
        request,
        "privacy/cookies.html",
        _ctx(request, current=read_choice(request), banner_version=BANNER_VERSION),
    )


@require_POST
@staff_view("person.write")
def consent_withdraw_view(request, consent_id: int):
    consent = consent_withdraw(actor=request.actor, consent_id=consent_id)
    return redirect("staff:person", person_id=consent.person_id)
