"""Tenancy is absolute: a member of another clinic gets 404 on every URL, and nothing changes.

The test walks every URL pattern of the API and the staff UI, fills in the ids of a
victim clinic's objects, and calls each with every method, as a member of another clinic
(owner role, the strongest). A new URL pattern that this walk cannot fill fails the test,
so new endpoints are covered when they are added.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from praksis.audit.models import AccessLogEntry
from praksis.people.models import Animal, Person
from praksis.people.services import animal_create

# Patterns that hold no clinic data (or are the way in): nothing to fill.
UNSCOPED = {
    "",
    "healthz",
    "api/v1/openapi.json",
    "api/v1/docs",
    "staff/login/",
    "staff/login/otp/",
    "staff/logout/",
    "i18n/setlang/",
}
METHODS = ("get", "post", "put", "patch", "delete")


def _walk(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _concrete(route: str, values: dict[str, str]) -> str | None:
    """Fill ``<int:person_id>``-style parameters; None if one has no value."""
    route = route.lstrip("^").rstrip("$")
    missing = []

    def fill(match):
        name = match.group(2)
        if name not in values:
            missing.append(name)
            return ""
        return values[name]

    url = re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)
    return None if missing else "/" + url


def _snapshot(clinic):
    people = list(
        Person.objects.filter(clinic=clinic)
        .order_by("pk")
        .values_list("pk", "first_name", "last_name", "email", "phone", "updated_at")
    )
    animals = list(Animal.objects.filter(clinic=clinic).order_by("pk").values_list("pk", "name"))
    log = AccessLogEntry.objects.filter(clinic=clinic).count()
    return people, animals, log


@pytest.fixture
def victim(make_clinic, make_actor, make_person):
    clinic = make_clinic("vet")
    owner = make_actor(clinic, "owner")
    person = make_person(owner, first_name="Solveig", last_name="Offerdal")
    animal = animal_create(actor=owner, owner_ids=[person.pk], name="Tassen", species="cat")
    return clinic, person, animal


def test_every_url_refuses_another_clinic(victim, make_clinic, make_staff, make_api):
    clinic, person, animal = victim
    outsider_clinic = make_clinic("other")
    ui = Client()
    ui.force_login(make_staff(outsider_clinic, "owner", email="owner@annan.test"))
    api = make_api(outsider_clinic, "owner")
    values = {"person_id": str(person.pk), "animal_id": str(animal.pk), "slug": clinic.slug}
    before = _snapshot(clinic)

    checked = 0
    for route in _walk(get_resolver()):
        if route.lstrip("^").rstrip("$") in UNSCOPED:
            continue
        url = _concrete(route, values)
        assert url is not None, f"tenancy walk cannot fill {route!r}: add its parameter"
        is_api = url.startswith("/api/v1/")
        for method in METHODS:
            if is_api:
                body_data = {"first_name": "X"} if method in ("post", "put", "patch") else None
                response = api.call(method, url.removeprefix("/api/v1/"), body_data)
            else:
                response = getattr(ui, method)(url)
            body = response.content.decode(errors="replace")
            assert person.last_name not in body, f"{method.upper()} {url} leaked a name"
            if "<" in route:  # names an object of the victim clinic
                assert response.status_code in (404, 405), (
                    f"{method.upper()} {url} answered {response.status_code}"
                )
            else:
                assert response.status_code < 500, f"{method.upper()} {url}"
            checked += 1
    assert checked > 40
    assert _snapshot(clinic) == before


def test_api_lists_only_own_clinic(victim, make_clinic, make_api):
    _clinic, person, _animal = victim
    api = make_api(make_clinic("other"), "receptionist")
    response = api.get("persons", q="Offerdal")
    assert response.status_code == 200
    assert response.json() == {"items": [], "count": 0, "count_capped": False}
    response = api.get(f"persons/{person.pk}")
    assert response.status_code == 404
