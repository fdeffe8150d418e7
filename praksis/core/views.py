import os

from django.conf import settings
from django.db import connection
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from praksis.core.backup import RESTORE_FLAG


@never_cache
def healthz(request):
    """200 when the database answers; for load balancers (the cheapest request we serve).
    503 while a restore has not finished replaying the erasures (issue 16)."""
    if os.path.exists(os.path.join(settings.VAR_DIR, RESTORE_FLAG)):
        return JsonResponse({"status": "restoring"}, status=503)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


# --- Error pages: branded and in the user's language; JSON under /api/ ------------------


def _api(request) -> bool:
    return request.path.startswith("/api/")


def _json_error(message, status: int) -> JsonResponse:
    return JsonResponse({"detail": str(message), "errors": {}}, status=status)


def bad_request(request, exception=None):
    if _api(request):
        return _json_error(_("The request could not be read."), 400)
    return render(request, "400.html", status=400)


def forbidden(request, exception=None):
    if _api(request):
        return _json_error(_("Your role does not allow this."), 403)
    return render(request, "staff/forbidden.html", status=403)


def not_found(request, exception=None):
    if _api(request):
        return _json_error(_("Not found."), 404)
    return render(request, "404.html", status=404)


def csrf_failure(request, reason=""):
    """A form sent without its security token (usually open too long, or cookies off)."""
    return render(request, "403_csrf.html", status=403)


def server_error(request):
    """No database, no context processors: the fault may be the database itself."""
    if _api(request):
        return _json_error(_("Something went wrong on our side."), 500)
    body = loader.get_template("500.html").render({"LANGUAGE_CODE": get_language()})
    return HttpResponseServerError(body)
