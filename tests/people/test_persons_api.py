"""The persons API: create, read, patch, list — with field errors, never a 500."""

from __future__ import annotations

import pytest

from praksis.audit.models import AccessLogEntry
from praksis.people.models import Person

SE_NUMBER = "19850312-0002"  # synthetic; valid Luhn


@pytest.fixture
def api(clinic, make_api):
    return make_api(clinic, "receptionist")


def _valid_se():
    import random
    from datetime import date

    from praksis.people.identity import synthetic_se

    return synthetic_se(random.Random(7), date(1985, 3, 12))


def test_create_read_patch_list(clinic, api):
    number = _valid_se()
    response = api.post(
        "persons",
        {
            "first_name": " Greta ",
            "last_name": "Wikander",
            "identity_number": f"{number[2:8]}-{number[8:]}",
            "email": "Greta.W@Example.COM",
            "phone": "070-123 45 67",
            "address": "Storgatan 1\n222 23 Lund",
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["first_name"] == "Greta"
    assert created["identity_number"] == number  # REQ-35: stored as 12 digits
    assert created["birth_date"] == "1985-03-12"
    assert created["phone"] == "+46701234567"  # E.164
    assert created["email"] == "Greta.W@example.com"
    assert created["possible_duplicates"] == []

    person_id = created["id"]
    assert api.get(f"persons/{person_id}").json()["last_name"] == "Wikander"

    response = api.patch(f"persons/{person_id}", {"email": "greta@example.org"})
    assert response.status_code == 200
    assert response.json()["email"] == "greta@example.org"
    assert response.json()["phone"] == "+46701234567"  # untouched

    listed = api.get("persons", q="wik").json()
    assert listed["count"] == 1
    assert [p["id"] for p in listed["items"]] == [person_id]
    actions = list(
        AccessLogEntry.objects.filter(clinic=clinic)
        .exclude(object_type="api_token")  # issuing the client's token is logged too
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "read", "update", "search"]


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"first_name", "last_name", "identity_number"}),
        ({"first_name": "A", "last_name": "B", "identity_number": "19850312-0003"},
         {"identity_number"}),
        ({"first_name": "A", "last_name": "B", "identity_number": SE_NUMBER, "email": "nope"},
         {"identity_number", "email"}),
        ({"first_name": "A", "last_name": "B", "phone": "12"}, {"identity_number", "phone"}),
        ({"first_name": "A", "last_name": "B", "birth_date": "2999-01-01"},
         {"identity_number", "birth_date"}),
        ({"first_name": "A", "last_name": "B", "birth_date": "1985-02-30"},
         {"identity_number", "birth_date"}),
        ({"first_name": 12, "last_name": ["x"]}, {"first_name", "last_name"}),
        ({"first_name": "123", "last_name": "x" * 101}, {"first_name", "last_name"}),
    ],
)  # fmt: skip
def test_bad_input_gets_422_with_field_errors(api, payload, fields):
    response = api.post("persons", payload)
    assert response.status_code == 422
    body = response.json()
    assert set(body["errors"]) >= fields
    assert Person.objects.count() == 0


def test_errors_are_in_the_users_language_and_never_echo_input(clinic, make_api):
    api = make_api(clinic, "receptionist", language="sv")
    response = api.post(
        "persons", {"first_name": "A", "last_name": "B", "identity_number": "19850312-9999"}
    )
    assert response.status_code == 422
    message = response.json()["errors"]["identity_number"][0]
    assert "personnummer" in message
    assert "9999" not in response.content.decode()
    nb = make_api(clinic, "owner", language="nb").post("persons", {"first_name": "A"})
    assert "etternavn" in nb.json()["errors"]["last_name"][0].lower()


def test_malformed_json_is_a_client_error(api):
    response = api.client.post(
        "/api/v1/persons", data="{not json", content_type="application/json", headers=api.headers
    )
    assert 400 <= response.status_code < 500


def test_same_identity_number_twice_is_refused(api):
    number = _valid_se()
    first = api.post("persons", {"first_name": "A", "last_name": "B", "identity_number": number})
    assert first.status_code == 201
    again = api.post("persons", {"first_name": "C", "last_name": "D", "identity_number": number})
    assert again.status_code == 422
    assert "identity_number" in again.json()["errors"]


def test_probable_duplicate_is_flagged_on_create(api):
    api.post(
        "persons",
        {"first_name": "Sara", "last_name": "Holm", "identity_number": _valid_se(),
         "phone": "0701112233"},
    )  # fmt: skip
    import random
    from datetime import date

    from praksis.people.identity import synthetic_se

    other = synthetic_se(random.Random(99), date(1990, 1, 1))
    second = api.post(
        "persons",
        {"first_name": "Sarah", "last_name": "Holm", "identity_number": other,
         "phone": "+46 70 111 22 33"},
    )  # fmt: skip
    assert second.status_code == 201
    assert [d["last_name"] for d in second.json()["possible_duplicates"]] == ["Holm"]


def test_missing_or_bad_token_is_401(clinic, api):
    from tests.conftest import ApiClient

    assert ApiClient(None).get("persons").status_code == 401
    assert ApiClient("prk_nonsense").get("persons").status_code == 401


def test_revoked_token_is_401(clinic, make_staff):
    from praksis.clinics.access import Actor
    from praksis.clinics.models import ApiToken
    from praksis.clinics.services import token_issue, token_revoke
    from tests.conftest import ApiClient

    user = make_staff(clinic, "owner")
    token = token_issue(user=user, clinic=clinic)
    assert ApiClient(token).get("persons").status_code == 200
    actor = Actor(clinic=clinic, user=user, role="owner")
    token_revoke(actor=actor, token_id=ApiToken.objects.get(user=user).pk)
    assert ApiClient(token).get("persons").status_code == 401
    assert not ApiToken.objects.filter(token_hash=token).exists()  # only the hash is stored


def test_access_log_endpoint_is_for_owners(clinic, make_api, make_actor, make_person):
    person = make_person(make_actor(clinic, "practitioner"))
    owner = make_api(clinic, "owner")
    response = owner.get(f"persons/{person.pk}/access-log")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] >= 1
    assert body["items"][-1]["action"] == "create"
    assert body["items"][-1]["role"] == "practitioner"
    for role in ("receptionist", "practitioner"):
        denied = make_api(clinic, role).get(f"persons/{person.pk}/access-log")
        assert denied.status_code == 403


def test_openapi_document_lists_the_endpoints(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/persons" in paths
    assert "/api/v1/persons/{person_id}/access-log" in paths
