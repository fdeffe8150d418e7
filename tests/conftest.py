"""Shared fixtures: clinics of each profile, staff in each role, API clients."""

from __future__ import annotations

import json
import os

os.environ.setdefault("PRAKSIS_ENV", "test")

import pytest
from django.core.servers import basehttp
from django.db.backends.base.operations import BaseDatabaseOperations
from django.test import Client

from praksis.core.db import purge_allowed

_original_flush = BaseDatabaseOperations.execute_sql_flush


def _flush_with_purge(self, sql_list):
    # Between transactional tests Django empties every table; the append-only triggers
    # let the sanctioned purge path through and nothing else.
    with purge_allowed(self.connection):
        _original_flush(self, sql_list)


BaseDatabaseOperations.execute_sql_flush = _flush_with_purge

# Django's test server listens with a backlog of 10: the race tests connect 50 clients at
# once, and the kernel resets connections that overflow the queue before Django sees them.
basehttp.WSGIServer.request_queue_size = 128

PASSWORD = "correct horse battery staple"

CLINIC_SPECS = {
    "optician": dict(
        slug="test-optik", name="Test Optik", profile="optician", regime="SE-human",
        country="SE", language="sv", time_zone="Europe/Stockholm",
    ),
    "therapy": dict(
        slug="test-terapi", name="Test Terapi", profile="therapy", regime="GDPR-only",
        country="SE", language="sv", time_zone="Europe/Stockholm",
    ),
    "vet": dict(
        slug="test-dyr", name="Test Dyreklinikk", profile="veterinary", regime="NO-vet",
        country="NO", language="nb", time_zone="Europe/Oslo",
    ),
    "dental": dict(
        slug="test-tann", name="Test Tannhelse", profile="dental", regime="NO-human",
        country="NO", language="nb", time_zone="Europe/Oslo",
    ),
    "other": dict(
        slug="annan-optik", name="Annan Optik", profile="optician", regime="SE-human",
        country="SE", language="sv", time_zone="Europe/Stockholm",
    ),
}  # fmt: skip


@pytest.fixture
def make_clinic(db):
    from praksis.clinics.services import clinic_create

    def make(kind: str = "optician", **overrides):
        return clinic_create(**{**CLINIC_SPECS[kind], **overrides})

    return make


@pytest.fixture
def clinic(make_clinic):
    return make_clinic("optician")


@pytest.fixture
def other_clinic(make_clinic):
    return make_clinic("other")


@pytest.fixture
def make_staff(db):
    from praksis.clinics.services import staff_add

    def make(clinic, role: str, email: str | None = None):
        return staff_add(
            clinic=clinic,
            email=email or f"{role}@{clinic.slug}.test",
            full_name=f"{role.title()} of {clinic.name}",
            role=role,
            password=PASSWORD,
        )

    return make


def speaks(user, language: str):
    """``user`` chose ``language`` for the staff UI (the header's language form); without a
    choice staff pages speak the clinic's language, whatever the browser asks for."""
    user.language = language
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def make_actor(make_staff):
    from praksis.clinics.access import Actor

    def make(clinic, role: str = "owner"):
        user = make_staff(clinic, role)
        return Actor(clinic=clinic, user=user, role=role, request_id="test", channel="ui")

    return make


@pytest.fixture
def owner(clinic, make_actor):
    return make_actor(clinic, "owner")


@pytest.fixture
def receptionist(clinic, make_actor):
    return make_actor(clinic, "receptionist")


class ApiClient:
    """A JSON client for /api/v1 carrying one staff member's bearer token."""

    def __init__(self, token: str | None, language: str = "en"):
        self.client = Client()
        self.headers = {"Accept-Language": language}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, data=None, **params):
        url = f"/api/v1/{path.lstrip('/')}"
        kwargs = {"headers": self.headers}
        if data is not None:
            kwargs["data"] = json.dumps(data)
            kwargs["content_type"] = "application/json"
        elif params:
            kwargs["data"] = params
        return getattr(self.client, method)(url, **kwargs)

    def get(self, path, **params):
        return self.call("get", path, **params)

    def post(self, path, data=None):
        return self.call("post", path, data if data is not None else {})

    def patch(self, path, data):
        return self.call("patch", path, data)

    def put(self, path, data):
        return self.call("put", path, data)

    def delete(self, path):
        return self.call("delete", path)


@pytest.fixture
def make_api(make_staff):
    from praksis.clinics.services import token_issue

    def make(clinic, role: str = "owner", language: str = "en", scopes: str = "") -> ApiClient:
        """``scopes="sensitive"`` for actions staff re-authenticate for (erasure, ...)."""
        user = make_staff(clinic, role)
        return ApiClient(token_issue(user=user, clinic=clinic, scopes=scopes), language=language)

    return make


@pytest.fixture
def make_person(db):
    from praksis.people.services import person_create

    def make(actor, **data):
        values = {"first_name": "Test", "last_name": "Testsson", **data}
        if actor.clinic.identity_policy == "required" and "identity_number" not in data:
            values["identity_number"] = next(_SE_NUMBERS)
        person, _dups = person_create(actor=actor, data=values)
        return person

    return make


def _se_numbers():
    import random
    from datetime import date, timedelta

    from praksis.people.identity import synthetic_se

    rng = random.Random(41)
    seen = set()
    while True:
        birth = date(1950, 1, 1) + timedelta(days=rng.randrange(20000))
        number = synthetic_se(rng, birth)
        if number not in seen:
            seen.add(number)
            yield number


_SE_NUMBERS = _se_numbers()


@pytest.fixture
def make_bookable(db):
    """Give a clinic a service and practitioners working every day 08:00-17:00 (local)."""
    from datetime import time

    from praksis.booking.models import Practitioner, Service, WorkingHours

    def make(clinic, *, practitioners: int = 1, duration: int = 30, buffer: int = 0, **fields):
        staff = [
            Practitioner.objects.create(clinic=clinic, name=f"Practitioner {i + 1}")
            for i in range(practitioners)
        ]
        for practitioner in staff:
            WorkingHours.objects.bulk_create(
                WorkingHours(
                    clinic=clinic, practitioner=practitioner, weekday=day,
                    start=time(8), end=time(17),
                )
                for day in range(7)
            )  # fmt: skip
        service = Service.objects.create(
            clinic=clinic,
            name="Undersökning",
            names={"sv": "Undersökning", "nb": "Undersøkelse", "en": "Examination"},
            duration_minutes=duration,
            buffer_minutes=buffer,
            **fields,
        )
        service.practitioners.set(staff)
        return service, staff

    return make


def next_local(clinic, days: int = 2, hour: int = 10, minute: int = 0):
    """An aware datetime ``days`` ahead at a local wall-clock time of ``clinic``."""
    from datetime import datetime, timedelta

    from django.utils import timezone

    day = timezone.now().astimezone(clinic.zone).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=clinic.zone)


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Each test starts without the per-process cache of clinics."""
    from praksis.clinics import selectors as clinic_selectors

    clinic_selectors._clinics.clear()
    yield
    clinic_selectors._clinics.clear()
