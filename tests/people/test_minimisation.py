"""Therapy profile: birth date only — the last four digits are never written anywhere."""

from __future__ import annotations

import logging
import random
from datetime import date

import pytest
from django.apps import apps
from django.test import Client

from praksis.people.identity import synthetic_se
from praksis.people.models import Person


def _everything_stored() -> str:
    """Every value of every row of every table, as one string."""
    chunks = []
    for model in apps.get_models():
        for row in model.objects.all().values_list():
            chunks.append(" ".join(str(v) for v in row))
    return "\n".join(chunks)


@pytest.fixture
def therapy(make_clinic):
    return make_clinic("therapy")


@pytest.fixture
def full_number():
    return synthetic_se(random.Random(5), date(1979, 6, 30))  # 12 digits


def _assert_not_stored(number: str):
    stored = _everything_stored()
    for form in (number, number[2:], f"{number[:8]}-{number[8:]}", f"{number[2:8]}-{number[8:]}"):
        assert form not in stored
    assert f"-{number[8:]}" not in stored


def test_api_keeps_only_the_birth_date(therapy, make_api, full_number, caplog):
    caplog.set_level(logging.DEBUG)
    api = make_api(therapy, "receptionist")
    typed = f"{full_number[:8]}-{full_number[8:]}"
    response = api.post(
        "persons", {"first_name": "Alva", "last_name": "Ek", "identity_number": typed}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["identity_number"] is None
    assert body["birth_date"] == "1979-06-30"
    person = Person.objects.get(pk=body["id"])
    assert person.identity_number is None
    assert person.identity_kind == ""
    _assert_not_stored(full_number)
    assert full_number[8:] not in caplog.text
    # Searching by the full number finds the person by birth date; the search is logged
    # without the query.
    found = api.get("persons", q=typed).json()
    assert [p["id"] for p in found["items"]] == [person.pk]
    _assert_not_stored(full_number)


def test_patch_with_a_full_number_keeps_only_the_date(therapy, make_api, full_number):
    api = make_api(therapy, "owner")
    created = api.post(
        "persons", {"first_name": "Alva", "last_name": "Ek", "birth_date": "1980-01-01"}
    ).json()
    response = api.patch(f"persons/{created['id']}", {"identity_number": full_number})
    assert response.status_code == 200
    assert response.json()["birth_date"] == "1979-06-30"
    _assert_not_stored(full_number)


def test_staff_form_keeps_only_the_birth_date(therapy, make_staff, full_number):
    client = Client()
    client.force_login(make_staff(therapy, "receptionist"))
    page = client.get("/staff/persons/new/")
    assert 'name="identity_number"' not in page.content.decode()
    response = client.post(
        "/staff/persons/new/",
        {"first_name": "Maja", "last_name": "Lind", "birth_date": full_number[2:]},
    )
    assert response.status_code == 302
    person = Person.objects.get(last_name="Lind")
    assert person.birth_date == date(1979, 6, 30)
    assert person.identity_number is None
    _assert_not_stored(full_number)


def test_birth_date_is_required(therapy, make_api):
    response = make_api(therapy, "owner").post("persons", {"first_name": "A", "last_name": "B"})
    assert response.status_code == 422
    assert "birth_date" in response.json()["errors"]
