"""The JSON API under /api/v1 (django-ninja), with one error shape for every surface.

Errors: ``{"detail": "...", "errors": {"field": ["message", ...]}}`` — 401 for a missing
or bad token, 403 for a role that may not, 404 for anything outside the caller's clinic,
409 for a conflict, 422 for bad input. Messages follow ``Accept-Language`` (sv, nb, en).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from praksis.audit.api import router as audit_router
from praksis.booking.api import public_router as booking_public_router
from praksis.booking.api import staff_router as booking_staff_router
from praksis.booking.setup_api import router as booking_setup_router
from praksis.breaches.api import router as breaches_router
from praksis.clinics.access import ScopeMissing
from praksis.clinics.api import router as clinics_router
from praksis.clinics.services import actor_for_token
from praksis.core.api_body import StrictJsonParser
from praksis.core.errors import Conflict, RateLimited, ValidationFailed
from praksis.core.input import BODY_FIELD, field_name
from praksis.core.middleware import client_ip
from praksis.disclosures.api import router as disclosures_router
from praksis.journal.api import router as journal_router
from praksis.people.api import router as people_router
from praksis.privacy.api import router as privacy_router
from praksis.processing.api import router as processing_router
from praksis.recall.api import router as recall_router
from praksis.sales.api import router as sales_router


class BearerToken(HttpBearer):
    """A staff token, looked up on every request (revoked, expired or deactivated: 401)."""

    def authenticate(self, request, token):
        return actor_for_token(
            token, request_id=getattr(request, "request_id", ""), ip=client_ip(request)
        )


class PraksisAPI(NinjaAPI):
    """The API, whose OpenAPI document also lists the errors every operation can answer."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for status in _error_statuses(method, operation):
                    responses.setdefault(
                        status,
                        {
                            "description": ERROR_DESCRIPTIONS[status],
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Error"}
                                }
                            },
                        },
                    )
        return schema


ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["detail"],
}
ERROR_DESCRIPTIONS = {
    "401": "A valid bearer token is required.",
    "403": "The caller's role (or token scope) does not allow this.",
    "404": "Not found, or outside the caller's clinic.",
    "409": "The request is valid but the current state does not allow it.",
    "422": "Bad input: a message per field, in the caller's language.",
    "429": "Too many requests from this address; try again later.",
}


def _error_statuses(method: str, operation: dict) -> list[str]:
    public = not operation.get("security")
    statuses = ["404", "422"]
    if public:
        statuses.append("429")
    else:
        statuses += ["401", "403"]
    if method in ("post", "put", "patch", "delete"):
        statuses.append("409")
    return statuses


api = PraksisAPI(
    title="Praksis API",
    version="1",
    urls_namespace="api",
    auth=BearerToken(),
    docs_url="/docs",
    parser=StrictJsonParser(),
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
        names = [field_name(part) for part in reversed(loc)]
        field = next((n for n in names if n != BODY_FIELD), BODY_FIELD)
        message = _PYDANTIC_MESSAGES.get(err.get("type"), lambda: _("Enter a valid value."))()
        errors.setdefault(field, []).append(message)  # never echo the input back
    return _error(request, 422, _("Please correct the fields marked."), errors)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, _("Not found."))


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return _error(request, 403, _("Your role does not allow this."))


@api.exception_handler(ScopeMissing)
def _scope_missing(request, exc: ScopeMissing):
    return _error(
        request,
        403,
        _('This token lacks the "%(scope)s" scope: issue one with it for this action.')
        % {"scope": exc.scope},
    )


@api.exception_handler(Conflict)
def _conflict(request, exc: Conflict):
    return _error(request, 409, exc.message)


@api.exception_handler(AuthenticationError)
def _unauthorised(request, exc):
    return _error(request, 401, _("A valid bearer token is required."))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, ValidationFailed):  # from StrictJsonParser, via ninja
        return _validation_failed(request, exc.__cause__)
    if exc.status_code == 400:  # ninja's own "Cannot parse request body"
        return _error(
            request,
            422,
            _("Please correct the fields marked."),
            {BODY_FIELD: [_("The request body is not valid JSON.")]},
        )
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(RateLimited)
def _rate_limited(request, exc: RateLimited):
    response = _error(request, 429, _("Too many requests. Please wait a minute and try again."))
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def _out_of_range(request, exc):
    """The last line: a value the database cannot hold is bad input, never a 500.

    Inputs are checked where they enter (the body parser, typed ids, date ranges); this
    catches what a check has missed rather than letting it become a server error.
    """
    return _error(
        request,
        422,
        _("Please correct the fields marked."),
        {BODY_FIELD: [_("A value is out of range or holds characters that are not allowed.")]},
    )


def _register_routers() -> None:
    api.add_router("/", people_router)
    api.add_router("/", booking_staff_router)
    api.add_router("/", booking_public_router)
    api.add_router("/", journal_router)
    api.add_router("/", privacy_router)
    api.add_router("/", recall_router)
    api.add_router("/", sales_router)
    api.add_router("/", processing_router)
    api.add_router("/", disclosures_router)
    api.add_router("/", breaches_router)
    api.add_router("/", audit_router)
    api.add_router("/", clinics_router)
    api.add_router("/", booking_setup_router)


_register_routers()


@csrf_exempt  # a bearer-token API answers 404 here, not a CSRF page
def not_found(request, *args, **kwargs):
    """Any other address under /api/: the same 404 in the error shape, in JSON."""
    return _error(request, 404, _("Not found."))
