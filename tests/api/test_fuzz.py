"""Schemathesis fuzzes the whole OpenAPI document, as an owner and as the public.

Every operation gets generated input, valid and invalid (dates that do not exist, huge
integers, NUL characters, arrays where objects belong), and every answer must be a
documented status with a body that matches its documented schema: never a 5xx. The run
is bounded for `make test` (PRAKSIS_FUZZ_EXAMPLES per operation, default 6); a longer run
is the same test with a larger number.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = int(os.environ.get("PRAKSIS_FUZZ_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same inputs on every run: a failure is reproducible
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def fuzz_clinic(db, clinic, owner, make_person, make_bookable, settings):
    """A clinic with a bookable service and a person, so that real ids exist."""
    settings.PUBLIC_RATE_LIMIT_BOOKINGS = 10_000
    # As Django's test client does: the test's transaction outlives each request, so the
    # end of a request must not close the database connection it runs in.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    make_bookable(clinic)
    make_person(owner, first_name="Fuzz", last_name="Testsson", email="fuzz@example.se")
    yield clinic
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _aim(case, clinic) -> None:
    """Public paths name a clinic: aim them at the real one, so its code runs."""
    if "clinic" in (case.path_parameters or {}):
        case.path_parameters["clinic"] = clinic.slug


@schema.parametrize()
@fuzz_settings
def test_as_the_owner_no_operation_answers_5xx_or_off_its_document(case, fuzz_clinic, make_staff):
    from praksis.clinics.services import token_issue

    token = token_issue(user=make_staff(fuzz_clinic, "owner"), clinic=fuzz_clinic)
    _aim(case, fuzz_clinic)
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


@schema.parametrize()
@fuzz_settings
def test_as_the_public_no_operation_answers_5xx_or_off_its_document(case, fuzz_clinic):
    _aim(case, fuzz_clinic)
    case.call_and_validate(checks=CHECKS)
