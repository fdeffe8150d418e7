"""The frame of a clinic's public pages (booking, privacy notice, cookies, requests): the
clinic from its slug, the language asked for or the clinic's, and the cookie choice."""

from __future__ import annotations

from functools import wraps

from django.http import Http404
from django.utils import timezone, translation
from django.utils.http import urlencode

from praksis.clinics.selectors import clinic_by_slug
from praksis.privacy.cookies import read_choice

LANGS = ("sv", "nb", "en")


def public_page(view):
    """Load the clinic (404 if unknown) and speak the asked or the clinic's language."""

    @wraps(view)
    def wrapper(request, clinic: str, *args, **kwargs):
        the_clinic = clinic_by_slug(clinic)
        if the_clinic is None:
            raise Http404
        lang = request.GET.get("lang") or request.POST.get("lang")
        lang = lang if lang in LANGS else the_clinic.language
        request.clinic = the_clinic
        request.lang = lang
        with translation.override(lang), timezone.override(the_clinic.zone):
            response = view(request, the_clinic, *args, **kwargs)
            response["Content-Language"] = lang
            return response

    return wrapper


def _ctx(request, **extra) -> dict:
    clinic = request.clinic
    # Switching language keeps the client where they are (service, time, week).
    kept = {k: v for k, v in request.GET.items() if k != "lang"}
    if request.method == "POST":
        kept.update({k: request.POST[k] for k in ("service", "start") if request.POST.get(k)})
    return {
        "clinic": clinic,
        "cookie_choice": read_choice(request),
        "lang": request.lang,
        "langs": [(code, urlencode({**kept, "lang": code})) for code in LANGS],
        "lang_query": urlencode({"lang": request.lang}),
        **extra,
    }
