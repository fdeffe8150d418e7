"""The clinic's public privacy notice (/{clinic}/privacy?lang=sv|nb|en)."""

from __future__ import annotations

from django.shortcuts import render

from praksis.booking.public_views import _ctx, public_page
from praksis.privacy.services import notice_current

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
