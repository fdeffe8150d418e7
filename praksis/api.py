"""The JSON API under /api/v1 (django-ninja), with one error shape for every surface.

Errors: ``{"detail": "...", "errors": {"field": ["message", ...]}}`` — 401 for a missing
or bad token, 403 for a role that may not, 404 for anything outside the caller's clinic,
409 for a conflict, 422 for bad input. Messages follow ``Accept-Language`` (sv, nb, en).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from praksis.clinics.services import actor_for_token
from praksis.core.errors import Conflict, ValidationFailed
from praksis.core.middleware import client_ip


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        return actor_for_token(
            token, request_id=getattr(request, "request_id", ""), ip=client_ip(request)
        )


api = NinjaAPI(
    title="Praksis API",
    version="1",
    urls_namespace="api",
    auth=BearerToken(),
    docs_url="/docs",
)


def _error(request, status: int, detail: str, errors: dict | None = None):
    body: dict = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return api.create_response(request, body, status=status)


@api.exception_handler(ValidationFailed)
def _validation_failed(request, exc: ValidationFailed):
    return _error(request, 422, _("Please correct the fields marked."), exc.errors)


_PYDANTIC_MESSAGES = {
    "missing": lambda: _("This field is required."),
    "json_invalid": lambda: _("The request body is not valid JSON."),
}


@api.exception_handler(NinjaValidationError)
def _schema_invalid(request, exc: NinjaValidationError):
    errors: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "payload")]
        field = ".".join(loc[-1:]) or "__all__"
        message = _PYDANTIC_MESSAGES.get(err.get("type"), lambda: _("Enter a valid value."))()
        errors.setdefault(field, []).append(message)  # never echo the input back
    return _error(request, 422, _("Please correct the fields marked."), errors)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, _("Not found."))


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return _error(request, 403, _("Your role does not allow this."))


@api.exception_handler(Conflict)
def _conflict(request, exc: Conflict):
    return _error(request, 409, exc.message)


@api.exception_handler(AuthenticationError)
def _unauthorised(request, exc):
    return _error(request, 401, _("A valid bearer token is required."))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return _error(request, exc.status_code, str(exc))


def _register_routers() -> None:
    from praksis.booking.api import public_router, staff_router
    from praksis.journal.api import router as journal_router
    from praksis.people.api import router as people_router

    api.add_router("/", people_router)
    api.add_router("/", staff_router)
    api.add_router("/", public_router)
    api.add_router("/", journal_router)
    from praksis.privacy.api import router as privacy_router

    api.add_router("/", privacy_router)
    from praksis.recall.api import router as recall_router

    api.add_router("/", recall_router)
    from praksis.sales.api import router as sales_router

    api.add_router("/", sales_router)
    from praksis.breaches.api import router as breaches_router
    from praksis.disclosures.api import router as disclosures_router
    from praksis.processing.api import router as processing_router

    api.add_router("/", processing_router)
    api.add_router("/", disclosures_router)
    api.add_router("/", breaches_router)
    from praksis.audit.api import router as audit_router

    api.add_router("/", audit_router)


_register_routers()
