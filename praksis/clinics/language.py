"""The staff UI's language: the clinic's own (``Clinic.language``) unless the member of
staff chose another with the language form (kept on ``User.language`` and in the session).

Public pages keep their own rule (``?lang=``, the visitor's browser); this applies to
``/staff/`` only.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from praksis.clinics.auth import signed_in_membership
from praksis.clinics.models import User

SESSION_LANGUAGE = "praksis_language"


def _known(code: str | None) -> str | None:
    return code if code in dict(settings.LANGUAGES) else None


def staff_language(request, clinic) -> str:
    """This session's choice, else the user's saved choice, else the clinic's language."""
    return (
        _known(request.session.get(SESSION_LANGUAGE))
        or _known(getattr(request.user, "language", None))
        or _known(clinic.language)
        or settings.LANGUAGE_CODE
    )


class StaffLanguageMiddleware:
    """After authentication: staff pages of a signed-in member of staff speak the clinic's
    language (or the one they chose). Sets ``request.actor`` as early as that, so error
    pages under /staff/ show the menu too."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = None

    def __call__(self, request):
        if self.prefix is None:
            self.prefix = reverse("staff:home")
        if request.path.startswith(self.prefix):
            membership = signed_in_membership(request)
            if membership is not None:
                language = staff_language(request, membership.clinic)
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


@require_POST
def language_choose(request):
    """The header's language form: Django's ``set_language`` (cookie, safe redirect), and
    for a signed-in user the choice is kept on the account and in the session."""
    response = set_language(request)
    code = _known(request.POST.get("language"))
    if code is not None:
        request.session[SESSION_LANGUAGE] = code
        if request.user.is_authenticated:
            User.objects.filter(pk=request.user.pk).update(language=code)
    return response
